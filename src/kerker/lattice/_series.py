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
terms are summed one after another in a generated loop (:func:`_lambert_program`), never
by BLAS, and the arithmetic is that of :mod:`kerker.lattice._arith`, so both give the
same bits.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from kerker.lattice._arith import ONE, fcos, fexp, flog2, fmin, fsin, ipow, make

EPS = float(np.finfo(float).eps)
PI = math.pi
# c_k of E_k = 1 - (2k / B_k) sum m^(k-1) q^m / (1 - q^m), signs separate (docs/lattice-math.md §2).
_LAMBERT_C = {2: 24.0, 4: 240.0, 6: 504.0}
_LAMBERT_SIGN = {2: -1.0, 4: 1.0, 6: -1.0}
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
    e_err : three of float or ndarray of float64
        Absolute error bounds of ``e2, e4, e6`` (``None`` for sums not in ``bound_keys``).
    e_shift : three of complex or CArray
        ``E2 - 1, E4 - 1, E6 - 1``, summed without the constant (full relative accuracy).
    e_shift_err : three of float or ndarray of float64
        Their absolute error bounds (formed only up the cusp, where they are used).
    kron : complex or CArray
        ``K = sum_m q^m / (m (1 - q^m))`` (Kronecker limit formula, docs/lattice-math.md §4d).
    l0, l1, l2 : complex or CArray
        The sums ``L0, L1, L2`` of docs/lattice-math.md §4e.
    kron_err, l0_err, l1_err, l2_err : float or ndarray of float64
        Their absolute error bounds (``None`` for sums not in ``bound_keys``).
    memo : dict
        Quantities derived from the series, formed once (e.g. ``_basis._nonreducible_parts``).
    """

    _FIELDS = (
        "y", "terms", "e2", "e4", "e6", "e_err", "e_shift", "e_shift_err",
        "kron", "l0", "l1", "l2", "kron_err", "l0_err", "l1_err", "l2_err",
    )  # fmt: skip
    y = terms = e2 = e4 = e6 = kron = l0 = l1 = l2 = None
    kron_err = l0_err = l1_err = l2_err = None
    e_err = e_shift = e_shift_err = (None, None, None)  # lists of three in an instance

    memo = None  # a dict of derived quantities once one is formed (e.g. _basis._nonreducible_parts)

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
_CK = (_LAMBERT_C[2], _LAMBERT_C[4], _LAMBERT_C[6])
_RHO_MAX = 1.0 - 1e-300
SERIES = ("e2", "e4", "e6", "kron", "l0", "l1", "l2")
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
        self.e_plan = _e_plan(keys, bound_keys)
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
            got = self.programs[masked] = _lambert_program(self.keys, self.bound_keys, masked)
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


# The Lambert sums, term m: (value, rounding magnitude) with t = q^m u, u = 1/(1 - q^m),
# tu = t u, and tb = r^m ub rel_m, ub = 1/(1 - r^m), tbu = tb ub its magnitudes
# (docs/lattice-math.md §2, §4d, §4e); {w} is the weight of term m.
_SUM_TERMS = {
    "e2": ("t * {m}", "tb * {m}"),
    "e4": ("t * {m3}", "tb * {m3}"),
    "e6": ("t * {m5}", "tb * {m5}"),
    "kron": ("t * {i1}", "tb * {i1}"),
    "l0": ("t * {i3}", "tb * {i3}"),
    "l1": ("tu * {i2}", "tbu * {i2}"),
    "l2": ("tu * u * (ONE + qm) * {i1}", "tbu * ub * (1.0 + rm) * {i1}"),
}
# the l1, l2 magnitudes carry factors 2 and 4 (applied once, at the end)
_SUM_SCALE = {"l1": "2.0 * ", "l2": "4.0 * "}


def _weight_row(m: int) -> tuple:
    """``m, m^3, m^5, 1/m, 1/m^3, 1/m^2``: the weights of term ``m`` (floats)."""
    return float(m), float(m**3), float(m**5), 1.0 / m, 1.0 / m**3, 1.0 / m**2


_WEIGHT_NAMES = ("m", "m3", "m5", "i1", "i3", "i2")
_WEIGHT_VARS = {n: n for n in _WEIGHT_NAMES}  # the weights as the loop's variables
_WEIGHTS = [None] + [_weight_row(m) for m in range(1, 65)]  # index m; extended on demand


@lru_cache(maxsize=None)
def _lambert_program(keys: tuple, bound_keys: tuple, masked: bool):
    """The Lambert terms of ``keys``, generated as one function of ``M``.

    ``f(q, r, rel0, drift, live, m_max, weights) -> (values, magnitudes)`` (lists in
    :data:`SERIES` order, ``None`` for sums not in ``keys``, magnitudes only for
    ``bound_keys``). Term ``m``: ``q^m = q^(m-1) q``, ``u = 1/(1 - q^m)``, ``t = q^m u``,
    ``ub = 1/(1 - r^m)``, ``tb = r^m ub (rel0 + drift m)``, then every sum of
    :data:`_SUM_TERMS` adds its term, in order; term 1 is written out (its weights are 1).
    With ``masked`` (a batch whose points have different ``M``), ``t`` and ``tb`` of term
    ``m >= 2`` are multiplied by ``live[m]`` (1 while ``m <= M`` of the point, else 0, and
    ``x + 0 == x``). Runs on Python numbers and on CArray alike.
    """
    wanted = [k for k in SERIES if k in keys]
    pairs = any(k in keys for k in ("l1", "l2"))
    bound_pairs = any(k in bound_keys for k in ("l1", "l2"))

    def term(m1: bool, indent: str) -> list:
        lines = [f"{indent}u = ONE / (ONE - qm)", f"{indent}t = qm * u", f"{indent}ub = 1.0 / (1.0 - rm)"]
        lines.append(f"{indent}tb = rm * ub * (rel0 + drift{'' if m1 else ' * m'})")
        if masked and not m1:
            lines += [f"{indent}t = t * live[k]", f"{indent}tb = tb * live[k]"]
        if pairs:
            lines.append(f"{indent}tu = t * u")
        if bound_pairs:
            lines.append(f"{indent}tbu = tb * ub")
        for k in wanted:
            for side, template in zip("vb", _SUM_TERMS[k]):
                if side == "b" and k not in bound_keys:
                    continue
                if m1:  # every weight of term 1 is 1.0
                    first = template.format(**dict.fromkeys(_WEIGHT_NAMES, "1.0")).removesuffix(" * 1.0")
                    lines.append(f"{indent}{side}_{k} = {first}")
                else:
                    lines.append(f"{indent}{side}_{k} = {side}_{k} + {template.format(**_WEIGHT_VARS)}")
        return lines

    lines = ["def f(q, r, rel0, drift, live, m_max, weights):", "    qm = q", "    rm = r"]
    lines += term(True, "    ")
    lines.append("    for k in range(2, m_max + 1):")
    lines.append(f"        {', '.join(_WEIGHT_NAMES)} = weights[k]")
    lines += ["        qm = qm * q", "        rm = rm * r"]
    lines += term(False, "        ")
    values = ", ".join(f"v_{k}" if k in keys else "None" for k in SERIES)
    bounds = ", ".join(f"{_SUM_SCALE.get(k, '')}b_{k}" if k in bound_keys else "None" for k in SERIES)
    lines.append(f"    return [{values}], [{bounds}]")
    source = "\n".join(lines)
    namespace = {"ONE": ONE}
    exec(source, namespace)  # noqa: S102 - generated from _SUM_TERMS above
    f = namespace["f"]
    f.source = source
    return f


def _lambert(q, r, m_terms, rel0, drift, spec: SeriesSpec):
    """The truncated sums of ``spec.keys`` and their rounding magnitudes, one term after another.

    ``m_terms`` is an int (every point the same) or one per point; then points past their
    own ``M`` get zero terms (``x + 0 == x``), so each equals its own truncation. The
    same operations in the same order for one point and for a batch
    (:func:`_lambert_program`).
    """
    if type(m_terms) is not int:
        m_max = int(np.max(m_terms, initial=1))
        if not np.all(m_terms == m_max):
            live = [None] + [(m <= m_terms).astype(float) for m in range(1, m_max + 1)]
            return spec.program(True)(q, r, rel0, drift, live, m_max, _weights_to(m_max))
        m_terms = m_max
    weights = _WEIGHTS if m_terms < len(_WEIGHTS) else _weights_to(m_terms)
    program = spec.programs.get(False) or spec.program(False)
    return program(q, r, rel0, drift, None, m_terms, weights)


def _weights_to(m_max: int) -> list:
    while len(_WEIGHTS) <= m_max:
        _WEIGHTS.append(_weight_row(len(_WEIGHTS)))
    return _WEIGHTS


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
    v, b = _lambert(q, r, m_terms, rel0, drift, spec)
    qs = QSeries()
    qs.y, qs.terms = y, m_terms
    e, e_err, shift, shift_err = [None] * 3, [None] * 3, [None] * 3, [None] * 3
    e_plan = spec.e_plan
    cusp = e_plan and (y > CUSP_IMAG if type(y) is float else bool(np.any(y > CUSP_IMAG)))
    for i, ck, sign_ck, bounded in e_plan:
        a = v[i]
        shift[i] = sign_ck * a
        e[i] = 1.0 + shift[i]
        if bounded:
            tail_mag = tails[i] + ck * b[i]
            size = abs(a)
            e_err[i] = tail_mag + _EPS2 * (1.0 + ck * size)
            if cusp:  # E - 1 is used up the cusp only (_ring.shifted_derivative)
                shift_err[i] = tail_mag + EPS * ck * size
    qs.e2, qs.e4, qs.e6 = e
    qs.e_err, qs.e_shift, qs.e_shift_err = e_err, shift, shift_err
    if v[3] is not None:
        qs.kron = v[3]
        if b[3] is not None:
            qs.kron_err = tails[3] + b[3]
    if v[4] is not None:
        qs.l0 = v[4]
        if b[4] is not None:
            qs.l0_err = tails[4] + b[4]
    if v[5] is not None:
        qs.l1 = v[5]
        if b[5] is not None:
            qs.l1_err = tails[5] + b[5]
    if v[6] is not None:
        qs.l2 = v[6]
        if b[6] is not None:
            qs.l2_err = tails[6] + b[6]
    return qs


_EPS2 = 2.0 * EPS


@lru_cache(maxsize=None)
def _e_plan(keys: tuple, bound_keys: tuple) -> tuple:
    """``(index, c_k, sign c_k, bounded)`` of each ``E_k`` formed (``E_k = 1 + sign c_k sum``)."""
    return tuple(
        (i, _LAMBERT_C[k], _LAMBERT_SIGN[k] * _LAMBERT_C[k], f"e{k}" in bound_keys)
        for i, k in enumerate((2, 4, 6))
        if f"e{k}" in keys
    )
