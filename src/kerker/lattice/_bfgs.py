"""scipy's BFGS for two variables, ported to Python floats (no arrays, no wrappers).

``scipy.optimize.minimize(method="BFGS", jac=True)`` (scipy 1.16) spends about 40 us of
its own per objective evaluation on two variables (its ScalarFunction wrapper, NumPy on
2-vectors, the Python port of MINPACK-2's ``dcsrch``; measured in
``benchmarks/bench_lattice.py``), about three times the scalar objective. This module runs
the same algorithm on floats:

* the BFGS iteration of ``scipy.optimize._optimize._minimize_bfgs``: ``H0 = I``, initial
  previous value ``f0 + |g0|/2``, ``p = -H g``, stop when ``max|g| <= gtol``, on
  ``maxiter``, on a failed line search (precision loss) or a non-finite value; the inverse
  Hessian update ``H <- (I - rho s y^T) H (I - rho y s^T) + rho s s^T`` (``rho = 1000``
  if ``y.s = 0``);
* the line search of ``scalar_search_wolfe1``: first step
  ``min(1, 1.01 * 2 (f - f_prev) / (g.p))`` (1 if negative), then MINPACK-2's
  ``dcsrch``/``dcstep`` (More and Thuente, ACM TOMS 20 (1994) 286) with
  ``ftol = c1 = 1e-4``, ``gtol = c2 = 0.9``, ``xtol = 1e-14``, steps in
  ``[1e-100, 1e100]``, at most 100 trials; where it fails, scipy's own strong-Wolfe
  search (``scipy.optimize.line_search``) is called, as scipy does.

Every trial point costs one evaluation of value and gradient, as in scipy (its
ScalarFunction caches both at the last point evaluated; :class:`_LastPoint` does the
same). The line search is scipy's bit for bit; the BFGS steps agree to rounding (the dot
products are summed in a fixed order here, by BLAS there). ``tests/lattice/
test_lattice_bfgs.py`` compares steps, iterations, evaluations and optima with scipy's.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

_FTOL, _GTOL, _XTOL = 1e-4, 0.9, 1e-14  # c1, c2 (Wolfe) and the relative step tolerance
_STPMIN, _STPMAX = 1e-100, 1e100
_MAX_TRIALS = 100
_XTRAPL, _XTRAPU = 1.1, 4.0
_MESSAGES = {
    0: "Optimization terminated successfully.",
    1: "Maximum number of iterations has been exceeded.",
    2: "Desired error not necessarily achieved due to precision loss.",
    3: "NaN result encountered.",
}


@dataclass(frozen=True)
class BFGSResult:
    """Outcome of :func:`minimize_bfgs` (the fields of scipy's ``OptimizeResult`` used here).

    Attributes
    ----------
    x : tuple of two floats
        The last iterate.
    fun : float
        ``f(x)``.
    jac : tuple of two floats
        ``grad f(x)``.
    hess_inv : tuple of two tuples of floats
        The BFGS inverse-Hessian approximation (2 x 2, row-major).
    nit : int
        Iterations.
    status : int
        0 success, 1 iteration cap, 2 precision loss (line search failed), 3 NaN.
    message : str
        scipy's message for ``status``.
    """

    x: tuple
    fun: float
    jac: tuple
    hess_inv: tuple
    nit: int
    status: int
    message: str

    @property
    def success(self) -> bool:
        return self.status == 0


def _div(a: float, b: float) -> float:
    """``a / b`` with IEEE results (inf, nan) where Python would raise, as NumPy gives them."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else math.nan


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else math.nan))


