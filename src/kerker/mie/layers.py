"""Mie coefficients of a sphere of L concentric layers (L = 2 is the core-shell sphere).

The interface conditions are those of Bohren & Huffman (1983, §8.1) and the layer
recursion of Yang, Appl. Opt. 42, 1710 (2003), but written in *projective* (homogeneous)
form: every logarithmic derivative ``H = N / M`` is carried as the pair ``(N, M)``.
The classical forms divide by ``psi_n(m x)``, whose real zeros in lossless layers make
ratio-based codes (and the ``Q_n`` recurrence started from ``sin z``) lose all accuracy
when ``n k0 r`` hits a multiple of pi; the projective form has no such poles. Absorbing
layers are handled by the exponential scalings of :mod:`kerker.mie.special`, which are
combined analytically so that no intermediate can overflow.

The recursion. In layer ``l`` (relative index ``m_l``, inner size parameter ``x_{l-1}``,
outer ``x_l``) the radial function of each order is ``f = psi_n(z) + beta zeta_n(z)``,
``z = m_l k r``. Continuity of the tangential fields at the inner radius fixes ``beta``
from the log-derivative ``H = N / M`` the field below carries there, times the index
ratio ``t = m_l / m_{l-1}`` (electric, ``a_n``) or ``m_{l-1} / m_l`` (magnetic, ``b_n``);
the log-derivative at the outer radius is then the pair (``num``, ``den``) below, which is
the next layer's ``(N, M)``. A zero-thickness layer maps ``H`` to ``t H`` exactly up to
rounding, so that it drops out with its neighbour's ratio (``t t' = m_{l+1} / m_{l-1}``).
Between layers the pair is renormalised by an exact power of two (its scale is
arbitrary), so that no number of layers can under- or overflow it.

Notation: ``m`` are refractive indices relative to the embedding medium, ``x = k r`` with
``k = 2 pi n_env / wavelength`` and ``r`` the outer radius of each layer, innermost first.
Time dependence ``exp(-i omega t)``: Im m > 0 is loss.
"""

from __future__ import annotations

import torch

from kerker.mie._range import _binary_exponent, _ldexp, _max_abs, _normalise_rows, _pow2
from kerker.mie.special import riccati_psi, riccati_zeta

__all__ = ["layer_coefficients_orders_first"]


