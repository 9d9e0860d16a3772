"""Fixed-area physical sums P(n, l) and the anisotropy objective J(tau) with exact gradients.

References: docs/lattice-math.md §6 (fixed area, chain rule) and §7 (the objective
``J = y |G2*| - kappa y^2 S(4, 0)``, its Wirtinger gradient and its known optimum).
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass

import numpy as np

from kerker.lattice._arith import flog, ipow, jdiv, to_numpy_complex
from kerker.lattice._basis import (
    BasisResult,
    _result_batch,
    _result_one,
    basis_arrays,
    check_sum_index,
    needed_series,
    nonreducible_at,
    s4m2_reduced,
    sum_spec,
)
from kerker.lattice._eisenstein import check_tol, reshape, scalar_result
from kerker.lattice._reduction import (
    as_tau_array,
    check_finite,
    check_finite_one,
    reduce_flat,
    reduce_one,
    scalar_tau,
    transport_value,
)
from kerker.lattice._raised import raised_at, raised_bound_keys
from kerker.lattice._series import EPS, qseries, series_spec

PI = math.pi
_array, _new = np.array, object.__new__  # bound once: the scalar path's per-call cost
_J_SERIES = needed_series([(2, -2), (4, 0), (4, -2)])
# J's certificate takes G2*'s and S(4, 0)'s bounds (S(4, -2) enters dJ only, uncertified)
_J_BOUNDS = tuple(sorted(set(raised_bound_keys(2, -2)) | {"l0", "l1"}))
_J_SPEC = series_spec(_J_SERIES, _J_BOUNDS)

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
    if not math.isfinite(v) or v < 0:
        raise ValueError(f"{name}: must be finite and >= 0; received {name}={value!r}")
    return v


def _objective_kernel(red, qs, kappa: float, with_grad: bool, with_bound: bool):
    """``J``, Wirtinger ``dJ`` (``None`` unless ``with_grad``) and, with ``with_bound``, its bound.

    One point (Python numbers) or a batch, the same operations (docs/lattice-math.md §7.2).
    """
    g, dg, dbg, g_err = raised_at(2, -2, red, qs)  # G2* (disk summation)
    s40, _, _, s_err = nonreducible_at(0, red, qs)  # S(4, 0)
    y = red.y
    absg = abs(g)
    value = y * absg - kappa * y * y * s40.real
    extra = ()
    if with_bound:
        # abs(g) moves by at most g's error; 4 EPS covers abs, the products and the difference
        y2k = kappa * y * y
        extra = (y * g_err + y2k * s_err + 4.0 * EPS * (y * absg + y2k * abs(s40)),)
    if not with_grad:
        return (value, None) + extra
    s4m2 = transport_value(red, 3, 1, s4m2_reduced(qs)[0])  # S(4, -2): only its value enters dJ
    # dJ = -(i/2)|G| + y/(2|G|)[conj(G) dG + G conj(dbar G)] + i kappa y S(4,-2); the cone
    # term is set to 0 where G2* = 0 (i, rho: J has conical minima there)
    if type(y) is float:
        cone = y / (2.0 * absg) * (g.conjugate() * dg + g * dbg.conjugate()) if absg > 0 else 0j
    else:
        live = absg > 0
        cone = y / (2.0 * np.where(live, absg, 1.0)) * (g.conjugate() * dg + g * dbg.conjugate()) * live.astype(float)
    d = cone + (s4m2 * (kappa * y) - 0.5 * absg) * 1j
    return (value, d) + extra


def objective_one(tau: complex, kappa: float, tol: float = 1e-16, with_grad: bool = True, with_bound: bool = False):
    """:func:`objective_arrays` for one validated point, in Python numbers (the scalar path).

    ``tau`` must already be checked (:func:`~kerker.lattice._reduction.scalar_tau`);
    returns ``J`` (float), ``dJ`` (complex or ``None``) and with ``with_bound`` the bound,
    equal bit for bit to the batched path's entries.
    """
    red = reduce_one(tau)
    return _objective_kernel(red, qseries(red.tau_f, tol, _J_SPEC), kappa, with_grad, with_bound)


def objective_arrays(
    flat: np.ndarray, kappa: float, tol: float = 1e-16, with_grad: bool = True, with_bound: bool = False
):
    """``J`` and Wirtinger ``dJ`` (``None`` unless ``with_grad``) at flat, validated ``tau``.

    With ``with_bound`` a third array is returned: the error bound of ``J``. ``flat`` is
    validated again here (the optimiser passes raw points), so ``Im tau < 1e-15`` raises.
    """
    flat, _ = as_tau_array(flat)
    red = reduce_flat(flat)
    out = _objective_kernel(red, qseries(red.tau_f, tol, _J_SPEC), kappa, with_grad, with_bound)
    value, d = out[0], out[1]
    return (value, None if d is None else to_numpy_complex(d)) + out[2:]


def objective(tau, kappa: float = 1.0, *, tol: float = 1e-16) -> ObjectiveResult:
    """Anisotropy objective ``J(tau) = y |G2*(tau)| - kappa y^2 S(4, 0)(tau)`` and gradient.

    Model (docs/lattice-math.md §7): parallel rods with line dipoles on a lattice of fixed cell area,
    poled in-plane at the optimal angle, with a soft ``B/r^4`` core; ``-J`` is the energy
    per rod in units of ``p^2/(4 pi eps0 A)``, ``kappa = 2 pi eps0 B/(p^2 A)``. ``J`` is
    SL(2, Z)- and mirror-invariant; for ``kappa = 1`` its maximum is
    ``tau* = 1/2 + 1.246175854630197535595i``, ``J* = -5.377037258011213390``. At ``i``
    and ``exp(i pi/3)`` ``G2* = 0`` and J has conical minima (the gradient is undefined
    there; the cone term is set to 0).

    One number (a Python or NumPy scalar, or a 0-d array) takes the scalar path: the same
    kernels on Python ``complex``/``float`` instead of arrays (about 14 us with gradient
    and certificate, against about 0.5 ms through NumPy), with results equal bit for bit to
    that point's entry of a batched call (values, gradients, bounds, errors).

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
        ``error_bound`` (certificate of ``value``). For one number ``grad`` is a float64
        ndarray of shape (2,) and the others Python ``float``/``complex`` (NumPy scalars for
        a 0-d array); for an array all have its shape.

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
    if not (type(kappa) is float and 0.0 <= kappa < math.inf):  # else validate (and convert)
        kappa = _check_positive("kappa", kappa)
    if not (type(tol) is float and 0.0 < tol < 1.0):
        tol = check_tol(tol)
    one = scalar_tau(tau)
    if one is not None:  # the scalar path: Python numbers, no arrays (same results)
        z, npo = one
        value, d, err = objective_one(z, kappa, tol, with_bound=True)
        if not cmath.isfinite(value + d + err):  # a NaN or inf in any part: check_finite_one's message
            check_finite_one(z, "J", value, d, err)
        grad = _array((2.0 * d.real, -2.0 * d.imag))
        if npo:
            return scalar_result(ObjectiveResult, npo, value=value, grad=grad, d=d, error_bound=err)
        result = _new(ObjectiveResult)  # as scalar_result, without its conversions
        result.__dict__.update(value=value, grad=grad, d=d, error_bound=err)
        return result
    flat, shape = as_tau_array(tau)
    value, d, err = objective_arrays(flat, kappa, tol, with_bound=True)
    check_finite(flat, "J", value, d, err)
    grad = np.stack([2.0 * d.real, -2.0 * d.imag], axis=-1).reshape(shape + (2,))
    return ObjectiveResult(value=reshape(value, shape), grad=grad, d=reshape(d, shape), error_bound=reshape(err, shape))


