"""Generating a core-shell dataset with exact Mie theory, chunk by chunk and resumably.

The particles (inputs and split) are written first, then the efficiencies chunk by chunk,
each chunk followed by its flag in the ``done`` mask. A build goes into ``<out>.partial``
and is renamed to ``<out>`` once every chunk is done, so a file under the final name is
always complete. An interrupted build (Ctrl-C, kill -9) resumes from the
``.partial`` file on the next run with the same config; since each chunk is a pure
function of the config, the result is bit-identical to an uninterrupted build.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from kerker.dataset._config import DatasetConfig
from kerker.dataset._store import (
    TARGETS,
    check_compatible,
    create_partial,
    open_partial,
    read_header,
    set_complete,
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


def _compute_chunk(config, particles, eps, k) -> dict[str, np.ndarray]:
    from kerker.mie import efficiencies

    sl = slice(k * config.chunk_size, min((k + 1) * config.chunk_size, config.size))
    q = efficiencies(
        eps[particles["core_index"][sl]],
        eps[particles["shell_index"][sl]],
        particles["r_core"][sl],
        particles["t_shell"][sl],
        config.wavelength(),
        config.env,
    )
    return {name: getattr(q, name) for name in TARGETS}


def build_dataset(path, config: DatasetConfig | None = None, *, progress=True) -> Path:
    """Compute a core-shell efficiency dataset with exact Mie theory and store it as HDF5.

    Builds into ``<path>.partial`` and renames it to ``path`` when complete. Resumes an
    interrupted build of the same config; re-running on a complete file of the same
    config does nothing.

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

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        If ``path`` or ``<path>.partial`` holds a dataset of a different config (the
        message lists each differing field), or is not a kerker dataset / is corrupt.
    KeyboardInterrupt
        Re-raised after the finished chunks are safely recorded; run again to resume.
    """
    config = DatasetConfig() if config is None else config
    if not isinstance(config, DatasetConfig):
        raise TypeError(f"build_dataset config must be a DatasetConfig; received {type(config).__name__}")
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    report = _reporter(progress)
    if path.exists():
        header = read_header(path)  # raises for foreign/corrupt files
        check_compatible(header, config, path)
        if not header["complete"]:
            raise ValueError(f"{path} is incomplete although it has the final name; delete it and build again")
        report.message(f"{path} is already complete (fingerprint {header['fingerprint'][:12]}); nothing to do")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    particles = dataset_particles(config)
    eps = permittivity_table(config.materials, config.wavelength(), extrapolation=config.extrapolation)
    if partial.exists():
        handle = open_partial(partial, config)
        report.message(f"resuming {partial}: {int(handle['done'][...].sum())}/{config.n_chunks} chunks done")
    else:
        handle = create_partial(partial, config, particles, dataset_split(config))
    with handle as f:
        done = f["done"][...].astype(bool)
        todo = np.flatnonzero(~done)
        start, computed = time.perf_counter(), 0
        try:
            for k in todo:
                q = _compute_chunk(config, particles, eps, k)
                sl = slice(k * config.chunk_size, k * config.chunk_size + q["q_fwd"].shape[0])
                for name in TARGETS:
                    f[name][sl] = q[name]
                f.flush()
                _fsync(partial)  # the chunk's data reach the disk before the flag that says so
                f["done"][k] = 1
                f.flush()
                computed += sl.stop - sl.start
                rate = computed / (time.perf_counter() - start)
                remaining = config.size - min(config.size, int(f["done"][...].sum()) * config.chunk_size)
                report(int(f["done"][...].sum()), config.n_chunks, rate, remaining / rate)
        except KeyboardInterrupt:
            n_done = int(f["done"][...].sum())
            report.message(f"interrupted: {n_done}/{config.n_chunks} chunks saved in {partial}; run again to resume")
            raise
        set_complete(f)
    os.replace(partial, path)
    report.message(f"wrote {path} ({config.size} particles x {config.n_wavelengths} wavelengths)")
    return path


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _reporter:
    """Progress on stderr: a line per chunk (rewritten in place on a terminal)."""

    def __init__(self, progress):
        self.progress = progress
        self.tty = sys.stderr.isatty()
        self.open_line = False  # a "\r" progress line awaits its newline

    def __call__(self, k, n, rate, eta):
        if callable(self.progress):
            self.progress(k, n, rate, eta)
        elif self.progress:
            line = f"chunk {k}/{n}  {rate:,.0f} spectra/s  ETA {_duration(eta)}"
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
