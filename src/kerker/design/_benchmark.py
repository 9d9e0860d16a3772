"""The test-set inverse-design study (Soun et al., Sec. III.A, Fig. 5-6), resumable.

For M target particles with known exact spectra, every method searches the design
whose exact ``Q_fwd``/``Q_back`` spectra match the target (``SpectrumMatch`` on the
target's wavelengths); the found design is re-scored with exact Mie theory and compared
with the target by the rMAE of each spectrum. Per-target results are appended to
``results.jsonl`` as they finish, so an interrupted study resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from kerker.design._methods import METHODS, Problem
from kerker.design._objectives import SpectrumMatch
from kerker.design._physics import ExactPhysics, SurrogatePhysics, exact_spectra

__all__ = ["PAPER_FIGURES", "STUDY_METHODS", "InverseTargets", "run_inverse_benchmark", "run_inverse_study",
           "summarize_inverse"]

#: Study method name -> (search method, physics).
STUDY_METHODS = {
    "latent-surrogate": ("latent", "surrogate"),
    "latent-exact": ("latent", "exact"),
    "enumerate": ("enumerate", "exact"),
    "de": ("de", "exact"),
    "cma": ("cma", "exact"),
}

#: Soun et al., Sec. III.A: mean rMAE (%) over the test set (Fig. 6), Q_fwd and Q_back together.
PAPER_FIGURES = {"latent-surrogate": 1.12, "de": 11.88}


@dataclass(frozen=True)
class InverseTargets:
    """M target particles: designs (material indices into ``materials``), sizes (nm), spectra.

    ``q_fwd``, ``q_back`` have shape (M, W) on ``wavelength`` (nm); ``index`` identifies each
    target in its source (e.g. the dataset row) and ``label`` the source ("test", "off-grid").
    """

    materials: tuple
    wavelength: np.ndarray
    index: np.ndarray
    core_index: np.ndarray
    shell_index: np.ndarray
    r_core: np.ndarray
    t_shell: np.ndarray
    q_fwd: np.ndarray
    q_back: np.ndarray
    label: str = "test"

    def __len__(self) -> int:
        return int(self.index.size)

    def sample(self, k: int, seed: int = 0) -> InverseTargets:
        """A seeded random ``k`` of these targets (all of them when ``k >= len(self)``), in their order.

        A target's search is seeded by its own index, so each sampled target gets the result
        it gets in the study of all of them.
        """
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"sample must be a positive integer (targets to run); received {k!r}")
        if k >= len(self):
            return self
        rows = np.sort(np.random.default_rng(seed).permutation(len(self))[:k])
        arrays = ("index", "core_index", "shell_index", "r_core", "t_shell", "q_fwd", "q_back")
        return replace(self, **{name: getattr(self, name)[rows] for name in arrays})

    @classmethod
    def from_dataset(cls, dataset, split: str = "test", n: int | None = None, seed: int = 0,
                     label: str | None = None) -> InverseTargets:
        """``n`` targets (default: the whole split) drawn with ``seed`` from a dataset split.

        Parameters
        ----------
        dataset : kerker.dataset.Dataset
            An opened dataset; its exact spectra are the targets.
        split : str
            ``"train"``, ``"val"``, ``"test"`` (or ``"all"``).
        n, seed : int, optional
            Seeded subset (:meth:`kerker.dataset.Dataset.indices`).
        label : str, optional
            Name of this target set in the results (default the split's name).
        """
        idx = np.asarray(dataset.indices(split, n=n, seed=seed))
        d = dataset.designs(idx)
        return cls(
            tuple(dataset.materials), np.asarray(dataset.wavelength, dtype=np.float64), idx,
            np.asarray(d.core_index), np.asarray(d.shell_index), np.asarray(d.r_core), np.asarray(d.t_shell),
            np.asarray(dataset.q_fwd[idx], dtype=np.float64), np.asarray(dataset.q_back[idx], dtype=np.float64),
            label or split,
        )


def _rmae(pred: np.ndarray, exact: np.ndarray) -> np.ndarray:
    from kerker.models import rmae

    return rmae(pred, exact)


def _drop_cut_line(path: Path) -> None:
    """Truncate a last line that a kill cut short, so that the next rows start on a line of their own."""
    if not path.is_file():
        return
    with open(path, "rb+") as handle:
        data = handle.read()
        if data and not data.endswith(b"\n"):
            handle.truncate(data.rfind(b"\n") + 1)
            handle.flush()
            os.fsync(handle.fileno())


def _done(path: Path) -> set[tuple[str, str, int]]:
    done = set()
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # a line cut by an interrupt: that target reruns
                continue
            done.add((row["method"], row["label"], int(row["target"])))
    return done


def _append(path: Path, rows: list[dict]) -> None:
    # One write of whole lines, flushed and synced: a kill leaves at most a partial last line.
    with open(path, "a") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in rows))
        handle.flush()
        os.fsync(handle.fileno())


def _solve_batch(name: str, targets: InverseTargets, rows: np.ndarray, *, starts: int, iterations: int,
                 lr: float | None, seed: int, screen: int, surrogate, generator,
                 relative: bool = False, stratify: bool = False) -> tuple[list[dict], float]:
    method, physics = STUDY_METHODS[name]
    k = rows.size
    wl = targets.wavelength
    objective = SpectrumMatch(wl, q_fwd=targets.q_fwd[rows], q_back=targets.q_back[rows], relative=relative)
    materials = targets.materials
    if physics == "surrogate":
        search = SurrogatePhysics(surrogate, wl)
    else:
        search = ExactPhysics(materials, wl)
    all_idx = np.arange(len(materials))
    lr = {"latent": 0.01, "enumerate": 0.05}.get(method, 0.0) if lr is None else lr
    t0 = time.perf_counter()
    results = []
    if method in ("latent", "enumerate"):
        problem = Problem(objective, search, materials, all_idx, all_idx, (1.0, 100.0), (1.0, 100.0), starts,
                          iterations, float(lr), seed, 0.0, 0, None,
                          group_seeds=tuple(int(seed + targets.index[r]) for r in rows),
                          screen=screen if method == "latent" else max(screen, 16),
                          stratify=stratify and method == "latent")
        out = METHODS[method](problem, generator)
        per = out.extra["rows_per_group"]
        groups = [slice(g * per, (g + 1) * per) for g in range(k)]
        outs = [(out, g) for g in groups]
        evals = out.evaluations // k
    else:
        outs = []
        for r in rows:
            obj = SpectrumMatch(wl, q_fwd=targets.q_fwd[r], q_back=targets.q_back[r], relative=relative)
            problem = Problem(obj, search, materials, all_idx, all_idx, (1.0, 100.0), (1.0, 100.0), starts,
                              iterations, 0.0, int(seed + targets.index[r]), 0.0, 0, None)
            o = METHODS[method](problem, None)
            outs.append((o, slice(None)))
        evals = outs[0][0].evaluations
    wall = (time.perf_counter() - t0) / k
    for (o, g), r in zip(outs, rows):
        ci, si, rc, ts = o.core_index[g], o.shell_index[g], o.r_core[g], o.t_shell[g]
        qf, qb = exact_spectra(materials, ci, si, rc, ts, wl)
        with torch.no_grad():  # the final pick: the objective of this target, on exact spectra
            one = SpectrumMatch(wl, q_fwd=targets.q_fwd[r], q_back=targets.q_back[r], relative=relative)
            loss = one(torch.as_tensor(qf), torch.as_tensor(qb)).numpy()
        b = int(np.argmin(loss))
        tc, tsh = int(targets.core_index[r]), int(targets.shell_index[r])
        results.append({
            "method": name, "label": targets.label, "target": int(targets.index[r]),
            "target_design": {"core": materials[tc], "shell": materials[tsh],
                              "r_core": float(targets.r_core[r]), "t_shell": float(targets.t_shell[r])},
            "found": {"core": materials[int(ci[b])], "shell": materials[int(si[b])],
                      "r_core": float(rc[b]), "t_shell": float(ts[b])},
            "rmae_fwd": float(_rmae(qf[b : b + 1], targets.q_fwd[r : r + 1])[0]),
            "rmae_back": float(_rmae(qb[b : b + 1], targets.q_back[r : r + 1])[0]),
            "materials_recovered": bool(int(ci[b]) == tc and int(si[b]) == tsh),
            "ambiguous": bool(tc == tsh),
            "q_fwd": qf[b].tolist(), "q_back": qb[b].tolist(),
            "target_q_fwd": targets.q_fwd[r].tolist(), "target_q_back": targets.q_back[r].tolist(),
            "evaluations": int(evals), "wall_time_s": float(wall),
        })
    return results, wall


def _solve_task(targets: InverseTargets, options: dict, surrogate, generator, name: str, rows: np.ndarray,
                starts: int, iterations: int) -> list[dict]:
    """One task of the study: a batch of targets of one method (its rows and, through them, its seeds)."""
    return _solve_batch(name, targets, rows, starts=starts, iterations=iterations, surrogate=surrogate,
                        generator=generator, **options)[0]


def run_inverse_benchmark(
    targets: InverseTargets,
    out_dir: str | Path,
    *,
    methods=("latent-surrogate", "latent-exact", "enumerate", "de", "cma"),
    starts: int = 100,
    iterations: int = 100,
    population: int = 100,
    generations: int = 250,
    lr: float | None = None,
    seed: int = 0,
    batch: int = 25,
    screen: int = 1,
    relative: bool = False,
    stratify: bool = False,
    surrogate=None,
    generator=None,
    log: Callable[[str], None] | None = None,
    executor=None,
) -> Path:
    """Run (or resume) the test-set study; returns the path of ``results.jsonl``.

    Parameters
    ----------
    targets : InverseTargets
        The target particles and their exact spectra.
    out_dir : path
        Receives ``results.jsonl`` (one line per method and target, appended as they finish).
    methods : sequence of str
        Keys of :data:`STUDY_METHODS`.
    starts, iterations : int
        Concurrent starts per target and Adam iterations of the gradient methods
        (``enumerate`` spreads ``starts`` over the 49 pairs, at least one each).
    population, generations : int
        Population and generations of ``de``/``cma`` (the paper: 100 x 250).
    seed : int
        Target ``i`` is searched with seed ``seed + index[i]``: its result does not depend on
        which other targets share its batch.
    batch : int
        Targets per batch for the gradient methods.
    screen : int
        Latent screening factor (1: the paper's random starts); ``enumerate`` always
        starts from the best points of a 16 x 16 size grid per pair.
    relative : bool
        Match with the scale-free ``SpectrumMatch(relative=True)`` (each spectrum's MSE over
        its target's mean square) instead of the plain MSE.
    stratify : bool
        Latent methods with ``screen > 1``: keep the screened starts spread over the
        material pairs (:func:`kerker.inverse_design`'s ``stratify``).
    log : callable, optional
        Progress lines.
    executor : optional
        Where the batches run: None (default) in this process, one after the other, or an
        executor of :func:`kerker.open_executor` (a Dask cluster, ``docs/distributed.md``),
        one task per batch (per target for ``de``/``cma``). The batches are the same either
        way, so are the results (only ``wall_time_s`` differs); this process appends each
        batch's rows to ``results.jsonl`` as it completes, so the file's row order may
        differ (:func:`summarize_inverse` does not depend on it).
    """
    from kerker._executor import check_executor

    executor = check_executor(executor, "run_inverse_benchmark")
    unknown = [m for m in methods if m not in STUDY_METHODS]
    if unknown:
        raise ValueError(f"unknown methods {unknown}; available: {list(STUDY_METHODS)}")
    for name, v in (("starts", starts), ("iterations", iterations), ("population", population),
                    ("generations", generations), ("batch", batch)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")
    from kerker._artifacts import exclusive_lock

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.jsonl"
    with exclusive_lock(path):  # one study per output: a second one would append the same targets again
        _run_locked(targets, path, executor, methods=methods, starts=starts, iterations=iterations,
                    population=population, generations=generations, lr=lr, seed=seed, batch=batch, screen=screen,
                    relative=relative, stratify=stratify, surrogate=surrogate, generator=generator, log=log)
    return path


def _run_locked(targets, path, executor, *, methods, starts, iterations, population, generations, lr, seed, batch,
                screen, relative, stratify, surrogate, generator, log) -> None:
    _drop_cut_line(path)
    done = _done(path)
    if any(STUDY_METHODS[m][0] == "latent" or STUDY_METHODS[m][1] == "surrogate" for m in methods):
        from kerker.models import load_generator, load_surrogate

        surrogate = surrogate or load_surrogate()
        generator = generator or load_generator()
    log = log or (lambda line: None)
    if executor.distributed:
        log(f"running the batches {executor.describe()}")
    todo, started, finished = {}, {}, {}

    def tasks():
        # lazily: in this process each method's clock starts when its first batch does
        for name in methods:
            rows = np.array([i for i in range(len(targets))
                             if (name, targets.label, int(targets.index[i])) not in done], dtype=np.int64)
            if rows.size == 0:
                log(f"{name} ({targets.label}): all {len(targets)} targets done")
                continue
            todo[name], finished[name] = rows.size, 0
            per_batch = batch if STUDY_METHODS[name][0] in ("latent", "enumerate") else 1
            its, st = (generations, population) if STUDY_METHODS[name][0] in ("de", "cma") else (iterations, starts)
            for b in range(0, rows.size, per_batch):
                started.setdefault(name, time.perf_counter())
                yield name, (name, rows[b : b + per_batch], st, its)

    options = {"lr": lr, "seed": seed, "screen": screen, "relative": relative, "stratify": bool(stratify)}
    results = executor.map(_solve_task, tasks(), shared=(targets, options, surrogate, generator), name="targets")
    try:
        with closing(results):  # an error or interrupt here cancels the batches still running
            for name, res in results:
                _append(path, res)
                finished[name] += len(res)
                n_done, n_todo = finished[name], todo[name]
                rate = (time.perf_counter() - started[name]) / n_done
                log(f"{name} ({targets.label}): {n_done}/{n_todo} targets, {rate:.2f} s/target, "
                    f"ETA {rate * (n_todo - n_done) / 60:.1f} min")
    except KeyboardInterrupt:
        log(f"interrupted: {sum(finished.values())} targets of this run kept in {path}; run again to resume")
        raise


def summarize_inverse(path: str | Path) -> dict:
    """Per method and target set: rMAE mean/median (%), materials recovered, time and evaluations per target."""
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    out: dict = {}
    for r in rows:
        out.setdefault((r["method"], r["label"]), []).append(r)
    summary = {}
    for (method, label), rs in sorted(out.items()):
        rs = sorted(rs, key=lambda r: r["target"])  # the file's order is the order batches finished in
        fwd = np.array([r["rmae_fwd"] for r in rs]) * 100
        back = np.array([r["rmae_back"] for r in rs]) * 100
        unamb = [r for r in rs if not r["ambiguous"]]
        summary.setdefault(method, {})[label] = {
            "targets": len(rs),
            "rmae_fwd_mean_pct": float(fwd.mean()), "rmae_fwd_median_pct": float(np.median(fwd)),
            "rmae_back_mean_pct": float(back.mean()), "rmae_back_median_pct": float(np.median(back)),
            "rmae_mean_pct": float((fwd.mean() + back.mean()) / 2),
            "materials_recovered_unambiguous": float(np.mean([r["materials_recovered"] for r in unamb])) if unamb else None,
            "ambiguous_targets": len(rs) - len(unamb),
            "wall_time_per_target_s": float(np.mean([r["wall_time_s"] for r in rs])),
            "evaluations_per_target": float(np.mean([r["evaluations"] for r in rs])),
            "paper_rmae_mean_pct": PAPER_FIGURES.get(method),
        }
    return summary


def run_inverse_study(
    data,
    out_dir,
    *,
    off_grid=None,
    targets: int | None = 2500,
    methods=("latent-surrogate", "latent-exact", "enumerate", "de", "cma"),
    seed: int = 0,
    sample: int | None = None,
    command=None,
    log: Callable[[str], None] | None = None,
    executor=None,
    **options,
) -> dict:
    """``kerker benchmark inverse``: targets from dataset files, the study, ``summary.json``.

    Parameters
    ----------
    data : path
        Dataset whose ``test`` split holds the targets (:func:`kerker.dataset.open_dataset`).
    out_dir : path
        Receives ``results.jsonl`` (resumable) and ``summary.json`` (with provenance).
    off_grid : path, optional
        A second target set: an off-grid dataset (``kerker dataset build --config offgrid``),
        its ``test`` split.
    targets : int or None
        Targets drawn (with ``seed``) from each set; None takes the whole split.
    sample : int, optional
        Run ``methods`` on a seeded random ``sample`` of each set's targets only
        (:meth:`InverseTargets.sample`), e.g. a costly method at the paper's budget; every
        sampled target's row is the one the run over all targets gives it, and the
        summary counts each method's own targets.
    methods, seed, log, executor
        See :func:`run_inverse_benchmark`; ``options`` are passed on (starts, iterations,
        population, generations, screen, batch, relative, stratify).

    Returns
    -------
    dict
        The summary (per method and target set), as written to ``summary.json``.
    """
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.dataset import open_dataset

    out = Path(out_dir)
    sets = [("test", data)] + ([("off-grid", off_grid)] if off_grid is not None else [])
    sources = {}
    path = out / "results.jsonl"
    for label, file in sets:
        ds = open_dataset(file)
        split_size = ds.split("test").size
        n = None if targets is None or targets >= split_size else targets
        t = InverseTargets.from_dataset(ds, "test", n=n, seed=seed, label=label)
        sources[label] = {"path": str(file), "fingerprint": getattr(ds, "fingerprint", None), "targets": len(t)}
        if sample is not None:
            t = t.sample(sample, seed=seed)
            sources[label]["sampled"] = len(t)
        path = run_inverse_benchmark(t, out, methods=methods, seed=seed, log=log, executor=executor, **options)
    summary = summarize_inverse(path)
    config = {"methods": list(methods), "targets": targets, "sample": sample, **options}
    payload = {"summary": summary, "paper": PAPER_FIGURES, "sources": sources,
               "provenance": {**provenance(config, seed=seed), "command": list(command) if command else None}}
    write_json_atomic(out / "summary.json", payload)
    return payload
