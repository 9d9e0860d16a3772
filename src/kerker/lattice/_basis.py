"""The lattice-sum basis S(n, l)(tau) with exact Wirtinger derivatives.

``S(n, l) = sum'_{w = m + n' tau} exp(i l arg w) / |w|^n = sum' w^-alpha conj(w)^-beta``
with ``alpha = (n - l)/2``, ``beta = (n + l)/2`` (docs/lattice-math.md §1). Sectors (§4 there):

* ``l = -n`` (``n >= 4``): ``G_n = 2 zeta(n) E_n``; ``l = +n`` its conjugate.
* ``|l| > n``: raising ``G_{a+1, b-1} = G_{a, b} + (2iy/a) d G_{a, b}`` from ``G_n`` (or
  ``G2*`` for ``n = 2``), carried symbolically as ``sum c_{s,r} y^s G^(r)``.
* ``n = 2``: ``S(2, -2) = G2* = G2 - pi/y`` (disk summation); ``summation="rows"`` gives
  ``G2`` and ``"columns"`` gives ``G2 - 2 pi i / tau``. ``S(2, 0)`` is the
  Kronecker-regularised ``S_reg(2, 0)``.
* ``(4, 0)``, ``(4, +-2)``: the elementary series in ``L0, L1, L2`` (§4e).

Every element is evaluated at the reduced point with its derivatives from Ramanujan's
identities and the ladder relations (§5), then carried back to ``tau`` by the exact
covariance law (§3); the reduction map is never differentiated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kerker.lattice._arith import flog, jdiv, jmul, to_numpy_complex
from kerker.lattice._eisenstein import check_tol, reshape, scalar_result
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
from kerker.lattice._raised import _G_NORM, _raised, raised_at, raised_keys  # noqa: F401 (_raised: docs)
from kerker.lattice._series import EPS, QSeries, SeriesSpec, qseries, series_spec

ZETA3 = 1.2020569031595942853997381615114499907649862923405
EULER_GAMMA = 0.57721566490153286060651209008240243104215933593992
PI = math.pi
SUMMATIONS = ("disk", "rows", "columns")
METHODS = ("series", "richardson")
# Raising beyond this many steps loses digits to cancellation between derivative orders.
MAX_RAISE = 6
# The standard basis reported by the CLI and timed by the benchmark.
STANDARD_BASIS = ((2, 0), (2, -2), (2, 2), (2, -4), (4, 0), (4, -2), (4, 2), (4, -4), (4, 4), (4, -6))


@dataclass(frozen=True)
class BasisResult:
    """A lattice sum with its Wirtinger derivatives and an error certificate.

    Attributes
    ----------
    value : complex or ndarray of complex128, shape of ``tau``
        ``S(n, l)(tau)`` (dimensionless; lattice ``m + n tau``, unit first period).
    d, dbar : complex or ndarray of complex128, shape of ``tau``
        Wirtinger derivatives ``d = (d_x - i d_y)/2`` and ``dbar = (d_x + i d_y)/2``.
    error_bound : float or ndarray of float64, shape of ``tau``
        Absolute bound on the error of ``value`` (series tails plus float64 rounding);
        for ``method="richardson"`` an a-posteriori estimate, not a bound.
    """

    value: np.ndarray
    d: np.ndarray
    dbar: np.ndarray
    error_bound: np.ndarray

    @property
    def grad_x(self):
        """``d value / d Re tau = d + dbar`` (complex for complex-valued sums)."""
        return self.d + self.dbar

    @property
    def grad_y(self):
        """``d value / d Im tau = i (d - dbar)``."""
        return 1j * (self.d - self.dbar)


def check_sum_index(n, l, method: str = "series", summation: str = "disk") -> tuple[int, int]:
    """Validate ``(n, l, method, summation)``; return ``(n, l)`` as ints.

    A valid combination is remembered (keyed with the argument types, so ``2.0`` or
    ``True`` never pass for ``2``); anything else is checked, and refused, every time.

    Raises
    ------
    ValueError
        Naming the argument, the rule and the received value.
    """
    key = (type(n), n, type(l), l, method, summation)
    try:
        got = _VALID_INDEX.get(key)
    except TypeError:  # unhashable arguments: the checks below refuse them
        got = key = None
    if got is None:
        got = _check_sum_index(n, l, method, summation)
        if key is not None:
            _VALID_INDEX[key] = got
    return got


_VALID_INDEX: dict = {}


def _check_sum_index(n, l, method, summation) -> tuple[int, int]:
    for name, v in (("n", n), ("l", l)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"{name}: must be an integer; received {name}={v!r} of type {type(v).__name__}")
    n, l = int(n), int(l)
    if n < 2 or n % 2:
        raise ValueError(f"n: must be an even integer >= 2 (odd n is not supported); received n={n}")
    if l % 2:
        raise ValueError(f"l: must be even (S(n, l) = 0 identically for odd l, by w -> -w); received l={l}")
    if method not in METHODS:
        raise ValueError(f"method: must be one of {METHODS}; received method={method!r}")
    if summation not in SUMMATIONS:
        raise ValueError(f"summation: must be one of {SUMMATIONS}; received summation={summation!r}")
    if summation != "disk" and (n, abs(l)) != (2, 2):
        raise ValueError(
            f"summation: only (n, l) = (2, +-2) depends on it; use 'disk'; received {summation!r} for (n, l)=({n}, {l})"
        )
    if method == "richardson" and (n != 4 or abs(l) > 2):
        raise ValueError(
            f"method: 'richardson' is the paper's box-sum baseline for (4, 0), (4, +-2) only; received (n, l)=({n}, {l})"
        )
    supported = (
        (n == 2 and (l == 0 or abs(l) <= 2 + 2 * MAX_RAISE))
        or (n == 4 and abs(l) <= 4 + 2 * MAX_RAISE)
        or (n in _G_NORM and n <= 14 and n <= abs(l) <= n + 2 * MAX_RAISE)
    )
    if not supported:
        raise ValueError(
            "(n, l): supported are S(2, 0) (Kronecker-regularised), S(4, l) for even |l| <= 16, and "
            f"S(n, l) for even 2 <= n <= 14 with n <= |l| <= n + {2 * MAX_RAISE}; received (n, l)=({n}, {l})"
        )
    return n, l


# ----------------------------------------------------------------------------------------
# Non-reducible S(4, 0), S(4, -2) (docs/lattice-math.md §4e) and the Kronecker monopole (§4d).
# ----------------------------------------------------------------------------------------


# constant factors of the L-sum series (docs/lattice-math.md §4e), formed once
_G0 = PI**4 / 45.0
_PZ, _PZ05, _PZ15 = PI * ZETA3, 0.5 * PI * ZETA3, 1.5 * PI * ZETA3
_2P, _3P, _2P2, _4P2, _4P3 = 2.0 * PI, 3.0 * PI, 2.0 * PI**2, 4.0 * PI**2, 4.0 * PI**3


def _nonreducible_parts(qs: QSeries) -> tuple:
    """The terms ``S(4, 0)`` and ``S(4, -2)`` share, formed once per q-series (memoised on it)."""
    parts = qs.nonreducible
    if parts is None:
        y = qs.y
        y2, y3 = y * y, y * y * y
        l0, l1, l2 = qs.l0, qs.l1, qs.l2
        l0r = l0.real
        t1r = _4P2 / y2 * l1.real
        t2 = _4P3 / y * l2
        t1 = _2P2 / y2 * l1
        # S(4,0) - S(4,-2), summed without the common pi^4/45 (no cancellation)
        diff = _PZ15 / y3 + t2 + t1r + t1 + _3P / y3 * l0r
        parts = qs.nonreducible = (y, y2, y3, l0r, t1r, t2, t1, diff)
    return parts


def s4m2_reduced(qs: QSeries):
    """``S(4, -2)`` at the reduced point, and its part beyond ``pi^4/45`` (docs/lattice-math.md §4e)."""
    y, y2, y3, l0r, t1r, t2, t1, diff = _nonreducible_parts(qs)
    tail = -_PZ05 / y3 - t2 - t1 - PI / y3 * l0r
    return _G0 + tail, tail


def nonreducible_at(l: int, red: Reduced, qs: QSeries):
    """``S(4, 0)`` or ``S(4, -2)`` at ``tau`` from the L-sums at the reduced point."""
    y, y2, y3, l0r, t1r, t2, t1, diff = _nonreducible_parts(qs)
    if l == 0:
        value = _G0 + _PZ / y3 + t1r + _2P / y3 * l0r
        d = (diff / y) * 1j
        dbar = d.conjugate()
        mag = _G0 + _PZ / y3 + _4P2 / y2 * abs(qs.l1) + _2P / y3 * abs(qs.l0)
        err = _4P2 / y2 * qs.l1_err + _2P / y3 * qs.l0_err + 8.0 * EPS * mag
    else:
        value, tail = s4m2_reduced(qs)
        g4_minus = _G0 * (qs.e4 - 1.0)  # G4 - pi^4/45
        d = ((tail - g4_minus) / y) * 1.5j
        dbar = (diff / y) * 0.5j
        mag = _G0 + _PZ05 / y3 + _4P3 / y * abs(qs.l2) + _2P2 / y2 * abs(qs.l1) + PI / y3 * abs(qs.l0)
        err = _4P3 / y * qs.l2_err + _2P2 / y2 * qs.l1_err + PI / y3 * qs.l0_err + 8.0 * EPS * mag
    return transport(red, (4 - l) // 2, (4 + l) // 2, value, d, dbar, err)


def _kronecker_at(red: Reduced, qs: QSeries):
    """``S_reg(2, 0)`` at ``tau``: Kronecker's first limit formula and its anomalous law."""
    y = qs.y
    log_term = EULER_GAMMA - flog(2.0 * y)
    value = PI**2 / 3.0 + 2.0 * PI / y * log_term + 4.0 * PI / y * qs.kron.real
    # S_reg - G2* without the common pi^2/3: pi^2/3 (1 - E2) = 8 pi^2 sum m q^m/(1-q^m)
    minus_g2s = PI**2 / 3.0 * (1.0 - qs.e2) + 2.0 * PI / y * log_term + 4.0 * PI / y * qs.kron.real + PI / y
    d = ((minus_g2s + PI / y) / y) * 0.5j  # (i/2y) (S_reg - G2*) + i pi / (2 y^2)
    mag = PI**2 / 3.0 + 2.0 * PI / y * (abs(log_term) + 1.0) + 4.0 * PI / y * abs(qs.kron)
    err = 4.0 * PI / y * qs.kron_err + 8.0 * EPS * mag
    v, dd, _, e = transport(red, 1, 1, value, d, d.conjugate(), err)
    # anomalous part -(2 pi / y) log|j| and its derivative (docs/lattice-math.md §3)
    y0 = red.y
    logj = flog(abs(red.j))
    v = v.real - 2.0 * PI / y0 * logj
    dd = dd - jmul(1j * PI, logj) / (y0 * y0) - PI * red.cz / (y0 * red.j)
    e = e + 8.0 * EPS * 2.0 * PI / y0 * (abs(logj) + 1.0)
    return v, dd, dd.conjugate(), e


