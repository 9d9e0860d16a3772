"""The HDF5 layout of a kerker dataset: writing it, validating it, reading it.

Layout (N particles, W wavelengths, M materials, K chunks)::

    /                 attrs: format="kerker.dataset", format_version, fingerprint,
                             config (JSON), metadata (JSON), complete, created_utc,
                             completed_utc
    /wavelength       (W,)   float64, nm
    /materials        (M,)   str
    /r_core, /t_shell (N,)   float64, nm
    /core_index, /shell_index (N,) int8, into /materials
    /q_fwd, /q_back, /q_ext, /q_sca, /q_abs  (N, W) float32 (or float64), chunked (chunk_size, W)
    /done             (K,)   uint8, 1 once chunk k of the efficiencies is on disk
    /split/train, /split/val, /split/test   int64, sorted particle indices

Every dataset is allocated in full when the file is created (HDF5 early allocation,
no compression), so later writes touch raw data only and never HDF5's own index
structures; a build killed mid-write leaves a readable file whose unfinished chunks are
simply not marked done.
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from kerker.dataset._config import DatasetConfig

__all__ = ["Dataset", "TARGETS", "open_dataset"]

FORMAT = "kerker.dataset"
FORMAT_VERSION = 1
TARGETS = ("q_fwd", "q_back", "q_ext", "q_sca", "q_abs")
_SPLITS = ("train", "val", "test")


def _h5py():
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a dependency
        raise ImportError("kerker datasets need h5py: pip install 'h5py>=3.8'") from err
    return h5py


def fingerprint(config: DatasetConfig, wavelength: np.ndarray, material_sha256: list) -> str:
    """sha256 over the config, the wavelength grid and the material data hashes (hex str)."""
    record = {
        "format_version": FORMAT_VERSION,
        "config": config.to_dict(),
        "wavelength_nm": [float(w) for w in wavelength],
        "material_sha256": list(material_sha256),
    }
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _material_records(config: DatasetConfig) -> list[dict]:
    from kerker.materials import material

    return [material(m).with_extrapolation(config.extrapolation).describe() for m in config.materials]


def _extrapolated(records: list[dict], wavelength: np.ndarray) -> dict:
    """For each material whose data do not cover the grid: policy, range, wavelengths affected."""
    out = {}
    for rec in records:
        lo, hi = rec["wavelength_range_nm"]
        below, above = wavelength < lo, wavelength > hi
        if below.any() or above.any():
            out[rec["name"]] = {
                "policy": rec["extrapolate"],
                "data_range_nm": [lo, hi],
                "held_wavelengths_nm": wavelength[below | above].tolist(),
                "note": f"n and k held at their values at {lo:g} nm below and {hi:g} nm above the data",
            }
    return out


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def create_partial(path: Path, config: DatasetConfig, particles: dict, split: dict):
    """Create ``path`` with inputs, split and empty (allocated) targets; return it open r+."""
    h5py = _h5py()
    from kerker._artifacts import provenance

    wavelength = config.wavelength()
    records = _material_records(config)
    fp = fingerprint(config, wavelength, [r["sha256"] for r in records])
    metadata = provenance(config.to_dict(), seed=config.seed, materials=records)
    metadata.update(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "fingerprint": fp,
            "extrapolation": {"policy": config.extrapolation, "materials": _extrapolated(records, wavelength)},
            "n_particles": config.size,
            "split_sizes": {name: len(split[name]) for name in _SPLITS},
            "units": {"r_core": "nm", "t_shell": "nm", "wavelength": "nm (vacuum)", "q_*": "efficiency (1)"},
            "solver": "kerker.mie.efficiencies (exact core-shell Mie, Wiscombe+3 truncation)",
        }
    )
    n, w = config.size, config.n_wavelengths
    f = h5py.File(path, "w")
    try:
        f.attrs["format"] = FORMAT
        f.attrs["format_version"] = FORMAT_VERSION
        f.attrs["fingerprint"] = fp
        f.attrs["config"] = json.dumps(config.to_dict())
        f.attrs["metadata"] = json.dumps(metadata)
        f.attrs["complete"] = False
        f.attrs["created_utc"] = metadata["created_utc"]
        f.create_dataset("wavelength", data=wavelength)
        f.create_dataset("materials", data=list(config.materials), dtype=h5py.string_dtype())
        f.create_dataset("r_core", data=particles["r_core"].astype(np.float64))
        f.create_dataset("t_shell", data=particles["t_shell"].astype(np.float64))
        f.create_dataset("core_index", data=particles["core_index"].astype(np.int8))
        f.create_dataset("shell_index", data=particles["shell_index"].astype(np.int8))
        for name in _SPLITS:
            f.create_dataset(f"split/{name}", data=split[name].astype(np.int64))
        for name in TARGETS:
            dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
            dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
            f.create_dataset(
                name,
                shape=(n, w),
                dtype=config.dtype,
                chunks=(min(config.chunk_size, n), w),
                fillvalue=np.nan,
                dcpl=dcpl,
            )
        f.create_dataset("done", data=np.zeros(config.n_chunks, dtype=np.uint8))
        f.flush()
    except BaseException:
        f.close()
        path.unlink(missing_ok=True)
        raise
    return f


def _open(path: Path, mode: str):
    h5py = _h5py()
    if not path.exists():
        raise FileNotFoundError(f"no dataset at {path}; build one with `kerker dataset build --out {path}`")
    try:
        return h5py.File(path, mode)
    except OSError as err:
        text = str(err)
        if "unable to lock file" in text.lower():
            raise ValueError(f"{path} is in use by another process (HDF5 file lock): {text}") from err
        raise ValueError(f"{path} is not a kerker dataset / is corrupt: HDF5 cannot open it ({text})") from err


def _header(f, path: Path) -> dict:
    """Format, config and flags from an open file; raises ValueError for anything foreign."""
    fmt = f.attrs.get("format")
    if fmt != FORMAT:
        raise ValueError(f"{path} is not a kerker dataset: attribute 'format' is {fmt!r}, expected {FORMAT!r}")
    version = int(f.attrs.get("format_version", -1))
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path} has dataset format version {version}; this kerker reads version {FORMAT_VERSION}. Rebuild it"
        )
    try:
        config = DatasetConfig.from_dict(json.loads(f.attrs["config"]))
        metadata = json.loads(f.attrs["metadata"])
        fp = str(f.attrs["fingerprint"])
        complete = bool(f.attrs["complete"])
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{path} is corrupt: unreadable header ({type(err).__name__}: {err})") from err
    return {"config": config, "metadata": metadata, "fingerprint": fp, "complete": complete}


def read_header(path) -> dict:
    """Header of the dataset file at ``path`` (config, metadata, fingerprint, complete)."""
    path = Path(path)
    with _open(path, "r") as f:
        return _header(f, path)


def check_compatible(header: dict, config: DatasetConfig, path: Path) -> None:
    """Raise a ValueError naming every difference between a file and a requested config."""
    diffs = header["config"].differences(config)
    if diffs:
        raise ValueError(
            f"{path} holds a dataset of a different config (file -> requested): "
            + "; ".join(diffs)
            + ". Use another output path, or delete the file to rebuild"
        )
    stored = {m["name"]: m.get("sha256") for m in header["metadata"].get("materials", [])}
    current = {m["name"]: m.get("sha256") for m in _material_records(config)}
    changed = [name for name in current if stored.get(name) != current[name]]
    if changed:
        raise ValueError(
            f"{path} was built from different material data for {changed} (sha256 of the data files differ); "
            "delete it to rebuild with the current data"
        )
    from kerker import __version__

    if header["metadata"].get("kerker_version") != __version__ and not header["complete"]:
        raise ValueError(
            f"{path} was started by kerker {header['metadata'].get('kerker_version')}, this is {__version__}; "
            "a resumed build would mix solver versions. Delete it to rebuild"
        )


def open_partial(path: Path, config: DatasetConfig):
    """Open an unfinished build for resumption after checking it matches ``config``."""
    f = _open(path, "r+")
    try:
        header = _header(f, path)
        check_compatible(header, config, path)
        _check_structure(f, header["config"], path)
    except BaseException:
        f.close()
        raise
    return f


def set_complete(f) -> None:
    """Mark an open file whose chunks are all done as complete."""
    f.attrs["completed_utc"] = _now()
    f.attrs["complete"] = True
    f.flush()


def _check_structure(f, config: DatasetConfig, path: Path) -> None:
    n, w, k = config.size, config.n_wavelengths, config.n_chunks
    expected = {
        "wavelength": (w,),
        "materials": (len(config.materials),),
        "r_core": (n,),
        "t_shell": (n,),
        "core_index": (n,),
        "shell_index": (n,),
        "done": (k,),
        **{name: (n, w) for name in TARGETS},
        **{f"split/{s}": (c,) for s, c in zip(_SPLITS, config.split, strict=True)},
    }
    for name, shape in expected.items():
        if name not in f:
            raise ValueError(f"{path} is corrupt: dataset '{name}' is missing")
        if f[name].shape != shape:
            raise ValueError(f"{path} is corrupt: dataset '{name}' has shape {f[name].shape}, expected {shape}")
    if not np.array_equal(f["wavelength"][...], config.wavelength()):
        raise ValueError(f"{path} is corrupt: the stored wavelengths do not match its config")
    names = tuple(s.decode() if isinstance(s, bytes) else str(s) for s in f["materials"][...])
    if names != config.materials:
        raise ValueError(f"{path} is corrupt: stored materials {names} do not match its config {config.materials}")


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
        or is incomplete (an unfinished build: re-run the build to resume it).

    Examples
    --------
    >>> ds = open_dataset("data/coreshell.h5")          # doctest: +SKIP
    >>> ds.q_fwd[ds.split("test")].shape                 # doctest: +SKIP
    (2500, 64)
    """
    path = Path(path)
    with _open(path, "r") as f:
        header = _header(f, path)
        config = header["config"]
        _check_structure(f, config, path)
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
        arrays = {
            "wavelength": f["wavelength"][...].astype(np.float64),
            "r_core": f["r_core"][...].astype(np.float64),
            "t_shell": f["t_shell"][...].astype(np.float64),
            "core_index": f["core_index"][...].astype(np.int64),
            "shell_index": f["shell_index"][...].astype(np.int64),
            **{f"split/{s}": f[f"split/{s}"][...].astype(np.int64) for s in _SPLITS},
        }
        metadata = dict(header["metadata"], completed_utc=str(f.attrs.get("completed_utc", "")))
    return Dataset(path, config, header["fingerprint"], metadata, arrays)


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
        self._splits = {s: arrays[f"split/{s}"] for s in _SPLITS}
        self.r_range = config.r_core_range
        self.t_range = config.t_shell_range

    def __len__(self) -> int:
        return self.config.size

    def __repr__(self) -> str:
        sizes = "/".join(str(len(self._splits[s])) for s in _SPLITS)
        return (
            f"Dataset({str(self.path)!r}, {len(self)} particles x {self.wavelength.size} wavelengths, "
            f"materials={self.materials}, split train/val/test={sizes})"
        )

    def split(self, name: str) -> np.ndarray:
        """Sorted int64 particle indices of split ``name`` ("train", "val" or "test")."""
        if name not in self._splits:
            raise ValueError(f"split name must be one of {_SPLITS}; received {name!r}")
        return self._splits[name]

    def _target(self, name: str) -> np.ndarray:
        with _open(self.path, "r") as f:
            if str(f.attrs.get("fingerprint")) != self.fingerprint:
                raise ValueError(f"{self.path} was replaced by a different dataset since it was opened; open it again")
            return f[name][...]

    q_fwd = functools.cached_property(lambda self: self._target("q_fwd"))
    q_back = functools.cached_property(lambda self: self._target("q_back"))
    q_ext = functools.cached_property(lambda self: self._target("q_ext"))
    q_sca = functools.cached_property(lambda self: self._target("q_sca"))
    q_abs = functools.cached_property(lambda self: self._target("q_abs"))
