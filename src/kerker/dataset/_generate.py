"""Generating a core-shell dataset with exact Mie theory, chunk by chunk and resumably.

The particles (inputs and split) are written first, then the efficiencies chunk by chunk,
each chunk with its SHA-256 and followed by its flag in the ``done`` mask. A build goes
into ``<out>.partial`` and is renamed to ``<out>`` once every chunk is done and the whole
file, read back, matches its checksums, so a file under the final name is always complete
and intact. An interrupted build (Ctrl-C, kill -9) resumes from the ``.partial`` file on
the next run with the same config; since each chunk is a pure function of the config, the
result is bit-identical to an uninterrupted build.

One build per output at a time: the build holds :func:`kerker._artifacts.exclusive_lock`
on ``<out>`` (the file ``<out>.lock``) from before it opens anything for writing until it
returns, and a second build on the same ``<out>`` is refused at once. Symbolic links at
``<out>`` and ``<out>.partial`` are refused: the data would land wherever they point.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import closing
from pathlib import Path

import numpy as np

from kerker._artifacts import exclusive_lock, stale_temporaries
from kerker._executor import check_executor
from kerker.dataset._config import DatasetConfig
from kerker.dataset._store import (
    INPUTS,
    TARGETS,
    check_arrays,
    check_compatible,
    create_partial,
    fsync,
    open_file,
    open_partial,
    raise_damaged,
    read_header,
    scan,
    set_complete,
    write_chunk,
)
from kerker.materials import permittivity_table

__all__ = ["build_dataset", "dataset_particles", "dataset_split"]


def dataset_particles(config: DatasetConfig) -> dict[str, np.ndarray]:
    """The particles of a dataset, in file order.

    Parameters
    ----------
    config : DatasetConfig

    Returns
    -------
    dict
        ``core_index``, ``shell_index`` (int64, shape (N,), indices into
        ``config.materials``), ``r_core``, ``t_shell`` (float64 nm, shape (N,)). For a grid
        the order is core material, shell material, core radius, shell thickness (the last
        varies fastest).
    """
    n_mat = len(config.materials)
    if config.sampling == "grid":
        r = np.linspace(*config.r_core_range, config.n_r_core)
        t = np.linspace(*config.t_shell_range, config.n_t_shell)
        ci, si, ri, ti = np.meshgrid(
            np.arange(n_mat), np.arange(n_mat), np.arange(r.size), np.arange(t.size), indexing="ij"
        )
        return {
            "core_index": ci.ravel().astype(np.int64),
            "shell_index": si.ravel().astype(np.int64),
            "r_core": r[ri.ravel()],
            "t_shell": t[ti.ravel()],
        }
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(2)[0])
    n = config.n_particles
    return {
        "core_index": rng.integers(0, n_mat, n).astype(np.int64),
        "shell_index": rng.integers(0, n_mat, n).astype(np.int64),
        "r_core": rng.uniform(*config.r_core_range, n),
        "t_shell": rng.uniform(*config.t_shell_range, n),
    }


def dataset_split(config: DatasetConfig) -> dict[str, np.ndarray]:
    """Seeded train/val/test split: sorted, disjoint int64 index arrays covering 0..N-1."""
    rng = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(2)[1])
    perm = rng.permutation(config.size)
    n_train, n_val, _ = config.split
    parts = (perm[:n_train], perm[n_train : n_train + n_val], perm[n_train + n_val :])
    return {name: np.sort(p).astype(np.int64) for name, p in zip(("train", "val", "test"), parts, strict=True)}


def _chunk_rows(config, particles, k) -> dict[str, np.ndarray]:
    """The particles of chunk ``k``: the work of one task (130 kB for 4,096 particles, whatever the dataset's size)."""
    sl = slice(k * config.chunk_size, min((k + 1) * config.chunk_size, config.size))
    return {name: particles[name][sl] for name in ("core_index", "shell_index", "r_core", "t_shell")}


def _chunk_efficiencies(config, eps, rows) -> dict[str, np.ndarray]:
    """The efficiencies of one chunk's particles ``rows``: a pure function, run here or on a Dask worker.

    Cast to the file's dtype here, so that a worker sends the writer what is stored (half
    the bytes for float32); the values are those :func:`write_chunk` would store.
    """
    from kerker.mie import efficiencies

    q = efficiencies(
        eps[rows["core_index"]],
        eps[rows["shell_index"]],
        rows["r_core"],
        rows["t_shell"],
        config.wavelength(),
        config.env,
    )
    return {name: np.asarray(getattr(q, name), dtype=config.dtype) for name in TARGETS}


def build_dataset(path, config: DatasetConfig | None = None, *, progress=True, executor=None) -> Path:
    """Compute a core-shell efficiency dataset with exact Mie theory and store it as HDF5.

    Builds into ``<path>.partial`` and renames it to ``path`` when complete and, read
    back, equal to the SHA-256 of every chunk recorded when it was written. Resumes an
    interrupted build of the same config (recomputing any finished chunk that no longer
    matches its checksum); re-running on a complete file of the same config checks it
    and does nothing else. Holds the lock ``<path>.lock`` throughout.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, e.g. ``data/coreshell.h5``; parent directories are created.
    config : DatasetConfig, optional
        What to compute; default ``DatasetConfig()``, the paper's 122,500-particle grid.
    progress : bool or callable, optional
        True (default): progress lines on stderr (chunk k/K, spectra/s, ETA). A callable
        is called as ``progress(done_chunks, n_chunks, spectra_per_s, eta_s)`` after each
        chunk. False: silent.
    executor : optional
        Where the chunks are computed: None (default) in this process, or an executor of
        :func:`kerker.open_executor` (a Dask cluster, ``docs/distributed.md``). Chunks are
        computed by the workers and written by this process in chunk order, so the file
        is bit-identical whatever the executor, worker count or order of completion; the
        executor is not part of the config, the fingerprint or the file.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``path`` or ``<path>.partial`` holds a dataset of a different config (the
        message lists each differing field), or is not a kerker dataset / is corrupt /
        damaged (a ``.partial`` that cannot be resumed: the message says to delete it);
        if another build holds ``<path>.lock``; if ``path`` or ``<path>.partial`` is a
        symbolic link.
    KeyboardInterrupt
        Re-raised after the finished chunks are safely recorded; run again to resume.
    """
    config = DatasetConfig() if config is None else config
    if not isinstance(config, DatasetConfig):
        raise TypeError(f"build_dataset config must be a DatasetConfig; received {type(config).__name__}")
    executor = check_executor(executor, "build_dataset")
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    report = _reporter(progress)
    _refuse_links(path, partial)
    path.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(path):
        _refuse_links(path, partial)  # again, now that no other build can be making them
        if path.exists():
            header = read_header(path)  # raises for foreign/corrupt files
            check_compatible(header, config, path)
            if not header["complete"]:
                raise ValueError(f"{path} is incomplete although it has the final name; delete it and build again")
            with open_file(path, "r") as f:
                check_arrays(f, header["config"], path, (*INPUTS, *TARGETS))
            report.message(
                f"{path} is already complete and intact (fingerprint {header['fingerprint'][:12]}, every chunk's "
                "SHA-256 verified); nothing to do"
            )
            return path
        _remove_stale_temporaries(partial, report)
        particles = dataset_particles(config)
        eps = permittivity_table(config.materials, config.wavelength(), extrapolation=config.extrapolation)
        if partial.exists():
            handle = open_partial(partial, config)
            report.message(f"resuming {partial}: {int(handle['done'][...].sum())}/{config.n_chunks} chunks done")
        else:
            create_partial(partial, config, particles, dataset_split(config))
            handle = open_partial(partial, config)
        with handle as f:
            _recompute_damaged(f, config, partial, report)
            _compute(f, config, particles, eps, partial, report, executor)
        _check_before_rename(partial, config)
        with open_file(partial, "r+") as f:
            set_complete(f)
        fsync(partial)
        os.replace(partial, path)
        fsync(path.parent)
        report.message(
            f"wrote {path} ({config.size} particles x {config.n_wavelengths} wavelengths; every chunk's SHA-256 "
            "verified)"
        )
    return path


def _compute(f, config, particles, eps, partial, report, executor) -> None:
    """Compute and write every chunk not yet done, each chunk's data synced before its flag.

    The executor computes the chunks (in this process by default, one at a time, when the
    loop asks for the next); they come back in chunk order and only this process writes.
    """
    done = f["done"][...].astype(bool)
    if executor.distributed:
        report.message(f"computing {int((~done).sum())} chunks {executor.describe()}")
        report.where = lambda: f"  on {executor.slots()} Dask workers"
    tasks = ((int(k), (_chunk_rows(config, particles, k),)) for k in np.flatnonzero(~done))
    start, computed = time.perf_counter(), 0
    results = executor.map(_chunk_efficiencies, tasks, shared=(config, eps), ordered=True, name="chunk")
    try:
        with closing(results):  # an error or interrupt here cancels the chunks still computing
            for k, q in results:
                write_chunk(f, config, k, q)
                f.flush()
                fsync(partial)  # the chunk's data reach the disk before the flag that says so
                f["done"][k] = 1
                f.flush()
                computed += q["q_fwd"].shape[0]
                rate = computed / (time.perf_counter() - start)
                n_done = int(f["done"][...].sum())
                remaining = config.size - min(config.size, n_done * config.chunk_size)
                report(n_done, config.n_chunks, rate, remaining / rate)
    except KeyboardInterrupt:
        n_done = int(f["done"][...].sum())
        report.message(f"interrupted: {n_done}/{config.n_chunks} chunks saved in {partial}; run again to resume")
        raise


def _recompute_damaged(f, config, partial, report) -> None:
    """Mark the done chunks whose data do not match their SHA-256 as not done, to be computed again."""
    damage, _ = scan(f, config, TARGETS)
    for k in sorted({d.block for d in damage}):
        f["done"][k] = 0
    if damage:
        f.flush()
        report.message(f"{partial}: damaged, computing again: " + "; ".join(str(d) for d in damage))


def _check_before_rename(partial: Path, config: DatasetConfig) -> None:
    """Read the finished file afresh and check every block: nothing is reported written that is not intact.

    A fresh handle, so that the data come from the file and not from HDF5's chunk cache.
    Damaged efficiency chunks are marked not done, so that running the build again
    recomputes them; damaged inputs cannot be recomputed in place.
    """
    with open_file(partial, "r") as f:
        damage, _ = scan(f, config, (*INPUTS, *TARGETS))
    if not damage:
        return
    chunks = sorted({d.block for d in damage if d.array in TARGETS})
    if len(chunks) == sum(d.array in TARGETS for d in damage) == len(damage):
        with open_file(partial, "r+") as f:
            for k in chunks:
                f["done"][k] = 0
            f.flush()
        damaged = "; ".join(str(d) for d in damage)
        raise ValueError(
            f"{partial} did not read back as written: {damaged} do not match the SHA-256 computed when they were "
            "written (is another program writing to it, or the disk failing?). Those chunks are marked not done: "
            "run the same command again to recompute them"
        )
    raise_damaged(partial, damage)


def _refuse_links(path: Path, partial: Path) -> None:
    for where, what in ((path, "output"), (partial, "unfinished build")):
        if where.is_symlink():
            raise ValueError(
                f"the {what} path {where} is a symbolic link (to {os.readlink(where)}); a build writes only to a "
                "real file at that path. Remove the link, or build at the path it points to"
            )


def _remove_stale_temporaries(partial: Path, report) -> None:
    """Remove what a build killed while creating ``partial`` left: its temporary files (under the lock)."""
    for entry in stale_temporaries(partial):
        entry.unlink()
        report.message(f"removed {entry}, left by a build interrupted while creating {partial}")


class _reporter:
    """Progress on stderr: a line per chunk (rewritten in place on a terminal)."""

    def __init__(self, progress):
        self.progress = progress
        self.tty = sys.stderr.isatty()
        self.open_line = False  # a "\r" progress line awaits its newline
        self.where = str  # appended to each line: where the chunks are computed

    def __call__(self, k, n, rate, eta):
        if callable(self.progress):
            self.progress(k, n, rate, eta)
        elif self.progress:
            line = f"chunk {k}/{n}  {rate:,.0f} spectra/s  ETA {_duration(eta)}{self.where()}"
            self.open_line = self.tty and k < n
            print(("\r" + line) if self.tty else line, end="" if self.open_line else "\n", file=sys.stderr, flush=True)

    def message(self, text):
        if self.progress is True:
            print(("\n" if self.open_line else "") + text, file=sys.stderr, flush=True)
            self.open_line = False


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else f"{m}m{s:02d}s"
