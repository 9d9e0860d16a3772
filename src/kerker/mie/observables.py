"""Far-field observables of core-shell spheres: efficiencies, multipoles, amplitudes.

Efficiencies are cross sections divided by the geometric cross section ``pi r_outer^2``
(Bohren & Huffman 1983, eqs. 4.61-4.62). ``Q_fwd`` and ``Q_back`` are the *differential*
quantities at theta = 0 and pi used by Soun et al. (their eqs. 1-2, printed swapped):

    Q_fwd  = |sum_n (2n+1) (a_n + b_n)|^2 / x^2
    Q_back = |sum_n (2n+1) (-1)^n (a_n - b_n)|^2 / x^2

(``sigma = pi/k^2 |...|^2``), not integrals over a hemisphere.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from kerker.mie._blocks import efficiencies_flat
from kerker.mie._inputs import MieInputs, prepare_coefficient_inputs, prepare_inputs, to_output
from kerker.mie.coreshell import coefficients_torch
from kerker.mie.special import n_max_wiscombe

__all__ = [
    "Efficiencies",
    "Multipoles",
    "angular_amplitudes",
    "efficiencies",
    "mie_coefficients",
    "multipoles",
    "scattering_pattern",
]

@dataclass(frozen=True)
class Efficiencies:
    """Efficiencies of P particles at W wavelengths; each field has shape (P, W).

    Attributes
    ----------
    q_ext, q_sca, q_abs : array or torch.Tensor
        Extinction, scattering and absorption efficiencies.
    q_fwd, q_back : array or torch.Tensor
        Differential forward (theta = 0) and backward (theta = pi) scattering efficiencies.
    """

    q_ext: object
    q_sca: object
    q_abs: object
    q_fwd: object
    q_back: object


@dataclass(frozen=True)
class Multipoles:
    """Scattering efficiency of each multipole, shape (P, W, n_orders).

    ``electric[..., 0]`` is the electric dipole (ED, ``a_1``), ``electric[..., 1]`` the
    electric quadrupole (EQ, ``a_2``); ``magnetic`` likewise from ``b_n`` (MD, MQ).
    Each term is ``2 (2n+1) |c_n|^2 / x^2``; summed over all orders they give ``q_sca``.
    """

    electric: object
    magnetic: object


def efficiencies(core, shell, r_core, t_shell, wavelength, env=1.0, *, n_max: int | None = None) -> Efficiencies:
    """Exact Mie efficiencies of core-shell spheres, batched over particles x wavelengths.

    Parameters
    ----------
    core, shell : str, kerker.Material, list of those, or array_like
        Materials by name (``kerker.materials.available()``), as Material objects, as a
        list with one entry per particle, or as complex relative permittivities of shape
        ``(W,)`` or ``(P, W)``.
    r_core : float or array_like, shape (P,)
        Core radius in nm, > 0.
    t_shell : float or array_like, shape (P,)
        Shell thickness in nm, >= 0 (0 gives a homogeneous sphere of the core material).
    wavelength : float or array_like, shape (W,)
        Vacuum wavelength in nm.
    env : float, default 1.0
        Real refractive index of the embedding medium.
    n_max : int, optional
        Fixed truncation order, 1 .. 100000; default per particle and wavelength, Wiscombe + 3.

    Returns
    -------
    Efficiencies
        ``q_ext, q_sca, q_abs, q_fwd, q_back`` of shape (P, W): torch tensors carrying
        gradients if any input was a torch tensor, NumPy arrays otherwise.

    Raises
    ------
    ValueError
        Unknown material, wavelength outside a material's data range, radius <= 0,
        negative shell thickness, non-finite input or shape mismatch; gain
        (Im eps < 0) in permittivity arrays, |eps| < 1e-200; a size parameter or
        optical size |m| x above 1e5, an outer size parameter below 1e-100, a core whose
        optical size is below 1e-306 (n_max + 1); a non-integer n_max or one outside
        1 .. 100000.

    Examples
    --------
    >>> import kerker
    >>> q = kerker.efficiencies("Si", "SiO2", 75.0, 30.0, [600.0, 700.0])
    >>> q.q_fwd.shape
    (1, 2)
    """
    inp = prepare_inputs(core, shell, r_core, t_shell, wavelength, env, n_max)
    shape = inp.x_shell.shape
    m = torch.stack([inp.m_core.reshape(-1), inp.m_shell.reshape(-1)])
    x = torch.stack([inp.x_core.reshape(-1), inp.x_shell.reshape(-1)])
    flat = efficiencies_flat(m, x, inp.orders.reshape(-1))
    fields = [to_output(q.reshape(shape), inp.use_torch) for q in flat]
    return Efficiencies(*fields)


def _coefficients_of(inp: MieInputs, n_max: int | None) -> tuple[torch.Tensor, torch.Tensor, int]:
    n = n_max if n_max is not None else n_max_wiscombe(float(inp.x_shell.detach().max()))
    a, b = coefficients_torch(
        inp.m_core.reshape(-1), inp.m_shell.reshape(-1), inp.x_core.reshape(-1), inp.x_shell.reshape(-1), n
    )
    return a.reshape(*inp.x_shell.shape, n), b.reshape(*inp.x_shell.shape, n), n


def mie_coefficients(m_core, m_shell, x_core, x_shell, n_max: int | None = None):
    """Core-shell Mie coefficients ``a_n, b_n`` from relative indices and size parameters.

    Parameters
    ----------
    m_core, m_shell : complex array_like or tensor, broadcastable shapes (...)
        Refractive indices relative to the embedding medium (Im >= 0 is loss).
    x_core, x_shell : real array_like or tensor, broadcastable shapes (...)
        Size parameters ``2 pi n_env r / wavelength`` of the core and the outer radius,
        ``0 < x_core <= x_shell``; ``x_core == x_shell`` gives a homogeneous sphere.
    n_max : int, optional
        Number of orders; default Wiscombe + 3 of the largest ``x_shell``.

    Returns
    -------
    a, b : array or tensor, complex128, shape (..., n_max)
        Orders ``n = 1 .. n_max`` along the last axis (Bohren & Huffman convention).

    Raises
    ------
    ValueError
        Non-finite input, ``x_core <= 0``, ``x_shell < x_core``, gain (Im m < 0),
        ``|m| < 1e-100``, sizes outside the limits of :func:`efficiencies`, or ``n_max``
        outside 1 .. 100000 (or not an integer).
    TypeError
        Non-numeric input, complex size parameters.
    """
    mc, ms, xc, xs, n, use_torch = prepare_coefficient_inputs(m_core, m_shell, x_core, x_shell, n_max)
    shape = xs.shape
    a, b = coefficients_torch(mc.reshape(-1), ms.reshape(-1), xc.reshape(-1), xs.reshape(-1), n)
    return to_output(a.reshape(*shape, n), use_torch), to_output(b.reshape(*shape, n), use_torch)


def multipoles(core, shell, r_core, t_shell, wavelength, env=1.0, *, orders: int = 2) -> Multipoles:
    """Scattering efficiency of each electric and magnetic multipole order.

    Parameters are those of :func:`efficiencies`; ``orders`` (default 2: dipole and
    quadrupole) is the number of orders returned. Returns :class:`Multipoles` with
    arrays of shape (P, W, orders).
    """
    if orders < 1:
        raise ValueError(f"orders must be >= 1, got {orders}")
    inp = prepare_inputs(core, shell, r_core, t_shell, wavelength, env, blocked=False)
    a, b, n = _coefficients_of(inp, None)
    n = max(n, orders)
    if a.shape[-1] < n:
        a, b, _ = _coefficients_of(inp, n)
    order = torch.arange(1, orders + 1, dtype=torch.float64)
    factor = 2.0 * (2.0 * order + 1.0) / inp.x_shell.unsqueeze(-1) ** 2
    electric = factor * a[..., :orders].abs() ** 2
    magnetic = factor * b[..., :orders].abs() ** 2
    return Multipoles(to_output(electric, inp.use_torch), to_output(magnetic, inp.use_torch))


def angular_amplitudes(a, b, theta):
    """Scattering amplitudes ``S1(theta), S2(theta)`` (Bohren & Huffman eq. 4.74).

    Parameters
    ----------
    a, b : complex array or tensor, shape (..., N)
        Mie coefficients for orders ``1 .. N``.
    theta : array_like or tensor, shape (T,)
        Scattering angles in radians.

    Returns
    -------
    s1, s2 : complex, shape (..., T)
    """
    use_torch = any(isinstance(v, torch.Tensor) for v in (a, b, theta))
    a_t = torch.as_tensor(a, dtype=torch.complex128)
    b_t = torch.as_tensor(b, dtype=torch.complex128)
    th = theta.to(torch.float64) if isinstance(theta, torch.Tensor) else torch.as_tensor(np.asarray(theta, dtype=float))
    th = th.reshape(-1)
    n_orders = a_t.shape[-1]
    mu = torch.cos(th)
    # Angular functions pi_n, tau_n by upward recurrence (BH eq. 4.47).
    pis = [torch.zeros_like(mu), torch.ones_like(mu)]
    taus = [mu]
    for n in range(2, n_orders + 1):
        pis.append(((2 * n - 1) * mu * pis[-1] - n * pis[-2]) / (n - 1))
    pi_n = torch.stack(pis[1:], dim=-1)  # (T, N)
    for n in range(2, n_orders + 1):
        taus.append(n * mu * pi_n[:, n - 1] - (n + 1) * pi_n[:, n - 2])
    tau_n = torch.stack(taus, dim=-1)
    n = torch.arange(1, n_orders + 1, dtype=torch.float64)
    w = (2 * n + 1) / (n * (n + 1))
    aw, bw = a_t * w, b_t * w
    pi_c, tau_c = pi_n.to(torch.complex128).T, tau_n.to(torch.complex128).T
    s1 = aw @ pi_c + bw @ tau_c
    s2 = aw @ tau_c + bw @ pi_c
    return to_output(s1, use_torch), to_output(s2, use_torch)


# Incident polarizations of scattering_pattern, relative to the scattering plane.
_POLARIZATIONS = ("unpolarized", "perpendicular", "parallel")


def scattering_pattern(core, shell, r_core, t_shell, wavelength, theta, env=1.0, *, polarization="unpolarized"):
    """Differential scattering efficiency versus angle, unpolarized or for one polarization.

    Parameters
    ----------
    core, shell, r_core, t_shell, wavelength, env
        As in :func:`efficiencies` (sizes and wavelengths in nm).
    theta : array_like or tensor, shape (T,)
        Scattering angles in radians.
    polarization : {"unpolarized", "perpendicular", "parallel"}
        Incident light: unpolarized (default), or linearly polarized with the electric
        field perpendicular or parallel to the scattering plane.

    Returns
    -------
    s1, s2 : complex, shape (P, W, T)
        Amplitudes ``S1, S2`` (Bohren & Huffman eq. 4.74).
    q_diff : real, shape (P, W, T)
        ``4 pi / (pi r^2)`` times the differential cross section ``dC/dOmega``, normalised
        like ``q_fwd``/``q_back``. ``S1`` scatters the field perpendicular to the scattering
        plane and ``S2`` the parallel one (Bohren & Huffman 1983, eqs. 3.12 and 4.74), so:
        unpolarized ``2 (|S1|^2 + |S2|^2) / x^2``, perpendicular ``4 |S1|^2 / x^2``,
        parallel ``4 |S2|^2 / x^2`` (the unpolarized pattern is the mean of the other two).
        At theta = 0 all three equal ``q_fwd``, at pi ``q_back`` (there ``|S1| = |S2|``).
        Torch tensors if any input is one, NumPy arrays otherwise.

    Raises
    ------
    ValueError
        Unknown ``polarization``, and the input errors of :func:`efficiencies`.
    """
    if polarization not in _POLARIZATIONS:
        raise ValueError(f"polarization must be one of {_POLARIZATIONS}; received {polarization!r}")
    inp = prepare_inputs(core, shell, r_core, t_shell, wavelength, env, blocked=False)
    a, b, _ = _coefficients_of(inp, None)
    th = theta if isinstance(theta, torch.Tensor) else torch.as_tensor(np.asarray(theta, dtype=float))
    s1, s2 = angular_amplitudes(a, b, th)
    s1 = torch.as_tensor(s1)
    s2 = torch.as_tensor(s2)
    x2 = inp.x_shell.unsqueeze(-1) ** 2
    # S1(0) = S2(0) = sum (2n+1)(a_n + b_n) / 2, so each equals q_fwd at 0 and q_back at pi.
    if polarization == "unpolarized":
        q_diff = 2.0 * (s1.abs() ** 2 + s2.abs() ** 2) / x2
    else:
        q_diff = 4.0 * (s1 if polarization == "perpendicular" else s2).abs() ** 2 / x2
    return tuple(to_output(t, inp.use_torch or isinstance(theta, torch.Tensor)) for t in (s1, s2, q_diff))
