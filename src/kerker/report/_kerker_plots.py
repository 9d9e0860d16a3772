"""Figures of the Kerker study (Soun et al., Fig. 7, S5-S7); reads a computed study, no physics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_kerker_best", "plot_kerker_lr_study", "plot_kerker_optima", "plot_kerker_study",
           "plot_kerker_weight_sweep"]

_PLASMONIC = ("Ag", "Au")


def _strip(ax, optima: dict, shells: list, key: str, best: dict, *, vmin: float, vmax: float):
    rng = np.random.default_rng(0)  # jitter only
    names = np.asarray(optima["shell"])
    sc = None
    for i, s in enumerate(shells):
        m = names == s
        x = i + rng.uniform(-0.3, 0.3, m.sum())
        sc = ax.scatter(x, np.asarray(optima[key])[m], c=np.asarray(optima["loss"])[m], s=6, cmap="viridis",
                        vmin=vmin, vmax=vmax, linewidths=0)
        ax.plot(i, best[s][key], marker="*", color="crimson", markersize=11, markeredgecolor="k",
                markeredgewidth=0.5, zorder=3)
    ax.set_xticks(range(len(shells)), shells)
    ax.set_xlabel("shell material")
    return sc


def plot_kerker_optima(study: dict, out: str | Path) -> Path:
    """Local optima per shell material: shell thickness (with the plasmonic zoom) and core radius, coloured by loss.

    ``study`` is :meth:`kerker.design.KerkerStudy.to_dict`; the red star marks each shell's best design.
    """
    optima, best, cfg = study["optima"], study["best_per_shell"], study["config"]
    shells = sorted(best, key=lambda s: best[s]["loss"])
    loss = np.asarray(optima["loss"])
    vmin, vmax = float(loss.min()), float(np.quantile(loss, 0.95))
    fig = Figure(figsize=(13.0, 4.2), layout="constrained")
    axes = fig.subplots(1, 3, width_ratios=[3, 1.2, 3])
    sc = _strip(axes[0], optima, shells, "t_shell", best, vmin=vmin, vmax=vmax)
    axes[0].set_ylabel("shell thickness t_shell (nm)")
    axes[0].set_title(f"(a) local optima, {cfg['core']} core, λ = {cfg['wavelength']:g} nm, w = {cfg['weight']:g}",
                      fontsize=10)
    plas = [s for s in shells if s in _PLASMONIC]
    if plas:
        _strip(axes[1], optima, plas, "t_shell", best, vmin=vmin, vmax=vmax)
        axes[1].set_ylim(0, 15)
        axes[1].axhline(10, color="0.5", lw=0.8, ls="--")
    axes[1].set_title("(b) plasmonic shells (zoom)", fontsize=10)
    axes[1].set_ylabel("t_shell (nm)")
    _strip(axes[2], optima, shells, "r_core", best, vmin=vmin, vmax=vmax)
    axes[2].set_ylabel("core radius r_core (nm)")
    axes[2].set_title("(c) core radius of the local optima (Fig. S6)", fontsize=10)
    fig.colorbar(sc, ax=axes, label="L_dir = -Q_fwd + w Q_back (exact Mie)", shrink=0.9)
    return write_figure_atomic(fig, out, dpi=110)


def plot_kerker_best(study: dict, shell: str, out: str | Path) -> Path:
    """One shell's best design: exact Q_fwd/Q_back spectra, multipole decomposition, polar pattern."""
    b, sp, cfg = study["best_per_shell"][shell], study["spectra"][shell], study["config"]
    wl = np.asarray(sp["wavelength_nm"])
    fig = Figure(figsize=(13.0, 3.8), layout="constrained")
    ax1, ax2 = fig.add_subplot(1, 3, 1), fig.add_subplot(1, 3, 2)
    ax3 = fig.add_subplot(1, 3, 3, projection="polar")
    ax1.plot(wl, sp["q_fwd"], label="Q_fwd")
    ax1.plot(wl, sp["q_back"], "--", label="Q_back")
    ax1.plot(wl, sp["q_sca"], ":", label="Q_sca")
    for ax in (ax1, ax2):
        ax.axvline(cfg["wavelength"], color="0.6", lw=0.8)
        ax.set_xlabel("wavelength (nm)")
        ax.set_ylabel("efficiency")
    ax1.legend(frameon=False, fontsize=8)
    for name, style in (("ED", "-"), ("MD", "--"), ("EQ", "-."), ("MQ", ":")):
        ax2.plot(wl, sp[f"q_sca_{name}"], style, label=name)
    ax2.legend(frameon=False, fontsize=8)
    ax1.set_title(f"{cfg['core']} {b['r_core']:.1f} nm / {shell} {b['t_shell']:.1f} nm: L = {b['loss']:.3f}",
                  fontsize=10)
    ax2.set_title("multipole decomposition of Q_sca", fontsize=10)
    p = sp.get("pattern")
    if p is not None:
        theta = np.asarray(p["theta"])
        full = np.concatenate([theta, 2 * np.pi - theta[::-1]])
        for key, label in (("unpolarized", "unpolarised"), ("perpendicular", "perp. |S1|²"),
                           ("parallel", "par. |S2|²")):
            v = np.asarray(p[key])
            ax3.plot(full, np.concatenate([v, v[::-1]]), label=label)
        ax3.legend(frameon=False, fontsize=7, loc="lower left", bbox_to_anchor=(-0.15, -0.15))
    ax3.tick_params(labelsize=7)
    ax3.set_rlabel_position(112.5)
    ax3.set_title(f"radiation pattern at {cfg['wavelength']:g} nm (forward = 0°)", fontsize=10)
    return write_figure_atomic(fig, out, dpi=110)


