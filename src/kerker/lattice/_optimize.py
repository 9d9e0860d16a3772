"""BFGS on the anisotropy objective: analytic gradient vs forward and central differences.

Reference: docs/lattice-math.md §7 (objective, optimum ``tau*``, BFGS comparison) and §8.7
(the paper's 18 vs 91 evaluations are central differences at equal iterations).
BFGS minimises ``-J``; every objective evaluation is counted, a value+gradient call of the
analytic method as one, a finite-difference gradient as 2 (forward) or 4 (central) extra
values. The objective is evaluated on the scalar path (one ``tau`` per call, Python
numbers). The optimiser is scipy's BFGS, either run by scipy (``engine="scipy"``) or, by
default, its port to floats in :mod:`kerker.lattice._bfgs` (``engine="kerker"``): the same
algorithm without scipy's ~40 us of overhead per evaluation.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from kerker.lattice._bfgs import minimize_bfgs
from kerker.lattice._objective import J_STAR, TAU_STAR, objective_arrays, objective_one
from kerker.lattice._reduction import MIN_IMAG, reduce_tau, scalar_tau

GRADIENTS = ("analytic", "forward", "central")
ENGINES = ("kerker", "scipy")
_EPS = float(np.finfo(float).eps)
# Outside the upper half-plane J is undefined; a line search probing there sees a wall.
_WALL = 1e6


@dataclass(frozen=True)
class OptimizeConfig:
    """Configuration of one BFGS comparison.

    Attributes
    ----------
    kappa : float
        Core-repulsion strength of J (docs/lattice-math.md §7), ``>= 0``; ``tau*`` is known for 1.
    n_starts : int
        Number of random starts, ``>= 1`` (the issue asks for ``>= 8``).
    seed : int
        Seed of the start generator (``numpy.random.default_rng``).
    gtol : float
        scipy BFGS gradient tolerance (inf-norm of the gradient of ``-J``), ``> 0``.
    max_iter : int
        Iteration cap per run.
    forward_step, central_step : float
        Relative finite-difference steps, scaled by ``max(1, |v_i|)``; defaults
        ``sqrt(eps)`` and ``eps^(1/3)``.
    region : tuple of float
        ``(x_min, x_max, y_min, y_max)`` of the start box (dimensionless tau).
    line_margin : float
        Starts closer than this to a symmetry line (``x`` in Z/2, ``|tau - k| = 1``)
        (which pass through every image of ``i`` and ``exp(i pi/3)``) are redrawn: the
        gradient is tangent there, so BFGS would stay on the line (docs/lattice-math.md §7.3).
    polish_steps : int
        After BFGS stops, up to this many quasi-Newton steps ``v <- v - H^-1 g`` with
        BFGS's own inverse Hessian, each accepted only if ``|g|`` decreases. Near the
        optimum J's float64 rounding (~1e-15) hides the decrease that the Armijo test
        needs once ``|g| < ~1e-7``, so BFGS stops with "precision loss"; accepting on
        the gradient norm lets an accurate gradient finish the job. Same for all methods.
    engine : {"kerker", "scipy"}
        Who runs scipy's BFGS: its float port :func:`kerker.lattice._bfgs.minimize_bfgs`
        (default, about 20 times less overhead) or ``scipy.optimize.minimize`` itself.
    warm_up : bool
        Run every start once untimed before the timed pass, so that the reported times
        are BFGS's own and not the one-time set-up of a fresh process (generated code,
        truncation caches); the untimed pass's wall time is reported as ``cold_wall_time``.
        The runs are deterministic: both passes give the same results.
    """

    kappa: float = 1.0
    n_starts: int = 8
    seed: int = 20260501
    gtol: float = 1e-5
    max_iter: int = 400
    forward_step: float = float(np.sqrt(_EPS))
    central_step: float = float(_EPS ** (1.0 / 3.0))
    region: tuple = (-1.0, 1.0, 0.7, 2.2)
    line_margin: float = 0.04
    polish_steps: int = 3
    engine: str = "kerker"
    warm_up: bool = True

    def __post_init__(self):
        if not (np.isfinite(self.kappa) and self.kappa >= 0):
            raise ValueError(f"kappa: must be finite and >= 0; received {self.kappa!r}")
        if int(self.n_starts) < 1:
            raise ValueError(f"n_starts: must be >= 1; received {self.n_starts!r}")
        if not (self.gtol > 0):
            raise ValueError(f"gtol: must be > 0; received {self.gtol!r}")
        if int(self.polish_steps) < 0:
            raise ValueError(f"polish_steps: must be >= 0; received {self.polish_steps!r}")
        if int(self.max_iter) < 1:
            raise ValueError(f"max_iter: must be >= 1; received {self.max_iter!r}")
        if self.engine not in ENGINES:
            raise ValueError(f"engine: must be one of {ENGINES}; received {self.engine!r}")
        for name in ("forward_step", "central_step"):
            h = getattr(self, name)
            if not (0 < h < 1):
                raise ValueError(f"{name}: must lie in (0, 1); received {h!r}")
        x0, x1, y0, y1 = self.region
        if not (x0 < x1 and 0 < y0 < y1):
            raise ValueError(f"region: must be (x_min < x_max, 0 < y_min < y_max); received {self.region!r}")


@dataclass(frozen=True)
class OptimizeRun:
    """One BFGS run (one start). ``wall_time``: seconds of wall clock for BFGS and polish.

    ``history`` holds ``(evaluations, x, y, J)`` after each iteration.
    """

    gradient: str
    start: complex
    iterations: int
    evaluations: int
    wall_time: float
    final_tau: complex
    final_value: float
    distance: float
    success: bool
    message: str
    history: list = field(repr=False)


def distance_to_optimum(tau: complex) -> float:
    """Distance from the reduction of ``tau`` to ``tau*`` or its translate ``tau* - 1``."""
    tf = complex(reduce_tau(np.array([complex(tau)])).tau_f[0])
    return float(min(abs(tf - TAU_STAR), abs(tf + 1 - TAU_STAR), abs(np.conj(tf) * -1 - TAU_STAR + 0j)))


def _near_line(tau: complex, margin: float) -> bool:
    x = tau.real
    if abs(2 * x - np.round(2 * x)) < 2 * margin:
        return True
    k = np.round(x)
    for kk in (k - 1, k, k + 1):
        if abs(abs(tau - kk) - 1.0) < margin:
            return True
    return False


def starting_points(config: OptimizeConfig) -> list[complex]:
    """``n_starts`` seeded starts in ``region``, away from symmetry lines and from i, rho."""
    rng = np.random.default_rng(config.seed)
    x0, x1, y0, y1 = config.region
    out: list[complex] = []
    while len(out) < config.n_starts:
        t = complex(rng.uniform(x0, x1), rng.uniform(y0, y1))
        if not _near_line(t, config.line_margin):
            out.append(t)
    return out


def _point(v) -> complex:
    """``tau = v[0] + i v[1]`` validated for the scalar path (the batched path's checks and errors)."""
    return scalar_tau(complex(float(v[0]), float(v[1])))[0]


class _Counted:
    """``-J`` and its gradient (analytic or finite-difference), counting evaluations."""

    def __init__(self, kappa: float, gradient: str, config: OptimizeConfig):
        self.kappa = kappa
        self.gradient = gradient
        self.config = config
        self.evaluations = 0

    def _value(self, v) -> float:
        self.evaluations += 1
        if v[1] < MIN_IMAG:  # below the supported range (docs/lattice-math.md §3): a wall
            return _WALL
        value, _ = objective_one(_point(v), self.kappa, with_grad=False)
        return -value

    def fg(self, v) -> tuple:
        """``(-J, grad(-J))`` at ``v = (x, y)``: floats, the gradient a pair."""
        if self.gradient == "analytic":
            self.evaluations += 1
            if v[1] < MIN_IMAG:
                return _WALL, (0.0, -1.0)
            value, d = objective_one(_point(v), self.kappa)
            return -value, (-2.0 * d.real, 2.0 * d.imag)
        f0 = self._value(v)
        g = []
        for i in range(2):
            up, down = list(v), list(v)
            if self.gradient == "forward":
                h = self.config.forward_step * max(1.0, abs(v[i]))
                up[i] = v[i] + h
                g.append((self._value(up) - f0) / h)
            else:
                h = self.config.central_step * max(1.0, abs(v[i]))
                up[i], down[i] = v[i] + h, v[i] - h
                g.append((self._value(up) - self._value(down)) / (2.0 * h))
        return f0, (g[0], g[1])

    def for_scipy(self, v):
        """:meth:`fg` in scipy's calling convention (arrays)."""
        f, g = self.fg((float(v[0]), float(v[1])))
        return f, np.array(g)


def _bfgs(fun: _Counted, v0: tuple, config: OptimizeConfig, record):
    """scipy's BFGS on ``fun`` by the configured engine: ``(x, f, inverse Hessian, nit, success, message)``."""
    if config.engine == "scipy":
        from scipy.optimize import minimize

        res = minimize(
            fun.for_scipy, np.array(v0), jac=True, method="BFGS", callback=record,
            options={"gtol": config.gtol, "maxiter": config.max_iter},
        )  # fmt: skip
        h = tuple(tuple(float(c) for c in row) for row in res.hess_inv)
        return (float(res.x[0]), float(res.x[1])), float(res.fun), h, int(res.nit), bool(res.success), str(res.message)
    res = minimize_bfgs(fun.fg, v0, gtol=config.gtol, maxiter=config.max_iter, callback=record)
    return res.x, res.fun, res.hess_inv, res.nit, res.success, res.message


def run_bfgs(start: complex, gradient: str, config: OptimizeConfig) -> OptimizeRun:
    """One BFGS run maximising ``J`` from ``start`` with the chosen gradient.

    Parameters
    ----------
    start : complex
        Starting ``tau`` (``Im > 0``).
    gradient : {"analytic", "forward", "central"}
        Gradient source.
    config : OptimizeConfig

    Returns
    -------
    OptimizeRun
        ``wall_time`` covers BFGS and the polish (perf_counter wall clock).
    """
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient: must be one of {GRADIENTS}; received {gradient!r}")
    fun = _Counted(config.kappa, gradient, config)
    history = []

    def record(v):
        # J along the path is evaluated after timing, so the callback costs nothing
        history.append((fun.evaluations, float(v[0]), float(v[1])))

    v0 = (float(start.real), float(start.imag))
    history.append((0, v0[0], v0[1]))
    t0 = time.perf_counter()
    v, value, h, nit, success, message = _bfgs(fun, v0, config, record)
    if config.polish_steps:
        value, g = fun.fg(v)
        for _ in range(config.polish_steps):
            v_new = (v[0] - (h[0][0] * g[0] + h[0][1] * g[1]), v[1] - (h[1][0] * g[0] + h[1][1] * g[1]))
            value_new, g_new = fun.fg(v_new)
            if not math.hypot(*g_new) < math.hypot(*g):
                break
            v, value, g = v_new, value_new, g_new
            record(v)
    wall = time.perf_counter() - t0
    tau = complex(v[0], v[1])
    path = np.array([h_[1] + 1j * h_[2] for h_ in history])
    values, _ = objective_arrays(path, config.kappa, with_grad=False)
    history = [h_ + (float(j),) for h_, j in zip(history, values)]
    return OptimizeRun(
        gradient=gradient,
        start=start,
        iterations=nit,
        evaluations=fun.evaluations,
        wall_time=wall,
        final_tau=tau,
        final_value=-value,
        distance=distance_to_optimum(tau) if tau.imag > 0 else float("inf"),
        success=success,
        message=message,
        history=history,
    )


@dataclass(frozen=True)
class OptimizeReport:
    """All runs of a comparison plus per-gradient totals.

    ``cold_wall_time`` maps each gradient to the wall time of its untimed first pass
    (``OptimizeConfig.warm_up``; empty without it).
    """

    config: OptimizeConfig
    starts: list
    runs: list
    cold_wall_time: dict = field(default_factory=dict)

    def totals(self) -> dict:
        """``{gradient: {iterations, evaluations, wall_time, wall_time_per_start, cold_wall_time, max_distance, ...}}``.

        ``wall_time`` is the sum over the starts, ``wall_time_per_start`` its mean, and
        ``cold_wall_time`` the untimed first pass (``None`` without warm-up); seconds.
        """
        out = {}
        for g in GRADIENTS:
            rs = [r for r in self.runs if r.gradient == g]
            if not rs:
                continue
            out[g] = {
                "iterations": sum(r.iterations for r in rs),
                "evaluations": sum(r.evaluations for r in rs),
                "wall_time": sum(r.wall_time for r in rs),
                "wall_time_per_start": sum(r.wall_time for r in rs) / len(rs),
                "cold_wall_time": self.cold_wall_time.get(g),
                "max_distance": max(r.distance for r in rs),
                "n_within_1e-8": sum(r.distance <= 1e-8 for r in rs),
                "n_runs": len(rs),
            }
        return out

    def to_dict(self) -> dict:
        """JSON-ready dictionary (complex numbers as ``[re, im]``)."""

        def cplx(z):
            return [float(np.real(z)), float(np.imag(z))]

        runs = []
        for r in self.runs:
            d = asdict(r)
            d["start"] = cplx(r.start)
            d["final_tau"] = cplx(r.final_tau)
            runs.append(d)
        return {
            "config": asdict(self.config),
            "starts": [cplx(s) for s in self.starts],
            "tau_star": cplx(TAU_STAR),
            "J_star": J_STAR,
            "runs": runs,
            "totals": self.totals(),
        }


def compare_gradients(config: OptimizeConfig = OptimizeConfig(), gradients=GRADIENTS) -> OptimizeReport:
    """Run BFGS from every start with every gradient source (docs/lattice-math.md §7.4).

    Parameters
    ----------
    config : OptimizeConfig
    gradients : sequence of str
        Subset of ``("analytic", "forward", "central")``.

    Returns
    -------
    OptimizeReport
    """
    starts = starting_points(config)
    cold = {}
    if config.warm_up:
        for g in gradients:
            cold[g] = sum(run_bfgs(s, g, config).wall_time for s in starts)
    runs = [run_bfgs(s, g, config) for g in gradients for s in starts]
    return OptimizeReport(config=config, starts=starts, runs=runs, cold_wall_time=cold)
