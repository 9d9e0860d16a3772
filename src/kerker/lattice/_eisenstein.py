"""Eisenstein series E2 ... E14 and their tau-derivatives, certified, at any tau.

References: docs/lattice-math.md §2 (Lambert series, certificate), §3 (reduction and the
laws back to tau, E2's quasi-modular term), §5 (Ramanujan's identities).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kerker.lattice import _ring
from kerker.lattice._arith import to_numpy_complex
from kerker.lattice._reduction import (
    Reduced,
    as_tau_array,
    check_finite,
    check_finite_one,
    reduce_flat,
    reduce_one,
    scalar_tau,
    transport,
)
from kerker.lattice._series import CUSP_IMAG, EPS, QSeries, qseries, series_spec

TWO_PI_I = 2j * math.pi
_EPS4 = 4.0 * EPS
_SIX_I_PI = 6j / math.pi


@dataclass(frozen=True)
class EisensteinResult:
    """Normalised Eisenstein series ``E_k(tau)`` with its derivative and certificate.

    Attributes
    ----------
    value : complex or ndarray of complex128, shape of ``tau``
        ``E_k(tau)``, normalised so that ``E_k -> 1`` as ``Im tau -> inf``.
    d : complex or ndarray of complex128, shape of ``tau``
        ``dE_k/dtau`` (holomorphic, so also the Wirtinger ``d``; ``dbar = 0``).
    error_bound : float or ndarray of float64, shape of ``tau``
        Absolute bound on ``|value - E_k(tau)|``: Lambert tail (docs/lattice-math.md §2) plus float64
        rounding, carried through the law back to ``tau``.
    """

    value: np.ndarray
    d: np.ndarray
    error_bound: np.ndarray


def check_tol(tol) -> float:
    """Validate a truncation tolerance: a finite float in ``(0, 1)``."""
    try:
        t = float(tol)
    except (TypeError, ValueError):
        raise TypeError(f"tol: must be a float in (0, 1); received {tol!r} of type {type(tol).__name__}") from None
    if not (0.0 < t < 1.0):
        raise ValueError(f"tol: must lie in (0, 1); received tol={tol!r}")
    return t


def reshape(arr, shape):
    """Restore the caller's shape (a NumPy scalar for scalar input)."""
    return np.reshape(arr, shape)[()]


def scalar_result(cls, numpy_out: bool, **fields):
    """A frozen result dataclass of the scalar path, built without its per-field ``__setattr__``.

    ``fields`` are Python numbers (complex, or float for ``error_bound``/real values);
    with ``numpy_out`` they become NumPy scalars. The instance is an ordinary frozen
    dataclass instance (equality, repr, immutability unchanged).
    """
    if numpy_out:
        kinds = {float: np.float64, complex: np.complex128}
        fields = {k: kinds[type(v)](v) if type(v) in kinds else v for k, v in fields.items()}
    result = object.__new__(cls)
    result.__dict__.update(fields)
    return result


def _shifted_at(k: int, order: int, qs: QSeries, with_err: bool = True):
    """``D^order E_k`` (``order >= 1``) from ``E - 1``, with its bound (``None`` without ``with_err``)."""
    poly, mag_poly, rounding = _ring.compiled_shifted(k, order)
    eps = qs.e_shift
    if not with_err:
        return poly(*eps)[0], None
    value, _, err = poly(*eps, qs.e_shift_err)
    mag, _ = mag_poly(*(None if v is None else abs(v) for v in eps))
    # coefficient rounding (float64 coefficients, binomial sums) and the evaluation itself
    return value, err + _EPS4 * rounding * mag


def plain_at(k: int, order: int, qs: QSeries, with_err: bool = True):
    """``D^order E_k`` from the plain polynomial (below the cusp), with its bound (``None`` without ``with_err``)."""
    f, deg1 = _ring.compiled_derivative(k, order)
    if not with_err:
        return f(qs.e2, qs.e4, qs.e6)[0], None
    value, mag, err = f(qs.e2, qs.e4, qs.e6, qs.e_err)
    return value, err + _EPS4 * deg1 * mag


@lru_cache(maxsize=None)
def ring_keys(k: int, max_order: int) -> tuple:
    """The q-series that ``D^r E_k``, ``r <= max_order``, need (:func:`_ring.variables`), sorted."""
    keys = frozenset()
    for r in range(max_order + 1):
        keys |= _ring.variables(_ring.eisenstein_derivative(k, r))
    return tuple(sorted(keys))


