"""The three figures of the lattice engine (paper Figs. 1-3).

Draws the data computed by :mod:`kerker.lattice` (``figure_data`` and its parts); no
physics here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = [
    "plot_lattice_convergence",
    "plot_lattice_figures",
    "plot_lattice_gradient_error",
    "plot_lattice_trajectories",
]

_COLORS = {"analytic": "tab:orange", "forward": "tab:blue", "central": "tab:green"}
# log axes cannot show the exact zeros of converged runs
_FLOOR = 1e-16


def _save(fig: Figure, out: str | Path) -> Path:
    return write_figure_atomic(fig, out, dpi=110)


def plot_lattice_gradient_error(data: dict, out: str | Path) -> Path:
    """Fig. 1, the V-curve: finite-difference gradient errors of J versus the step h.

    Parameters
    ----------
    data : dict
        ``kerker.lattice.gradient_error_data()``: ``tau``, ``steps``,
        ``forward_rel_error``, ``central_rel_error``, ``analytic_rel_error_vs_mpmath``.
    out : path
        Image file.
    """
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    for kind, marker in (("forward", "o-"), ("central", "s-")):
        errors = np.maximum(data[f"{kind}_rel_error"], 1e-17)
        ax.loglog(data["steps"], errors, marker, ms=3, color=_COLORS[kind], label=f"{kind} FD")
    ax.axhline(
        max(data["analytic_rel_error_vs_mpmath"], 1e-17),
        color=_COLORS["analytic"],
        lw=2,
        label="analytic (float64) vs 40-digit mpmath",
    )
    ax.set_xlabel("finite-difference step h")
    ax.set_ylabel("relative error of grad J")
    t = data["tau"]
    ax.set_title(f"Gradient of J at tau = {t[0]:g}+{t[1]:g}i (FD measured against the analytic gradient)", fontsize=8)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    return _save(fig, out)


def plot_lattice_convergence(data: dict, out: str | Path) -> Path:
    """Fig. 2: ``J* - J`` and the distance to ``tau*`` versus objective evaluations.

    Parameters
    ----------
    data : dict
        ``kerker.lattice.convergence_data(report)``: ``config`` and ``runs`` (each with
        ``gradient``, ``evaluations``, ``gap``, ``distance``), grouped by gradient.
    out : path
        Image file.
    """
    fig = Figure(figsize=(10.0, 4.2))
    axes = fig.subplots(1, 2)
    labelled = set()
    for run in data["runs"]:
        g = run["gradient"]
        label = None if g in labelled else f"{g} gradient"
        labelled.add(g)
        gap = np.maximum(run["gap"], _FLOOR)
        dist = np.maximum(run["distance"], _FLOOR)
        axes[0].semilogy(run["evaluations"], gap, "-", color=_COLORS[g], alpha=0.7, lw=1.2, label=label)
        axes[1].semilogy(run["evaluations"], dist, "-", color=_COLORS[g], alpha=0.7, lw=1.2, label=label)
    axes[0].axhline(1e-15, color="grey", ls=":", lw=1)
    axes[0].set_ylabel("J* - J  (clipped at 1e-16; float64 floor ~1e-15)")
    axes[1].axhline(1e-8, color="grey", ls=":", lw=1)
    axes[1].set_ylabel("|reduced tau - tau*|")
    for ax in axes:
        ax.set_xlabel("objective evaluations")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    c = data["config"]
    fig.suptitle(
        f"BFGS from {c['n_starts']} starts (kappa = {c['kappa']:g}, gtol = {c['gtol']:g}, "
        f"polish = {c['polish_steps']})",
        fontsize=9,
    )
    fig.tight_layout()
    return _save(fig, out)


def plot_lattice_trajectories(data: dict, out: str | Path) -> Path:
    """Fig. 3: analytic-gradient BFGS paths on the J landscape with F and its images.

    Parameters
    ----------
    data : dict
        ``kerker.lattice.trajectory_data(report)``: grid ``x, y, j``, ``j_star``,
        ``boundaries`` (identity first, drawn red), ``tau_star_images``, ``paths``,
        ``xlim``, ``ylim``.
    out : path
        Image file.
    """
    xx, yy = np.meshgrid(data["x"], data["y"])
    jj = data["j"]
    fig = Figure(figsize=(7.0, 6.0))
    ax = fig.add_subplot()
    levels = np.linspace(max(np.percentile(jj, 5), -12.0), data["j_star"], 30)
    cs = ax.contourf(xx, yy, np.clip(jj, levels[0], None), levels=levels, cmap="viridis")
    fig.colorbar(cs, ax=ax, label="J(tau)")
    for k, curves in enumerate(data["boundaries"]):
        for z in curves:
            ax.plot(z.real, z.imag, color="white" if k else "red", lw=0.5 if k else 1.8, alpha=0.6 if k else 1.0)
    stars = data["tau_star_images"]
    ax.plot([z[0] for z in stars], [z[1] for z in stars], "*", color="gold", ms=12, mec="k", label="images of tau*")
    for path in data["paths"]:
        px, py = path["x"], path["y"]
        ax.plot(px, py, ".-", color="tab:orange", lw=1.2, ms=4)
        ax.plot(px[0], py[0], "o", color="white", mec="k", ms=6)
    ax.set_xlim(*data["xlim"])
    ax.set_ylim(*data["ylim"])
    ax.set_aspect("equal")
    ax.set_xlabel("Re tau")
    ax.set_ylabel("Im tau")
    ax.set_title("BFGS (analytic gradient) on J; red: fundamental domain, white: its images", fontsize=9)
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    return _save(fig, out)


def plot_lattice_figures(data, out: str | Path) -> list[Path]:
    """Write ``lattice_gradient_error.png``, ``lattice_convergence.png`` and ``lattice_trajectories.png``.

    Parameters
    ----------
    data : kerker.lattice.LatticeFigureData
        ``kerker.lattice.figure_data(config)``.
    out : path
        Output folder (created if missing).

    Returns
    -------
    list of Path
        The three image files, in the order above.
    """
    out = Path(out)
    return [
        plot_lattice_gradient_error(data.gradient_error, out / "lattice_gradient_error.png"),
        plot_lattice_convergence(data.convergence, out / "lattice_convergence.png"),
        plot_lattice_trajectories(data.trajectories, out / "lattice_trajectories.png"),
    ]
