"""Accuracy of a surrogate against exact Mie theory: per-spectrum relative MAE.

rMAE of one spectrum (Soun et al., Fig. 2) is ``sum_l |pred - exact| / sum_l |exact|``
over its wavelengths, computed separately for Q_fwd and Q_back. Scored on the dataset's
test split (exact values stored in the dataset) and on off-grid particles with
continuously drawn sizes, whose exact spectra are computed here with
:func:`kerker.efficiencies` (the paper evaluated on grid points only).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kerker.dataset import Designs

__all__ = [
    "evaluate_surrogate",
    "example_spectra",
    "exact_spectra",
    "off_grid_designs",
    "rmae",
    "summarize_rmae",
    "test_split_metrics",
]

_SUBSET = 32  # test particles recorded per checkpoint so that tests can recompute them with exact Mie


def rmae(pred, exact) -> np.ndarray:
    """Per-spectrum relative mean absolute error.

    Parameters
    ----------
    pred, exact : array_like, shape (P, W)
        Predicted and exact spectra.

    Returns
    -------
    ndarray, shape (P,)
        ``sum_W |pred - exact| / sum_W |exact|`` (a fraction; multiply by 100 for %).
    """
    pred = np.asarray(pred, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64)
    if pred.shape != exact.shape or pred.ndim != 2:
        raise ValueError(f"pred and exact must both have shape (P, W), got {pred.shape} and {exact.shape}")
    return np.abs(pred - exact).sum(axis=1) / np.abs(exact).sum(axis=1)


def summarize_rmae(values: np.ndarray) -> dict:
    """Mean, median, 90th/99th percentile and max of per-spectrum rMAE values (fractions)."""
    v = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(v.mean()),
        "median": float(np.median(v)),
        "p90": float(np.quantile(v, 0.9)),
        "p99": float(np.quantile(v, 0.99)),
        "max": float(v.max()),
        "n": int(v.size),
    }


def test_split_metrics(model, dataset, split: str = "test", *, return_values: bool = False) -> dict:
    """rMAE of ``model`` on a dataset split, against the exact spectra stored in the dataset.

    Returns a dict with ``q_fwd`` and ``q_back`` summaries, ``n``, and ``subset``: the first
    32 particles of the split (designs and their rMAE), which the package tests recompute
    with exact Mie. With ``return_values`` the per-spectrum arrays are included as
    ``values_q_fwd`` / ``values_q_back``.
    """
    model.check_dataset(dataset)
    idx = dataset.indices(split)
    designs = dataset.designs(idx)
    q_fwd, q_back = model.predict(designs)
    e_fwd = np.asarray(dataset.q_fwd, dtype=np.float64)[idx]
    e_back = np.asarray(dataset.q_back, dtype=np.float64)[idx]
    v_fwd, v_back = rmae(q_fwd, e_fwd), rmae(q_back, e_back)
    k = min(_SUBSET, idx.size)
    first = designs[:k]
    out = {
        "split": split,
        "n": int(idx.size),
        "q_fwd": summarize_rmae(v_fwd),
        "q_back": summarize_rmae(v_back),
        "subset": {
            "index": idx[:k].tolist(),
            "core": first.core_names.tolist(),
            "shell": first.shell_names.tolist(),
            "r_core": first.r_core.tolist(),
            "t_shell": first.t_shell.tolist(),
            "rmae_q_fwd": v_fwd[:k].tolist(),
            "rmae_q_back": v_back[:k].tolist(),
        },
    }
    if return_values:
        out["values_q_fwd"], out["values_q_back"] = v_fwd, v_back
    return out


def off_grid_designs(materials, r_range, t_range, n: int, seed: int) -> Designs:
    """``n`` random designs: uniform material pairs, sizes uniform and continuous in the ranges (nm)."""
    rng = np.random.default_rng(seed)
    m = len(materials)
    core, shell = rng.integers(0, m, n), rng.integers(0, m, n)
    return Designs(tuple(materials), core_index=core, shell_index=shell, r_core=rng.uniform(*r_range, n),
                   t_shell=rng.uniform(*t_range, n))


def exact_spectra(designs: Designs, wavelength, *, extrapolate: str = "hold", chunk: int = 500,
                  log: Callable[[str], None] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``q_fwd, q_back`` (P, W) of hard ``designs`` by :func:`kerker.efficiencies`.

    ``extrapolate`` is the materials' policy outside their data range ("hold" is the
    paper's TiO2 < 430 nm choice, as in the dataset).
    """
    from kerker.materials import material
    from kerker.mie import efficiencies

    core, shell = designs.core_names, designs.shell_names
    mats = {name: material(name).with_extrapolation(extrapolate) for name in set(core) | set(shell)}
    r, t = np.asarray(designs.r_core), np.asarray(designs.t_shell)
    n = len(designs)
    fwd, back = [], []
    for i in range(0, n, chunk):
        sl = slice(i, i + chunk)
        q = efficiencies(
            [mats[c] for c in core[sl]],
            [mats[s] for s in shell[sl]],
            r[sl],
            t[sl],
            np.asarray(wavelength, dtype=np.float64),
        )
        fwd.append(q.q_fwd)
        back.append(q.q_back)
        if log is not None:
            log(f"  exact Mie: {min(i + chunk, n)}/{n} particles")
    return np.concatenate(fwd), np.concatenate(back)


