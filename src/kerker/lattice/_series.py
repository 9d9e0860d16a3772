"""Certified q-series at reduced points: Lambert sums for E2, E4, E6 and the L-sums.

References: docs/lattice-math.md §2 (Lambert series and their tail bound) and §4(d, e)
(the Kronecker sum and the elementary sums L0, L1, L2 of the non-reducible sector).

Every sum is truncated after ``M`` terms, with ``M`` the smallest integer for which the
tail bound of §2, scaled by the largest prefactor the sum meets in the basis, is below
the requested tolerance; each point of a batch takes its own ``M`` (from its ``|q|`` and
``Im tau_f`` on a fine grid, :func:`truncation_at`), so its value never depends on the
other points. Each returned value carries an absolute error bound: the tail bound (at the
grid point, which bounds the point's own tail) plus a float64 rounding bound.

One point (Python numbers: the scalar path) and a batch run the same code: the Lambert
terms are summed one after another in a generated loop (:mod:`kerker.lattice._lambert`), never
by BLAS, and the arithmetic is that of :mod:`kerker.lattice._arith`, so both give the
same bits.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from kerker.lattice._arith import fcos, fexp, flog2, fmin, fsin, ipow, make
from kerker.lattice._lambert import (
    EPS,
    LAMBERT_C,
    SERIES,
    finish_program,
    lambert,
    lambert_program,
    rounding_program,
)

PI = math.pi
_MAX_TERMS = 4000
# Beyond Im tau_f = 53 log(2) / (2 pi) ~ 5.85, |q| < 2^-53: the q-terms of E_k fall below one
# ulp of its constant term, so polynomials in E_k cannot resolve D^r E_k = O(q) and the
# derivatives are evaluated in E_k - 1 instead (_ring.shifted_derivative).
CUSP_IMAG = 53.0 * math.log(2.0) / (2.0 * PI)
# Per-point truncation: the (r, y) grid keys of choose_terms, clamped at the values of
# Im tau_f = 64 (r = e^-402): further up the same M is conservative (r and every
# prefactor only fall with y), and the cache stays small.
_Y_KEY_MAX = 64 * 64
_R_KEY_MIN = math.ceil(math.log2(math.exp(-2.0 * PI * 64.0)) * 64.0)


class QSeries:
    """Truncated q-series at reduced points ``tau_f``, each with an absolute error bound.

    One point (Python numbers) or a batch (:class:`~kerker.lattice._arith.CArray` and
    float64 arrays); only the sums in ``keys`` are formed, the others are ``None``.

    Attributes
    ----------
    y : float or ndarray of float64, shape (N,)
        ``Im tau_f``.
    terms : int or ndarray of int64, shape (N,)
        Number of Lambert terms ``M`` used at each point.
    e2, e4, e6 : complex or CArray
        Normalised Eisenstein series at ``tau_f``.
    e_err : tuple of three float or ndarray of float64
        Absolute error bounds of ``e2, e4, e6`` (``None`` for sums not in ``bound_keys``).
    e_shift : tuple of three complex or CArray
        ``E2 - 1, E4 - 1, E6 - 1``, summed without the constant (full relative accuracy).
    e_shift_err : tuple of three float or ndarray of float64
        Their absolute error bounds (formed only up the cusp, where they are used).
    kron : complex or CArray
        ``K = sum_m q^m / (m (1 - q^m))`` (Kronecker limit formula, docs/lattice-math.md §4d).
    l0, l1, l2 : complex or CArray
        The sums ``L0, L1, L2`` of docs/lattice-math.md §4e.
    kron_err, l0_err, l1_err, l2_err : float or ndarray of float64
        Their absolute error bounds (``None`` for sums not in ``bound_keys``).
    nonreducible : tuple or None
        The terms ``S(4, 0)`` and ``S(4, -2)`` share, formed once (``_basis._nonreducible_parts``).
    """

    _FIELDS = (
        "y", "terms", "e2", "e4", "e6", "e_err", "e_shift", "e_shift_err",
        "kron", "l0", "l1", "l2", "kron_err", "l0_err", "l1_err", "l2_err",
    )  # fmt: skip
    y = terms = e2 = e4 = e6 = kron = l0 = l1 = l2 = None
    kron_err = l0_err = l1_err = l2_err = None
    e_err = e_shift = e_shift_err = (None, None, None)

    nonreducible = None  # the terms S(4, 0) and S(4, -2) share, once formed (_basis._nonreducible_parts)

    def take(self, idx) -> QSeries:
        """The batch restricted to the points ``idx`` (every field indexed)."""
        out = QSeries()
        for name in self._FIELDS:
            v = getattr(self, name)
            if isinstance(v, (tuple, list)):
                v = [None if w is None else w[idx] for w in v]
            elif v is not None:
                v = v[idx]
            setattr(out, name, v)
        return out


@lru_cache(maxsize=None)
def _term_constants(m_terms: int) -> tuple:
    """The tail bounds' factors that depend on ``M`` only: ``M + 1``, ``((M+2)/(M+1))^(k-1)``,
    ``(M+1)^(k-1)`` (k = 2, 4, 6), ``(M+1)^2``, ``(M+1)^3``."""
    m1 = m_terms + 1.0
    ratio = (m_terms + 2.0) / m1
    ratio_k = tuple(ipow(ratio, k - 1) for k in (2, 4, 6))
    return m1, ratio_k, tuple(ipow(m1, k - 1) for k in (2, 4, 6)), m1 * m1, ipow(m1, 3)


@lru_cache(maxsize=None)
def _flags(keys: tuple) -> tuple:
    """Which of :data:`SERIES` are in ``keys``."""
    return tuple(k in keys for k in SERIES)


def _tails(m_terms, r, y, keys=None) -> list:
    """Tail bounds after ``m_terms`` terms at ``|q| = r``, docs/lattice-math.md §2.

    Returns the raw tails of ``keys`` (default all) as a list in :data:`SERIES` order,
    ``None`` where not asked for; the scaled maximum used for choosing ``M`` is computed
    by the caller.
    """
    m1, ratio_k, m1_k, m1_2, m1_3 = _term_constants(m_terms)
    e2, e4, e6, kron, l0, l1, l2 = _ALL if keys is None else _flags(keys)
    rm1 = ipow(r, m_terms + 1)
    one_r = 1.0 - r
    one_r2 = one_r * one_r  # = ipow(one_r, 2); then ipow's products for 3 and 4
    out = [None] * 7
    for i, wanted in enumerate((e2, e4, e6)):
        if wanted:
            rho = fmin(ratio_k[i] * r, _RHO_MAX)
            out[i] = _CK[i] * m1_k[i] * rm1 / (one_r * (1.0 - rho))
    if kron:
        out[3] = rm1 / (m1 * one_r2)
    if l0:
        out[4] = rm1 / (m1_3 * one_r2)
    if l1:
        out[5] = rm1 / (m1_2 * (one_r * one_r2))
    if l2:
        out[6] = (1.0 + r) * rm1 / (m1 * (one_r2 * one_r2))
    return out


_ALL = (True,) * 7
_CK = (LAMBERT_C[2], LAMBERT_C[4], LAMBERT_C[6])
_RHO_MAX = 1.0 - 1e-300
# largest prefactor each sum meets in docs/lattice-math.md §4 (as a function of Im tau_f)
_PREFACTOR = {
    "e2": lambda y: 1.0,
    "e4": lambda y: PI**4 / 45.0,
    "e6": lambda y: 2.0 * PI**6 / 945.0,
    "kron": lambda y: 4.0 * PI / y,
    "l0": lambda y: 2.0 * PI / y**3,
    "l1": lambda y: 4.0 * PI**2 / y**2,
    "l2": lambda y: 4.0 * PI**3 / y,
}


def _scaled_max(tails: list, prefactors: tuple) -> float:
    """Largest tail after scaling by its prefactor (``prefactors``: ``(index, factor)`` pairs)."""
    return max(tails[i] * factor for i, factor in prefactors)


def _r_key(r: float) -> int:
    return math.ceil(math.log2(max(r, 1e-300)) * 64.0)


def choose_terms(r_max: float, y_min: float, tol: float, keys=SERIES) -> int:
    """Smallest ``M`` whose scaled tail bounds (docs/lattice-math.md §2) are ``<= tol`` at ``r_max``.

    Parameters
    ----------
    r_max : float
        Largest ``|q|`` (``<= exp(-pi sqrt 3) = 4.33e-3`` in F).
    y_min : float
        Smallest ``Im tau_f``.
    tol : float
        Requested absolute truncation tolerance.
    keys : iterable of str
        The sums that must meet ``tol`` (subset of ``SERIES``).

    Notes
    -----
    ``r_max`` is rounded up and ``y_min`` down to a grid (1/64 octave, 1/64) before the
    search, which only adds terms, so the answer can be cached across calls.
    :func:`truncation_at` applies it to every point of a batch separately.
    """
    return _choose_terms_cached(_r_key(float(r_max)), math.floor(float(y_min) * 64.0), float(tol), tuple(sorted(keys)))


@lru_cache(maxsize=65536)
def _choose_terms_cached(r_key: int, y_key: int, tol: float, keys: tuple) -> int:
    r, y = _grid(r_key, y_key)
    prefactors = tuple((SERIES.index(k), _PREFACTOR[k](y)) for k in keys)
    for m_terms in range(1, _MAX_TERMS):
        if _scaled_max(_tails(m_terms, r, y, keys), prefactors) <= tol:
            return m_terms
    raise ValueError(f"tol: no truncation below {_MAX_TERMS} terms reaches tol={tol!r} at |q|={r!r}")


def _grid(r_key: int, y_key: int) -> tuple:
    """The grid point of a key pair: ``r_grid = 2^(r_key/64) >= r`` and ``y_grid = y_key/64 <= y``."""
    return min(2.0 ** (r_key / 64.0), 1.0 - 1e-12), max(y_key / 64.0, 1e-3)


@lru_cache(maxsize=65536)
def _truncation_cached(r_key: int, y_key: int, tol: float, keys: tuple, bound_keys: tuple) -> tuple:
    """``M`` for the key pair and the tails of ``bound_keys`` after ``M`` terms at its grid point."""
    m_terms = _choose_terms_cached(r_key, y_key, tol, keys)
    r, y = _grid(r_key, y_key)
    return m_terms, tuple(_tails(m_terms, r, y, bound_keys))


class SeriesSpec:
    """Which sums :func:`qseries` forms (``keys``) and bounds (``bound_keys``), with its caches.

    Made once per key set (:func:`series_spec`); holds the per-point truncations and the
    generated Lambert programs of that set, so a call looks them up without hashing the
    key tuples again.
    """

    def __init__(self, keys: tuple, bound_keys: tuple):
        self.keys, self.bound_keys = keys, bound_keys
        self.finish = finish_program(keys, bound_keys)
        self.rounding = rounding_program(bound_keys)
        self.truncations: dict = {}  # (r_key, y_key, tol) -> (M, tails)
        self.programs: dict = {}  # masked -> generated function

    def truncation(self, r_key: int, y_key: int, tol: float) -> tuple:
        got = self.truncations.get((r_key, y_key, tol))
        if got is None:
            got = _truncation_cached(r_key, y_key, tol, self.keys, self.bound_keys)
            self.truncations[(r_key, y_key, tol)] = got
        return got

    def program(self, masked: bool):
        got = self.programs.get(masked)
        if got is None:
            got = self.programs[masked] = lambert_program(self.keys, masked)
        return got


@lru_cache(maxsize=None)
def series_spec(keys=SERIES, bound_keys=None) -> SeriesSpec:
    """The :class:`SeriesSpec` of sorted ``keys`` and ``bound_keys`` (default: ``keys``)."""
    keys = tuple(sorted(keys))
    return SeriesSpec(keys, keys if bound_keys is None else tuple(sorted(bound_keys)))


def truncation_at(r, y, tol: float, spec: SeriesSpec):
    """Each point's own truncation ``M`` (:func:`choose_terms` at its ``r = |q|`` and ``y``) and tail bounds.

    The tails are evaluated at the grid point ``r_grid >= r`` that ``M`` was chosen for:
    every tail bound increases with ``r`` (docs/lattice-math.md §2), so they bound the
    point's own tails too (at most a factor ``2^((M+1)/64)`` above them), and they are
    cached with ``M``. A point's truncation, value and certificate never depend on the other
    points of its batch. Returns an int and a list (one point), or int64 and float64 arrays.
    """
    if type(y) is float:
        key = (max(_r_key(r), _R_KEY_MIN), min(math.floor(y * 64.0), _Y_KEY_MAX), tol)
        got = spec.truncations.get(key)
        return spec.truncation(*key) if got is None else got
    if np.size(y) == 0:
        empty = np.zeros(np.shape(y))
        return np.zeros(np.shape(y), dtype=np.int64), [None if k not in spec.bound_keys else empty for k in SERIES]
    rk = np.maximum(np.ceil(flog2(np.maximum(r, 1e-300)) * 64.0), _R_KEY_MIN).astype(np.int64)
    yk = np.minimum(np.floor(y * 64.0), _Y_KEY_MAX).astype(np.int64)
    pairs, inverse = np.unique(np.stack([rk, yk]), axis=1, return_inverse=True)
    rows = [spec.truncation(int(a), int(b), tol) for a, b in pairs.T]
    inverse = inverse.ravel()
    m_terms = np.array([row[0] for row in rows], dtype=np.int64)[inverse]
    tails = [
        None if rows[0][1][i] is None else np.array([row[1][i] for row in rows])[inverse] for i in range(len(SERIES))
    ]
    return m_terms, tails


def nome(tau_f):
    """``q = exp(2 pi i tau_f)`` and ``r = |q| = exp(-2 pi y)`` as ``r (cos 2 pi x + i sin 2 pi x)``.

    C-library ``exp``, ``cos``, ``sin`` (:mod:`math`) for one point and, per element, for
    a batch (:mod:`kerker.lattice._arith`).
    """
    y = tau_f.imag
    angle = 2.0 * PI * tau_f.real
    if type(y) is float:
        r = math.exp(-2.0 * PI * y)
        return complex(r * math.cos(angle), r * math.sin(angle)), r
    r = fexp(-2.0 * PI * y)
    return make(r * fcos(angle), r * fsin(angle)), r


def qseries(tau_f, tol: float, keys=SERIES, bound_keys=None) -> QSeries:
    """Evaluate the Lambert and L-sums of ``keys`` at reduced points, certified.

    Parameters
    ----------
    tau_f : complex or CArray, shape (N,)
        Points in (or within rounding of) the fundamental domain: one point (the scalar
        path) or a batch, with results equal bit for bit point by point.
    tol : float
        Truncation tolerance: each point takes its own ``M`` and tail bounds
        (:func:`truncation_at`).
    keys : iterable of str, or SeriesSpec
        The sums to form; each meets ``tol``. A :class:`SeriesSpec` (:func:`series_spec`)
        carries both key sets and is what the package's kernels pass.
    bound_keys : iterable of str, optional
        The sums whose error bounds are formed (default: all of ``keys``); the others'
        bounds are ``None`` (a caller that needs one fails loudly).

    Returns
    -------
    QSeries
    """
    if type(keys) is SeriesSpec:
        spec = keys
    else:
        spec = series_spec(tuple(keys), None if bound_keys is None else tuple(bound_keys))
    y = tau_f.imag
    q, r = nome(tau_f)
    m_terms, tails = truncation_at(r, y, tol, spec)
    # Per-term relative rounding: q carries 2 pi |delta tau_f| (delta ~ 4 eps |tau_f|),
    # q^m accumulates m of those plus m complex products; the summation adds M eps.
    drift = EPS * (6.0 + 8.0 * PI * abs(tau_f))
    rel0 = (8.0 + m_terms) * EPS
    v = lambert(q, m_terms, spec)
    b = spec.rounding(r, rel0, drift)
    qs = QSeries()
    qs.y, qs.terms = y, m_terms
    cusp = y > CUSP_IMAG if type(y) is float else bool(np.any(y > CUSP_IMAG))
    spec.finish(qs, v, b, tails, cusp)
    return qs