def _weight2_at(l: int, summation: str, red: Reduced, qs: QSeries):
    """``S(2, -2)`` in the requested summation order."""
    value, d, dbar, err = raised_at(2, -2, red, qs)
    if summation == "disk":
        return value, d, dbar, err
    y = red.y
    value = value + PI / y  # G2 = G2* + pi / y
    d = d + jdiv(0.5j * PI, y * y)
    dbar = dbar - jdiv(0.5j * PI, y * y)
    err = err + 4.0 * EPS * PI / y
    if summation == "columns":
        tau = red.tau
        value = value - 2j * PI / tau
        d = d + 2j * PI / (tau * tau)
        err = err + 4.0 * EPS * 2.0 * PI / abs(tau)
    return value, d, dbar, err


@lru_cache(maxsize=None)
def sum_spec(n: int, l: int) -> SeriesSpec:
    """The :class:`~kerker.lattice._series.SeriesSpec` of ``S(n, l)`` alone (cached)."""
    return series_spec(needed_series([(n, l)]))


def needed_series(elements) -> tuple:
    """The q-series that the sums ``elements`` (list of (n, l)) use, sorted; each meets the tolerance."""
    return _needed_series(tuple((int(n), int(l)) for n, l in elements))


@lru_cache(maxsize=None)
def _needed_series(elements: tuple) -> tuple:
    keys = set()
    for n, l in elements:
        if (n, l) == (2, 0):
            keys |= {"kron", "e2"}
        elif n == 4 and abs(l) <= 2:
            keys |= {"l0", "l1", "l2"} | ({"e4"} if l else set())
        else:
            keys |= set(raised_keys(n, -abs(l)))
    return tuple(sorted(keys))


