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

from dataclasses import dataclass

import numpy as np

# |tau|^2 < 1 - _ARC_SLACK triggers an inversion; the slack keeps points on the unit arc
# (rounded to either side in float64) from cycling forever between tau and -1/tau.
_ARC_SLACK = 1e-14
_MAX_STEPS = 10_000
# Veltkamp split constant 2**27 + 1: x = hi + lo with hi carrying 26 significant bits.
_SPLIT = 134217729.0
_EPS = float(np.finfo(float).eps)
# Smallest supported Im(tau): the reduction matrix (entries <= 2/y + 0.54/sqrt(y)) stays
# exact in float64 (<= 2^53) with a factor 4 to spare (module docstring).
MIN_IMAG = 1e-15
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


def _split(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp split ``v = head + tail`` with 26 significant bits in ``head``."""
    t = _SPLIT * v
    head = t - (t - v)
    return head, v - head


def _exact_affine(c: np.ndarray, x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return ``c * x + d`` for integers ``|c| <= 2^26``, ``|d| <= 2^53``, ``|x| <= 1/2``.

    ``x`` is split (Veltkamp) into a 26-bit head and a tail so that ``c * head`` and
    ``c * tail`` are exact; ``c * head + d`` is exact too unless it is far larger than
    ``c * tail``, so the result is within two units in the last place of ``c x + d``
    however much ``c x`` and ``d`` cancel.
    """
    head, tail = _split(x)
    return (c * head + d) + c * tail


def _two_product_affine(c: np.ndarray, x: np.ndarray, d: np.ndarray) -> np.ndarray:
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
    cf = c.astype(float)
    re = _exact_affine(cf, x, d.astype(float))
    big = np.abs(cf) > _VELTKAMP_INT
    if big.any():
        re[big] = _two_product_affine(cf[big], x[big], d[big].astype(float))
    return re + 1j * (c * y)


def _iterate(start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float64 reduction steps from ``start``; the int64 matrix that they compose.

    Translate by ``k = floor(x + 1/2)``, invert if ``|t|^2 < 1 - 1e-14``, repeat
    (docs/lattice-math.md §3). Only the matrix is kept: its image of ``tau`` is recomputed
    accurately by :func:`_image`.
    """
    n = start.shape[0]
    a = np.ones(n, dtype=np.int64)
    b = np.zeros(n, dtype=np.int64)
    c = np.zeros(n, dtype=np.int64)
    d = np.ones(n, dtype=np.int64)
    cur = start.copy()
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
        inv = (t.real * t.real + t.imag * t.imag) < 1.0 - _ARC_SLACK
        t = np.where(inv, -1.0 / np.where(inv, t, 1.0), t)
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


def _refuse(tau: np.ndarray, mask: np.ndarray, rule: str) -> ValueError:
    """A ValueError naming ``tau``, the rule and the first offending entry."""
    i = int(np.argmax(mask))
    return ValueError(f"tau: {rule}; received tau={complex(tau[i])} at flat index {i}")


def check_finite(tau: np.ndarray, what: str, *arrays) -> None:
    """Refuse a result that is not finite in float64 rather than return inf or NaN.

    Parameters
    ----------
    tau : ndarray of complex128, shape (N,)
        The points, for the message.
    what : str
        What was computed, e.g. ``"S(4, 0)"``.
    *arrays : ndarray, shape (N,) (or (N, ...))
        Value, derivatives and error bound at those points.

    Raises
    ------
    ValueError
        Naming ``tau``, the rule and the first point where an entry is inf or NaN.
    """
    bad = np.zeros(tau.shape, dtype=bool)
    for arr in arrays:
        fin = np.isfinite(arr)
        bad |= ~fin.reshape(tau.size, -1).all(axis=-1) if fin.ndim > 1 else ~fin
    if bad.any():
        raise _refuse(
            tau,
            bad,
            f"{what}, its derivatives and error bound must be finite in float64, and there they overflow"
            " (they grow like |c tau + d|^-n next to a rational and like a power of Im tau at the cusp)",
        )


def _image(tau, a, b, c, d, xs, y0, guard: bool = True):
    """``tau_f = gamma tau`` and ``j = c tau + d`` from the matrix, to a few ulp.

    ``tau = xs + i y0`` (already translated). With ``guard``, refuses entries beyond
    ``2^53``, which float64 would round (they cannot occur for ``Im tau >= MIN_IMAG``).
    """
    if guard:
        big = np.maximum(np.maximum(np.abs(a), np.abs(b)), np.maximum(np.abs(c), np.abs(d))) > _EXACT_INT
        if big.any():  # pragma: no cover - entries stay below 1/(2y) < 2^53 / 18 in the supported range
            raise _refuse(tau, big, _TOO_BIG)
    num = _affine(a, b, xs, y0)
    j = _affine(c, d, xs, y0)
    tau_f = num / j
    # Im(gamma tau) = y / |j|^2 exactly; use it rather than the rounded quotient.
    tau_f = tau_f.real + 1j * (y0 / (j.real * j.real + j.imag * j.imag))
    return tau_f, j


def _outside_f(t: np.ndarray) -> np.ndarray:
    """Points further outside the fundamental domain than ``_F_SLACK`` plus their rounding.

    ``tau_f`` carries a few ulp of ``|tau_f|``, so far up the cusp (``|tau_f| > 2^50``)
    its real part is not resolved to 1/2 at all; there it does not matter either
    (``q = 0``, and :func:`transport` charges ``4 eps |tau_f|`` for it).
    """
    slack = _F_SLACK + 8.0 * _EPS * np.abs(t)
    return (np.abs(t.real) > 0.5 + slack) | (t.real * t.real + t.imag * t.imag < 1.0 - _F_SLACK)


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
    return reduce_flat(flat)


def reduce_flat(tau: np.ndarray) -> Reduction:
    """:func:`reduce_tau` for a flat array already validated by :func:`as_tau_array`.

    Parameters
    ----------
    tau : ndarray of complex128, shape (N,)
        Validated points: finite, ``MIN_IMAG <= Im tau``, ``|Re tau| <= 2**40``.

    Returns
    -------
    Reduction
        ``tau_f``, the matrix entries and ``j = c tau + d``. The integer translation is
        applied first and exactly, so ``Re tau`` of order 100 costs no digits; ``tau_f``
        and ``j`` are recomputed from the matrix with exact products, so neither the
        rounding of the iteration nor the cancellation in ``c tau + d`` (``~ 1/Im tau``)
        costs digits: both are accurate to a few ulp.

    Notes
    -----
    Algorithm of docs/lattice-math.md §3: translate by ``k = floor(x + 1/2)``, invert if
    ``|tau|^2 < 1 - 1e-14``, repeat. Below ``Im tau ~ 1e-14`` the float64 iteration can
    end outside F (its real parts lose ``~ eps / Im tau``); such a point is reduced again
    from its accurately recomputed image and the matrices are composed.
    """
    x0 = tau.real.copy()
    y0 = tau.imag.copy()
    k0 = np.floor(x0 + 0.5)
    xs = x0 - k0  # exact (Sterbenz), |xs| <= 1/2
    guard = bool(tau.size) and float(y0.min()) < _GUARD_IMAG
    a, b, c, d = _iterate(xs + 1j * y0)
    tau_f, j = _image(tau, a, b, c, d, xs, y0, guard)
    for _ in range(_MAX_ROUNDS):
        out = np.flatnonzero(_outside_f(tau_f))
        if out.size == 0:
            break
        a2, b2, c2, d2 = _iterate(tau_f[out])
        a1, b1, c1, d1 = a[out], b[out], c[out], d[out]
        # the products must not wrap around in int64 (their float64 magnitudes decide)
        size = np.zeros(out.size)
        for p2, q2 in ((a2, b2), (c2, d2)):
            for p1, q1 in ((a1, c1), (b1, d1)):
                size = np.maximum(size, np.abs(p2.astype(float) * p1) + np.abs(q2.astype(float) * q1))
        if (size >= 2.0**62).any():  # pragma: no cover - the composed matrix is the reduction, |entries| < 2^53
            mask = np.zeros(tau.shape, dtype=bool)
            mask[out[size >= 2.0**62]] = True
            raise _refuse(tau, mask, _TOO_BIG)
        a[out], b[out] = a2 * a1 + b2 * c1, a2 * b1 + b2 * d1
        c[out], d[out] = c2 * a1 + d2 * c1, c2 * b1 + d2 * d1
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
    return Reduction(tau_f=tau_f, a=a, b=b, c=c, d=d, j=j, tau=tau, y=y0)


# |Re tau| beyond this would overflow the int64 matrix entries after translation.
_MAX_ABS_REAL = 2.0**40


def as_tau_array(tau, name: str = "tau") -> tuple[np.ndarray, tuple]:
    """Validate ``tau`` (upper half-plane, finite) and return it flattened with its shape.

    Parameters
    ----------
    tau : complex or array_like of complex
        Modular parameter(s), any shape.
    name : str
        Argument name used in error messages.

    Returns
    -------
    flat : ndarray of complex128, shape (N,)
    shape : tuple
        Original shape, ``()`` for a scalar.

    Raises
    ------
    TypeError
        If ``tau`` is not numeric.
    ValueError
        If any entry is NaN or infinite, has ``Im tau <= 0``, ``Im tau < MIN_IMAG = 1e-15``
        (module docstring: below it float64 cannot reduce ``tau`` exactly) or
        ``|Re tau| > 2**40``.
    """
    arr = np.asarray(tau)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{name}: must be a complex number or array of them; received dtype {arr.dtype}")
    shape = arr.shape
    flat = arr.astype(complex).ravel()
    finite = np.isfinite(flat)
    if not finite.all():
        raise ValueError(
            f"{name}: every entry must be finite (no NaN or inf); received {complex(flat[~finite][0])}"
            f" at flat index {int(np.argmin(finite))}"
        )
    lower = flat.imag <= 0
    if lower.any():
        raise ValueError(
            f"{name}: Im(tau) must be > 0 (upper half-plane); received tau={complex(flat[lower][0])}"
            f" at flat index {int(np.argmax(lower))}"
        )
    tiny = flat.imag < MIN_IMAG
    if tiny.any():
        raise ValueError(
            f"{name}: Im(tau) must be >= {MIN_IMAG:g} (supported range): below it the SL(2, Z) reduction of tau"
            " needs integer matrix entries beyond 2^53 (they grow like 1/(2 Im tau)), which float64 cannot"
            f" hold exactly, so no certified value exists; received tau={complex(flat[tiny][0])}"
            f" at flat index {int(np.argmax(tiny))}"
        )
    far = np.abs(flat.real) > _MAX_ABS_REAL
    if far.any():
        raise ValueError(f"{name}: |Re(tau)| must be <= 2**40; received tau={complex(flat[far][0])}")
    return flat, shape


def transport(red: Reduction, alpha: int, beta: int, value_f, d_f, dbar_f, err_f):
    """Map a covariant function of type ``(alpha, beta)`` from ``tau_f`` back to ``tau``.

    ``f(tau) = j^-alpha conj(j)^-beta f(gamma tau)`` (docs/lattice-math.md §3, with ``alpha = (n - l)/2``,
    ``beta = (n + l)/2`` for ``S(n, l)``); the Wirtinger derivatives follow from
    ``d(gamma tau)/dtau = j^-2`` and ``dj/dtau = c``, so the reduction map itself is never
    differentiated:

        d f(tau)    = j^-a jb^-b [ j^-2  d f(tau_f)    - a c / j  f(tau_f) ]
        dbar f(tau) = j^-a jb^-b [ jb^-2 dbar f(tau_f) - b c / jb f(tau_f) ]

    Parameters
    ----------
    red : Reduction
        Output of :func:`reduce_tau`.
    alpha, beta : int
        Holomorphic and antiholomorphic weights.
    value_f, d_f, dbar_f : ndarray of complex128, shape (N,)
        Value and Wirtinger derivatives at ``tau_f``.
    err_f : ndarray of float64, shape (N,)
        Absolute error bound of ``value_f``.

    Returns
    -------
    value, d, dbar : ndarray of complex128, shape (N,)
    err : ndarray of float64, shape (N,)
        Transported bound plus the rounding of the law itself (``j`` has a few ulp,
        ``tau_f`` a few ulp of ``|tau_f|``).
    """
    j = red.j
    jb = np.conj(j)
    fac = j ** (-alpha) * jb ** (-beta)
    cj = red.c / j
    value = fac * value_f
    d = fac * (d_f / (j * j) - alpha * cj * value_f)
    dbar = fac * (dbar_f / (jb * jb) - beta * np.conj(cj) * value_f)
    sens = (abs(alpha) + abs(beta) + 4.0) * np.abs(value_f) + 4.0 * np.abs(red.tau_f) * (np.abs(d_f) + np.abs(dbar_f))
    err = np.abs(fac) * (err_f + 4.0 * _EPS * sens)
    return value, d, dbar, err