def example_spectra(model, dataset, n: int = 6, split: str = "test") -> dict:
    """Predicted and stored exact spectra of ``n`` particles spread evenly over a split.

    The split is sorted by material, so evenly spaced positions cover the material pairs.

    Returns
    -------
    dict
        ``index`` (particle indices), ``designs`` (Designs), ``labels`` (one str per
        particle: materials and sizes in nm), ``exact`` and ``predicted``: dicts
        ``{"Q_fwd", "Q_back"}`` of (n, W) arrays on ``model.wavelength``.
    """
    idx = dataset.indices(split)
    idx = idx[np.linspace(0, idx.size - 1, n).astype(int)]
    designs = dataset.designs(idx)
    q_fwd, q_back = model.predict(designs)
    labels = [f"{c} {r:.1f} nm / {s} {t:.1f} nm"
              for c, s, r, t in zip(designs.core_names, designs.shell_names, designs.r_core, designs.t_shell)]
    return {
        "index": idx,
        "designs": designs,
        "labels": labels,
        "exact": {"Q_fwd": np.asarray(dataset.q_fwd)[idx], "Q_back": np.asarray(dataset.q_back)[idx]},
        "predicted": {"Q_fwd": q_fwd, "Q_back": q_back},
    }


def evaluate_surrogate(model, dataset=None, *, off_grid: int = 2000, seed: int = 0, extrapolate: str = "hold",
                       examples: int = 0, log: Callable[[str], None] | None = None) -> dict:
    """Test-split and off-grid rMAE of a surrogate (``kerker evaluate surrogate``).

    Parameters
    ----------
    model : Surrogate
    dataset : optional
        Dataset with a ``test`` split; skipped if None.
    off_grid : int
        Number of random off-grid particles (0 skips).
    seed : int
        Seed of the off-grid designs.
    extrapolate : str
        Material extrapolation policy of the exact reference.
    examples : int
        With a dataset: also return :func:`example_spectra` of this many test particles
        (0 skips).

    Returns
    -------
    dict
        ``test`` and/or ``off_grid`` entries, each with ``q_fwd`` / ``q_back`` summaries and
        the per-spectrum values ``values_q_fwd`` / ``values_q_back`` (ndarrays), and
        ``examples`` if asked for.
    """
    out: dict = {}
    if dataset is not None:
        out["test"] = test_split_metrics(model, dataset, return_values=True)
    if off_grid:
        designs = off_grid_designs(model.materials, model.r_range, model.t_range, off_grid, seed)
        e_fwd, e_back = exact_spectra(designs, model.wavelength, extrapolate=extrapolate, log=log)
        q_fwd, q_back = model.predict(designs)
        v_fwd, v_back = rmae(q_fwd, e_fwd), rmae(q_back, e_back)
        out["off_grid"] = {
            "n": off_grid,
            "seed": seed,
            "extrapolate": extrapolate,
            "q_fwd": summarize_rmae(v_fwd),
            "q_back": summarize_rmae(v_back),
            "values_q_fwd": v_fwd,
            "values_q_back": v_back,
        }
    if dataset is not None and examples:
        out["examples"] = example_spectra(model, dataset, examples)
    return out