def basis_arrays(n: int, l: int, red: Reduced, qs: QSeries, summation: str = "disk"):
    """Value, ``d``, ``dbar`` and error bound of ``S(n, l)`` at the unreduced points.

    One point (Python numbers) or a batch (CArray / float64 arrays), the same kernels;
    the value is real for ``(2, 0)``. Inputs are validated by the caller
    (:func:`check_sum_index`).
    """
    if l > 0:  # S(n, l) = conj S(n, -l); d S(n, l) = conj(dbar S(n, -l))
        v, d, db, e = basis_arrays(n, -l, red, qs, summation)
        return v.conjugate(), db.conjugate(), d.conjugate(), e
    if (n, l) == (2, 0):
        return _kronecker_at(red, qs)
    if (n, l) == (2, -2):
        return _weight2_at(l, summation, red, qs)
    if n == 4 and l in (0, -2):
        return nonreducible_at(l, red, qs)
    return raised_at(n, l, red, qs)


def _result_one(z: complex, numpy_out: bool, what: str, v, d, db, e) -> BasisResult:
    """The scalar path's :class:`BasisResult` (after the same finiteness check)."""
    check_finite_one(z, what, v, d, db, e)
    return scalar_result(BasisResult, numpy_out, value=complex(v), d=complex(d), dbar=complex(db), error_bound=float(e))


