"""SL(2, Z) reduction of ``tau`` to the fundamental domain, with the matrix that does it.

Reference: docs/lattice-math.md §3 (Apostol, *Modular Functions and Dirichlet Series*, §2.3).
The reduction returns integers ``(a, b, c, d)`` with ``ad - bc = 1`` and
``tau_f = (a tau + b) / (c tau + d)``; every law that maps a value at ``tau_f`` back to
``tau`` needs only ``j = c tau + d`` and ``c``. The map is piecewise constant, so nothing
ever differentiates it: derivatives are transported by the exact weight laws instead.

Supported range ``Im tau >= MIN_IMAG = 1e-15``. Near the real axis the matrix entries grow:
``|c|, |d| <= (2 / (sqrt(3) y))^(1/2)`` and ``|a|, |b| <= 2/y + 0.54/sqrt(y)`` (measured:
``1/(2y)`` next to an integer), because ``Im tau_f = y / |c tau + d|^2`` must reach
``sqrt(3)/2``. ``j = c tau + d`` is then formed from a float ``x`` that nearly cancels
against ``d`` (relative condition ``~ 1/y``), so it and ``tau_f`` keep their digits only if
every product ``c x`` is formed exactly, which needs integer entries that are exact in
float64, ``<= 2^53``. ``MIN_IMAG`` keeps the rigorous bound four times below that.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kerker.lattice._arith import NEG_ONE, ONE, CArray, ipow
from kerker.lattice._input import MIN_IMAG, _refuse, as_tau_array, check_finite, check_finite_one, scalar_tau

__all__ = [
    "MIN_IMAG",
    "Reduced",
    "Reduction",
    "as_tau_array",
    "check_finite",
    "check_finite_one",
    "reduce_flat",
    "reduce_one",
    "reduce_tau",
    "scalar_tau",
    "transport",
    "transport_value",
]

# |tau|^2 < 1 - _ARC_SLACK triggers an inversion; the slack keeps points on the unit arc
# (rounded to either side in float64) from cycling forever between tau and -1/tau.
_ARC_SLACK = 1e-14
_INVERT_BELOW = 1.0 - _ARC_SLACK
_MAX_STEPS = 10_000
# Veltkamp split constant 2**27 + 1: x = hi + lo with hi carrying 26 significant bits.
_SPLIT = 134217729.0
_EPS = float(np.finfo(float).eps)
_EPS4 = 4.0 * _EPS
# Integers up to 2^53 are exact in float64; up to 2^26 the Veltkamp product of
# _exact_affine is exact as well (beyond it, _two_product_affine is used).
_EXACT_INT = 2.0**53
_VELTKAMP_INT = 2.0**26
# The float64 iteration's last steps can go astray when Im tau is small (its real parts
# lose ~ eps/Im tau); a reduced point further than this outside F is reduced again from
# its accurately recomputed position (one extra round suffices in practice).
_F_SLACK = 2.0**-30
_MAX_ROUNDS = 8
_TOO_BIG = f"its SL(2, Z) reduction needs matrix entries beyond 2^53 (Im(tau) >= {MIN_IMAG:g})"
# For Im tau >= 2^-20 the entry bound 2/y + 0.54/sqrt(y) is below 2^21.01: exact for
# _exact_affine, and with |Re tau| <= 2^40 the folded entries stay below 2^62, so the
# guards on the matrix size (which cost a scalar call ~15 us) are skipped there.
_GUARD_IMAG = 2.0**-20


@dataclass(frozen=True)
class Reduction:
    """Result of reducing an array of ``tau`` to the fundamental domain F.

    Attributes
    ----------
    tau_f : ndarray of complex128, shape (N,)
        Reduced points, ``|Re tau_f| <= 1/2`` and ``|tau_f| >= 1`` (up to rounding).
    a, b, c, d : ndarray of int64, shape (N,)
        The matrix ``gamma`` with ``tau_f = gamma tau`` and ``ad - bc = 1``; ``b`` and
        ``d`` already contain the exact integer translation of ``tau``.
    j : ndarray of complex128, shape (N,)
        The automorphy factor ``c tau + d``, accurate to a few ulp (no cancellation).
    tau : ndarray of complex128, shape (N,)
        The unreduced points.
    y : ndarray of float64, shape (N,)
        ``Im tau`` of the unreduced points.
    """

    tau_f: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray
    j: np.ndarray
    tau: np.ndarray
    y: np.ndarray


class Reduced:
    """The reduction as the kernels use it: one point (Python numbers) or a batch.

    Same fields as :class:`Reduction`, plus ``cz = c`` as a complex number, so that
    ``cz / j`` is a complex quotient in either path (:mod:`kerker.lattice._arith`),
    ``abs4 = 4 |tau_f|`` and ``identity`` (one point with ``c = 0, d = 1``, so ``j = 1``). For one
    point ``tau_f, j, cz, tau`` are ``complex``, ``a, b, c, d`` ``int`` and ``y`` ``float``;
    for a batch they are :class:`~kerker.lattice._arith.CArray`, int64 and float64 arrays.
    """

    __slots__ = ("tau_f", "a", "b", "c", "d", "j", "cz", "tau", "y", "abs4", "identity")

    def __init__(self, tau_f, a, b, c, d, j, cz, tau, y, identity: bool = False):
        self.tau_f, self.a, self.b, self.c, self.d = tau_f, a, b, c, d
        self.j, self.cz, self.tau, self.y = j, cz, tau, y
        self.abs4 = 4.0 * abs(tau_f)  # the law's rounding scale, 4 |tau_f| (transport)
        # one point whose gamma is a translation (c = 0, d = 1): j = 1 exactly
        self.identity = identity


def _split(v):
    """Veltkamp split ``v = head + tail`` with 26 significant bits in ``head``."""
    t = _SPLIT * v
    head = t - (t - v)
    return head, v - head


def _exact_affine(c, x, d):
    """Return ``c * x + d`` for integers ``|c| <= 2^26``, ``|d| <= 2^53``, ``|x| <= 1/2``.

    ``x`` is split (Veltkamp) into a 26-bit head and a tail so that ``c * head`` and
    ``c * tail`` are exact; ``c * head + d`` is exact too unless it is far larger than
    ``c * tail``, so the result is within two units in the last place of ``c x + d``
    however much ``c x`` and ``d`` cancel.
    """
    head, tail = _split(x)
    return (c * head + d) + c * tail


def _two_product_affine(c, x, d):
    """``c * x + d`` for integers ``|c|, |d| <= 2^53`` within ``u (1 + 4u)`` relative error.

    Dekker's two-product gives ``c x = p + e`` exactly and Knuth's two-sum
    ``p + d = s + t`` exactly (Higham, *Accuracy and Stability of Numerical Algorithms*,
    2nd ed., §4.3); ``s + (t + e)`` then rounds once, since where ``p`` and ``d`` cancel
    (``|s| <= |p|/2``) Sterbenz's lemma makes ``t = 0``.
    """
    p = c * x
    ch, cl = _split(c)
    xh, xl = _split(x)
    e = ((ch * xh - p) + ch * xl + cl * xh) + cl * xl
    s = p + d
    bb = s - p
    t = (p - (s - bb)) + (d - bb)
    return s + (t + e)


def _affine(c, d, x, y):
    """``c tau + d`` for ``tau = x + iy`` with each component accurate to two ulp."""
    if type(x) is float:  # one point: Python ints c, d
        cf = float(c)
        affine = _two_product_affine if abs(cf) > _VELTKAMP_INT else _exact_affine
        return complex(affine(cf, x, float(d)), c * y)
    cf = c.astype(float)
    re = _exact_affine(cf, x, d.astype(float))
    big = np.abs(cf) > _VELTKAMP_INT
    if big.any():
        re[big] = _two_product_affine(cf[big], x[big], d[big].astype(float))
    return CArray(re, c * y)


def _iterate_one(t: complex) -> tuple[int, int, int, int]:
    """:func:`_iterate` for one point: the same steps, the same arithmetic."""
    a, b, c, d = 1, 0, 0, 1
    for _ in range(_MAX_STEPS):
        k = math.floor(t.real + 0.5)
        t = t - k
        a -= k * c
        b -= k * d
        if t.real * t.real + t.imag * t.imag < _INVERT_BELOW:
            t = NEG_ONE / t
            a, b, c, d = -c, -d, a, b
        else:
            return a, b, c, d
    raise ValueError("tau: reduction to the fundamental domain did not terminate")  # pragma: no cover


def _iterate(start: CArray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float64 reduction steps from ``start``; the int64 matrix that they compose.

    Translate by ``k = floor(x + 1/2)``, invert if ``|t|^2 < 1 - 1e-14``, repeat
    (docs/lattice-math.md §3). Only the matrix is kept: its image of ``tau`` is recomputed
    accurately by :func:`_image`.
    """
    n = start.size
    a = np.ones(n, dtype=np.int64)
    b = np.zeros(n, dtype=np.int64)
    c = np.zeros(n, dtype=np.int64)
    d = np.ones(n, dtype=np.int64)
    cur = CArray(start.real.copy(), start.imag.copy())
    active = np.arange(n)
    for _ in range(_MAX_STEPS):
        if active.size == 0:
            break
        t = cur[active]
        k = np.floor(t.real + 0.5)
        t = t - k
        ki = k.astype(np.int64)
        a[active] -= ki * c[active]
        b[active] -= ki * d[active]
        inv = (t.real * t.real + t.imag * t.imag) < _INVERT_BELOW
        if inv.any():
            t[inv] = NEG_ONE / t[inv]
        ai, bi = a[active].copy(), b[active].copy()
        ci, di = c[active].copy(), d[active].copy()
        a[active] = np.where(inv, -ci, ai)
        b[active] = np.where(inv, -di, bi)
        c[active] = np.where(inv, ai, ci)
        d[active] = np.where(inv, bi, di)
        cur[active] = t
        active = active[inv]
    else:  # pragma: no cover - cannot happen for Im tau >= MIN_IMAG (a few dozen steps)
        raise ValueError("tau: reduction to the fundamental domain did not terminate")
    return a, b, c, d


