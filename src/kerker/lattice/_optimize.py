"""BFGS on the anisotropy objective: analytic gradient vs forward and central differences.

Reference: docs/lattice-math.md §7 (objective, optimum ``tau*``, BFGS comparison) and §8.7
(the paper's 18 vs 91 evaluations are central differences at equal iterations).
scipy's BFGS minimises ``-J``; every objective evaluation is counted, a value+gradient
call of the analytic method as one, a finite-difference gradient as 2 (forward) or 4
(central) extra values.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.optimize import minimize

from kerker.lattice._objective import J_STAR, TAU_STAR, objective_arrays
from kerker.lattice._reduction import MIN_IMAG, reduce_tau

GRADIENTS = ("analytic", "forward", "central")
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
        After scipy stops, up to this many quasi-Newton steps ``v <- v - H^-1 g`` with
        BFGS's own inverse Hessian, each accepted only if ``|g|`` decreases. Near the
        optimum J's float64 rounding (~1e-15) hides the decrease that scipy's Armijo
        test needs once ``|g| < ~1e-7``, so it stops with "precision loss"; accepting on
        the gradient norm lets an accurate gradient finish the job. Same for all methods.
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
        for name in ("forward_step", "central_step"):
            h = getattr(self, name)
            if not (0 < h < 1):
                raise ValueError(f"{name}: must lie in (0, 1); received {h!r}")
        x0, x1, y0, y1 = self.region
        if not (x0 < x1 and 0 < y0 < y1):
            raise ValueError(f"region: must be (x_min < x_max, 0 < y_min < y_max); received {self.region!r}")


@dataclass(frozen=True)
class OptimizeRun:
    """One BFGS run. ``history`` holds ``(evaluations, x, y, J)`` after each iteration."""

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


class _Counted:
    """``-J`` and its gradient (analytic or finite-difference), counting evaluations."""

    def __init__(self, kappa: float, gradient: str, config: OptimizeConfig):
        self.kappa = kappa
        self.gradient = gradient
        self.config = config
        self.evaluations = 0

    def _value(self, v: np.ndarray) -> float:
        self.evaluations += 1
        if v[1] < MIN_IMAG:  # below the supported range (docs/lattice-math.md §3): a wall
            return _WALL
        value, _ = objective_arrays(np.array([v[0] + 1j * v[1]]), self.kappa, with_grad=False)
        return -float(value[0])

    def __call__(self, v: np.ndarray):
        if self.gradient == "analytic":
            self.evaluations += 1
            if v[1] < MIN_IMAG:
                return _WALL, np.array([0.0, -1.0])
            value, d = objective_arrays(np.array([v[0] + 1j * v[1]]), self.kappa)
            return -float(value[0]), -np.array([2.0 * d[0].real, -2.0 * d[0].imag])
        f0 = self._value(v)
        g = np.empty(2)
        for i in range(2):
            e = np.zeros(2)
            if self.gradient == "forward":
                h = self.config.forward_step * max(1.0, abs(v[i]))
                e[i] = h
                g[i] = (self._value(v + e) - f0) / h
            else:
                h = self.config.central_step * max(1.0, abs(v[i]))
                e[i] = h
                g[i] = (self._value(v + e) - self._value(v - e)) / (2.0 * h)
        return f0, g


def run_bfgs(start: complex, gradient: str, config: OptimizeConfig) -> OptimizeRun:
    """One scipy BFGS run maximising ``J`` from ``start`` with the chosen gradient.

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
    """
    if gradient not in GRADIENTS:
        raise ValueError(f"gradient: must be one of {GRADIENTS}; received {gradient!r}")
    fun = _Counted(config.kappa, gradient, config)
    history = []

    def record(v):
        # J along the path is evaluated after timing, so the callback costs nothing
        history.append((fun.evaluations, float(v[0]), float(v[1])))

    v0 = np.array([start.real, start.imag])
    history.append((0, float(v0[0]), float(v0[1])))
    t0 = time.perf_counter()
    res = minimize(
        fun, v0, jac=True, method="BFGS", callback=record, options={"gtol": config.gtol, "maxiter": config.max_iter}
    )
    v, value = res.x, float(res.fun)
    if config.polish_steps:
        value, g = fun(v)
        for _ in range(config.polish_steps):
            v_new = v - res.hess_inv @ g
            value_new, g_new = fun(v_new)
            if not np.linalg.norm(g_new) < np.linalg.norm(g):
                break
            v, value, g = v_new, value_new, g_new
            record(v)
    wall = time.perf_counter() - t0
    tau = complex(v[0], v[1])
    path = np.array([h[1] + 1j * h[2] for h in history])
    values, _ = objective_arrays(path, config.kappa, with_grad=False)
    history = [h + (float(j),) for h, j in zip(history, values)]
    return OptimizeRun(
        gradient=gradient,
        start=start,
        iterations=int(res.nit),
        evaluations=fun.evaluations,
        wall_time=wall,
        final_tau=tau,
        final_value=-value,
        distance=distance_to_optimum(tau) if tau.imag > 0 else float("inf"),
        success=bool(res.success),
        message=str(res.message),
        history=history,
    )


@dataclass(frozen=True)
class OptimizeReport:
    """All runs of a comparison plus per-gradient totals."""

    config: OptimizeConfig
    starts: list
    runs: list

    def totals(self) -> dict:
        """``{gradient: {iterations, evaluations, wall_time, max_distance, n_within_1e-8}}``."""
        out = {}
        for g in GRADIENTS:
            rs = [r for r in self.runs if r.gradient == g]
            if not rs:
                continue
            out[g] = {
                "iterations": sum(r.iterations for r in rs),
                "evaluations": sum(r.evaluations for r in rs),
                "wall_time": sum(r.wall_time for r in rs),
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
    runs = [run_bfgs(s, g, config) for g in gradients for s in starts]
    return OptimizeReport(config=config, starts=starts, runs=runs)