def _result_batch(flat: np.ndarray, shape: tuple, what: str, v, d, db, e) -> BasisResult:
    """The batched path's :class:`BasisResult` (complex128 / float64 arrays of ``shape``)."""
    v, d, db = to_numpy_complex(v), to_numpy_complex(d), to_numpy_complex(db)
    check_finite(flat, what, v, d, db, e)
    return BasisResult(
        value=reshape(v, shape), d=reshape(d, shape), dbar=reshape(db, shape), error_bound=reshape(e, shape)
    )


def lattice_sum(
    n: int, l: int, tau, method: str = "series", *, summation: str = "disk", tol: float = 1e-16
) -> BasisResult:
    """Lattice sum ``S(n, l)(tau) = sum' exp(i l arg w) / |w|^n`` with exact gradients.

    The sum runs over ``w = m + n' tau``, ``(m, n') != (0, 0)`` (unit first period,
    dimensionless). For physical sums at fixed cell area use :func:`fixed_area_sum`.
    One number (a Python or NumPy scalar, or a 0-d array) takes the scalar path: the same
    kernels on Python ``complex``/``float`` instead of arrays, with results equal bit for
    bit to that point's entry of a batched call (values, derivatives, bounds, errors).
    ``method="richardson"`` always runs on arrays.

    Parameters
    ----------
    n : int
        Decay order, even, ``>= 2``.
    l : int
        Angular order, even (odd ``l`` vanishes identically and is refused).
        Supported: ``(2, 0)`` (Kronecker-regularised ``S_reg(2, 0)``, docs/lattice-math.md §4d),
        ``(2, +-2)`` (``G2*`` and conjugate, disk summation), ``(2, l)`` raised for
        ``|l| >= 4``, every even ``l`` with ``|l| <= 16`` for ``n = 4`` (``(4, 0)``,
        ``(4, +-2)`` by the non-reducible series), and ``n <= |l| <= n + 12`` for
        ``n <= 14``.
    tau : complex or array_like of complex
        Modular parameter(s), ``Im tau > 0``, any shape.
    method : {"series", "richardson"}
        ``"series"`` (default): q-series at the reduced point, certified.
        ``"richardson"``: the paper's box sums with Richardson extrapolation and adaptive
        doubling (``(4, 0)``, ``(4, +-2)`` only; slow, ~1e-10; see
        :func:`kerker.lattice.richardson_sum`).
    summation : {"disk", "rows", "columns"}, keyword-only
        Summation order of the conditionally convergent ``(2, +-2)``: expanding disks give
        ``G2* = G2 - pi/y`` (default, basis independent); rows along ``1`` first give
        ``G2``; columns first give ``G2 - 2 pi i / tau`` (docs/lattice-math.md §4c).
    tol : float, keyword-only
        Truncation tolerance of the q-series at the reduced point (default 1e-16).

    Returns
    -------
    BasisResult
        ``value``, ``d`` (``= d/dtau`` Wirtinger), ``dbar``, ``error_bound``; shape of
        ``tau``: ndarrays for an array, Python ``complex``/``float`` for a Python or NumPy scalar,
        NumPy scalars (``complex128``/``float64``) for a 0-d array. Real gradients: ``grad_x = d + dbar``,
        ``grad_y = i (d - dbar)``.

    Raises
    ------
    ValueError
        Unsupported ``(n, l)``, odd ``l``, unknown ``method``/``summation``, ``tau``
        not finite / not in the upper half-plane, ``Im tau < 1e-15`` (below the supported
        range, where float64 cannot reduce ``tau`` exactly; docs/lattice-math.md §3), or a
        result that overflows float64.

    Examples
    --------
    >>> from kerker.lattice import lattice_sum
    >>> round(float(lattice_sum(4, 0, 1j).value.real), 12)   # square lattice, 4 zeta(2) beta(2)
    6.026812039692
    >>> bool(abs(lattice_sum(2, -2, 1j).value) < 1e-14)     # G2*(i) = 0
    True
    """
    n, l = check_sum_index(n, l, method, summation)
    tol = check_tol(tol)
    what = f"S({n}, {l})"
    one = scalar_tau(tau) if method == "series" else None
    if one is not None:  # the scalar path: Python numbers, no arrays (same results)
        red = reduce_one(one[0])
        qs = qseries(red.tau_f, tol, sum_spec(n, l))
        return _result_one(*one, what, *basis_arrays(n, l, red, qs, summation))
    flat, shape = as_tau_array(tau)
    if method == "richardson":
        from kerker.lattice._richardson import richardson_arrays

        return _result_batch(flat, shape, what, *richardson_arrays(l, flat))
    red = reduce_flat(flat)
    qs = qseries(red.tau_f, tol, sum_spec(n, l))
    return _result_batch(flat, shape, what, *basis_arrays(n, l, red, qs, summation))


