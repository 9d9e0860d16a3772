"""What runs in a Dask worker process for kerker, and the checks that the worker fits.

Apart from :mod:`kerker._executor` so that a worker imports only this (a preload, the task
wrapper); it imports nothing of kerker's subpackages, and Dask only inside the functions
that run on a worker.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

__all__ = ["dask_setup"]

# The packages whose versions must agree between this process and a worker for identical results.
_PINNED = ("kerker", "numpy", "torch", "h5py", "scipy", "numba", "llvmlite")
# Beside them: the Python version and the Mie kernel asked for (KERKER_MIE_KERNEL, read by each process).


def _hold(shared: tuple) -> tuple:
    """The task whose result is ``shared``: computed once, kept by Dask while the tasks need it."""
    return shared


def _run(fn: Callable, shared: tuple, args: tuple, versions: dict):
    """A task on a worker: its package versions checked against the submitter's ``versions``
    (a worker may join after the connect-time check), PyTorch on one thread, then
    ``fn(*shared, *args)``."""
    theirs = _versions()
    if theirs != versions:
        from distributed import get_worker

        worker = get_worker()
        _refuse_other_versions(versions, {worker.address: theirs}, str(getattr(worker.scheduler, "address", "?")))
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    return fn(*shared, *args)


@functools.cache
def _versions_cached() -> tuple:
    import os
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = [("python", platform.python_version()), ("KERKER_MIE_KERNEL", os.environ.get("KERKER_MIE_KERNEL", "auto"))]
    for package in _PINNED:
        try:
            out.append((package, version(package)))
        except PackageNotFoundError:
            out.append((package, None))
    return tuple(out)


def _versions() -> dict:
    """Versions of :data:`_PINNED` in this process (None: not installed; read once per process)."""
    return dict(_versions_cached())


def dask_setup(worker) -> None:
    """Dask's preload hook, run in each worker process of a ``--workers`` LocalCluster.

    Ctrl-C in a terminal sends SIGINT to the whole foreground process group, the worker
    processes included; they would each print a KeyboardInterrupt traceback and drop their
    task. The process that started them stops them when it handles the interrupt (closing
    the cluster), so the workers ignore SIGINT.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_versions(client, scheduler: str) -> None:
    """Refuse workers whose Python, packages (:data:`_PINNED`) or KERKER_MIE_KERNEL differ from this process's."""
    _refuse_other_versions(_versions(), client.run(_versions, on_error="return"), scheduler)


def _refuse_other_versions(here: dict, there: dict, scheduler: str) -> None:
    """``there``: per worker address, its :func:`_versions` (or the error asking for them raised)."""
    bad = []
    for worker, theirs in sorted(there.items()):
        if isinstance(theirs, BaseException):
            bad.append(f"{worker}: could not be asked ({type(theirs).__name__}: {theirs})")
            continue
        diff = [f"{p} {theirs.get(p)} (here {here.get(p)})" for p in here if theirs.get(p) != here.get(p)]
        if diff:
            bad.append(f"{worker}: {', '.join(diff)}")
    if bad:
        raise ValueError(
            f"scheduler={scheduler!r}: workers with other package versions than this process (results would "
            f"differ or fail): {'; '.join(bad)}. Install the same versions on every worker"
        )
