"""The HDF5 layout of a kerker dataset: creating it, validating it, reading its header.

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

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from kerker.dataset._config import DatasetConfig

__all__ = ["FORMAT", "FORMAT_VERSION", "SPLITS", "TARGETS", "check_compatible", "check_structure", "create_partial",
           "file_header", "fingerprint", "open_file", "open_partial", "read_header", "set_complete"]

FORMAT = "kerker.dataset"
FORMAT_VERSION = 1
TARGETS = ("q_fwd", "q_back", "q_ext", "q_sca", "q_abs")
SPLITS = ("train", "val", "test")


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
            "split_sizes": {name: len(split[name]) for name in SPLITS},
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
        for name in SPLITS:
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


def open_file(path: Path, mode: str):
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


def file_header(f, path: Path) -> dict:
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
    with open_file(path, "r") as f:
        return file_header(f, path)


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
    f = open_file(path, "r+")
    try:
        header = file_header(f, path)
        check_compatible(header, config, path)
        check_structure(f, header["config"], path)
    except BaseException:
        f.close()
        raise
    return f


def set_complete(f) -> None:
    """Mark an open file whose chunks are all done as complete."""
    f.attrs["completed_utc"] = _now()
    f.attrs["complete"] = True
    f.flush()


def check_structure(f, config: DatasetConfig, path: Path) -> None:
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
        **{f"split/{s}": (c,) for s, c in zip(SPLITS, config.split, strict=True)},
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