def _clip(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else (hi if x > hi else x)


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """MINPACK-2 ``dcstep`` (scipy's ``_dcsrch.dcstep``): a safeguarded cubic/quadratic step."""
    sgnd = _sign(dp) * _sign(dx)
    if fp > fx:
        theta = _div(3.0 * (fx - fp), stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        ts = _div(theta, s)
        gamma = s * _sqrt(ts * ts - _div(dx, s) * _div(dp, s))
        if stp < stx:
            gamma = -gamma
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        stpc = stx + _div(p, q) * (stp - stx)
        stpq = stx + (_div(dx, _div(fx - fp, stp - stx) + dx) / 2.0) * (stp - stx)
        stpf = stpc if abs(stpc - stx) <= abs(stpq - stx) else stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        theta = _div(3.0 * (fx - fp), stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        ts = _div(theta, s)
        gamma = s * _sqrt(ts * ts - _div(dx, s) * _div(dp, s))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        stpc = stp + _div(p, q) * (stx - stp)
        stpq = stp + _div(dp, dp - dx) * (stx - stp)
        stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
        brackt = True
    elif abs(dp) < abs(dx):
        theta = _div(3.0 * (fx - fp), stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        ts = _div(theta, s)
        gamma = s * _sqrt(max(0, ts * ts - _div(dx, s) * _div(dp, s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = _div(p, q)
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + _div(dp, dp - dx) * (stx - stp)
        if brackt:
            stpf = stpc if abs(stpc - stp) < abs(stpq - stp) else stpq
            if stp > stx:
                stpf = min(stp + 0.66 * (sty - stp), stpf)
            else:
                stpf = max(stp + 0.66 * (sty - stp), stpf)
        else:
            stpf = stpc if abs(stpc - stp) > abs(stpq - stp) else stpq
            stpf = _clip(stpf, stpmin, stpmax)
    elif brackt:
        theta = _div(3.0 * (fp - fy), sty - stp) + dy + dp
        s = max(abs(theta), abs(dy), abs(dp))
        ts = _div(theta, s)
        gamma = s * _sqrt(ts * ts - _div(dy, s) * _div(dp, s))
        if stp > sty:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dy
        stpf = stp + _div(p, q) * (sty - stp)
    else:
        stpf = stpmax if stp > stx else stpmin
    if fp > fx:
        sty, fy, dy = stp, fp, dp
    else:
        if sgnd < 0:
            sty, fy, dy = stx, fx, dx
        stx, fx, dx = stp, fp, dp
    return stx, fx, dx, sty, fy, dy, stpf, brackt


def _dcsrch(trial, stp: float, finit: float, ginit: float):
    """MINPACK-2 ``dcsrch`` (scipy's ``DCSRCH``): a step with the strong Wolfe conditions.

    ``trial(stp) -> (phi, dphi)`` evaluates the objective along the search direction.
    Returns ``(stp, phi)`` of the accepted step, or ``(None, phi)`` where the search fails
    (a warning of ``dcsrch``, a non-finite step, or scipy's 100 passes: 99 tested trials
    and a last one it evaluates but does not test).
    """
    if stp < _STPMIN or stp > _STPMAX or ginit >= 0:  # scipy's "ERROR" exits
        return None, finit
    brackt, stage = False, 1
    gtest = _FTOL * ginit
    width = _STPMAX - _STPMIN
    width1 = width / 0.5
    stx, fx, gx = 0.0, finit, ginit
    sty, fy, gy = 0.0, finit, ginit
    stmin, stmax = 0.0, stp + _XTRAPU * stp
    f = finit
    for i in range(_MAX_TRIALS):
        if not math.isfinite(stp):
            return None, f
        f, g = trial(stp)
        if i == _MAX_TRIALS - 1:  # scipy's loop ends on this evaluation, untested: failure
            return None, f
        ftest = finit + stp * gtest
        if stage == 1 and f <= ftest and g >= 0:
            stage = 2
        warn = (
            (brackt and (stp <= stmin or stp >= stmax))
            or (brackt and stmax - stmin <= _XTOL * stmax)
            or (stp == _STPMAX and f <= ftest and g <= gtest)
            or (stp == _STPMIN and (f > ftest or g >= gtest))
        )
        if f <= ftest and abs(g) <= _GTOL * -ginit:
            return stp, f  # convergence (scipy lets it override a warning)
        if warn:
            return None, f
        if stage == 1 and f <= fx and f > ftest:  # the modified function of stage 1
            stx, fxm, gxm, sty, fym, gym, stp, brackt = _dcstep(
                stx, fx - stx * gtest, gx - gtest, sty, fy - sty * gtest, gy - gtest,
                stp, f - stp * gtest, g - gtest, brackt, stmin, stmax,
            )  # fmt: skip
            fx, fy = fxm + stx * gtest, fym + sty * gtest
            gx, gy = gxm + gtest, gym + gtest
        else:
            stx, fx, gx, sty, fy, gy, stp, brackt = _dcstep(
                stx, fx, gx, sty, fy, gy, stp, f, g, brackt, stmin, stmax
            )
        if brackt:
            if abs(sty - stx) >= 0.66 * width1:
                stp = stx + 0.5 * (sty - stx)
            width1 = width
            width = abs(sty - stx)
            stmin, stmax = min(stx, sty), max(stx, sty)
        else:
            stmin = stp + _XTRAPL * (stp - stx)
            stmax = stp + _XTRAPU * (stp - stx)
        stp = _clip(stp, _STPMIN, _STPMAX)
        if brackt and (stp <= stmin or stp >= stmax) or (brackt and stmax - stmin <= _XTOL * stmax):
            stp = stx
    return None, f


class _LastPoint:
    """``fg`` with scipy's ScalarFunction cache: the last point evaluated is not evaluated again."""

    __slots__ = ("fg", "x", "fgx")

    def __init__(self, fg):
        self.fg, self.x, self.fgx = fg, None, None

    def __call__(self, x):
        if x != self.x:
            self.x, self.fgx = x, self.fg(x)
        return self.fgx


def _wolfe2(fg, x, p, g, f, f_prev):
    """scipy's fallback line search (``scipy.optimize.line_search``) on ``fg`` (a :class:`_LastPoint`)."""
    import numpy as np
    from scipy.optimize import line_search

    try:  # scipy silences its own LineSearchWarning here; it is a RuntimeWarning
        from scipy.optimize._linesearch import LineSearchWarning
    except ImportError:  # pragma: no cover - a later scipy
        LineSearchWarning = RuntimeWarning

    def both(v):
        return fg((float(v[0]), float(v[1])))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LineSearchWarning)
        alpha, _, _, f_new, _, g_new = line_search(
            lambda v: both(v)[0], lambda v: np.array(both(v)[1]), np.array(x), np.array(p), np.array(g), f, f_prev,
            c1=_FTOL, c2=_GTOL, amax=_STPMAX,
        )  # fmt: skip
    if alpha is None:
        return None, None, None
    return float(alpha), float(f_new), None if g_new is None else (float(g_new[0]), float(g_new[1]))


class _Line:
    """``s -> (f, f')`` along ``x + s p``, keeping the last gradient (scipy's ``phi``, ``derphi``)."""

    __slots__ = ("fg", "x0", "x1", "p0", "p1", "g")

    def __init__(self, fg, x, p):
        self.fg, self.x0, self.x1, self.p0, self.p1, self.g = fg, x[0], x[1], p[0], p[1], None

    def __call__(self, s):
        f, g = self.fg((self.x0 + s * self.p0, self.x1 + s * self.p1))
        self.g = g
        return f, g[0] * self.p0 + g[1] * self.p1


def minimize_bfgs(fg, x0, gtol: float = 1e-5, maxiter: int | None = None, callback=None) -> BFGSResult:
    """Minimise ``f`` of two variables with scipy's BFGS (module docstring), in floats.

    Parameters
    ----------
    fg : callable
        ``fg((x0, x1)) -> (f, (g0, g1))``: value and gradient, floats.
    x0 : sequence of two floats
        Start.
    gtol : float
        Stop when ``max(|g0|, |g1|) <= gtol``.
    maxiter : int, optional
        Iteration cap (scipy's default ``200 * 2``).
    callback : callable, optional
        Called as ``callback((x0, x1))`` after each iteration.

    Returns
    -------
    BFGSResult
    """
    maxiter = 400 if maxiter is None else int(maxiter)
    fg = _LastPoint(fg)
    x = (float(x0[0]), float(x0[1]))
    f, g = fg(x)
    h = ((1.0, 0.0), (0.0, 1.0))
    f_prev = f + math.sqrt(g[0] * g[0] + g[1] * g[1]) / 2.0
    gnorm = max(abs(g[0]), abs(g[1]))
    k, status = 0, 0
    while gnorm > gtol and k < maxiter:
        p = (-(h[0][0] * g[0] + h[0][1] * g[1]), -(h[1][0] * g[0] + h[1][1] * g[1]))
        slope = g[0] * p[0] + g[1] * p[1]
        alpha1 = 1.0
        if slope != 0:
            alpha1 = min(1.0, 1.01 * 2 * (f - f_prev) / slope)
            if alpha1 < 0:
                alpha1 = 1.0
        line = _Line(fg, x, p)
        alpha, f_new = _dcsrch(line, alpha1, f, slope)
        g_new = line.g
        if alpha is None:
            alpha, f_new, g_new = _wolfe2(fg, x, p, g, f, f_prev)
            if alpha is None:
                status = 2
                break
        s = (alpha * p[0], alpha * p[1])
        x = (x[0] + s[0], x[1] + s[1])
        if g_new is None:
            g_new = fg(x)[1]
        y = (g_new[0] - g[0], g_new[1] - g[1])
        g = g_new
        f_prev, f = f, f_new
        k += 1
        if callback is not None:
            callback(x)
        gnorm = max(abs(g[0]), abs(g[1]))
        if gnorm <= gtol:
            break
        if alpha * math.sqrt(p[0] * p[0] + p[1] * p[1]) <= 0.0:  # scipy's xrtol = 0 test
            break
        if not math.isfinite(f):
            status = 2
            break
        rho_inv = y[0] * s[0] + y[1] * s[1]
        rho = 1000.0 if rho_inv == 0.0 else 1.0 / rho_inv
        h = _update(h, s, y, rho)
    if status != 2:
        if k >= maxiter:
            status = 1
        elif math.isnan(gnorm) or math.isnan(f) or math.isnan(x[0]) or math.isnan(x[1]):
            status = 3
    return BFGSResult(x=x, fun=f, jac=g, hess_inv=h, nit=k, status=status, message=_MESSAGES[status])


def _update(h, s, y, rho):
    """``(I - rho s y^T) H (I - rho y s^T) + rho s s^T`` for 2 x 2 ``H`` (``A2 = A1^T``)."""
    (h00, h01), (h10, h11) = h
    s0, s1 = s
    a00, a01 = 1.0 - rho * s0 * y[0], -rho * s0 * y[1]
    a10, a11 = -rho * s1 * y[0], 1.0 - rho * s1 * y[1]
    # B = H A1^T
    b00, b01 = h00 * a00 + h01 * a01, h00 * a10 + h01 * a11
    b10, b11 = h10 * a00 + h11 * a01, h10 * a10 + h11 * a11
    rs0, rs1 = rho * s0, rho * s1
    return (
        (a00 * b00 + a01 * b10 + rs0 * s0, a00 * b01 + a01 * b11 + rs0 * s1),
        (a10 * b00 + a11 * b10 + rs1 * s0, a10 * b01 + a11 * b11 + rs1 * s1),
    )
