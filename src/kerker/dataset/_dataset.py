"""Reading a dataset: :func:`open_dataset`, the read-only :class:`Dataset`, :func:`verify_dataset`.

Inputs, split and metadata are read, and checked against their SHA-256, when the file is
opened; the (N, W) efficiencies on first access, each checked chunk by chunk as it is
read. :meth:`Dataset.indices` picks particles (a split, or a seeded subset of one) and
:meth:`Dataset.designs` returns their designs as :class:`~kerker.dataset.Designs`.
:func:`verify_dataset` checks a whole file, complete or not, against its checksums.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from kerker._config import integer, positive_int
from kerker.dataset._config import DatasetConfig
from kerker.dataset._designs import Designs
from kerker.dataset._store import (
    DIGESTS,
    HEADER_ATTRS,
    INPUTS,
    SPLITS,
    TARGETS,
    check_arrays,
    check_structure,
    damaged_blocks,
    file_header,
    fingerprint,
    header_digest,
    open_file,
    raise_damaged,
    scan,
)

__all__ = ["Dataset", "open_dataset", "verify_dataset"]

#: Names :meth:`Dataset.indices` accepts: every particle, or one split.
INDEX_SPLITS = ("all", *SPLITS)


def open_dataset(path) -> Dataset:
    """Open a complete kerker dataset.

    Parameters
    ----------
    path : str or os.PathLike
        An HDF5 file written by :func:`build_dataset` / ``kerker dataset build``.

    Returns
    -------
    Dataset
        Inputs, split and metadata are read now; the (N, W) efficiency arrays on first
        access.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a kerker dataset, is corrupt or truncated, lacks a dataset,
        is incomplete (an unfinished build: re-run the build to resume it), was built
        without checksums by an earlier kerker (rebuild it), or if its header or an
        input array does not match its SHA-256 (the message names the array and the
        chunk, e.g. ``r_core chunk 2 (particles 8192-12287)``). Reading an efficiency
        array raises the same way for a damaged chunk. ``kerker dataset verify``
        (:func:`verify_dataset`) lists every damaged chunk of a file.

    Examples
    --------
    >>> ds = open_dataset("data/coreshell.h5")          # doctest: +SKIP
    >>> ds.q_fwd[ds.split("test")].shape                 # doctest: +SKIP
    (2500, 64)
    """
    path = Path(path)
    with open_file(path, "r") as f:
        header = file_header(f, path)
        config = header["config"]
        check_structure(f, config, path)
        done = f["done"][...]
        if not header["complete"] or not done.all():
            raise ValueError(
                f"{path} is incomplete ({int(done.sum())}/{done.size} chunks computed): an unfinished build. "
                "Run the same `kerker dataset build` command again to resume it"
            )
        records = header["metadata"].get("materials", [])
        fp = fingerprint(config, f["wavelength"][...], [r.get("sha256") for r in records])
        if fp != header["fingerprint"]:
            raise ValueError(f"{path} is corrupt: its fingerprint does not match its config and material records")
        check_arrays(f, config, path, INPUTS)  # all small, and read now anyway
        arrays = {
            "wavelength": f["wavelength"][...].astype(np.float64),
            "r_core": f["r_core"][...].astype(np.float64),
            "t_shell": f["t_shell"][...].astype(np.float64),
            "core_index": f["core_index"][...].astype(np.int64),
            "shell_index": f["shell_index"][...].astype(np.int64),
            **{f"split/{s}": f[f"split/{s}"][...].astype(np.int64) for s in SPLITS},
        }
        metadata = dict(header["metadata"], completed_utc=str(f.attrs.get("completed_utc", "")))
    return Dataset(path, config, header["fingerprint"], metadata, arrays)


def verify_dataset(path) -> dict:
    """Check the header and every block of every array of a dataset file against its SHA-256.

    Works on complete files and on unfinished builds (``<out>.partial``: only the chunks
    marked done are checked). Reads the whole file once, block by block.

    Parameters
    ----------
    path : str or os.PathLike
        A dataset file of :func:`build_dataset`.

    Returns
    -------
    dict
        ``path`` (str), ``complete`` (bool), ``chunks_done`` and ``n_chunks`` (int),
        ``arrays`` (the names checked), ``blocks_checked`` (int) and ``damaged``: a
        record per damaged block, ``{"array", "chunk", "particles", "where"}``, with
        ``particles`` the first and last particle index of the chunk (None for a one-block
        array such as ``wavelength``; ``array`` "header" for the root attributes) and
        ``where`` a sentence such as ``"q_fwd chunk 3 (particles 96-127)"``. Empty when
        the file is intact.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Not a kerker dataset of this format, or its header or structure is unreadable
        (there is no layout to check the data against).
    """
    path = Path(path)
    with open_file(path, "r") as f:
        header = file_header(f, path, check_digest=False)
        header_ok = str(f.attrs.get("header_sha256")) == header_digest(f)
        config = header["config"]
        check_structure(f, config, path)
        done = f["done"][...].astype(bool)
        damage, checked = scan(f, config, (*INPUTS, *TARGETS), done)
    records = [] if header_ok else [{"array": "header", "chunk": None, "particles": None,
                                     "where": "header (root attributes " + ", ".join(HEADER_ATTRS) + ")"}]
    records += [
        {
            "array": d.array,
            "chunk": d.block,
            "particles": None if d.start is None else [d.start, d.stop - 1],
            "where": str(d),
        }
        for d in damage
    ]
    return {
        "path": str(path),
        "complete": bool(header["complete"]) and bool(done.all()),
        "chunks_done": int(done.sum()),
        "n_chunks": int(done.size),
        "arrays": ["header", *INPUTS, *TARGETS],
        "blocks_checked": checked + 1,
        "damaged": records,
    }


class Dataset:
    """A complete core-shell dataset, opened by :func:`open_dataset` (read-only).

    Attributes
    ----------
    path : pathlib.Path
    config : DatasetConfig
    materials : tuple of str
        ``core_index``/``shell_index`` index this tuple.
    wavelength : ndarray, float64, shape (W,)
        Vacuum wavelengths in nm.
    r_core, t_shell : ndarray, float64, shape (N,)
        Core radius and shell thickness in nm.
    core_index, shell_index : ndarray, int64, shape (N,)
    q_fwd, q_back, q_ext, q_sca, q_abs : ndarray, shape (N, W)
        Efficiencies in the stored dtype (float32 by default), loaded on first access.
    fingerprint : str
        sha256 of config, wavelengths and material data; equal for equal configs.
    metadata : dict
        Config, seed, kerker version, material provenance, extrapolation policy, times.
    r_range, t_range : (float, float)
        The config's size ranges in nm (use these, not the data, to fit scalers).
    """

    def __init__(self, path: Path, config: DatasetConfig, fingerprint: str, metadata: dict, arrays: dict):
        self.path = path
        self.config = config
        self.fingerprint = fingerprint
        self.metadata = metadata
        self.materials = config.materials
        self.wavelength = arrays["wavelength"]
        self.r_core = arrays["r_core"]
        self.t_shell = arrays["t_shell"]
        self.core_index = arrays["core_index"]
        self.shell_index = arrays["shell_index"]
        self._splits = {s: arrays[f"split/{s}"] for s in SPLITS}
        self.r_range = config.r_core_range
        self.t_range = config.t_shell_range

    def __len__(self) -> int:
        return self.config.size

    def __repr__(self) -> str:
        sizes = "/".join(str(len(self._splits[s])) for s in SPLITS)
        return (
            f"Dataset({str(self.path)!r}, {len(self)} particles x {self.wavelength.size} wavelengths, "
            f"materials={self.materials}, split train/val/test={sizes})"
        )

    def split(self, name: str) -> np.ndarray:
        """Sorted int64 particle indices of split ``name`` ("train", "val" or "test")."""
        if name not in self._splits:
            raise ValueError(f"split name must be one of {SPLITS}; received {name!r}")
        return self._splits[name]

    def indices(self, split: str, n: int | None = None, seed: int = 0) -> np.ndarray:
        """Sorted particle indices of a split, or of a seeded random subset of it.

        Parameters
        ----------
        split : {"all", "train", "val", "test"}
            Which particles: all of them or one split.
        n : int, optional
            Draw this many of them without replacement (None: the whole split). A random
            subset, not the head: the file is ordered by material, so its head would hold
            the first core material only.
        seed : int
            Seed of the draw (``numpy.random.default_rng(seed)``, an int >= 0; unused
            without ``n``); the same arguments always give the same indices.

        Returns
        -------
        ndarray, int64, shape (n,) or (split size,)
            Sorted, distinct indices into the particle arrays.

        Raises
        ------
        ValueError
            Unknown split name, or ``n`` larger than the split (the message gives its size).
        TypeError
            ``n`` or ``seed`` not an int.
        """
        if split not in INDEX_SPLITS:
            raise ValueError(f"Dataset.indices: split must be one of {INDEX_SPLITS}; received {split!r}")
        idx = np.arange(np.asarray(self.r_core).shape[0]) if split == "all" else np.asarray(self.split(split))
        if n is None:
            return idx.astype(np.int64)
        n = positive_int("Dataset.indices: n", n)
        seed = integer("Dataset.indices: seed", seed, minimum=0)
        if n > idx.size:
            raise ValueError(
                f"Dataset.indices: n = {n} is more than the {idx.size} particles of split {split!r}; ask for at "
                f"most {idx.size} "
                "(n=None takes the whole split)"
            )
        if n == idx.size:
            return idx.astype(np.int64)
        return np.sort(idx[np.random.default_rng(seed).choice(idx.size, n, replace=False)]).astype(np.int64)

    def designs(self, indices=None) -> Designs:
        """The designs of particles ``indices`` (all if None) as :class:`~kerker.dataset.Designs`.

        Parameters
        ----------
        indices : array_like of int, shape (P,), optional
            Particle indices, e.g. from :meth:`indices` or :meth:`split`.

        Returns
        -------
        Designs
            Hard designs over :attr:`materials`: ``core_index``, ``shell_index`` (int64),
            ``r_core``, ``t_shell`` (float64, nm), each shape (P,), in the order of ``indices``.
        """
        pick = slice(None) if indices is None else np.asarray(indices)
        if indices is not None and pick.dtype.kind not in "iu":
            raise TypeError(f"indices must be integer particle indices; received dtype {pick.dtype}")
        return Designs(
            tuple(self.materials),
            core_index=np.asarray(self.core_index)[pick],
            shell_index=np.asarray(self.shell_index)[pick],
            r_core=np.asarray(self.r_core, dtype=np.float64)[pick],
            t_shell=np.asarray(self.t_shell, dtype=np.float64)[pick],
        )

    def _target(self, name: str) -> np.ndarray:
        """Read efficiency array ``name`` and check each of its chunks against its SHA-256."""
        with open_file(self.path, "r") as f:
            if str(f.attrs.get("fingerprint")) != self.fingerprint:
                raise ValueError(f"{self.path} was replaced by a different dataset since it was opened; open it again")
            data = f[name][...]
            damage = damaged_blocks(name, data, f[f"{DIGESTS}/{name}"][...], self.config)
        if damage:
            raise_damaged(self.path, damage)
        return data

    q_fwd = functools.cached_property(lambda self: self._target("q_fwd"))
    q_back = functools.cached_property(lambda self: self._target("q_back"))
    q_ext = functools.cached_property(lambda self: self._target("q_ext"))
    q_sca = functools.cached_property(lambda self: self._target("q_sca"))
    q_abs = functools.cached_property(lambda self: self._target("q_abs"))
