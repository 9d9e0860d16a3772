"""Mie coefficients of a core-shell sphere (a homogeneous sphere is the special case).

The interface conditions are those of Bohren & Huffman (1983, §8.1) and the layer
recursion of Yang, Appl. Opt. 42, 1710 (2003), but written in *projective* (homogeneous)
form: every logarithmic derivative ``H = N / M`` is carried as the pair ``(N, M)``.
The classical forms divide by ``psi_n(m x)``, whose real zeros in lossless layers make
ratio-based codes (and the ``Q_n`` recurrence started from ``sin z``) lose all accuracy
when ``n k0 r`` hits a multiple of pi; the projective form has no such poles. Absorbing
layers are handled by the exponential scalings of :mod:`kerker.mie.special`, which are
combined analytically so that no intermediate can overflow.

Notation: ``m_core``, ``m_shell`` are refractive indices relative to the embedding
medium, ``x_core = k r_core``, ``x_shell = k r_shell`` with ``k = 2 pi n_env / wavelength``
and ``r_shell`` the *outer* radius. Time dependence ``exp(-i omega t)``: Im m > 0 is loss.
"""

from __future__ import annotations

import torch

from kerker.mie._range import _ldexp, _normalise_rows, _pow2
from kerker.mie.special import riccati_psi, riccati_zeta

__all__ = ["coefficients_orders_first", "coefficients_torch"]


