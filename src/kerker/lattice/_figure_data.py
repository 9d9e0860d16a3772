"""The data of the lattice engine's three figures (paper Figs. 1-3); drawn by ``kerker.report``.

1. :func:`gradient_error_data`: relative error of forward / central finite-difference
   gradients of J against the float64 analytic gradient, versus the step h (the
   "V-curve"), and the analytic gradient's own error against a 40-digit reference.
2. :func:`convergence_data`: ``J* - J`` and the distance to ``tau*`` along BFGS runs with
   analytic, forward and central gradients, versus objective evaluations.
3. :func:`trajectory_data`: the J landscape, the boundary of the fundamental domain and
   its images under SL(2, Z), the images of ``tau*`` and the analytic-gradient BFGS paths.

:func:`figure_data` computes all three. Nothing here plots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerker.lattice._objective import J_STAR, TAU_STAR, objective
from kerker.lattice._optimize import (
    GRADIENTS,
    OptimizeConfig,
    OptimizeReport,
    compare_gradients,
    distance_to_optimum,
)

__all__ = [
    "FIG_TAU",
    "REFERENCE_GRADIENT",
    "LatticeFigureData",
    "convergence_data",
    "figure_data",
    "gradient_error_data",
    "trajectory_data",
]

#: The generic point of the V-curve (Fig. 1).
FIG_TAU = 0.2 + 1.3j

#: ``(dJ/dx, dJ/dy)`` of J (kappa = 1) at ``FIG_TAU``, rounded to float64 from 40 digits,
#: 0.250565706107312384755314917799 and -0.0344397657152844390817329086616 (mpmath.diff of
#: ``y |G2*| - y^2 S(4, 0)``; ``tests/lattice/test_lattice_figure_data.py`` recomputes it
#: from Chowla-Selberg and the Lambert series of E2, without kerker).
REFERENCE_GRADIENT = (0.2505657061073124, -0.03443976571528444)


def gradient_error_data(tau: complex = FIG_TAU, steps=None, *, reference_grad=None) -> dict:
    """Finite-difference versus analytic relative gradient errors over steps ``h`` (Fig. 1).

    Parameters
    ----------
    tau : complex
        Point of the comparison (``Im tau > 0``), kappa = 1.
    steps : array_like, optional
        Finite-difference steps ``h``; default 57 steps from 1e-15 to 1e-1, log-spaced.
    reference_grad : (float, float), optional
        Reference ``(dJ/dx, dJ/dy)`` at ``tau`` for the analytic gradient's own error;
        defaults to :data:`REFERENCE_GRADIENT`, which holds only at ``FIG_TAU``.

    Returns
    -------
    dict
        JSON-ready: ``tau``, ``steps``, ``forward_rel_error``, ``central_rel_error``,
        ``analytic_rel_error_vs_mpmath``, ``analytic_grad``, ``reference_grad_mpmath40``.

    Raises
    ------
    ValueError
        ``tau`` other than ``FIG_TAU`` without a ``reference_grad``.
    """
    tau = complex(tau)
    if reference_grad is None:
        if tau != FIG_TAU:
            raise ValueError(
                f"reference_grad: the stored 40-digit reference holds at FIG_TAU = {FIG_TAU}; "
                f"give reference_grad for tau = {tau}"
            )
        reference_grad = REFERENCE_GRADIENT
    steps = np.logspace(-15, -1, 57) if steps is None else np.asarray(steps, dtype=float)
    g = objective(tau).grad
    ref = np.asarray(reference_grad, dtype=float)
    value = float(objective(tau).value)
    fwd, cen = [], []
    for h in steps:
        jx1, jy1 = objective(tau + h).value, objective(tau + 1j * h).value
        jx0, jy0 = objective(tau - h).value, objective(tau - 1j * h).value
        gf = np.array([(jx1 - value) / h, (jy1 - value) / h])
        gc = np.array([(jx1 - jx0) / (2 * h), (jy1 - jy0) / (2 * h)])
        fwd.append(float(np.linalg.norm(gf - g) / np.linalg.norm(g)))
        cen.append(float(np.linalg.norm(gc - g) / np.linalg.norm(g)))
    return {
        "tau": [tau.real, tau.imag],
        "steps": steps.tolist(),
        "forward_rel_error": fwd,
        "central_rel_error": cen,
        "analytic_rel_error_vs_mpmath": float(np.linalg.norm(g - ref) / np.linalg.norm(ref)),
        "analytic_grad": g.tolist(),
        "reference_grad_mpmath40": ref.tolist(),
    }


def convergence_data(report: OptimizeReport) -> dict:
    """``J* - J`` and ``|reduced tau - tau*|`` after each iteration of every run (Fig. 2).

    Parameters
    ----------
    report : OptimizeReport
        A BFGS comparison (:func:`kerker.lattice._optimize.compare_gradients`).

    Returns
    -------
    dict
        ``config`` (``n_starts, kappa, gtol, polish_steps``) and ``runs``: one dict per
        run, grouped by gradient in the order analytic, forward, central, with
        ``gradient`` and lists ``evaluations``, ``gap`` (``J* - J``, unclipped) and
        ``distance``.
    """
    runs = []
    for g in GRADIENTS:
        for r in (r for r in report.runs if r.gradient == g):
            runs.append(
                {
                    "gradient": g,
                    "evaluations": [h[0] for h in r.history],
                    "gap": [J_STAR - h[3] for h in r.history],
                    "distance": [distance_to_optimum(complex(h[1], h[2])) for h in r.history],
                }
            )
    c = report.config
    return {
        "config": {"n_starts": c.n_starts, "kappa": c.kappa, "gtol": c.gtol, "polish_steps": c.polish_steps},
        "runs": runs,
    }


def _group_words(depth: int) -> list[np.ndarray]:
    """Matrices of SL(2, Z) as words in S, T^k (|k| <= 2) up to ``depth`` letters, identity first."""
    s = np.array([[0, -1], [1, 0]])
    gens = [s] + [np.array([[1, k], [0, 1]]) for k in (-2, -1, 1, 2)]
    seen = {(1, 0, 0, 1)}
    frontier = [np.eye(2, dtype=int)]
    out = [np.eye(2, dtype=int)]
    for _ in range(depth):
        nxt = []
        for m in frontier:
            for g in gens:
                p = g @ m
                key = tuple(int(v) * (1 if p[1, 0] > 0 or (p[1, 0] == 0 and p[1, 1] > 0) else -1) for v in p.ravel())
                if key not in seen:
                    seen.add(key)
                    nxt.append(p)
                    out.append(p)
        frontier = nxt
    return out


def _mobius(m, z):
    return (m[0, 0] * z + m[0, 1]) / (m[1, 0] * z + m[1, 1])


def trajectory_data(report: OptimizeReport, xlim=(-1.0, 1.0), ylim=(0.1, 2.3), *, depth: int = 4) -> dict:
    """The J landscape with the fundamental domain, its images and the BFGS paths (Fig. 3).

    Parameters
    ----------
    report : OptimizeReport
        A BFGS comparison; its analytic-gradient runs are the paths, its kappa sets J.
    xlim, ylim : (float, float)
        Window in ``Re tau`` and ``Im tau``.
    depth : int
        Longest word in S and T^k (|k| <= 2) whose image of the domain is drawn.

    Returns
    -------
    dict
        ``x`` (321,), ``y`` (281,) and ``j`` (281, 321): J on that grid; ``j_star``;
        ``boundaries``: per group element (identity first) the three boundary curves of its
        image of the fundamental domain (complex arrays); ``tau_star_images``: sorted
        ``[x, y]`` of the images of ``tau*`` in the window; ``paths``: ``{"x", "y"}`` of
        every analytic-gradient run; ``xlim``, ``ylim``.
    """
    xs = np.linspace(*xlim, 321)
    ys = np.linspace(*ylim, 281)
    xx, yy = np.meshgrid(xs, ys)
    jj = np.asarray(objective(xx + 1j * yy, report.config.kappa).value, dtype=float)
    # boundary of F: two vertical half-lines and the arc from rho^2 to rho
    top = 40.0
    edges = [
        0.5 + 1j * np.linspace(np.sqrt(3) / 2, top, 400),
        -0.5 + 1j * np.linspace(np.sqrt(3) / 2, top, 400),
        np.exp(1j * np.linspace(np.pi / 3, 2 * np.pi / 3, 200)),
    ]
    boundaries, stars = [], []
    for m in _group_words(depth):
        boundaries.append([_mobius(m, e) for e in edges])
        zs = _mobius(m, TAU_STAR)
        if xlim[0] <= zs.real <= xlim[1] and ylim[0] <= zs.imag <= ylim[1]:
            stars.append(complex(zs))
    stars = sorted(set((round(z.real, 9), round(z.imag, 9)) for z in stars))
    paths = [
        {"x": [h[1] for h in r.history], "y": [h[2] for h in r.history]}
        for r in report.runs
        if r.gradient == "analytic"
    ]
    return {
        "x": xs,
        "y": ys,
        "j": jj,
        "j_star": J_STAR,
        "boundaries": boundaries,
        "tau_star_images": [list(z) for z in stars],
        "paths": paths,
        "xlim": tuple(xlim),
        "ylim": tuple(ylim),
    }


@dataclass(frozen=True)
class LatticeFigureData:
    """Everything the three lattice figures show (:func:`figure_data`).

    Attributes
    ----------
    gradient_error : dict
        :func:`gradient_error_data` at ``FIG_TAU``.
    report : OptimizeReport
        The BFGS comparison behind Figs. 2 and 3.
    convergence : dict
        :func:`convergence_data` of ``report``.
    trajectories : dict
        :func:`trajectory_data` of ``report``.
    """

    gradient_error: dict
    report: OptimizeReport
    convergence: dict
    trajectories: dict

    def to_dict(self) -> dict:
        """JSON-ready record: the V-curve, the BFGS report, the paths and images of ``tau*``."""
        return {
            "gradient_error": self.gradient_error,
            "optimization": self.report.to_dict(),
            "trajectories": {k: self.trajectories[k] for k in ("paths", "tau_star_images")},
        }


def figure_data(config: OptimizeConfig = OptimizeConfig()) -> LatticeFigureData:
    """Compute the data of all three lattice figures.

    Parameters
    ----------
    config : OptimizeConfig
        BFGS comparison behind Figs. 2 and 3.

    Returns
    -------
    LatticeFigureData
    """
    vdata = gradient_error_data()
    report = compare_gradients(config)
    return LatticeFigureData(vdata, report, convergence_data(report), trajectory_data(report))