def fixed_area_sum(n: int, l: int, tau, area: float = 1.0, *, tol: float = 1e-16) -> BasisResult:
    """Physical lattice sum at fixed cell area, ``P(n, l) = (y/A)^(n/2) S(n, l)``.

    One number takes the scalar path (as :func:`kerker.lattice.lattice_sum`).

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
    what = f"P({n}, {l})"
    one = scalar_tau(tau)
    if one is not None:  # the scalar path (same results as the batched one)
        red = reduce_one(one[0])
        return _result_one(*one, what, *_fixed_area_kernel(n, l, a, red, qseries(red.tau_f, tol, sum_spec(n, l))))
    flat, shape = as_tau_array(tau)
    red = reduce_flat(flat)
    qs = qseries(red.tau_f, tol, sum_spec(n, l))
    return _result_batch(flat, shape, what, *_fixed_area_kernel(n, l, a, red, qs))


def _fixed_area_kernel(n: int, l: int, a: float, red, qs):
    """``P(n, l)``, ``dP``, ``dbar P`` and bound from ``S(n, l)`` (docs/lattice-math.md §6)."""
    s, ds, dbs, err = basis_arrays(n, l, red, qs)
    y = red.y
    scale = ipow(y / a, n // 2)
    value = scale * s
    d = scale * (ds - jdiv(0.25j * n, y) * s)  # s is real for (2, 0): jdiv keeps CPython's product
    dbar = scale * (dbs + jdiv(0.25j * n, y) * s)
    err = scale * err
    if (n, l) == (2, 0):
        value = value + PI / a * flog(y / a)
        d = d - jdiv(0.5j * PI, a * y)
        dbar = dbar + jdiv(0.5j * PI, a * y)
    return value, d, dbar, err