def coefficients_orders_first(
    m_core: torch.Tensor,
    m_shell: torch.Tensor,
    x_core: torch.Tensor,
    x_shell: torch.Tensor,
    n_max: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Core-shell Mie coefficients with the order axis first, shape (n_max, B).

    The layout of the inner kernel (contiguous rows per order); see
    :func:`coefficients_torch` for the parameters.
    """
    x_core = x_core.to(torch.complex128)
    x_shell = x_shell.to(torch.complex128)
    z0 = m_core * x_core  # core medium at the core radius
    z1 = m_shell * x_core  # shell medium at the core radius
    z2 = m_shell * x_shell  # shell medium at the outer radius
    b = z0.shape[0]

    # All psi arguments in one backward recurrence, all zeta arguments in one forward
    # one; each element starts at its own order, so no element depends on the others.
    # The functions come as mantissas f = m 2^e with integer exponents e (None: all 0).
    psi, dpsi, e_psi = riccati_psi(torch.cat([z0, z1, z2, x_shell]), n_max, exponents=True)
    zeta, dzeta, e_zeta = riccati_zeta(torch.cat([z1, z2, x_shell]), n_max, exponents=True)
    exponents = e_psi is not None or e_zeta is not None
    if exponents:
        # Where only one family needed exponents, split the other into mantissas and
        # exponents too (exactly), so that products of mantissas stay in range.
        if e_psi is None:
            psi, dpsi, e_psi = _normalise_rows(psi, dpsi, None)
        if e_zeta is None:
            zeta, dzeta, e_zeta = _normalise_rows(zeta, dzeta, None)
    psi_z0, psi_z1, psi_z2, psi_x = psi[1:].split(b, dim=1)
    dpsi_z0, dpsi_z1, dpsi_z2, dpsi_x = dpsi[1:].split(b, dim=1)
    zeta_z1, zeta_z2, zeta_x = zeta[1:].split(b, dim=1)
    dzeta_z1, dzeta_z2, dzeta_x = dzeta[1:].split(b, dim=1)

    # psi carries e^{i s z} (s = sign Im z) and zeta carries e^{-i z}; bringing the
    # shell's inner radius to the scale of its outer radius costs exp(i (1 + s)(z2 - z1)),
    # of modulus exp(-2 Im(z2 - z1)) <= 1 for passive shells and 1 for gain.
    s_shell = torch.where(z1.imag >= 0, 1.0, -1.0).to(torch.float64)
    e_shift = torch.exp(1j * (1.0 + s_shell) * (z2 - z1))
    inv_zeta_z1 = 1.0 / zeta_z1
    inv_shifted = inv_zeta_z1 * e_shift
    zeta_ratio = zeta_z2 * inv_shifted
    dzeta_ratio = dzeta_z2 * inv_shifted
    d3_z1 = dzeta_z1 * inv_zeta_z1

    # The core pair (psi'(z0), psi(z0)) is projective: its exponent drops out.
    n_core, m_core_fn = dpsi_z0, psi_z0  # core log-derivative H_1 = N / M
    p1, dp1 = psi_z1, dpsi_z1
    p2, dp2 = psi_z2, dpsi_z2

    # Outer medium (real x): psi carries e^{ix}, zeta e^{-ix}; a_n, b_n need e^{-2ix},
    # folded into psi here. With lead = w num + (n/x) den (w = 1/m_shell for a_n, m_shell
    # for b_n), the BH numerator lead psi_n - den psi_{n-1} = w num psi_n - den psi_n'
    # (psi_n' = psi_{n-1} - (n/x) psi_n), likewise xi_n' in the denominator.
    e_out = torch.exp(-2j * x_shell)
    psi_out, u_out = psi_x * e_out, dpsi_x * e_out
    xi_out, v_out = zeta_x, dzeta_x

    out_scale = None
    if exponents:
        # Exponents of the rows n = 1..n_max. In num and den below, the terms in psi(z2)
        # carry 2^Ep2 and those in psi(z1) zeta(z2) / zeta(z1) carry 2^(Ep1 + Ez2 - Ez1);
        # the larger is factored out (num / den is projective) and the other applied as
        # 2^-|D|, which underflows to 0 when its terms are negligible (a vanishing core
        # gives the homogeneous shell sphere). The outer ratio carries 2^(Epx - Ezx).
        _, ep1, ep2, epx = e_psi[1:].split(b, dim=1)
        ez1, ez2, ezx = e_zeta[1:].split(b, dim=1)
        d = ep1 + ez2 - ez1 - ep2
        left = _pow2(-d.clamp(min=0))
        right = _pow2(d.clamp(max=0))
        p2, dp2 = p2 * left, dp2 * left
        zeta_ratio, dzeta_ratio = zeta_ratio * right, dzeta_ratio * right
        out_scale = epx - ezx

    d3_m = d3_z1 * m_core_fn
    dp1_m = dp1 * m_core_fn

    def outer(transfer: torch.Tensor, weight_out: torch.Tensor) -> torch.Tensor:
        # Shell log-derivative at the outer radius, H = num / den, from the interface
        # condition at the core radius expressed as t N / M (t = index ratio).
        tn = transfer * n_core
        c_left = d3_m - tn
        c_right = torch.addcmul(dp1_m, tn, p1, value=-1)
        num = c_left * dp2 - c_right * dzeta_ratio
        den = c_left * p2 - c_right * zeta_ratio
        w_num = weight_out * num
        coef = torch.addcmul(w_num * psi_out, den, u_out, value=-1) / torch.addcmul(
            w_num * xi_out, den, v_out, value=-1
        )
        return coef if out_scale is None else _ldexp(coef, out_scale)

    ratio = m_shell / m_core
    return outer(ratio, 1.0 / m_shell), outer(1.0 / ratio, m_shell)


def coefficients_torch(
    m_core: torch.Tensor,
    m_shell: torch.Tensor,
    x_core: torch.Tensor,
    x_shell: torch.Tensor,
    n_max: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Core-shell Mie coefficients ``a_n, b_n`` for ``n = 1 .. n_max`` (torch, no validation).

    Parameters
    ----------
    m_core, m_shell : torch.Tensor, complex128, shape (B,)
        Relative refractive indices of core and shell.
    x_core, x_shell : torch.Tensor, float64 or complex128, shape (B,)
        Size parameters of the core radius and of the outer radius, ``0 < x_core <= x_shell``.
    n_max : int
        Number of orders.

    Returns
    -------
    a, b : torch.Tensor, complex128, shape (B, n_max)
        Electric (``a_n``) and magnetic (``b_n``) scattering coefficients, BH convention.

    Notes
    -----
    Inputs are validated by the public wrappers (:func:`kerker.mie.mie_coefficients`,
    :func:`kerker.efficiencies`); this kernel assumes finite, positive sizes.
    """
    a, b = coefficients_orders_first(m_core, m_shell, x_core, x_shell, n_max)
    return a.T, b.T