def _image(tau, a, b, c, d, xs, y0, guard: bool = True):
    """``tau_f = gamma tau`` and ``j = c tau + d`` from the matrix, to a few ulp.

    ``tau = xs + i y0`` (already translated); one point (Python numbers) or arrays. With
    ``guard``, refuses entries beyond ``2^53``, which float64 would round (they cannot
    occur for ``Im tau >= MIN_IMAG``).
    """
    if guard:
        if type(xs) is float:
            big = np.array([max(abs(a), abs(b), abs(c), abs(d)) > _EXACT_INT])
        else:
            big = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.maximum(np.abs(c), np.abs(d))) > _EXACT_INT
        if big.any():  # pragma: no cover - entries stay below 1/(2y) < 2^53 / 18 in the supported range
            raise _refuse(np.atleast_1d(tau), big, _TOO_BIG)
    num = _affine(a, b, xs, y0)
    j = _affine(c, d, xs, y0)
    tau_f = num / j
    # Im(gamma tau) = y / |j|^2 exactly; use it rather than the rounded quotient.
    im = y0 / (j.real * j.real + j.imag * j.imag)
    tau_f = complex(tau_f.real, im) if type(xs) is float else CArray(tau_f.real, im)
    return tau_f, j


def _outside_f(t):
    """Points further outside the fundamental domain than ``_F_SLACK`` plus their rounding.

    ``tau_f`` carries a few ulp of ``|tau_f|``, so far up the cusp (``|tau_f| > 2^50``)
    its real part is not resolved to 1/2 at all; there it does not matter either
    (``q = 0``, and :func:`transport` charges ``4 eps |tau_f|`` for it).
    """
    slack = _F_SLACK + 8.0 * _EPS * abs(t)
    re, im = t.real, t.imag
    return (abs(re) > 0.5 + slack) | (re * re + im * im < 1.0 - _F_SLACK)


