"""Fidelity of a WGAN-GP generator: generated designs vs the training distribution (paper Fig. S4).

All numbers are computed from hard-decoded designs (argmax materials, sizes in nm):

- material frequencies of core and shell, chi-square against uniform, largest deviation
  from 1/M in percentage points;
- the M x M material-pair table and how many pairs appear at all (mode collapse);
- per size: Kolmogorov-Smirnov distance to the continuous uniform design range and (if
  given) to the training sizes, the fraction of 1-nm bins of the range that are hit,
  extremes;
- corners of the (r_core, t_shell) square reached within a tolerance, overall and per
  material pair;
- latent smoothness: along straight lines in z, how often the argmax materials switch
  and how far the sizes jump between neighbouring points.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import stats

from kerker.dataset import Designs

__all__ = ["evaluate_wgan", "fidelity_metrics", "latent_smoothness", "layer_fidelity_metrics", "layer_smoothness",
           "pair_robustness"]

#: Done-when targets of issue 4 (shipped generator, 10,000 samples).
TARGETS = {"pairs_present": "all", "max_material_dev_pp": 3.0, "coverage_1nm": 0.95, "pair_ratio": (0.5, 1.5),
           "pair_seeds": 20}


def pair_robustness(generator, *, n_seeds: int = 20, n_samples: int = 10_000, first_seed: int = 0) -> dict:
    """Material-pair frequencies over ``n_seeds`` independent latent seeds of ``n_samples`` each.

    A latent space that hides a pair cannot find it; one lucky seed is not enough. Returns,
    per seed, the pairs present and the smallest/largest pair frequency relative to the
    uniform share ``n_samples / M^2``, and the extremes over all seeds. For generators of
    L layers a "pair" is the materials of any two layers: the counts are taken for every
    pair of layers, and a seed's figures are the worst over them.
    """
    m = len(generator.materials)
    expected = n_samples / (m * m)
    rows = []
    for s in range(first_seed, first_seed + n_seeds):
        index, _ = generator.sample_layers(n_samples, seed=s)
        counts = np.stack([np.bincount(index[:, i] * m + index[:, j], minlength=m * m)
                           for i, j in layer_pairs(index.shape[1])])
        rows.append({"seed": s, "present": int((counts > 0).sum(1).min()), "ratio_min": float(counts.min() / expected),
                     "ratio_max": float(counts.max() / expected)})
    return {
        "n_seeds": n_seeds, "n_samples": n_samples, "per_seed": rows,
        "all_pairs_on_every_seed": all(r["present"] == m * m for r in rows),
        "ratio_min": min(r["ratio_min"] for r in rows), "ratio_max": max(r["ratio_max"] for r in rows),
    }


def layer_pairs(n_layers: int) -> list[tuple[int, int]]:
    """Every pair of layers (i < j); one layer pairs with itself."""
    return [(i, j) for i in range(n_layers) for j in range(i + 1, n_layers)] or [(0, 0)]


def layer_fidelity_metrics(index, thickness, *, n_materials: int, ranges) -> dict:
    """Distribution statistics of L-layer designs (JSON-able): the L-layer counterpart of :func:`fidelity_metrics`.

    Parameters
    ----------
    index : array_like of int, shape (N, L)
        Material index of each layer, innermost first.
    thickness : array_like, shape (N, L)
        Thickness of each layer in nm (the first is the core radius).
    n_materials : int
        Number of materials M.
    ranges : sequence of (float, float), length L
        Each layer's size range in nm.

    Returns
    -------
    dict
        ``materials``: per-layer frequencies (L, M) and the largest deviation from 1/M in
        percentage points; ``pairs``: for every two layers the M x M counts, the fewest
        pairs present and the smallest/largest count against the uniform share;
        ``sequences``: how many of the M^L material sequences appear and their smallest
        and largest count; ``sizes``: per layer the 1-nm coverage, KS distance to the
        uniform range, extremes.
    """
    index = np.asarray(index, dtype=np.int64)
    thickness = np.asarray(thickness, dtype=np.float64)
    n, n_l = index.shape
    m = int(n_materials)
    freq = np.stack([np.bincount(index[:, l], minlength=m) / n for l in range(n_l)])
    pair_counts = {f"{i}-{j}": np.bincount(index[:, i] * m + index[:, j], minlength=m * m).reshape(m, m)
                   for i, j in layer_pairs(n_l)}
    allc = np.stack(list(pair_counts.values()))
    seq = np.unique(np.ravel_multi_index(index.T, (m,) * n_l), return_counts=True)[1] if m**n_l <= 10**7 else None
    sizes = [{"layer": l, **_size_stats(thickness[:, l], lo, hi)} for l, (lo, hi) in enumerate(ranges)]
    out = {
        "n_designs": int(n), "n_layers": int(n_l),
        "materials": {"frequencies": freq.tolist(), "max_abs_deviation_pp": float(100 * np.abs(freq - 1 / m).max())},
        "pairs": {"counts": {k: v.tolist() for k, v in pair_counts.items()}, "total": m * m,
                  "present": int((allc.reshape(len(allc), -1) > 0).sum(1).min()), "expected_count": n / (m * m),
                  "min_count": int(allc.min()), "max_count": int(allc.max())},
        "sizes": sizes,
    }
    if seq is not None:
        expected = n / m**n_l
        out["sequences"] = {"total": m**n_l, "present": int(seq.size), "expected_count": expected,
                            "min_count": int(seq.min()) if seq.size == m**n_l else 0, "max_count": int(seq.max())}
    return out


def _latent_lines(generator, n_lines: int, n_steps: int, seed: int):
    """Endpoints ``z0, z1`` (n_lines, 1, D) from ``seed`` and the points ``z0 + s (z1 - z0)``,
    ``n_steps`` per line, flat (n_lines n_steps, D)."""
    g = torch.Generator().manual_seed(int(seed))
    dtype = next(generator.parameters()).dtype
    z0 = torch.randn(n_lines, 1, generator.latent_dim, generator=g, dtype=dtype)
    z1 = torch.randn(n_lines, 1, generator.latent_dim, generator=g, dtype=dtype)
    s = torch.linspace(0.0, 1.0, n_steps, dtype=dtype)[None, :, None]
    return z0, z1, (z0 + s * (z1 - z0)).reshape(-1, generator.latent_dim)


def layer_smoothness(generator, *, n_lines: int = 100, n_steps: int = 200, seed: int = 0) -> dict:
    """:func:`latent_smoothness` for L-layer generators: material switches and size jumps along lines in z."""
    index, thickness = generator.decode_layers(_latent_lines(generator, n_lines, n_steps, seed)[2])
    index = index.reshape(n_lines, n_steps, -1)
    jumps = np.abs(np.diff(thickness.reshape(n_lines, n_steps, -1), axis=1))
    switches = (np.diff(index, axis=1) != 0).sum(axis=1)  # (lines, L)
    return {
        "n_lines": int(n_lines), "n_steps": int(n_steps),
        "switches_mean_per_layer": switches.mean(0).tolist(),
        "switch_fraction_of_steps": float(switches.sum() / (index.shape[2] * n_lines * (n_steps - 1))),
        "max_jump_nm_per_layer": jumps.max(axis=(0, 1)).tolist(),
        "step_mean_nm_per_layer": jumps.mean(axis=(0, 1)).tolist(),
    }


def _indices(designs) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    if not isinstance(designs, Designs):
        raise TypeError(f"expected a kerker.dataset.Designs batch; received {type(designs).__name__}")
    return (
        np.asarray(designs.core_index, dtype=np.int64),
        np.asarray(designs.shell_index, dtype=np.int64),
        np.asarray(designs.r_core, dtype=np.float64),
        np.asarray(designs.t_shell, dtype=np.float64),
    )


def _coverage(x: np.ndarray, lo: float, hi: float, width: float = 1.0) -> tuple[float, int]:
    """Fraction of ``width``-nm bins of [lo, hi] containing a value (the last bin includes hi)."""
    n_bins = max(1, math.ceil((hi - lo) / width - 1e-9))
    inside = x[(x >= lo) & (x <= hi)]
    hit = np.unique(np.minimum(((inside - lo) // width).astype(np.int64), n_bins - 1))
    return hit.size / n_bins, n_bins


def _size_stats(x: np.ndarray, lo: float, hi: float) -> dict:
    """Extremes, mean, KS distance to the uniform range and 1-nm coverage of one size (nm)."""
    cov, n_bins = _coverage(x, lo, hi)
    return {
        "min_nm": float(x.min()),
        "max_nm": float(x.max()),
        "mean_nm": float(x.mean()),
        "ks_vs_uniform_range": float(stats.kstest(x, "uniform", args=(lo, hi - lo)).statistic),
        "coverage_1nm": float(cov),
        "n_bins_1nm": int(n_bins),
    }


def _chi2_uniform(counts: np.ndarray) -> dict:
    res = stats.chisquare(counts.astype(np.float64).ravel())
    return {"statistic": float(res.statistic), "p_value": float(res.pvalue), "dof": int(counts.size - 1)}


def fidelity_metrics(designs: Designs, *, r_range, t_range, reference: Designs | None = None,
                     corner_tol: float = 0.05) -> dict:
    """Distribution statistics of a batch of designs (JSON-able dict).

    Parameters
    ----------
    designs : Designs
        Generated (or any) designs; soft ones count by their argmax materials. Their
        material list names the counts.
    r_range, t_range : (float, float)
        Design ranges in nm.
    reference : Designs, optional
        Training designs over the same materials, for the two-sample KS distances.
    corner_tol : float
        A corner counts as reached if a design lies within ``corner_tol`` times the range
        width of it in both sizes (0.05: within 4.95 nm for 1-100 nm).

    Returns
    -------
    dict
        ``n``, ``materials`` (counts, fractions, chi-square, ``max_abs_deviation_pp``),
        ``pairs`` (M x M counts, ``present`` of ``total``), ``sizes`` (per size: min, max,
        KS distances, ``coverage_1nm``), ``corners`` (fractions reached).
    """
    ci, si, r, t = _indices(designs)
    materials = designs.materials
    if reference is not None and reference.materials != materials:
        raise ValueError(f"reference designs are over {list(reference.materials)}, not {list(materials)}")
    m = len(materials)
    n = ci.size
    core_counts = np.bincount(ci, minlength=m)
    shell_counts = np.bincount(si, minlength=m)
    dev = 100.0 * np.abs(np.concatenate([core_counts, shell_counts]) / n - 1.0 / m)
    pairs = np.zeros((m, m), dtype=np.int64)
    np.add.at(pairs, (ci, si), 1)
    out = {
        "n": int(n),
        "materials": {
            "names": list(materials),
            "core_counts": core_counts.tolist(),
            "shell_counts": shell_counts.tolist(),
            "core_fraction": (core_counts / n).tolist(),
            "shell_fraction": (shell_counts / n).tolist(),
            "uniform_fraction": 1.0 / m,
            "core_chi2": _chi2_uniform(core_counts),
            "shell_chi2": _chi2_uniform(shell_counts),
            "max_abs_deviation_pp": float(dev.max()),
        },
        "pairs": {
            "counts": pairs.tolist(),
            "present": int((pairs > 0).sum()),
            "total": int(m * m),
            "min_count": int(pairs.min()),
            "max_count": int(pairs.max()),
            "expected_count": n / (m * m),
            "chi2": _chi2_uniform(pairs),
        },
        "sizes": {},
    }
    ref = _indices(reference) if reference is not None else None
    for k, (name, x, (lo, hi)) in enumerate((("r_core", r, r_range), ("t_shell", t, t_range))):
        entry = _size_stats(x, lo, hi)
        if ref is not None:
            entry["ks_vs_training"] = float(stats.ks_2samp(x, ref[2 + k]).statistic)
        out["sizes"][name] = entry
    tol_r = corner_tol * (r_range[1] - r_range[0])
    tol_t = corner_tol * (t_range[1] - t_range[0])
    corners = [(cr, ct) for cr in r_range for ct in t_range]
    near = np.stack([(np.abs(r - cr) <= tol_r) & (np.abs(t - ct) <= tol_t) for cr, ct in corners], axis=1)  # (N, 4)
    per_pair = np.zeros((m, m, 4), dtype=bool)
    rows, cols = np.nonzero(near)
    per_pair[ci[rows], si[rows], cols] = True
    out["corners"] = {
        "tolerance_nm": [float(tol_r), float(tol_t)],
        "corners_nm": [list(c) for c in corners],
        "reached": near.any(axis=0).tolist(),
        "fraction": float(near.any(axis=0).mean()),
        "per_pair_fraction": float(per_pair.mean()),
    }
    return out


def latent_smoothness(generator, *, n_lines: int = 100, n_steps: int = 200, seed: int = 0, keep: int = 5) -> dict:
    """How designs change along straight lines ``z(s) = z0 + s (z1 - z0)``, s in [0, 1].

    Parameters
    ----------
    generator : Generator
        Decodes latent vectors (hard).
    n_lines, n_steps : int
        Number of lines (endpoints drawn from N(0, I)) and points per line.
    seed : int
        Seed of the endpoints.
    keep : int
        Lines returned in full (for plots) under ``"examples"``.

    Returns
    -------
    dict
        ``metrics``: mean/max number of core and shell material switches per line, the
        fraction of steps with a switch, mean step and mean/max largest jump of r_core and
        t_shell per step (nm), mean Euclidean step in z. ``examples``: ``s``, ``r_core``,
        ``t_shell``, ``core_index``, ``shell_index`` of the first ``keep`` lines, shape
        (keep, n_steps).
    """
    z0, z1, z = _latent_lines(generator, n_lines, n_steps, seed)
    d = generator.decode(z, hard=True)
    ci, si, r, t = (a.reshape(n_lines, n_steps) for a in _indices(d))
    core_sw = (np.diff(ci, axis=1) != 0).sum(axis=1)
    shell_sw = (np.diff(si, axis=1) != 0).sum(axis=1)
    dr = np.abs(np.diff(r, axis=1))
    dt = np.abs(np.diff(t, axis=1))
    metrics = {
        "n_lines": int(n_lines),
        "n_steps": int(n_steps),
        "mean_z_step": float(((z1 - z0).norm(dim=-1).squeeze(-1) / (n_steps - 1)).mean()),
        "core_switches_mean": float(core_sw.mean()),
        "core_switches_max": int(core_sw.max()),
        "shell_switches_mean": float(shell_sw.mean()),
        "shell_switches_max": int(shell_sw.max()),
        "switch_fraction_of_steps": float((core_sw + shell_sw).sum() / (2 * n_lines * (n_steps - 1))),
        "r_core_step_mean_nm": float(dr.mean()),
        "r_core_max_jump_mean_nm": float(dr.max(axis=1).mean()),
        "r_core_max_jump_nm": float(dr.max()),
        "t_shell_step_mean_nm": float(dt.mean()),
        "t_shell_max_jump_mean_nm": float(dt.max(axis=1).mean()),
        "t_shell_max_jump_nm": float(dt.max()),
    }
    keep = min(keep, n_lines)
    examples = {
        "s": np.linspace(0.0, 1.0, n_steps),
        "r_core": r[:keep],
        "t_shell": t[:keep],
        "core_index": ci[:keep],
        "shell_index": si[:keep],
    }
    return {"metrics": metrics, "examples": examples}


def evaluate_wgan(
    generator,
    dataset=None,
    *,
    n_samples: int = 10_000,
    seed: int = 0,
    n_lines: int = 100,
    n_steps: int = 200,
    split: str | None = None,
) -> dict:
    """Fidelity report of a generator (``kerker evaluate wgan``), paper Fig. S4.

    Parameters
    ----------
    generator : Generator
        Trained generator (eval mode).
    dataset : optional
        The training dataset; its designs (``split``) are the reference distribution.
    n_samples : int
        Generated designs (10,000 as in the paper).
    seed : int
        Seed of the latent samples and of the lines.
    n_lines, n_steps : int
        Latent-smoothness lines.
    split : str, optional
        Which designs of ``dataset`` are the reference; default the split the generator
        was trained on (``generator.info``), else all.

    Returns
    -------
    dict
        ``metrics`` (JSON-able: ``run`` (the training command, config, epochs and time
        recorded in ``generator.info``), ``generated``, ``training``, ``smoothness``,
        ``pair_robustness`` (:func:`pair_robustness` on 20 seeds), ``targets``) and ``arrays`` (samples and reference designs as Designs, example
        lines, for the plots).
    """
    if generator.n_layers != 2:
        return _evaluate_layers(generator, dataset, n_samples=n_samples, seed=seed, n_lines=n_lines, n_steps=n_steps)
    was_training = generator.training
    generator.eval()
    try:
        designs = generator.sample(n_samples, seed=seed)
        smooth = latent_smoothness(generator, n_lines=n_lines, n_steps=n_steps, seed=seed + 1)
        robust = pair_robustness(generator, n_seeds=TARGETS["pair_seeds"], n_samples=n_samples)
    finally:
        generator.train(was_training)
    kw = {"r_range": generator.r_range, "t_range": generator.t_range}
    reference = None
    info = getattr(generator, "info", {})
    metrics: dict = {"n_samples": int(n_samples), "seed": int(seed), "run": _run_info(generator)}
    if dataset is not None:
        generator.check_dataset(dataset)
        if split is None:
            split = (info.get("train_config") or {}).get("split", "all")
        reference = dataset.designs(dataset.indices(split))
        metrics["reference_split"] = split
    metrics["generated"] = fidelity_metrics(designs, reference=reference, **kw)
    if reference is not None:
        metrics["training"] = fidelity_metrics(reference, **kw)
    metrics["smoothness"] = smooth["metrics"]
    metrics["pair_robustness"] = robust
    gen = metrics["generated"]
    cov = min(gen["sizes"]["r_core"]["coverage_1nm"], gen["sizes"]["t_shell"]["coverage_1nm"])
    metrics["targets"] = _targets(gen, cov, robust)
    arrays = {"generated": designs, "reference": reference, "lines": smooth["examples"]}
    return {"metrics": metrics, "arrays": arrays}


def _targets(generated: dict, coverage: float, robust: dict) -> dict:
    """The done-when targets (:data:`TARGETS`) of generated designs' metrics, their smallest
    1-nm ``coverage`` and the 20-seed :func:`pair_robustness`; ``all_met`` last."""
    targets = {
        "all_pairs_present": generated["pairs"]["present"] == generated["pairs"]["total"],
        "materials_within_3pp": generated["materials"]["max_abs_deviation_pp"] <= TARGETS["max_material_dev_pp"],
        "coverage_at_least_95pct": coverage >= TARGETS["coverage_1nm"],
        "pairs_within_0.5_1.5x_uniform_on_20_seeds": bool(
            robust["all_pairs_on_every_seed"]
            and TARGETS["pair_ratio"][0] <= robust["ratio_min"]
            and robust["ratio_max"] <= TARGETS["pair_ratio"][1]
        ),
    }
    targets["all_met"] = all(targets.values())
    return targets


def _run_info(generator) -> dict:
    info = getattr(generator, "info", {})
    history = info.get("history") or []
    return {
        "command": info.get("command"),
        "train_config": info.get("train_config"),
        "epochs": len(history),
        "train_time_s": float(sum(r.get("time_s", 0.0) for r in history)),
    }


def _evaluate_layers(generator, dataset, *, n_samples: int, seed: int, n_lines: int, n_steps: int) -> dict:
    """:func:`evaluate_wgan` of an L-layer generator (L != 2), against the uniform design space it learns."""
    if dataset is not None:
        raise ValueError(f"this generator makes {generator.n_layers}-layer designs; a core-shell dataset is no "
                         "reference for it (its training designs are uniform: omit the dataset)")
    was_training = generator.training
    generator.eval()
    try:
        index, thickness = generator.sample_layers(n_samples, seed=seed)
        smooth = layer_smoothness(generator, n_lines=n_lines, n_steps=n_steps, seed=seed + 1)
        robust = pair_robustness(generator, n_seeds=TARGETS["pair_seeds"], n_samples=n_samples)
    finally:
        generator.train(was_training)
    ranges = generator.layer_ranges().tolist()
    gen = layer_fidelity_metrics(index, thickness, n_materials=len(generator.materials), ranges=ranges)
    targets = _targets(gen, min(s["coverage_1nm"] for s in gen["sizes"]), robust)
    metrics = {"n_samples": int(n_samples), "seed": int(seed), "n_layers": generator.n_layers,
               "run": _run_info(generator), "generated": gen, "smoothness": smooth, "pair_robustness": robust,
               "targets": targets}
    return {"metrics": metrics, "arrays": {"index": index, "thickness": thickness}}
