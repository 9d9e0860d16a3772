"""Figures of surrogate training and accuracy: loss curves (paper Fig. S3), rMAE histograms (Fig. 2).

Reads histories and error values computed elsewhere; no physics here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_loss_curves", "plot_rmae_histograms", "plot_spectra_comparison"]


def plot_loss_curves(history: list[dict], out: str | Path, *, title: str = "",
                     ylabel: str = "MSE (preprocessed targets)") -> Path:
    """Training and validation loss per epoch (log scale), over the learning rate and batch size.

    Parameters
    ----------
    history : list of dict
        One record per epoch with ``epoch``, ``train_loss`` and optionally ``val_loss``,
        ``lr`` and ``batch_size`` (the output of the training loop).
    out : path
        Image file.
    title : str
        Figure title.
    ylabel : str
        What the loss is (axis label).
    """
    epoch = np.array([h["epoch"] for h in history])
    schedule = bool(history) and "lr" in history[0] and "batch_size" in history[0]
    fig = Figure(figsize=(6.4, 5.2 if schedule else 4.2), layout="constrained")
    if schedule:
        ax, low = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    else:
        ax = fig.add_subplot()
    for key, style in (("train_loss", "-"), ("val_loss", "--")):
        if history and key in history[0]:
            ax.plot(epoch, [h[key] for h in history], style, label=key.replace("_", " "))
    ax.set_yscale("log")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False)
    if schedule:
        low.step(epoch, [h["lr"] for h in history], where="mid", color="C2")
        low.set_yscale("log")
        low.set_ylabel("learning rate", color="C2", fontsize=8)
        right = low.twinx()
        right.step(epoch, [h["batch_size"] for h in history], where="mid", color="C3", linestyle=":")
        right.set_ylabel("batch size", color="C3", fontsize=8)
        low.set_xlabel("epoch")
    else:
        ax.set_xlabel("epoch")
    return _save(fig, out)


def plot_rmae_histograms(
    values: dict[str, np.ndarray],
    out: str | Path,
    *,
    title: str = "",
    reference: dict[str, float] | None = None,
) -> Path:
    """Histograms of per-spectrum rMAE, one panel per quantity (paper Fig. 2).

    Parameters
    ----------
    values : dict of str -> ndarray, shape (P,)
        rMAE fractions by label, e.g. ``{"Q_fwd": ..., "Q_back": ...}``.
    out : path
        Image file.
    title : str
        Figure title.
    reference : dict of str -> float, optional
        A reference mean rMAE (fraction) per label, drawn as a dotted line (e.g. the paper's).

    Notes
    -----
    The x axis ends at the 99.5th percentile; larger values are counted in the last bin,
    and their number and range are written on the panel.
    """
    fig = Figure(figsize=(4.0 * len(values), 3.4), layout="constrained")
    axes = fig.subplots(1, len(values), squeeze=False)[0]
    for ax, (label, v) in zip(axes, values.items()):
        pct = 100 * np.asarray(v, dtype=np.float64)
        hi = max(np.quantile(pct, 0.995), 1e-6)
        ax.hist(np.clip(pct, 0, hi), bins=60, range=(0, hi), color="C0" if "fwd" in label else "C1")
        ax.axvline(pct.mean(), color="k", linewidth=1.0, label=f"mean {pct.mean():.2f} %")
        ax.axvline(np.median(pct), color="k", linestyle="--", linewidth=1.0, label=f"median {np.median(pct):.2f} %")
        if reference and label in reference:
            ax.axvline(100 * reference[label], color="0.5", linestyle=":", label=f"paper mean {100 * reference[label]:.2f} %")
        ax.set_xlabel(f"rMAE of {label} (%)")
        ax.set_ylabel("spectra")
        ax.legend(frameon=False, fontsize=8)
        if pct.max() > hi:
            n_over = int(np.count_nonzero(pct > hi))
            ax.annotate(
                f"{n_over} spectra of {hi:.2g}-{pct.max():.3g} %\ncounted in the last bin",
                xy=(0.97, 0.45), xycoords="axes fraction", ha="right", fontsize=7, color="0.3",
            )
    fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def plot_spectra_comparison(
    wavelength: np.ndarray,
    exact: dict[str, np.ndarray],
    predicted: dict[str, np.ndarray],
    labels: list[str],
    out: str | Path,
    *,
    title: str = "",
) -> Path:
    """Exact (lines) and predicted (dots) spectra of a few particles, one panel each.

    Parameters
    ----------
    wavelength : ndarray, shape (W,)
        nm.
    exact, predicted : dict of str -> ndarray, shape (P, W)
        Spectra by quantity label (same keys).
    labels : list of str, length P
        Panel titles (the particles' designs).
    out : path
        Image file.
    """
    n = len(labels)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig = Figure(figsize=(3.6 * cols, 2.8 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        if i >= n:
            ax.set_visible(False)
            continue
        for j, key in enumerate(exact):
            ax.plot(wavelength, exact[key][i], color=f"C{j}", label=f"{key} exact")
            ax.plot(wavelength, predicted[key][i], ".", color=f"C{j}", markersize=3, label=f"{key} surrogate")
        ax.set_title(labels[i], fontsize=8)
        ax.set_xlabel("wavelength (nm)", fontsize=8)
    axes[0].legend(frameon=False, fontsize=6)
    fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def _save(fig: Figure, out: str | Path) -> Path:
    return write_figure_atomic(fig, out, dpi=130)