def _compose_size(m2, m1) -> float:
    """Largest ``|p2 p1| + |q2 q1|`` of the product ``m2 @ m1`` (its entries must not wrap in int64)."""
    (a2, b2, c2, d2), (a1, b1, c1, d1) = m2, m1
    size = 0.0
    for p2, q2 in ((a2, b2), (c2, d2)):
        for p1, q1 in ((a1, c1), (b1, d1)):
            size = np.maximum(size, np.abs(p2 * np.asarray(p1, dtype=float)) + np.abs(q2 * np.asarray(q1, dtype=float)))
    return size


def _compose(m2, m1):
    """The matrix product ``m2 @ m1`` of two ``(a, b, c, d)``."""
    (a2, b2, c2, d2), (a1, b1, c1, d1) = m2, m1
    return a2 * a1 + b2 * c1, a2 * b1 + b2 * d1, c2 * a1 + d2 * c1, c2 * b1 + d2 * d1


def reduce_tau(tau) -> Reduction:
    """Map each ``tau`` to the fundamental domain of SL(2, Z) and return the matrix.

    Validates ``tau`` (:func:`as_tau_array`), then calls :func:`reduce_flat`.

    Parameters
    ----------
    tau : complex or array_like of complex
        Points of the upper half-plane, ``MIN_IMAG <= Im tau`` and ``|Re tau| <= 2**40``;
        flattened to shape (N,).

    Returns
    -------
    Reduction

    Raises
    ------
    ValueError
        As :func:`as_tau_array` (in particular ``Im tau < MIN_IMAG``).
    """
    flat, _ = as_tau_array(tau)
    red = reduce_flat(flat)
    return Reduction(
        tau_f=red.tau_f.to_numpy(), a=red.a, b=red.b, c=red.c, d=red.d, j=red.j.to_numpy(), tau=flat, y=red.y
    )