def ring_at(k: int, order: int, qs: QSeries, with_d: bool = True, with_err: bool = True):
    """``D^order E_k`` at reduced points with its error bound (and ``d/dtau`` of it).

    Returns ``value, d, err``; ``d = 2 pi i D^(order+1) E_k`` or ``None``. Up the cusp
    (``Im tau_f > CUSP_IMAG``, where ``|q| < 2^-53``) the derivatives ``D^r E_k``,
    ``r >= 1``, are evaluated in ``E - 1`` (:func:`_ring.shifted_derivative`), which keeps
    their relative accuracy as ``q -> 0``. One point takes one branch; a batch evaluates
    the points up the cusp apart, with the same kernels. Without ``with_err`` the bound
    is ``None`` (and the series' bounds are not needed).
    """
    if type(qs.y) is float:
        cusp = qs.y > CUSP_IMAG
        value, err = _shifted_at(k, order, qs, with_err) if order >= 1 and cusp else plain_at(k, order, qs, with_err)
        if not with_d:
            return value, None, err
        if cusp:
            dvalue, _ = _shifted_at(k, order + 1, qs)
        else:
            dvalue, _ = _ring.compiled_derivative(k, order + 1)[0](qs.e2, qs.e4, qs.e6)
        return value, TWO_PI_I * dvalue, err
    value, err = plain_at(k, order, qs, with_err)
    cusp = np.flatnonzero(qs.y > CUSP_IMAG)
    sub = qs.take(cusp) if cusp.size else None
    if order >= 1 and sub is not None:
        value[cusp], sub_err = _shifted_at(k, order, sub, with_err)
        if with_err:
            err[cusp] = sub_err
    if not with_d:
        return value, None, err
    dvalue, _ = _ring.compiled_derivative(k, order + 1)[0](qs.e2, qs.e4, qs.e6)
    if sub is not None:
        dvalue[cusp], _ = _shifted_at(k, order + 1, sub)
    return value, TWO_PI_I * dvalue, err


def e2_correction(red: Reduced):
    """Quasi-modular term of E2 at ``tau``: value ``6ic/(pi j)``, ``d = -6ic^2/(pi j^2)``."""
    cj = red.cz / red.j
    return _SIX_I_PI * cj, -_SIX_I_PI * cj * cj


def eisenstein_arrays(k: int, red: Reduced, qs: QSeries):
    """``E_k``, ``dE_k/dtau`` and the certificate at the unreduced points (one or a batch)."""
    value_f, d_f, err_f = ring_at(k, 0, qs)
    value, d, _, err = transport(red, k, 0, value_f, d_f, 0.0 * d_f, err_f)
    if k == 2:
        corr, dcorr = e2_correction(red)
        value = value + corr
        d = d + dcorr
        err = err + 4.0 * EPS * (abs(corr) + abs(value))
    return value, d, err


def eisenstein(k: int, tau, tol: float = 1e-16) -> EisensteinResult:
    """Normalised Eisenstein series ``E_k(tau)``, ``dE_k/dtau`` and an error certificate.

    ``E_k = 1 - (2k/B_k) sum_{m>=1} m^(k-1) q^m/(1 - q^m)``, ``q = exp(2 pi i tau)``.
    ``tau`` is reduced to the fundamental domain, the Lambert series of E2, E4, E6 are
    summed there with the number of terms chosen by the tail bound of docs/lattice-math.md §2,
    E8 ... E14
    come from the ring (``E8 = E4^2``, ``E10 = E4 E6``, ``E12 = (441 E4^3 + 250 E6^2)/691``,
    ``E14 = E4^2 E6``), derivatives from Ramanujan's identities, and both are mapped back
    with the exact weight-k law (E2 with its quasi-modular term ``6ic/(pi(c tau + d))``).

    One number (a Python or NumPy scalar, or a 0-d array) takes the scalar path: the same
    kernels on Python ``complex``/``float`` instead of arrays, with results equal bit for
    bit to that point's entry of a batched call (values, derivatives, bounds, errors).

    Parameters
    ----------
    k : int
        Weight, even, ``2 <= k <= 14``.
    tau : complex or array_like of complex
        Modular parameter(s), ``Im tau > 0``; any shape.
    tol : float, default 1e-16
        Truncation tolerance of the Lambert series at the reduced point.

    Returns
    -------
    EisensteinResult
        ``value``, ``d`` and ``error_bound`` with the shape of ``tau``: ndarrays for an
        array, Python ``complex``/``float`` for a Python or NumPy scalar, NumPy scalars
        (``complex128``/``float64``) for a 0-d array.

    Raises
    ------
    ValueError
        ``k`` not an even integer in [2, 14]; ``tau`` NaN, infinite, ``Im tau <= 0`` or
        ``Im tau < 1e-15`` (below the supported range; docs/lattice-math.md §3); ``tol``
        outside (0, 1); a result that overflows float64.

    Examples
    --------
    >>> from kerker.lattice import eisenstein
    >>> bool(abs(eisenstein(6, 1j).value) < 1e-15)      # E6(i) = 0
    True
    >>> r = eisenstein(4, 0.3 + 1.1j)
    >>> bool(abs(eisenstein(4, -1 / (0.3 + 1.1j)).value - (0.3 + 1.1j) ** 4 * r.value) < 1e-13)
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k not in _ring.EISENSTEIN_POLY:
        raise ValueError(f"k: must be an even integer with 2 <= k <= 14; received k={k!r}")
    tol = check_tol(tol)
    k = int(k)
    keys = series_spec(ring_keys(k, 1))
    one = scalar_tau(tau)
    if one is not None:  # the scalar path: Python numbers, no arrays (same results)
        z, npo = one
        red = reduce_one(z)
        value, d, err = eisenstein_arrays(k, red, qseries(red.tau_f, tol, keys))
        check_finite_one(z, f"E{k}", value, d, err)
        return scalar_result(EisensteinResult, npo, value=complex(value), d=complex(d), error_bound=float(err))
    flat, shape = as_tau_array(tau)
    red = reduce_flat(flat)
    value, d, err = eisenstein_arrays(k, red, qseries(red.tau_f, tol, keys))
    value, d = to_numpy_complex(value), to_numpy_complex(d)
    check_finite(flat, f"E{k}", value, d, err)
    return EisensteinResult(value=reshape(value, shape), d=reshape(d, shape), error_bound=reshape(err, shape))
