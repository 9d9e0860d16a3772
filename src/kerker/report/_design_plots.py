"""Figures of inverse-design runs: the test-set study (paper Fig. 5-6) and loss histories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_design", "plot_design_history", "plot_inverse_examples", "plot_inverse_histograms", "plot_inverse_study"]


def plot_inverse_histograms(rows: list[dict], out: str | Path, *, title: str = "") -> Path:
    """rMAE histograms of the found designs, one row per method, Q_fwd and Q_back (paper Fig. 6).

    Parameters
    ----------
    rows : list of dict
        Per-target results of :func:`kerker.design.run_inverse_benchmark` (``method``,
        ``rmae_fwd``, ``rmae_back`` as fractions), of one target set.
    out : path
        Image file.
    title : str
        Figure title.

    Notes
    -----
    The x axis is logarithmic (0.001 % to 1000 %): the errors span six decades between
    recovered designs and failed searches. The mean and median of each panel are written on it.
    """
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig = Figure(figsize=(8.0, 1.9 * len(methods) + 0.6), layout="constrained")
    axes = fig.subplots(len(methods), 2, squeeze=False, sharex=True)
    bins = np.logspace(-3, 3, 61)
    for i, method in enumerate(methods):
        for j, (key, label) in enumerate((("rmae_fwd", "Q_fwd"), ("rmae_back", "Q_back"))):
            v = 100 * np.array([r[key] for r in rows if r["method"] == method])
            ax = axes[i, j]
            ax.hist(np.clip(v, bins[0], bins[-1]), bins=bins, color="C0" if j == 0 else "C3")
            ax.set_xscale("log")
            ax.axvline(v.mean(), color="k", lw=1)
            ax.text(0.98, 0.92, f"{method}\nmean {v.mean():.2f} %\nmedian {np.median(v):.2f} %\nN = {v.size}",
                    transform=ax.transAxes, ha="right", va="top", fontsize=8)
            if i == len(methods) - 1:
                ax.set_xlabel(f"rMAE of {label} (%)")
            if j == 0:
                ax.set_ylabel("targets")
    if title:
        fig.suptitle(title)
    return write_figure_atomic(fig, Path(out), dpi=130)


def plot_inverse_examples(rows: list[dict], wavelength, targets: dict, out: str | Path, *, title: str = "") -> Path:
    """Target vs found spectra for a few targets and every method (paper Fig. 5).

    Parameters
    ----------
    rows : list of dict
        Per-target results (``method``, ``target``, ``found``, ``target_design``, ``q_fwd``,
        ``q_back``) of the chosen targets.
    wavelength : array_like, shape (W,)
        Wavelengths in nm of the spectra.
    targets : dict
        ``{target index: (q_fwd, q_back)}`` exact target spectra.
    out : path
        Image file.
    title : str
        Figure title.
    """
    wl = np.asarray(wavelength)
    chosen = list(targets)
    methods = list(dict.fromkeys(r["method"] for r in rows))
    fig = Figure(figsize=(3.2 * len(chosen), 2.6 * len(methods) + 0.5), layout="constrained")
    axes = fig.subplots(len(methods), len(chosen), squeeze=False, sharex=True)
    for j, t in enumerate(chosen):
        tf, tb = targets[t]
        for i, method in enumerate(methods):
            ax = axes[i, j]
            r = next((r for r in rows if r["method"] == method and r["target"] == t), None)
            ax.plot(wl, tf, "C0", lw=2.5, alpha=0.35, label="target Q_fwd")
            ax.plot(wl, tb, "C3", lw=2.5, alpha=0.35, label="target Q_back")
            if r is not None:
                ax.plot(wl, r["q_fwd"], "C0--", lw=1, label="found Q_fwd")
                ax.plot(wl, r["q_back"], "C3--", lw=1, label="found Q_back")
                td, fd = r["target_design"], r["found"]
                ax.set_title(
                    f"{method}\ntarget {td['core']}/{td['shell']} ({td['r_core']:.1f}, {td['t_shell']:.1f})\n"
                    f"found {fd['core']}/{fd['shell']} ({fd['r_core']:.1f}, {fd['t_shell']:.1f})",
                    fontsize=7,
                )
            if i == len(methods) - 1:
                ax.set_xlabel("wavelength (nm)")
            if j == 0:
                ax.set_ylabel("efficiency")
    axes[0, 0].legend(fontsize=6)
    if title:
        fig.suptitle(title)
    return write_figure_atomic(fig, Path(out), dpi=130)


def plot_design_history(history, out: str | Path, *, title: str = "", label: str = "loss") -> Path:
    """Loss of every start (thin lines) and the best so far (thick) versus iteration.

    Parameters
    ----------
    history : array_like, shape (iterations, K)
        :attr:`kerker.design.DesignResult.history`.
    out : path
        Image file.
    title, label : str
        Figure title and y-axis label.
    """
    h = np.asarray(history, dtype=np.float64)
    fig = Figure(figsize=(5.0, 3.4), layout="constrained")
    ax = fig.subplots()
    it = np.arange(1, h.shape[0] + 1)
    if h.shape[1] > 1:
        ax.plot(it, h[:, : min(h.shape[1], 200)], color="0.7", lw=0.4)
    ax.plot(it, np.minimum.accumulate(h.min(axis=1)), "C3", lw=2, label="best so far")
    ax.set_xlabel("iteration")
    ax.set_ylabel(label)
    ax.legend()
    if title:
        ax.set_title(title)
    return write_figure_atomic(fig, Path(out), dpi=130)


def plot_design(result, out: str | Path, *, plots: int = 3) -> list[Path]:
    """Figures of one :func:`kerker.inverse_design` result (core-shell or layered) in folder ``out``.

    Writes ``history.png`` (loss versus iteration), and for each of the best ``plots``
    designs ``design_<k>_spectrum.png`` (exact Q_fwd, Q_back on 400-800 nm, the objective's
    wavelengths marked) and ``design_<k>_pattern.png`` (polar radiation pattern, where
    computed). Nothing is computed here: everything is read from the result.
    """
    from kerker.design import FULL_WAVELENGTH
    from kerker.report._mie_plots import plot_radiation_pattern, plot_spectra

    out = Path(out)
    files = [plot_design_history(result.history, out / "history.png", title=f"{result.method} / {result.physics}",
                                 label="search loss")]
    for k in range(min(plots, len(result), result.q_fwd_full.shape[0])):
        name = f"{result.label(k)}, loss {result.loss[k]:.4g}"
        files.append(plot_spectra(
            FULL_WAVELENGTH, {"Q_fwd": result.q_fwd_full[k], "Q_back": result.q_back_full[k]},
            out / f"design_{k + 1}_spectrum.png", title=name, marker_wavelength=result.pattern_wavelength,
        ))
        if k < result.pattern.shape[0]:
            files.append(plot_radiation_pattern(
                result.theta, {"unpolarized": result.pattern[k]}, out / f"design_{k + 1}_pattern.png",
                title=f"{name}\n{result.pattern_wavelength:g} nm",
            ))
    return files


def plot_inverse_study(out_dir: str | Path, *, examples: int = 4, seed: int = 0) -> dict[str, Path]:
    """Figures and table of a finished (or partial) ``kerker benchmark inverse`` run.

    Reads ``results.jsonl`` and ``summary.json`` in ``out_dir`` and writes, per target set,
    ``histograms_<set>.png`` (paper Fig. 6) and ``examples_<set>.png`` (paper Fig. 5, ``examples``
    random targets drawn with ``seed``), and ``table.md``: one row per method and set, the
    paper's figures beside ours.
    """
    import json

    out = Path(out_dir)
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines() if line.strip()]
    summary = json.loads((out / "summary.json").read_text())
    files: dict[str, Path] = {}
    wl = np.linspace(400.0, 800.0, len(rows[0]["q_fwd"])) if rows else np.zeros(0)
    for label in dict.fromkeys(r["label"] for r in rows):
        sub = [r for r in rows if r["label"] == label]
        files[f"histograms_{label}"] = plot_inverse_histograms(
            sub, out / f"histograms_{label}.png", title=f"rMAE of the found designs ({label} targets, exact Mie)")
        ids = sorted({r["target"] for r in sub})
        pick = np.random.default_rng(seed).choice(ids, size=min(examples, len(ids)), replace=False).tolist()
        chosen = [r for r in sub if r["target"] in pick]
        tgt = {t: (np.asarray(next(r for r in sub if r["target"] == t)["target_q_fwd"]),
                   np.asarray(next(r for r in sub if r["target"] == t)["target_q_back"])) for t in pick}
        files[f"examples_{label}"] = plot_inverse_examples(chosen, wl, tgt, out / f"examples_{label}.png",
                                                          title=f"random {label} targets")
    lines = ["| method | targets | rMAE Q_fwd mean / median (%) | rMAE Q_back mean / median (%) | paper mean (%) | "
             "materials recovered | s / target | evaluations / target |", "|---|---|---|---|---|---|---|---|"]
    for method, by_label in summary["summary"].items():
        for label, s in by_label.items():
            paper = s.get("paper_rmae_mean_pct")
            rec = s.get("materials_recovered_unambiguous")
            lines.append(
                f"| {method} | {s['targets']} {label} | {s['rmae_fwd_mean_pct']:.2f} / {s['rmae_fwd_median_pct']:.2f} | "
                f"{s['rmae_back_mean_pct']:.2f} / {s['rmae_back_median_pct']:.2f} | "
                f"{'—' if paper is None else f'{paper:.2f}'} | {'—' if rec is None else f'{100 * rec:.0f} %'} | "
                f"{s['wall_time_per_target_s']:.2f} | {s['evaluations_per_target']:,.0f} |"
            )
    table = out / "table.md"
    from kerker._artifacts import write_bytes_atomic

    write_bytes_atomic(table, ("\n".join(lines) + "\n").encode())
    files["table"] = table
    return files
