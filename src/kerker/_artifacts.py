"""Writing result files atomically, with the provenance every artifact must carry.

Foundational (imported by every stage, imports none of them) so that upstream stages
such as `dataset` can record provenance without importing `report`. Every result file of
the package (JSON records, figures, other bytes, and files that a library writes by name
such as HDF5 or checkpoints) goes through :func:`atomic_path`: a temporary file in the
destination folder, then ``os.replace``, so a reader never sees a half-written file and an
interrupted run leaves the previous file in place. :func:`write_json_atomic`,
:func:`write_figure_atomic` and :func:`write_bytes_atomic` are built on it. A job that
writes one output over a long time (a dataset build) holds :func:`exclusive_lock` on it,
so that a second job on the same output is refused before it opens anything for writing.
"""

from __future__ import annotations

import errno
import glob
import io
import json
import os
import platform
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

__all__ = [
    "atomic_path",
    "exclusive_lock",
    "json_default",
    "provenance",
    "stale_temporaries",
    "write_bytes_atomic",
    "write_figure_atomic",
    "write_json_atomic",
]


def provenance(config: dict, *, seed: int | None = None, materials: list[dict] | None = None) -> dict:
    """Metadata block for a result file: config, seed, package versions, data provenance.

    Parameters
    ----------
    config : dict
        The settings of the run (JSON-ready).
    seed : int, optional
        Seed of the run's randomness.
    materials : list of dict, optional
        ``Material.describe()`` records of the materials used.

    Returns
    -------
    dict
        ``kerker_version, created_utc, config, seed, materials, python, numpy, torch, platform``.
    """
    import numpy

    from kerker import __version__

    return {
        "kerker_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config,
        "seed": seed,
        "materials": materials or [],
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        # read from the installed distribution: recording the version must not cost a torch import
        "torch": metadata.version("torch"),
        "platform": platform.platform(),
    }


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary file path beside ``path``; rename it onto ``path`` when the block succeeds.

    The one route by which every result file reaches its place: write to the yielded path
    (any writer that takes a file name: ``h5py.File``, ``torch.save``, ...); if the block
    raises, the temporary file is removed and ``path`` keeps its old content. The folder of
    ``path`` is created if missing.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "result.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _new_temporary(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def stale_temporaries(path: str | Path) -> list[Path]:
    """The temporary files that :func:`atomic_path` left beside ``path`` when its process died.

    Only meaningful while no other writer of ``path`` can be running (under
    :func:`exclusive_lock`): a live writer's temporary file has the same form of name.
    """
    path = Path(path)
    if not path.parent.is_dir():
        return []
    pattern = re.compile(r"\." + re.escape(path.name) + r"\.[0-9a-f]{12}\.tmp")
    return sorted(p for p in path.parent.glob(f".{glob.escape(path.name)}.*.tmp")
                  if pattern.fullmatch(p.name) and not p.is_symlink() and p.is_file())


def _new_temporary(path: Path) -> Path:
    """Create an empty, uniquely named file beside ``path`` with the permissions the umask gives.

    ``tempfile.mkstemp`` would create it with mode 0600, and ``os.replace`` keeps that mode,
    so result files would be private whatever the user's umask says; ``os.open`` with mode
    0666 lets the umask decide, as for any file the user creates.
    """
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"could not create a temporary file beside {path}")  # pragma: no cover


@contextmanager
def exclusive_lock(path: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on the output ``path`` for the block: one writing job per output.

    The lock is ``fcntl.flock`` on a lock file beside the output, ``<path>.lock`` (created
    with the permissions the umask gives, holding the owner's process id, removed when
    the block ends). Take it before anything is opened for writing: HDF5's own lock comes
    too late, after ``h5py.File(..., "w")`` has truncated the file. The lock is
    released by the kernel when the process dies, however it dies, so a killed job never
    leaves a stale lock. It is advisory: only writers that take it are kept out.

    Parameters
    ----------
    path : str or Path
        The output to protect (its folder must exist). ``path`` itself is not touched.

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    ValueError
        Another process holds the lock (the message names the output, the lock file and
        the holder's process id), or the lock file is a symbolic link.
    """
    path = Path(path)
    lock = path.with_name(path.name + ".lock")
    fd = _acquire(lock, path)
    try:
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        except OSError:  # a read-only descriptor: the lock holds, only the pid goes unrecorded
            pass
        yield lock
    finally:
        # unlink while still holding the lock: a process that opened the old file then
        # finds, once it gets the lock, that the path no longer names it, and retries
        try:
            if _same_file(fd, lock):
                lock.unlink(missing_ok=True)
        except OSError:  # not ours to remove (another user's folder): the next holder reuses it
            pass
        finally:
            os.close(fd)


def _acquire(lock: Path, path: Path) -> int:
    """Open ``lock`` (never through a symbolic link) and take its exclusive flock; return the fd."""
    import fcntl

    for _ in range(100):
        try:
            try:
                fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666)
            except PermissionError:  # left by another user: a read-only descriptor locks as well
                fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise ValueError(f"the lock file {lock} of {path} is a symbolic link; remove it") from err
            raise
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            raise ValueError(
                f"{path} is being written by another process ({holder}, holding {lock}); wait for it to finish "
                "or write to another output"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, lock):
            return fd
        os.close(fd)  # the holder removed the file between our open and our lock: try the new one
    raise ValueError(f"could not lock {lock}: it keeps being replaced")  # pragma: no cover


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _read_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
    except OSError:  # pragma: no cover
        text = ""
    return f"pid {text}" if text.isdigit() else "unknown pid"


def _write_atomic(path: str | Path, mode: str, write: Callable) -> Path:
    """``write(handle)`` into a file opened with ``mode`` at :func:`atomic_path`; return ``path``."""
    with atomic_path(path) as tmp, open(tmp, mode) as handle:
        write(handle)
    return Path(path)


def write_json_atomic(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` as indented JSON to ``path`` atomically; return the path.

    NumPy arrays and scalars are written as lists and numbers, complex numbers as
    ``{"re": ..., "im": ...}``; anything else that JSON cannot hold raises ``TypeError``.
    """

    def write(handle):
        json.dump(payload, handle, indent=2, default=json_default)
        handle.write("\n")

    return _write_atomic(path, "w", write)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; return the path."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes; received {type(data).__name__}")
    return _write_atomic(path, "wb", lambda handle: handle.write(data))


def write_figure_atomic(fig, path: str | Path, *, dpi: float) -> Path:
    """Render a matplotlib figure to ``path`` atomically; return the path.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        Any object with matplotlib's ``savefig(file, format=..., dpi=...)``.
    path : str or Path
        Image file; the format follows the suffix (``.png``, ``.pdf``, ``.svg`` ...), and
        matplotlib's default format when there is none.
    dpi : float
        Resolution in dots per inch.
    """
    path = Path(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=path.suffix[1:].lower() or None, dpi=dpi)
    return write_bytes_atomic(path, buffer.getvalue())


def json_default(value):
    """``json.dump``'s ``default``: NumPy arrays and scalars as lists and numbers, complex as ``{"re", "im"}``."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, complex):
        return {"re": value.real, "im": value.imag}
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