def basis(tau, tol: float = 1e-16, elements=STANDARD_BASIS) -> dict:
    """Evaluate several basis elements sharing one reduction and one set of q-series.

    One number takes the scalar path (as :func:`lattice_sum`).

    Parameters
    ----------
    tau : complex or array_like of complex
        Modular parameter(s), ``Im tau > 0``.
    tol : float
        Truncation tolerance (see :func:`lattice_sum`).
    elements : sequence of (n, l)
        Which sums; default the standard basis ``STANDARD_BASIS``.

    Returns
    -------
    dict
        ``{(n, l): BasisResult}``, each with the shape of ``tau`` (types as :func:`lattice_sum`).
    """
    checked = [check_sum_index(n, l) for n, l in elements]
    tol = check_tol(tol)
    one = scalar_tau(tau)
    if one is not None:  # the scalar path (same results as the batched one)
        red = reduce_one(one[0])
        qs = qseries(red.tau_f, tol, series_spec(needed_series(checked)))
        return {(n, l): _result_one(*one, f"S({n}, {l})", *basis_arrays(n, l, red, qs)) for n, l in checked}
    flat, shape = as_tau_array(tau)
    red = reduce_flat(flat)
    qs = qseries(red.tau_f, tol, series_spec(needed_series(checked)))
    return {(n, l): _result_batch(flat, shape, f"S({n}, {l})", *basis_arrays(n, l, red, qs)) for n, l in checked}