def plot_kerker_weight_sweep(study: dict, out: str | Path) -> Path:
    """Weight sweep (Fig. S5): best Q_fwd, Q_back and shell thickness per shell material against w."""
    sweep = study["weight_sweep"]
    w = [s["weight"] for s in sweep]
    shells = sorted({k for s in sweep for k in s["best_per_shell"]})
    fig = Figure(figsize=(12.0, 3.8), layout="constrained")
    axes = fig.subplots(1, 3)
    for shell in shells:
        rows = [s["best_per_shell"].get(shell) for s in sweep]
        for ax, key in zip(axes, ("q_fwd", "q_back", "t_shell")):
            ax.plot(w, [np.nan if r is None else r[key] for r in rows], "o-", label=shell, ms=4)
    for ax, label in zip(axes, ("best Q_fwd", "Q_back of the best design", "t_shell of the best design (nm)")):
        ax.set_xscale("log")
        ax.minorticks_off()
        ax.set_xticks(w, [f"{x:g}" for x in w])
        ax.set_xlabel("backscattering weight w")
        ax.set_ylabel(label)
    axes[0].legend(frameon=False, fontsize=8)
    fig.suptitle("weight sweep of L = -Q_fwd + w Q_back (Fig. S5)", fontsize=10)
    return write_figure_atomic(fig, out, dpi=110)


def plot_kerker_lr_study(study: dict, out: str | Path) -> Path:
    """Learning-rate study (Fig. S7): best and median search loss against Adam iteration."""
    fig = Figure(figsize=(6.5, 4.0), layout="constrained")
    ax = fig.add_subplot()
    for k, (lr, h) in enumerate(study["lr_study"].items()):
        line, = ax.plot(np.arange(1, len(h["best"]) + 1), h["best"], label=f"lr {lr}: best")
        ax.plot(np.arange(1, len(h["median"]) + 1), h["median"], "--", color=line.get_color(), label=f"lr {lr}: median")
    ax.set_xlabel("Adam iteration")
    ax.set_ylabel("search loss L_dir")
    ax.set_title("convergence against learning rate (Fig. S7)", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    return write_figure_atomic(fig, out, dpi=110)


def plot_kerker_study(study: dict, out: str | Path) -> dict[str, Path]:
    """All figures of a study into folder ``out``: ``optima.png``, ``best_<shell>.png``, sweeps if present."""
    out = Path(out)
    files = {"optima": plot_kerker_optima(study, out / "optima.png")}
    for shell in sorted(study["best_per_shell"], key=lambda s: study["best_per_shell"][s]["loss"]):
        files[f"best_{shell}"] = plot_kerker_best(study, shell, out / f"best_{shell}.png")
    if study.get("weight_sweep"):
        files["weight_sweep"] = plot_kerker_weight_sweep(study, out / "weight_sweep.png")
    if study.get("lr_study"):
        files["lr_study"] = plot_kerker_lr_study(study, out / "lr_study.png")
    return files
