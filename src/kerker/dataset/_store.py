"""The HDF5 layout of a kerker dataset: creating it, validating it, checking its checksums.

Layout (N particles, W wavelengths, M materials, K chunks of ``chunk_size`` particles)::

    /                 attrs: format="kerker.dataset", format_version, fingerprint,
                             config (JSON), metadata (JSON), header_sha256, complete,
                             created_utc, completed_utc
    /wavelength       (W,)   float64, nm
    /materials        (M,)   str
    /r_core, /t_shell (N,)   float64, nm
    /core_index, /shell_index (N,) int8, into /materials
    /q_fwd, /q_back, /q_ext, /q_sca, /q_abs  (N, W) float32 (or float64), chunked (chunk_size, W)
    /done             (K,)   uint8, 1 once chunk k of the efficiencies is on disk
    /split/train, /split/val, /split/test   int64, sorted particle indices
    /sha256/<array>   (B, 32) uint8, the SHA-256 of each block of <array>

Every dataset is allocated in full when the file is created (HDF5 early allocation,
no compression), so later writes touch raw data only and never HDF5's own index
structures; a build killed mid-write leaves a readable file whose unfinished chunks are
simply not marked done. The file is created complete in structure under a temporary
name and only then renamed to ``<out>.partial``, so a partial file is always resumable.

Checksums (format version 2). A *block* of an array is what the build writes at once:
for the per-particle arrays (``r_core``, ``t_shell``, ``core_index``, ``shell_index``
and the five efficiencies) the rows of chunk k, particles ``k*chunk_size`` to
``min((k+1)*chunk_size, N) - 1``; ``wavelength``, ``materials`` and each split are one
block. ``/sha256/<array>[b]`` is the SHA-256 of block b's values in their stored dtype,
little-endian (the names of ``materials`` as JSON), computed from the data in memory when
the block is written; an efficiency chunk's digests are written with its data and before
its ``done`` flag, so a resumed build rewrites data and digests together. The root
attribute ``header_sha256`` covers the attributes written at creation. What is checked
when: :func:`open_dataset` checks the header and every input array (they are read then
anyway); each efficiency array is checked chunk by chunk when it is first read;
``kerker dataset verify`` (``verify_dataset``) checks everything and lists every
damaged block; the build checks everything, from a fresh read of the file, before it
renames the file and reports it written.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple

import numpy as np

from kerker.dataset._config import DatasetConfig

__all__ = ["DIGESTS", "FORMAT", "FORMAT_VERSION", "HEADER_ATTRS", "INPUTS", "SPLITS", "TARGETS", "Damage",
           "FileInUseError", "check_arrays", "check_compatible", "check_header_digest", "check_structure",
           "create_partial", "damaged_blocks", "file_header", "fingerprint", "fsync", "header_digest", "open_file",
           "open_partial", "raise_damaged", "read_header", "scan", "set_complete", "write_chunk"]

FORMAT = "kerker.dataset"
#: 2: per-block SHA-256 of every array (``/sha256``) and of the header. Version-1 files
#: (no checksums, built before) are refused with a message to rebuild them.
FORMAT_VERSION = 2
#: Version of *what* is computed, recorded in the fingerprint. Unchanged by format 2, which
#: changes how the data are stored, not the data: the fingerprints that trained checkpoints
#: record (the shipped ones included) still identify a rebuilt dataset.
_CONTENT_VERSION = 1
TARGETS = ("q_fwd", "q_back", "q_ext", "q_sca", "q_abs")
SPLITS = ("train", "val", "test")
#: Arrays written once, when the file is created.
INPUTS = ("wavelength", "materials", "r_core", "t_shell", "core_index", "shell_index", *(f"split/{s}" for s in SPLITS))
_PER_PARTICLE = ("r_core", "t_shell", "core_index", "shell_index", *TARGETS)
#: Group of the per-block SHA-256 arrays.
DIGESTS = "sha256"
#: Root attributes covered by ``header_sha256`` (those written once, at creation).
HEADER_ATTRS = ("format", "format_version", "fingerprint", "config", "metadata", "created_utc")


def _h5py():
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a dependency
        raise ImportError("kerker datasets need h5py: pip install 'h5py>=3.8'") from err
    return h5py


def fingerprint(config: DatasetConfig, wavelength: np.ndarray, material_sha256: list) -> str:
    """sha256 over the config, the wavelength grid and the material data hashes (hex str)."""
    record = {
        "format_version": _CONTENT_VERSION,  # the key name is kept so that fingerprints stay as they were
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


def create_partial(path: Path, config: DatasetConfig, particles: dict, split: dict) -> None:
    """Create the unfinished build ``path``: inputs, split, digests, empty (allocated) targets.

    The file is written in full under a temporary name beside ``path``, synced, and only
    then renamed to ``path`` (:func:`kerker._artifacts.atomic_path`): a process killed
    while creating it leaves no ``path`` at all, only a temporary file, so any file at
    ``path`` has its whole structure and header. Open it with :func:`open_partial`.
    """
    h5py = _h5py()
    from kerker._artifacts import atomic_path, provenance

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
            "checksums": "SHA-256 of every block of every array in /sha256 (see kerker.dataset._store)",
        }
    )
    n, w = config.size, config.n_wavelengths
    inputs = {
        "wavelength": wavelength,
        "materials": list(config.materials),
        "r_core": particles["r_core"].astype(np.float64),
        "t_shell": particles["t_shell"].astype(np.float64),
        "core_index": particles["core_index"].astype(np.int8),
        "shell_index": particles["shell_index"].astype(np.int8),
        **{f"split/{name}": split[name].astype(np.int64) for name in SPLITS},
    }
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["format_version"] = FORMAT_VERSION
            f.attrs["fingerprint"] = fp
            f.attrs["config"] = json.dumps(config.to_dict())
            f.attrs["metadata"] = json.dumps(metadata)
            f.attrs["created_utc"] = metadata["created_utc"]
            f.attrs["header_sha256"] = header_digest(f)
            f.attrs["complete"] = False
            for name, data in inputs.items():
                if name == "materials":
                    f.create_dataset(name, data=data, dtype=h5py.string_dtype())
                else:
                    f.create_dataset(name, data=data)
                f.create_dataset(f"{DIGESTS}/{name}", data=block_digests(name, data, config))
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
                # zeros until chunk k is written; allocated now, so writing a digest touches raw data only
                f.create_dataset(f"{DIGESTS}/{name}", data=np.zeros((config.n_chunks, 32), dtype=np.uint8))
            f.create_dataset("done", data=np.zeros(config.n_chunks, dtype=np.uint8))
        fsync(tmp)
    fsync(path.parent)


def write_chunk(f, config: DatasetConfig, k: int, q: dict) -> None:
    """Write the efficiencies ``q`` of chunk ``k`` and their SHA-256 into the open file ``f``.

    The digests are taken of the values as stored (cast to the file's dtype), in memory,
    so a later read that differs from what was written here is caught. The caller
    flushes and syncs before setting ``done[k]``.
    """
    start = k * config.chunk_size
    for name in TARGETS:
        data = np.asarray(q[name], dtype=config.dtype)
        f[name][start : start + data.shape[0]] = data
        f[f"{DIGESTS}/{name}"][k] = np.frombuffer(_digest(data), dtype=np.uint8)


def fsync(path: Path) -> None:
    """``os.fsync`` a file or folder by name (a folder: to make a rename in it durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- checksums -----------------------------------------------------------------------


class Damage(NamedTuple):
    """A block of an array whose data do not match the SHA-256 recorded when it was written."""

    array: str
    block: int
    start: int | None  # first particle of a per-particle block, else None
    stop: int | None  # one past its last particle

    def __str__(self) -> str:
        if self.start is None:
            return f"{self.array} (the whole array)"
        return f"{self.array} chunk {self.block} (particles {self.start}-{self.stop - 1})"


def _blocks(name: str, config: DatasetConfig, length: int) -> list[tuple[int | None, int | None]]:
    """(start, stop) particle rows of each block of array ``name``; (None, None) for a one-block array."""
    if name in _PER_PARTICLE:
        cs = config.chunk_size
        return [(k * cs, min((k + 1) * cs, length)) for k in range(config.n_chunks)]
    return [(None, None)]


def _digest(data) -> bytes:
    """SHA-256 of an array's values in its dtype, little-endian (C order); a name list as JSON."""
    if isinstance(data, (list, tuple)) or (isinstance(data, np.ndarray) and data.dtype.kind in "OSU"):
        names = [s.decode() if isinstance(s, bytes) else str(s) for s in np.asarray(data, dtype=object).tolist()]
        return hashlib.sha256(json.dumps(names).encode()).digest()
    a = np.ascontiguousarray(data)
    a = a.astype(a.dtype.newbyteorder("<"), copy=False)
    return hashlib.sha256(a.view(np.uint8).reshape(-1) if a.size else b"").digest()


def block_digests(name: str, data, config: DatasetConfig) -> np.ndarray:
    """The (B, 32) uint8 SHA-256 of each block of array ``name`` with values ``data``."""
    length = len(data)
    rows = [
        _digest(data if start is None else data[start:stop]) for start, stop in _blocks(name, config, length)
    ]
    return np.frombuffer(b"".join(rows), dtype=np.uint8).reshape(len(rows), 32)


def damaged_blocks(name: str, data, recorded: np.ndarray, config: DatasetConfig, done=None) -> list[Damage]:
    """The blocks of ``data`` (array ``name`` as read) whose SHA-256 differs from ``recorded``.

    ``done`` (bool, one per chunk) restricts an efficiency array to its written chunks.
    """
    damage = []
    for b, (start, stop) in enumerate(_blocks(name, config, len(data))):
        if done is not None and not done[b]:
            continue
        block = data if start is None else data[start:stop]
        if _digest(block) != bytes(recorded[b]):
            damage.append(Damage(name, b, start, stop))
    return damage


def header_digest(f) -> str:
    """SHA-256 (hex) of the root attributes written at creation (:data:`HEADER_ATTRS`)."""
    record = {key: _plain(f.attrs.get(key)) for key in HEADER_ATTRS}
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _plain(value):
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_header_digest(f, path: Path) -> None:
    """Raise ValueError if the root attributes differ from what ``header_sha256`` recorded."""
    if str(f.attrs.get("header_sha256")) != header_digest(f):
        raise ValueError(
            f"{path} is corrupt: its header (root attributes {', '.join(HEADER_ATTRS)}) does not match its "
            "SHA-256 recorded when the file was created; rebuild the dataset"
        )


def scan(f, config: DatasetConfig, names, done=None) -> tuple[list[Damage], int]:
    """Damaged blocks of arrays ``names`` of the open file, read block by block; and how many were checked.

    ``done`` (bool per chunk) restricts the efficiency arrays to their written chunks
    (default: the file's ``done`` mask).
    """
    done = f["done"][...].astype(bool) if done is None else done
    damage, checked = [], 0
    for name in names:
        recorded, dataset = f[f"{DIGESTS}/{name}"][...], f[name]
        for b, (start, stop) in enumerate(_blocks(name, config, dataset.shape[0])):
            if name in TARGETS and not done[b]:
                continue
            checked += 1
            # per-particle arrays block by block: a large set need not be in memory at once
            data = dataset[...] if start is None else dataset[start:stop]
            if _digest(data) != bytes(recorded[b]):
                damage.append(Damage(name, b, start, stop))
    return damage, checked


def check_arrays(f, config: DatasetConfig, path: Path, names) -> None:
    """Raise a ValueError naming every damaged block of the arrays ``names`` of the open file."""
    damage, _ = scan(f, config, names)
    if damage:
        raise_damaged(path, damage)


def raise_damaged(path: Path, damage: list[Damage]) -> None:
    """The one message for damaged data: which array and chunk, what to do."""
    listed = "; ".join(str(d) for d in damage[:8]) + (f"; and {len(damage) - 8} more" if len(damage) > 8 else "")
    raise ValueError(
        f"{path} is damaged: {listed}: the data read back do not match the SHA-256 recorded when they were "
        f"written. `kerker dataset verify {path}` lists every damaged chunk; delete the file and build it again"
    )


class FileInUseError(ValueError):
    """HDF5's own lock refused the file: another process has it open."""


def open_file(path: Path, mode: str):
    h5py = _h5py()
    if not path.exists():
        raise FileNotFoundError(f"no dataset at {path}; build one with `kerker dataset build --out {path}`")
    try:
        return h5py.File(path, mode)
    except OSError as err:
        text = str(err)
        if "unable to lock file" in text.lower():
            raise FileInUseError(f"{path} is in use by another process (HDF5 file lock): {text}") from err
        raise ValueError(f"{path} is not a kerker dataset / is corrupt: HDF5 cannot open it ({text})") from err


def file_header(f, path: Path, *, check_digest: bool = True) -> dict:
    """Format, config and flags from an open file; raises ValueError for anything foreign.

    With ``check_digest`` the root attributes must match their recorded SHA-256.
    """
    fmt = f.attrs.get("format")
    if fmt != FORMAT:
        raise ValueError(f"{path} is not a kerker dataset: attribute 'format' is {fmt!r}, expected {FORMAT!r}")
    version = int(f.attrs.get("format_version", -1))
    if version == 1:
        raise ValueError(
            f"{path} was built by an earlier kerker (dataset format version 1, without checksums); this kerker "
            f"reads version {FORMAT_VERSION}, which records the SHA-256 of every chunk so that damaged data cannot "
            "go unnoticed. Delete it and run the same `kerker dataset build` command again (the data are "
            "identical, and so is the fingerprint)"
        )
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
    if check_digest:
        check_header_digest(f, path)
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
    """Open an unfinished build for resumption after checking it matches ``config``.

    Its header, structure and input arrays must be intact; a file that cannot be
    resumed gives a ValueError that names it and says to delete it. Damaged efficiency
    chunks are left to the caller (:func:`scan`), which recomputes them.
    """
    try:
        f = open_file(path, "r+")
    except FileInUseError:
        raise
    except ValueError as err:
        raise _unresumable(path, err) from err
    try:
        try:
            header = file_header(f, path)
        except ValueError as err:
            raise _unresumable(path, err) from err
        check_compatible(header, config, path)
        try:
            check_structure(f, header["config"], path)
            check_arrays(f, header["config"], path, INPUTS)
        except ValueError as err:
            raise _unresumable(path, err) from err
    except BaseException:
        f.close()
        raise
    return f


def _unresumable(path: Path, err: ValueError) -> ValueError:
    return ValueError(
        f"{path} is an unfinished build that cannot be resumed ({err}). Delete it (rm '{path}') and run the "
        "build again"
    )


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
    for name in (*INPUTS, *TARGETS):
        blocks = config.n_chunks if name in _PER_PARTICLE else 1
        expected[f"{DIGESTS}/{name}"] = (blocks, 32)
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
