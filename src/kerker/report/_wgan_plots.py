"""Figures of the WGAN-GP: training curves, fidelity (paper Fig. S4), material pairs, latent lines.

Reads histories, generated designs and metrics computed elsewhere; nothing is computed here
beyond histogram counts.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_latent_lines", "plot_pair_counts", "plot_wgan_fidelity", "plot_wgan_losses"]


def _save(fig: Figure, out: str | Path, dpi: int = 110) -> Path:
    return write_figure_atomic(fig, out, dpi=dpi)


def plot_wgan_losses(history: list[dict], out: str | Path, *, title: str = "") -> Path:
    """Per-epoch critic and generator losses, Wasserstein estimate, gradient penalty and fidelity monitor.

    Parameters
    ----------
    history : list of dict
        Records of the training loop with ``epoch``, ``critic_loss``, ``generator_loss``,
        ``wasserstein``, ``gradient_penalty`` and optionally ``max_material_dev_pp``,
        ``pairs_present``, ``coverage_r``, ``coverage_t``.
    out : path
        Image file.
    """
    epoch = np.array([h["epoch"] for h in history])
    get = lambda key: np.array([h.get(key, np.nan) for h in history], dtype=float)
    fig = Figure(figsize=(10, 3.4), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    ax1.plot(epoch, get("critic_loss"), "-o", ms=3, label="critic loss")
    ax1.plot(epoch, get("generator_loss"), "-s", ms=3, label="generator loss")
    ax1.axhline(0, color="0.8", lw=0.8)
    ax1.set_xlabel("epoch")
    ax1.set_title("losses", fontsize=9)
    ax1.legend(frameon=False, fontsize=8)
    ax2.plot(epoch, get("wasserstein"), "-o", ms=3, color="C2", label="Wasserstein estimate")
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("E[D(real)] - E[D(fake)]")
    ax2b = ax2.twinx()
    ax2b.plot(epoch, get("gradient_penalty"), "--", color="C3", label="gradient penalty")
    ax2b.set_ylabel("gradient penalty", color="C3")
    ax2.set_title("critic", fontsize=9)
    ax2.legend(frameon=False, fontsize=8, loc="upper right")
    if history and "max_material_dev_pp" in history[0]:
        ax3.plot(epoch, get("max_material_dev_pp"), "-o", ms=3, label="largest material deviation (pp)")
        ax3.axhline(3.0, color="C0", lw=0.8, ls=":")
        ax3.set_yscale("log")
        ax3.set_ylabel("percentage points")
        ax3.set_xlabel("epoch")
        ax3b = ax3.twinx()
        ax3b.plot(epoch, get("pairs_present"), "-s", ms=3, color="C1", label="material pairs present")
        ax3b.set_ylabel("pairs present", color="C1")
        if "coverage_r" in history[0]:
            low = 100 * np.nanmin(np.minimum(get("coverage_r"), get("coverage_t")))
            ax3.text(0.02, 0.02, f"1-nm coverage of both sizes >= {low:.0f} % in every epoch", fontsize=7,
                     transform=ax3.transAxes)
        if "fidelity_gap" in history[0]:
            best = int(epoch[np.nanargmin(get("fidelity_gap"))])
            ax3.axvline(best, color="0.6", lw=0.8, ls="--")
            ax3.text(best, 0.98, " best.pt", transform=ax3.get_xaxis_transform(), fontsize=7, va="top")
        lines = ax3.get_lines()[:1] + ax3b.get_lines()
        ax3.legend(lines, [ln.get_label() for ln in lines], frameon=False, fontsize=7, loc="center right")
        ax3.set_title("fidelity monitor (fixed latent samples)", fontsize=9)
    else:
        ax3.set_axis_off()
    fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def plot_wgan_fidelity(generated, reference, materials, r_range, t_range, out: str | Path, *, title: str = "") -> Path:
    """Paper Fig. S4: material frequencies and size histograms, generated vs training designs.

    Parameters
    ----------
    generated, reference
        Designs with ``core_index``, ``shell_index``, ``r_core``, ``t_shell`` (nm), each
        (N,); ``reference`` may be None.
    materials : sequence of str
        Material names in index order.
    r_range, t_range : (float, float)
        Size ranges in nm (histogram limits).
    out : path
        Image file.
    """
    m = len(materials)
    fig = Figure(figsize=(10, 6.2), layout="constrained")
    axes = fig.subplots(2, 2)
    width = 0.4
    x = np.arange(m)
    for ax, key, label in ((axes[0, 0], "core_index", "core material"), (axes[0, 1], "shell_index", "shell material")):
        gen = np.bincount(np.asarray(getattr(generated, key)), minlength=m) / len(getattr(generated, key))
        ax.bar(x - width / 2, 100 * gen, width, label="generated", color="C3")
        if reference is not None:
            ref = np.bincount(np.asarray(getattr(reference, key)), minlength=m) / len(getattr(reference, key))
            ax.bar(x + width / 2, 100 * ref, width, label="training", color="C0")
        ax.axhline(100 / m, color="k", lw=0.8, ls=":")
        ax.axhspan(100 / m - 3, 100 / m + 3, color="0.9", zorder=0, label="uniform ± 3 pp")
        ax.set_xticks(x, materials, fontsize=8)
        ax.set_ylabel("frequency (%)")
        ax.set_title(label, fontsize=9)
        ax.legend(frameon=False, fontsize=7, loc="lower right")
    for ax, key, (lo, hi), label in ((axes[1, 0], "r_core", r_range, "core radius (nm)"),
                                     (axes[1, 1], "t_shell", t_range, "shell thickness (nm)")):
        bins = np.linspace(lo, hi, 51)
        ax.hist(np.asarray(getattr(generated, key)), bins=bins, density=True, color="C3", alpha=0.6, label="generated")
        if reference is not None:
            ax.hist(np.asarray(getattr(reference, key)), bins=bins, density=True, histtype="step", color="C0", lw=1.4,
                    label="training")
        ax.axhline(1 / (hi - lo), color="k", lw=0.8, ls=":", label="uniform")
        ax.set_xlabel(label)
        ax.set_ylabel("density (1/nm)")
        ax.set_xlim(lo, hi)
        ax.legend(frameon=False, fontsize=7, loc="lower center")
    fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def plot_pair_counts(counts, materials, out: str | Path, *, title: str = "",
                     axes: tuple[str, str] = ("core material", "shell material")) -> Path:
    """Heat map of the M x M material-pair counts (rows and columns named by ``axes``: core
    and shell), numbers annotated."""
    counts = np.asarray(counts)
    m = len(materials)
    fig = Figure(figsize=(5.6, 4.6), layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(counts, cmap="viridis", vmin=0)
    for i in range(m):
        for j in range(m):
            ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", fontsize=7,
                    color="w" if counts[i, j] < 0.6 * counts.max() else "k")
    ax.set_xticks(range(m), materials, fontsize=8)
    ax.set_yticks(range(m), materials, fontsize=8)
    ax.set_xlabel(axes[1])
    ax.set_ylabel(axes[0])
    fig.colorbar(im, ax=ax, label="designs")
    ax.set_title(f"{title}\n{int((counts > 0).sum())}/{m * m} pairs present, expected {counts.sum() / m**2:.0f} each",
                 fontsize=9)
    return _save(fig, out)


def plot_latent_lines(lines: dict, materials, out: str | Path, *, title: str = "") -> Path:
    """Sizes and materials of designs along a few straight lines in z.

    Parameters
    ----------
    lines : dict
        ``s`` (T,), and ``r_core``, ``t_shell``, ``core_index``, ``shell_index`` (L, T),
        as returned by :func:`kerker.models.latent_smoothness` (``examples``).
    materials : sequence of str
        Material names for the index axis.
    """
    s = np.asarray(lines["s"])
    fig = Figure(figsize=(10, 5.2), layout="constrained")
    axes = fig.subplots(2, 2, sharex=True)
    for k in range(np.asarray(lines["r_core"]).shape[0]):
        color = f"C{k}"
        axes[0, 0].plot(s, lines["r_core"][k], color=color)
        axes[0, 1].plot(s, lines["t_shell"][k], color=color)
        axes[1, 0].step(s, np.asarray(lines["core_index"][k]) + 0.06 * k, where="mid", color=color)
        axes[1, 1].step(s, np.asarray(lines["shell_index"][k]) + 0.06 * k, where="mid", color=color)
    axes[0, 0].set_ylabel("r_core (nm)")
    axes[0, 1].set_ylabel("t_shell (nm)")
    for ax, label in ((axes[1, 0], "core material"), (axes[1, 1], "shell material")):
        ax.set_yticks(range(len(materials)), materials, fontsize=8)
        ax.set_ylabel(label)
        ax.set_xlabel("s along z0 + s (z1 - z0)")
    fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def plot_layer_fidelity(index, thickness, materials, ranges, out: str | Path, *, title: str = "") -> Path:
    """Generated L-layer designs against the uniform design space: per layer, the material
    frequencies (top, 1/M dashed) and the size histogram (bottom, the uniform density dashed)."""
    index, thickness = np.asarray(index), np.asarray(thickness)
    n, n_l = index.shape
    m = len(materials)
    fig = Figure(figsize=(3.2 * n_l, 5.6), layout="constrained")
    axes = fig.subplots(2, n_l, squeeze=False)
    for l in range(n_l):
        name = "core" if l == 0 else f"layer {l + 1}"
        top, bottom = axes[0, l], axes[1, l]
        freq = np.bincount(index[:, l], minlength=m) / n
        top.bar(range(m), 100 * freq, color="C0")
        top.axhline(100 / m, ls="--", color="k", lw=1, label="uniform")
        top.set_xticks(range(m), materials, rotation=45, fontsize=8)
        top.set_ylabel("designs (%)")
        top.set_title(f"{name} material", fontsize=9)
        lo, hi = ranges[l]
        bottom.hist(thickness[:, l], bins=50, range=(lo, hi), density=True, color="C1")
        bottom.axhline(1.0 / (hi - lo), ls="--", color="k", lw=1, label="uniform")
        bottom.set_xlabel(f"{'radius' if l == 0 else 'thickness'} (nm)")
        bottom.set_ylabel("density (1/nm)")
        bottom.set_title(f"{name} {'radius' if l == 0 else 'thickness'}", fontsize=9)
    axes[0, 0].legend(fontsize=8, loc="lower right")
    fig.suptitle(f"{title} ({n:,} designs)", fontsize=10)
    return _save(fig, out)