def reduce_flat(tau: np.ndarray) -> Reduced:
    """The reduction of a flat array already validated by :func:`as_tau_array`.

    Parameters
    ----------
    tau : ndarray of complex128, shape (N,)
        Validated points: finite, ``MIN_IMAG <= Im tau``, ``|Re tau| <= 2**40``.

    Returns
    -------
    Reduced
        ``tau_f``, the matrix entries and ``j = c tau + d`` (:class:`~kerker.lattice._arith.CArray`).
        The integer translation is applied first and exactly, so ``Re tau`` of order 100
        costs no digits; ``tau_f`` and ``j`` are recomputed from the matrix with exact
        products, so neither the rounding of the iteration nor the cancellation in
        ``c tau + d`` (``~ 1/Im tau``) costs digits: both are accurate to a few ulp.

    Notes
    -----
    Algorithm of docs/lattice-math.md §3: translate by ``k = floor(x + 1/2)``, invert if
    ``|tau|^2 < 1 - 1e-14``, repeat. Below ``Im tau ~ 1e-14`` the float64 iteration can
    end outside F (its real parts lose ``~ eps / Im tau``); such a point is reduced again
    from its accurately recomputed image and the matrices are composed. :func:`reduce_one`
    does the same for one point, with the same arithmetic.
    """
    x0 = tau.real.copy()
    y0 = tau.imag.copy()
    k0 = np.floor(x0 + 0.5)
    xs = x0 - k0  # exact (Sterbenz), |xs| <= 1/2
    guard = bool(tau.size) and float(y0.min()) < _GUARD_IMAG
    a, b, c, d = _iterate(CArray(xs, y0.copy()))
    tau_f, j = _image(tau, a, b, c, d, xs, y0, guard)
    for _ in range(_MAX_ROUNDS):
        out = np.flatnonzero(_outside_f(tau_f))
        if out.size == 0:
            break
        m2 = _iterate(tau_f[out])
        m1 = (a[out], b[out], c[out], d[out])
        size = _compose_size(m2, m1)
        if (size >= 2.0**62).any():  # pragma: no cover - the composed matrix is the reduction, |entries| < 2^53
            mask = np.zeros(tau.shape, dtype=bool)
            mask[out[size >= 2.0**62]] = True
            raise _refuse(tau, mask, _TOO_BIG)
        a[out], b[out], c[out], d[out] = _compose(m2, m1)
        tau_f[out], j[out] = _image(tau[out], a[out], b[out], c[out], d[out], xs[out], y0[out])
    else:  # pragma: no cover - one extra round suffices in every measured case
        raise _refuse(tau, _outside_f(tau_f), "its reduction to the fundamental domain did not converge")
    # fold the exact translation back into the matrix: gamma_total = gamma * T^{-k0};
    # int64 holds it (|a k0| stays near 2^53: x0 is a multiple of ulp(x0), which bounds
    # the continued fraction of xs), checked here rather than trusted
    k0i = k0.astype(np.int64)
    if guard:
        wide = np.maximum(np.abs(a), np.abs(c)) * np.abs(k0) + np.maximum(np.abs(b), np.abs(d)) >= 2.0**62
        if wide.any():  # pragma: no cover - see the comment above
            raise _refuse(tau, wide, "its reduction matrix with the translation folded in exceeds int64")
    b = b - a * k0i
    d = d - c * k0i
    cz = CArray(c.astype(float), np.zeros(c.shape))
    return Reduced(tau_f, a, b, c, d, j, cz, CArray(tau.real.copy(), tau.imag.copy()), y0)