def _renormalised(num: torch.Tensor, den: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The projective pair ``(num, den)`` scaled by one exact power of two to ``max(|.|) ~ 1``."""
    mag = torch.maximum(_max_abs(num.detach()), _max_abs(den.detach()))
    shift = _binary_exponent(mag)
    return _ldexp(num, -shift), _ldexp(den, -shift)


def layer_coefficients_orders_first(m: torch.Tensor, x: torch.Tensor, n_max: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Mie coefficients of L-layer spheres with the order axis first, shape (n_max, B).

    Parameters
    ----------
    m : torch.Tensor, complex128, shape (L, B)
        Relative refractive index of each layer, innermost first, ``L >= 1``.
    x : torch.Tensor, float64 or complex128, shape (L, B)
        Size parameter of each layer's outer radius, ``0 < x_1 <= x_2 <= ... <= x_L``.
    n_max : int
        Number of orders.

    Returns
    -------
    a, b : torch.Tensor, complex128, shape (n_max, B)
        Electric and magnetic coefficients, orders ``1 .. n_max`` (BH convention).

    Notes
    -----
    Inputs are validated by the public wrappers; this kernel assumes finite, positive,
    non-decreasing sizes. Each element is computed on its own (no value depends on the
    rest of the batch). For L = 2 the operations are those of the core-shell kernel.
    """
    if m.shape[0] == 1:  # a homogeneous sphere: the core-shell sphere with a zero-thickness shell of its material
        m, x = torch.cat([m, m]), torch.cat([x, x])
    n_layers = m.shape[0]
    x = x.to(torch.complex128)
    b = m.shape[1]
    z_core = m[0] * x[0]
    inner = [m[l] * x[l - 1] for l in range(1, n_layers)]  # layer l's medium at its inner radius
    outer = [m[l] * x[l] for l in range(1, n_layers)]  # ... and at its outer radius
    pairs = [t for pair in zip(inner, outer) for t in pair]
    x_out = x[-1]

    # All psi arguments in one backward recurrence, all zeta arguments in one forward
    # one; each element starts at its own order, so no element depends on the others.
    # The functions come as mantissas f = m 2^e with integer exponents e (None: all 0).
    psi, dpsi, e_psi = riccati_psi(torch.cat([z_core, *pairs, x_out]), n_max, exponents=True)
    zeta, dzeta, e_zeta = riccati_zeta(torch.cat([*pairs, x_out]), n_max, exponents=True)
    exponents = e_psi is not None or e_zeta is not None
    if exponents:
        # Where only one family needed exponents, split the other into mantissas and
        # exponents too (exactly), so that products of mantissas stay in range.
        if e_psi is None:
            psi, dpsi, e_psi = _normalise_rows(psi, dpsi, None)
        if e_zeta is None:
            zeta, dzeta, e_zeta = _normalise_rows(zeta, dzeta, None)
    psi_rows = psi[1:].split(b, dim=1)
    dpsi_rows = dpsi[1:].split(b, dim=1)
    zeta_rows = zeta[1:].split(b, dim=1)
    dzeta_rows = dzeta[1:].split(b, dim=1)
    e_psi_rows = e_psi[1:].split(b, dim=1) if exponents else None
    e_zeta_rows = e_zeta[1:].split(b, dim=1) if exponents else None

    # The core pair (psi'(z_core), psi(z_core)) is projective: its exponent drops out.
    # Both chains (a_n: t = m_l / m_{l-1}; b_n: its inverse) start from it.
    n_a = n_b = dpsi_rows[0]
    m_a = m_b = psi_rows[0]
    num_a = den_a = num_b = den_b = None
    for l in range(1, n_layers):
        if l > 1:  # the previous layer's outer pair is this layer's inner pair
            n_a, m_a = _renormalised(num_a, den_a)
            n_b, m_b = _renormalised(num_b, den_b)
        k = 2 * l - 1  # rows of this layer's inner and outer arguments in psi (k, k+1), zeta (k-1, k)
        z1, z2 = inner[l - 1], outer[l - 1]
        p1, dp1 = psi_rows[k], dpsi_rows[k]
        p2, dp2 = psi_rows[k + 1], dpsi_rows[k + 1]
        zeta_z1, dzeta_z1 = zeta_rows[k - 1], dzeta_rows[k - 1]
        zeta_z2, dzeta_z2 = zeta_rows[k], dzeta_rows[k]
        # psi carries e^{i s z} (s = sign Im z) and zeta carries e^{-i z}; bringing the
        # layer's inner radius to the scale of its outer radius costs exp(i (1 + s)(z2 - z1)),
        # of modulus exp(-2 Im(z2 - z1)) <= 1 for passive layers and 1 for gain.
        s_layer = torch.where(z1.imag >= 0, 1.0, -1.0).to(torch.float64)
        e_shift = torch.exp(1j * (1.0 + s_layer) * (z2 - z1))
        inv_zeta_z1 = 1.0 / zeta_z1
        inv_shifted = inv_zeta_z1 * e_shift
        zeta_ratio = zeta_z2 * inv_shifted
        dzeta_ratio = dzeta_z2 * inv_shifted
        d3_z1 = dzeta_z1 * inv_zeta_z1
        if exponents:
            # In num and den below, the terms in psi(z2) carry 2^Ep2 and those in
            # psi(z1) zeta(z2) / zeta(z1) carry 2^(Ep1 + Ez2 - Ez1); the larger is factored
            # out (num / den is projective) and the other applied as 2^-|D|, which
            # underflows to 0 when its terms are negligible (a vanishing inner part gives
            # the homogeneous sphere of this layer).
            ep1, ep2 = e_psi_rows[k], e_psi_rows[k + 1]
            ez1, ez2 = e_zeta_rows[k - 1], e_zeta_rows[k]
            d = ep1 + ez2 - ez1 - ep2
            left = _pow2(-d.clamp(min=0))
            right = _pow2(d.clamp(max=0))
            p2, dp2 = p2 * left, dp2 * left
            zeta_ratio, dzeta_ratio = zeta_ratio * right, dzeta_ratio * right

        ratio = m[l] / m[l - 1]
        d3_m_a = d3_z1 * m_a
        dp1_m_a = dp1 * m_a
        d3_m_b, dp1_m_b = (d3_m_a, dp1_m_a) if m_b is m_a else (d3_z1 * m_b, dp1 * m_b)

        def step(transfer, n_in, d3_m, dp1_m, p1=p1, p2=p2, dp2=dp2, zeta_ratio=zeta_ratio, dzeta_ratio=dzeta_ratio):
            # The log-derivative at the outer radius, H = num / den, from the interface
            # condition at the inner radius expressed as t N / M (t = index ratio).
            tn = transfer * n_in
            c_left = d3_m - tn
            c_right = torch.addcmul(dp1_m, tn, p1, value=-1)
            return c_left * dp2 - c_right * dzeta_ratio, c_left * p2 - c_right * zeta_ratio

        num_a, den_a = step(ratio, n_a, d3_m_a, dp1_m_a)
        num_b, den_b = step(1.0 / ratio, n_b, d3_m_b, dp1_m_b)

    # Outer medium (real x): psi carries e^{ix}, zeta e^{-ix}; a_n, b_n need e^{-2ix},
    # folded into psi here. With lead = w num + (n/x) den (w = 1/m_L for a_n, m_L for
    # b_n), the BH numerator lead psi_n - den psi_{n-1} = w num psi_n - den psi_n'
    # (psi_n' = psi_{n-1} - (n/x) psi_n), likewise xi_n' in the denominator.
    e_out = torch.exp(-2j * x_out)
    psi_out, u_out = psi_rows[-1] * e_out, dpsi_rows[-1] * e_out
    xi_out, v_out = zeta_rows[-1], dzeta_rows[-1]
    # The outer ratio carries 2^(Epx - Ezx).
    out_scale = e_psi_rows[-1] - e_zeta_rows[-1] if exponents else None

    def coefficient(num, den, weight_out):
        w_num = weight_out * num
        coef = torch.addcmul(w_num * psi_out, den, u_out, value=-1) / torch.addcmul(
            w_num * xi_out, den, v_out, value=-1
        )
        return coef if out_scale is None else _ldexp(coef, out_scale)

    m_out = m[-1]
    return coefficient(num_a, den_a, 1.0 / m_out), coefficient(num_b, den_b, m_out)
