"""Fixed-area physical sums P(n, l) and the anisotropy objective J(tau) with exact gradients.

References: docs/lattice-math.md §6 (fixed area, chain rule) and §7 (the objective
``J = y |G2*| - kappa y^2 S(4, 0)``, its Wirtinger gradient and its known optimum).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerker.lattice._basis import (
    BasisResult,
    basis_arrays,
    check_sum_index,
    needed_series,
)
from kerker.lattice._eisenstein import check_tol, reshape
from kerker.lattice._reduction import as_tau_array, check_finite, reduce_flat, reduce_tau
from kerker.lattice._series import EPS, qseries

# Known global maximum of J for kappa = 1 (docs/lattice-math.md §7.3: grid + Newton over F, 50 digits).
TAU_STAR = 0.5 + 1.246175854630197535595j
J_STAR = -5.377037258011213390


@dataclass(frozen=True)
class ObjectiveResult:
    """Objective value and its exact gradient.

    Attributes
    ----------
    value : float or ndarray of float64, shape of ``tau``
        ``J(tau)`` (dimensionless, in units of ``p^2 / (4 pi eps0 A)``).
    grad : ndarray of float64, shape ``tau.shape + (2,)``
        ``(dJ/d Re tau, dJ/d Im tau)``.
    d : complex or ndarray of complex128, shape of ``tau``
        Wirtinger ``dJ``; ``grad = (2 Re dJ, -2 Im dJ)``.
    error_bound : float or ndarray of float64, shape of ``tau``
        Absolute bound on ``|value - J(tau)|``: the certificates of ``G2*`` and
        ``S(4, 0)`` carried through ``J`` plus the rounding of ``J``'s own operations.
    """

    value: np.ndarray
    grad: np.ndarray
    d: np.ndarray
    error_bound: np.ndarray


def _check_positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: must be a real number; received {value!r} of type {type(value).__name__}") from None
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"{name}: must be finite and >= 0; received {name}={value!r}")
    return v


def objective_arrays(
    flat: np.ndarray, kappa: float, tol: float = 1e-16, with_grad: bool = True, with_bound: bool = False
):
    """``J`` and Wirtinger ``dJ`` (``None`` unless ``with_grad``) at flat, validated ``tau``.

    With ``with_bound`` a third array is returned: the error bound of ``J``. ``flat`` is
    validated again here (the optimiser passes raw points), so ``Im tau < 1e-15`` raises.
    """
    red = reduce_tau(flat)
    qs = qseries(red.tau_f, tol, needed_series([(2, -2), (4, 0), (4, -2)]))
    g, dg, dbg, g_err = basis_arrays(2, -2, red, qs)
    s40, _, _, s_err = basis_arrays(4, 0, red, qs)
    y = red.y
    absg = np.abs(g)
    value = y * absg - kappa * y * y * s40.real
    extra = ()
    if with_bound:
        # abs(g) moves by at most g's error; 4 EPS covers abs, the products and the difference
        y2k = kappa * y * y
        extra = (y * g_err + y2k * s_err + 4.0 * EPS * (y * absg + y2k * np.abs(s40)),)
    if not with_grad:
        return (value, None) + extra
    s4m2, _, _, _ = basis_arrays(4, -2, red, qs)
    safe = np.where(absg > 0, absg, 1.0)
    # docs/lattice-math.md §7.2: dJ = -(i/2)|G| + y/(2|G|)[conj(G) dG + G conj(dbar G)] + i kappa y S(4,-2)
    cone = np.where(absg > 0, y / (2.0 * safe) * (np.conj(g) * dg + g * np.conj(dbg)), 0.0)
    d = -0.5j * absg + cone + 1j * kappa * y * s4m2
    return (value, d) + extra


def objective(tau, kappa: float = 1.0, *, tol: float = 1e-16) -> ObjectiveResult:
    """Anisotropy objective ``J(tau) = y |G2*(tau)| - kappa y^2 S(4, 0)(tau)`` and gradient.

    Model (docs/lattice-math.md §7): parallel rods with line dipoles on a lattice of fixed cell area,
    poled in-plane at the optimal angle, with a soft ``B/r^4`` core; ``-J`` is the energy
    per rod in units of ``p^2/(4 pi eps0 A)``, ``kappa = 2 pi eps0 B/(p^2 A)``. ``J`` is
    SL(2, Z)- and mirror-invariant; for ``kappa = 1`` its maximum is
    ``tau* = 1/2 + 1.246175854630197535595i``, ``J* = -5.377037258011213390``. At ``i``
    and ``exp(i pi/3)`` ``G2* = 0`` and J has conical minima (the gradient is undefined
    there; the cone term is set to 0).

    Parameters
    ----------
    tau : complex or array_like of complex
        Modular parameter(s), ``Im tau > 0``.
    kappa : float, default 1.0
        Core-repulsion strength, ``>= 0`` (``kappa = 0`` is unbounded above).
    tol : float, keyword-only
        Series truncation tolerance.

    Returns
    -------
    ObjectiveResult
        ``value``, ``grad = (dJ/dx, dJ/dy)`` (last axis of length 2), Wirtinger ``d``,
        ``error_bound`` (certificate of ``value``).

    Raises
    ------
    ValueError
        Bad ``tau`` (including ``Im tau < 1e-15``, below the supported range) or
        negative / non-finite ``kappa``.

    Examples
    --------
    >>> from kerker.lattice import objective
    >>> r = objective(0.5 + 1.246175854630197535595j)
    >>> round(float(r.value), 12), bool(abs(r.grad).max() < 1e-12)
    (-5.377037258011, True)
    """
    kappa = _check_positive("kappa", kappa)
    tol = check_tol(tol)
    flat, shape = as_tau_array(tau)
    value, d, err = objective_arrays(flat, kappa, tol, with_bound=True)
    check_finite(flat, "J", value, d, err)
    grad = np.stack([2.0 * d.real, -2.0 * d.imag], axis=-1).reshape(shape + (2,))
    return ObjectiveResult(value=reshape(value, shape), grad=grad, d=reshape(d, shape), error_bound=reshape(err, shape))


def fixed_area_sum(n: int, l: int, tau, area: float = 1.0, *, tol: float = 1e-16) -> BasisResult:
    """Physical lattice sum at fixed cell area, ``P(n, l) = (y/A)^(n/2) S(n, l)``.

    The lattice is ``a (m + n' tau)`` with ``a = sqrt(A / y)`` so the cell area stays
    ``A`` while ``tau`` changes shape (docs/lattice-math.md §6). Chain rule:
    ``dP = (y/A)^(n/2) [dS - i n S/(4y)]``, ``dbar P = (y/A)^(n/2) [dbar S + i n S/(4y)]``.
    For the monopole ``P(2, 0) = (y/A) S_reg(2, 0) + (pi/A) log(y/A)`` (cutoff radius in
    length units; invariant), whose ``dP = -i G2*/(2A)``.

    Parameters
    ----------
    n, l : int
        As in :func:`kerker.lattice.lattice_sum` (disk summation for weight 2).
    tau : complex or array_like of complex
        Shape parameter(s), ``Im tau > 0``.
    area : float, default 1.0
        Cell area ``A`` (length^2; the result has units length^-n).
    tol : float, keyword-only
        Series truncation tolerance.

    Returns
    -------
    BasisResult
        ``value``, ``d``, ``dbar``, ``error_bound`` of ``P(n, l)``.

    Raises
    ------
    ValueError
        Bad ``(n, l)``, bad ``tau`` or ``area <= 0``.
    """
    n, l = check_sum_index(n, l)
    a = _check_positive("area", area)
    if a == 0.0:
        raise ValueError(f"area: must be > 0; received area={area!r}")
    tol = check_tol(tol)
    flat, shape = as_tau_array(tau)
    red = reduce_flat(flat)
    qs = qseries(red.tau_f, tol, needed_series([(n, l)]))
    s, ds, dbs, err = basis_arrays(n, l, red, qs)
    y = red.y
    scale = (y / a) ** (n / 2)
    value = scale * s
    d = scale * (ds - 0.25j * n / y * s)
    dbar = scale * (dbs + 0.25j * n / y * s)
    err = scale * err
    if (n, l) == (2, 0):
        value = value + np.pi / a * np.log(y / a)
        d = d - 0.5j * np.pi / (a * y)
        dbar = dbar + 0.5j * np.pi / (a * y)
    check_finite(flat, f"P({n}, {l})", value, d, dbar, err)
    return BasisResult(
        value=reshape(value, shape), d=reshape(d, shape), dbar=reshape(dbar, shape), error_bound=reshape(err, shape)
    )