def reduce_one(tau: complex) -> Reduced:
    """:func:`reduce_flat` for one validated point (:func:`scalar_tau`), in Python numbers.

    The same steps with the same floating-point operations, so ``tau_f`` and ``j`` equal
    the batched ones bit for bit; the integers are Python ints (no int64 overflow to
    guard, but the same size checks are made, with the same messages).
    """
    x0, y0 = tau.real, tau.imag
    k0 = math.floor(x0 + 0.5)
    xs = x0 - k0
    if 0.0 <= xs + 0.5 < 1.0 and xs * xs + y0 * y0 >= _INVERT_BELOW:
        # The iteration's first step has k = floor(xs + 1/2) = 0 (|xs| <= 1/2; checked, not
        # assumed) and this is its test: no inversion, gamma is the translation alone.
        # _image's exact products then give tau_f = xs + i y0 and j = 1 + 0j bit for bit
        # (x * 1 + 0 == x, the quotient by 1 + 0j is exact); the point is inside F.
        return Reduced(complex(xs, y0), 1, -k0, 0, 1, ONE, 0j, tau, y0, identity=True)
    guard = y0 < _GUARD_IMAG
    a, b, c, d = _iterate_one(complex(xs, y0))
    tau_f, j = _image(tau, a, b, c, d, xs, y0, guard)
    for _ in range(_MAX_ROUNDS):
        if not _outside_f(tau_f):
            break
        m2 = _iterate_one(tau_f)
        if _compose_size(m2, (a, b, c, d)) >= 2.0**62:  # pragma: no cover - as in reduce_flat
            raise _refuse(np.array([tau]), np.array([True]), _TOO_BIG)
        a, b, c, d = _compose(m2, (a, b, c, d))
        tau_f, j = _image(tau, a, b, c, d, xs, y0)
    else:  # pragma: no cover - as in reduce_flat
        raise _refuse(np.array([tau]), np.array([True]), "its reduction to the fundamental domain did not converge")
    if guard and max(abs(a), abs(c)) * abs(k0) + max(abs(b), abs(d)) >= 2.0**62:  # pragma: no cover
        raise _refuse(
            np.array([tau]), np.array([True]), "its reduction matrix with the translation folded in exceeds int64"
        )
    b = b - a * k0
    d = d - c * k0
    return Reduced(tau_f, a, b, c, d, j, complex(c, 0.0), tau, y0, identity=c == 0 and d == 1)


def transport(red: Reduced, alpha: int, beta: int, value_f, d_f, dbar_f, err_f):
    """Map a covariant function of type ``(alpha, beta)`` from ``tau_f`` back to ``tau``.

    ``f(tau) = j^-alpha conj(j)^-beta f(gamma tau)`` (docs/lattice-math.md §3, with ``alpha = (n - l)/2``,
    ``beta = (n + l)/2`` for ``S(n, l)``); the Wirtinger derivatives follow from
    ``d(gamma tau)/dtau = j^-2`` and ``dj/dtau = c``, so the reduction map itself is never
    differentiated:

        d f(tau)    = j^-a jb^-b [ j^-2  d f(tau_f)    - a c / j  f(tau_f) ]
        dbar f(tau) = j^-a jb^-b [ jb^-2 dbar f(tau_f) - b c / jb f(tau_f) ]

    Parameters
    ----------
    red : Reduced
        Output of :func:`reduce_flat` or :func:`reduce_one`.
    alpha, beta : int
        Holomorphic and antiholomorphic weights.
    value_f, d_f, dbar_f : complex or CArray (``value_f`` may be real)
        Value and Wirtinger derivatives at ``tau_f``.
    err_f : float or ndarray of float64
        Absolute error bound of ``value_f``.

    Returns
    -------
    value, d, dbar : complex or CArray
    err : float or ndarray of float64
        Transported bound plus the rounding of the law itself (``j`` has a few ulp,
        ``tau_f`` a few ulp of ``|tau_f|``).
    """
    sens = (abs(alpha) + abs(beta) + 4.0) * abs(value_f) + red.abs4 * (abs(d_f) + abs(dbar_f))
    if red.identity:  # one point, gamma a translation: j = 1, c/j = 0
        # the law below then multiplies by exactly 1 and subtracts exactly 0: the same values
        return value_f, d_f, dbar_f, err_f + _EPS4 * sens
    j = red.j
    jb = j.conjugate()
    fac = ipow(j, -alpha) * ipow(jb, -beta)
    cj = red.cz / j
    value = fac * value_f
    d = fac * (d_f / (j * j) - alpha * cj * value_f)
    dbar = fac * (dbar_f / (jb * jb) - beta * cj.conjugate() * value_f)
    err = abs(fac) * (err_f + _EPS4 * sens)
    return value, d, dbar, err


def transport_value(red: Reduced, alpha: int, beta: int, value_f):
    """The value part of :func:`transport` alone (the same operations): ``j^-alpha conj(j)^-beta value_f``."""
    if red.identity:
        return value_f
    j = red.j
    return ipow(j, -alpha) * ipow(j.conjugate(), -beta) * value_f
