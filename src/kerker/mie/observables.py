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

import torch

from kerker.mie._blocks import efficiencies_flat
from kerker.mie._inputs import prepare_coefficient_inputs, prepare_inputs, to_output
from kerker.mie._results import Efficiencies, Source, angular_amplitudes
from kerker.mie.coreshell import coefficients_torch

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
    return Efficiencies(*fields, source=Source((inp.m_core, inp.m_shell), inp.radii, inp.k, inp.use_torch))


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
    terms = efficiencies(core, shell, r_core, t_shell, wavelength, env).multipoles(orders)
    return Multipoles(terms.sca_electric, terms.sca_magnetic)


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
    amp = efficiencies(core, shell, r_core, t_shell, wavelength, env).amplitudes(theta)
    q_diff = {"unpolarized": amp.q_unpolarized, "perpendicular": amp.q_per, "parallel": amp.q_par}[polarization]
    return amp.s1, amp.s2, q_diff
