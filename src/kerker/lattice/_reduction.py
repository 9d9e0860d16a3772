"""SL(2, Z) reduction of ``tau`` to the fundamental domain, with the matrix that does it.

Reference: docs/lattice-math.md §3 (Apostol, *Modular Functions and Dirichlet Series*, §2.3).
The reduction returns integers ``(a, b, c, d)`` with ``ad - bc = 1`` and
``tau_f = (a tau + b) / (c tau + d)``; every law that maps a value at ``tau_f`` back to
``tau`` needs only ``j = c tau + d`` and ``c``. The map is piecewise constant, so nothing
ever differentiates it: derivatives are transported by the exact weight laws instead.
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


def _exact_affine(c: np.ndarray, x: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Return ``c * x + d`` for small integers ``c, d`` and float ``x`` with one rounding.

    ``x`` is split (Veltkamp) into a 26-bit head and a tail so that ``c * head + d`` is
    exact in float64; only the final addition of ``c * tail`` rounds.
    """
    t = _SPLIT * x
    head = t - (t - x)
    tail = x - head
    return (c * head + d) + c * tail


def _affine(c, d, x, y):
    """``c tau + d`` for ``tau = x + iy`` with each component accurate to one ulp."""
    return _exact_affine(c.astype(float), x, d.astype(float)) + 1j * (c * y)


def reduce_tau(tau: np.ndarray) -> Reduction:
    """Map each ``tau`` to the fundamental domain of SL(2, Z) and return the matrix.

    Parameters
    ----------
    tau : ndarray of complex128, shape (N,)
        Points of the upper half-plane (validated by the caller: finite, ``Im tau > 0``).

    Returns
    -------
    Reduction
        ``tau_f``, the matrix entries and ``j = c tau + d``. The integer translation is
        applied first and exactly, so ``Re tau`` of order 100 costs no digits; ``tau_f``
        is recomputed from the matrix so iteration rounding does not accumulate.

    Notes
    -----
    Algorithm of docs/lattice-math.md §3: translate by ``k = floor(x + 1/2)``, invert if
    ``|tau|^2 < 1 - 1e-14``, repeat.
    """
    tau = np.asarray(tau, dtype=complex)
    x0 = tau.real.copy()
    y0 = tau.imag.copy()
    k0 = np.floor(x0 + 0.5)
    xs = x0 - k0  # exact (Sterbenz), |xs| <= 1/2
    ts = xs + 1j * y0
    n = ts.shape[0]
    a = np.ones(n, dtype=np.int64)
    b = np.zeros(n, dtype=np.int64)
    c = np.zeros(n, dtype=np.int64)
    d = np.ones(n, dtype=np.int64)
    cur = ts.copy()
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
    else:  # pragma: no cover - needs Im tau below ~1e-300
        raise ValueError("tau: reduction to the fundamental domain did not terminate; Im(tau) is too small")
    num = _affine(a, b, xs, y0)
    j = _affine(c, d, xs, y0)
    tau_f = num / j
    # Im(gamma tau) = y / |j|^2 exactly; use it rather than the rounded quotient.
    tau_f = tau_f.real + 1j * (y0 / (j.real * j.real + j.imag * j.imag))
    # fold the exact translation back into the matrix: gamma_total = gamma * T^{-k0}
    k0i = k0.astype(np.int64)
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
        If any entry is NaN or infinite, has ``Im tau <= 0``, or ``|Re tau| > 2**40``.
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
