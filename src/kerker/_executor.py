"""Where a long, embarrassingly parallel job runs: in this process (the default) or on Dask.

A job (a dataset build, an inverse-design study) is a sequence of independent tasks, each
a call ``fn(*shared, *args)`` of a module-level function with its own chunk of work (and
its seed) in ``args`` and the arguments every task shares in ``shared``. The one process
that opened the executor submits the tasks and receives every result: it alone writes the
job's files. :func:`open_executor` gives

* :class:`InProcess` (``open_executor()``, the default): each task runs here, when the
  loop asks for its result, in order; nothing of Dask is imported;
* :class:`DaskExecutor` on a ``dask.distributed.LocalCluster`` of ``workers`` worker
  processes of one thread each (``open_executor(workers=4)``), started and stopped with
  the ``with`` block;
* :class:`DaskExecutor` on an existing cluster (``open_executor(scheduler="tcp://host:8786")``):
  ``dask scheduler`` and ``dask worker`` processes, dask-jobqueue on SLURM, Kubernetes.

Faults are Dask's to handle: a task on a worker that dies (even by SIGKILL) is run again
on another worker (a LocalCluster's nanny starts a replacement), up to Dask's
``distributed.scheduler.allowed-failures`` (3) deaths per task. A scheduler that does not
answer within ``timeout`` seconds, or has no worker, is a ``ValueError``, not a hang; a
job on such a cluster whose workers all leave stops with :class:`WorkerLostError` after
``timeout`` seconds without one. Each task checks that its worker has the submitter's
versions of Python, kerker, NumPy, PyTorch, h5py, SciPy, Numba and llvmlite and its
``KERKER_MIE_KERNEL`` (workers may join at any time). Every task runs PyTorch on one
thread (``torch.set_num_threads(1)``), so that N tasks on N cores do not oversubscribe them; the results of kerker's tasks do not depend on the thread count.

This module imports nothing of kerker's subpackages (it sits beside ``_artifacts``), and
Dask only when a Dask executor is opened: ``pip install 'kerker[distributed]'``.
"""

from __future__ import annotations

import math
import re
import socket
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress

from kerker._dask_worker import _check_versions, _hold, _run, _versions

__all__ = ["DEFAULT_TIMEOUT", "DaskExecutor", "InProcess", "WorkerLostError", "check_address", "check_executor",
           "open_executor"]

#: Seconds to wait for a scheduler's answer before giving up (``--scheduler-timeout``).
DEFAULT_TIMEOUT = 10.0

_EXTRA = "pip install 'kerker[distributed]'"
_DASHBOARD_PORT = 8787  # Dask's default
# PROTOCOL://HOST:PORT (or HOST:PORT, tcp); HOST a name, an IPv4 address or an [IPv6] address
_ADDRESS = re.compile(
    r"^(?:(?P<protocol>[a-z][a-z0-9+]*)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(?P<port>\d{1,5})$"
)
_PROTOCOLS = ("tcp", "tls", "ws", "wss")
class WorkerLostError(RuntimeError):
    """A job's task could not be run: its worker died each time it was tried, or a cluster
    that kerker did not start has had no worker for longer than its timeout.

    The work finished before it is kept in the job's output (a dataset's ``.partial`` file,
    a study's ``results.jsonl``/``tasks.jsonl``): running the command again resumes.
    """


class InProcess:
    """Run every task in this process, in order, when its result is asked for (the default).

    The path a job took before executors existed: a plain loop, no Dask, same speed.
    """

    distributed = False
    dashboard = None

    def describe(self) -> str:
        """One line for the progress output."""
        return "in this process"

    def slots(self) -> int:
        """Tasks run at once: one."""
        return 1

    def map(self, fn: Callable, tasks: Iterable, *, shared: tuple = (), ordered: bool = False,
            name: str = "task") -> Iterator[tuple]:
        """Yield ``(key, fn(*shared, *args))`` for each ``(key, args)`` of ``tasks``, in order.

        Parameters
        ----------
        fn : callable
            A module-level function (a Dask worker imports it by name).
        tasks : iterable of (key, tuple)
            Each task's key (returned with its result) and its own arguments; consumed
            lazily, one task at a time.
        shared : tuple
            Arguments every task receives first.
        ordered : bool
            Yield in task order (always so here).
        name : str
            Label of the tasks (Dask's dashboard groups them by it).
        """
        for key, args in tasks:
            yield key, fn(*shared, *args)


class _Failed:
    """A task's exception, held until the tasks before it have been yielded (``ordered``)."""

    def __init__(self, error: BaseException):
        self.error = error


class DaskExecutor:
    """Run tasks on a ``dask.distributed`` cluster; results come back to this process.

    Made by :func:`open_executor`, which also closes it. ``client`` is the
    ``distributed.Client``; ``cluster`` the ``LocalCluster`` it started, or None for a
    cluster that was already running.
    """

    distributed = True

    def __init__(self, client, cluster=None, *, idle_timeout: float | None = None):
        self.client = client
        self.cluster = cluster
        #: Seconds a running job waits while the cluster has no worker before it stops with
        #: :class:`WorkerLostError` (None: wait; a LocalCluster's nanny restarts its workers).
        self.idle_timeout = idle_timeout
        self._slots, self._slots_at = 1, -math.inf
        self._versions = _versions()
        self._address = getattr(client.scheduler, "address", "?")


    @property
    def dashboard(self) -> str | None:
        """The address of the Dask dashboard (its plots need ``bokeh`` where the scheduler runs)."""
        try:
            return self.client.dashboard_link
        except (KeyError, AttributeError):  # a scheduler without the dashboard service
            return None

    def slots(self) -> int:
        """Tasks the cluster runs at once (threads over all workers); re-read at most once a second."""
        now = time.monotonic()
        if now - self._slots_at > 1.0:
            self._slots = max(1, sum(self.client.nthreads().values()))
            self._slots_at = now
        return self._slots

    def describe(self) -> str:
        """One line for the progress output: where, how many workers, the dashboard."""
        threads = self.client.nthreads()
        where = (f"a Dask LocalCluster of {len(threads)} worker processes" if self.cluster is not None
                 else f"the Dask cluster at {self.client.scheduler.address} ({len(threads)} workers now)")
        text = f"on {where}, {sum(threads.values())} tasks at a time"
        link = self.dashboard
        if link:
            text += f"; dashboard {link}"
            if self.cluster is not None and not _has_bokeh():
                text += " (its plots need bokeh: pip install bokeh)"
        return text

    def map(self, fn: Callable, tasks: Iterable, *, shared: tuple = (), ordered: bool = False,
            name: str = "task") -> Iterator[tuple]:
        """Yield ``(key, result)`` of each task as it completes (``ordered``: in task order).

        At most twice as many tasks as the cluster runs at once are submitted and not yet
        yielded (counted from the oldest not yet yielded when ``ordered``), so results
        waiting for an earlier one stay few and a large job is never submitted at once.
        ``shared`` travels to the cluster once, as the result of a task of its own (which
        Dask recomputes if the workers holding it die). A task's exception is raised
        here; a task whose worker died ``allowed-failures`` times, or a cluster without a
        worker for ``idle_timeout`` seconds, raises :class:`WorkerLostError`.
        With ``ordered``, a task's exception is raised in its turn, after the results of the
        tasks before it (as in this process), and no further task is submitted once one
        has failed. Unfinished tasks are cancelled when the caller stops iterating (a task
        already running on a worker runs to its end: Dask does not interrupt it). A lost
        connection to the scheduler (Dask cancels every task) is a :class:`WorkerLostError`.
        Parameters as :meth:`InProcess.map`.
        """
        from distributed import KilledWorker, wait

        client, token = self.client, uuid.uuid4().hex[:8]
        tasks = iter(tasks)
        held = []  # the future of ``shared``, submitted with the first task (none for a job with nothing to do)
        live = {}  # position -> (task key, future): submitted, not yet completed
        ready = {}  # position -> (task key, result): completed, waiting for an earlier one (ordered)
        state = {"submitted": 0, "finished": 0, "next": 0, "exhausted": False}

        def fill():
            base = state["next"] if ordered else state["finished"]
            while not state["exhausted"] and state["submitted"] - base < 2 * self.slots():
                try:
                    key, args = next(tasks)
                except StopIteration:
                    state["exhausted"] = True
                    break
                if not held:
                    with warnings.catch_warnings():  # sent once on purpose, as a task Dask can recompute
                        warnings.filterwarnings("ignore", message="(Large object|Sending large graph) of size",
                                                category=UserWarning)
                        held.append(client.submit(_hold, tuple(shared), key=f"{name}-shared-{token}", pure=False))
                pos = state["submitted"]
                future = client.submit(_run, fn, held[0], tuple(args), self._versions,
                                       key=f"{name}-{pos}-{token}", pure=False)
                live[pos] = (key, future)
                state["submitted"] += 1

        try:
            fill()
            while live:
                for pos in self._completed(live, wait):
                    key, future = live.pop(pos)
                    try:
                        result = self._result(future, key, name, KilledWorker)
                    except Exception as err:
                        if not ordered:
                            raise
                        # in task order, as in this process: the earlier tasks' results come first
                        result, state["exhausted"] = _Failed(err), True
                    future.release()
                    state["finished"] += 1
                    if ordered:
                        ready[pos] = (key, result)
                        while state["next"] in ready:
                            item = ready.pop(state["next"])
                            state["next"] += 1
                            if isinstance(item[1], _Failed):
                                raise item[1].error
                            yield item
                    else:
                        yield key, result
                fill()
        finally:
            if live:
                with suppress(Exception):  # a lost connection has cancelled them already
                    client.cancel([future for _, future in live.values()])
            for future in held:
                with suppress(Exception):
                    future.release()

    def _lost(self, err: BaseException) -> WorkerLostError:
        return WorkerLostError(
            f"lost the connection to the Dask scheduler at {self._address} ({type(err).__name__}: {err}); "
            "Dask cancelled the tasks. Finished work is kept: run again to resume"
        )

    def _result(self, future, key, name: str, killed: type):
        """The result of a completed task; failures of the cluster (not of the task) as :class:`WorkerLostError`."""
        from concurrent.futures import CancelledError

        try:
            return future.result()
        except killed as err:
            raise WorkerLostError(
                f"{name} {key!r}: the worker running it died each time it was tried (Dask's "
                "distributed.scheduler.allowed-failures); a task that runs a worker out of memory does "
                f"this. Finished work is kept: run again to resume ({err})"
            ) from err
        except CancelledError as err:  # cancelled by Dask when the connection to the scheduler broke
            raise self._lost(err) from err

    def _completed(self, live: dict, wait) -> list[int]:
        """Positions of the live tasks that have completed (at least one), in task order.

        Waits in steps of a second; a cluster without a worker for ``idle_timeout`` seconds
        is a :class:`WorkerLostError` (its tasks would wait for ever).
        """
        from concurrent.futures import CancelledError

        empty_since = None
        while True:
            try:
                with self.client.as_current():  # wait() asks for the current client; ours is not the default
                    wait([future for _, future in live.values()], timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:
                pass
            except CancelledError:  # the futures' result() says which: the connection or the task
                pass
            done = [pos for pos, (_, future) in sorted(live.items()) if future.done()]
            if done:
                return done
            if self.client.status in ("closing", "closed"):
                raise self._lost(RuntimeError(f"client {self.client.status}"))
            if self.idle_timeout is None or self.client.nthreads():
                empty_since = None
                continue
            empty_since = time.monotonic() if empty_since is None else empty_since
            if time.monotonic() - empty_since > self.idle_timeout:
                raise WorkerLostError(
                    f"the Dask cluster at {self.client.scheduler.address} has had no worker for "
                    f"{self.idle_timeout:g} s (--scheduler-timeout), so its tasks cannot run. Finished work is kept: "
                    "start workers (dask worker ADDRESS) and run again to resume"
                )


def check_executor(executor, where: str) -> InProcess | DaskExecutor:
    """``executor`` as given to ``where`` (a function's name): None is :class:`InProcess`."""
    if executor is None:
        return InProcess()
    if not isinstance(executor, (InProcess, DaskExecutor)):
        raise TypeError(
            f"{where} executor must be None (this process) or what kerker.open_executor(...) yields; received "
            f"{type(executor).__name__}"
        )
    return executor


def _port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` (all interfaces) now, as Dask's dashboard does."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("", port))
        except OSError:
            return False
    return True


def _has_bokeh() -> bool:
    from importlib.util import find_spec

    return find_spec("bokeh") is not None


def check_address(address) -> str:
    """``address`` if it is a Dask scheduler address PROTOCOL://HOST:PORT (or HOST:PORT, tcp); else ValueError."""
    match = _ADDRESS.fullmatch(address) if isinstance(address, str) else None
    if match is None or (match["protocol"] or "tcp") not in _PROTOCOLS or not 0 < int(match["port"]) < 65536:
        raise ValueError(
            "scheduler must be a Dask scheduler address PROTOCOL://HOST:PORT (protocol one of "
            f"{', '.join(_PROTOCOLS)}; port 1-65535), e.g. tcp://10.0.0.5:8786; received {address!r}"
        )
    return address


def _check(workers, scheduler, timeout) -> None:
    if workers is not None and scheduler is not None:
        raise ValueError(
            "give workers (a local cluster) or scheduler (a running one), not both; received "
            f"workers={workers!r}, scheduler={scheduler!r}"
        )
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1 (worker processes); received {workers!r}")
    if scheduler is not None:
        check_address(scheduler)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a positive finite number of seconds; received {timeout!r}")


def _distributed(what: str):
    try:
        import distributed
    except ImportError as err:
        raise ValueError(
            f"{what} needs Dask (the packages dask and distributed), which is not installed here ({err}); "
            f"install it with {_EXTRA}"
        ) from err
    return distributed


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None, *,
                  timeout: float = DEFAULT_TIMEOUT) -> Iterator[InProcess | DaskExecutor]:
    """Open where a job's tasks run; closes it (and a cluster it started) when the block ends.

    Neither ``workers`` nor ``scheduler``: :class:`InProcess`, the default (no Dask).

    Parameters
    ----------
    workers : int, optional
        Start a ``dask.distributed.LocalCluster`` of this many worker processes, one
        thread each, on this machine (dashboard on port 8787, or a free one).
    scheduler : str, optional
        Use the running cluster whose scheduler listens at this address,
        ``PROTOCOL://HOST:PORT`` (``tcp://10.0.0.5:8786``; see ``docs/distributed.md``).
        Its workers must have the same Python, kerker, NumPy, PyTorch, h5py, SciPy, Numba
        and llvmlite versions and the same ``KERKER_MIE_KERNEL`` as this process (checked
        on the workers present when connecting, and by each task on its worker).
    timeout : float
        Seconds to wait for the scheduler at ``scheduler`` to answer and to have a worker
        (default 10); a running job on that cluster stops with :class:`WorkerLostError`
        once the cluster has had no worker for this long.

    Yields
    ------
    InProcess or DaskExecutor

    Raises
    ------
    ValueError
        Both ``workers`` and ``scheduler``; ``workers`` < 1 or not an int; a malformed
        address; Dask not installed (the message names ``pip install
        'kerker[distributed]'``); no scheduler answering at ``scheduler`` within
        ``timeout``; no worker there within ``timeout``; a worker with other package
        versions (also one that joins later: each task checks its worker).

    Examples
    --------
    >>> from kerker import open_executor
    >>> with open_executor() as ex:      # in-process, the default
    ...     [result for _, result in ex.map(pow, [(k, (k, 2)) for k in range(4)])]
    [0, 1, 4, 9]
    """
    _check(workers, scheduler, timeout)
    if workers is None and scheduler is None:
        yield InProcess()
        return
    what = f"workers={workers}" if workers is not None else f"scheduler={scheduler!r}"  # the message's subject
    distributed = _distributed(what)
    if workers is not None:
        # Dask's dashboard port, or any free one when another cluster has it: asking Dask for a port in use
        # leaks the socket of its failed attempt (a ResourceWarning) before it falls back to a free one
        dashboard = f":{_DASHBOARD_PORT}" if _port_is_free(_DASHBOARD_PORT) else ":0"
        with warnings.catch_warnings():
            # Lost a race for the port all the same: Dask serves the dashboard on a free port and says so with a
            # UserWarning; describe() prints the address actually used.
            warnings.filterwarnings("ignore", message=r"Port \d+ is already in use", category=UserWarning)
            # preload: each worker process runs kerker._dask_worker.dask_setup (it ignores Ctrl-C: see there)
            try:
                cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                   dashboard_address=dashboard, preload=["kerker._dask_worker"])
            except (RuntimeError, OSError) as err:  # e.g. no room for the workers' local directories
                raise ValueError(f"workers={workers}: the local Dask cluster did not start ({err})") from err
        with _quiet_after_failure() as quiet, cluster, distributed.Client(cluster, set_as_default=False) as client:
            try:
                yield DaskExecutor(client, cluster)
            except BaseException:
                quiet()  # before the cluster closes
                raise
        return
    try:
        client = distributed.Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as err:
        raise ValueError(
            f"scheduler={scheduler!r}: no Dask scheduler answered within {timeout:g} s ({err}); check the address "
            "and that `dask scheduler` runs there and is reachable from this machine"
        ) from err
    except (TypeError, ValueError) as err:  # e.g. tls:// without a security configuration
        raise ValueError(
            f"scheduler={scheduler!r}: Dask could not connect to it ({type(err).__name__}: {err})"
        ) from err
    with client:
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError as err:
            raise ValueError(
                f"scheduler={scheduler!r}: the scheduler answered but has no worker, and none joined within "
                f"{timeout:g} s; start workers (dask worker {scheduler}), or give workers still queued longer with "
                "--scheduler-timeout"
            ) from err
        _check_versions(client, scheduler)
        yield DaskExecutor(client, idle_timeout=timeout)


@contextmanager
def _quiet_after_failure() -> Iterator[Callable[[], None]]:
    """Closing a LocalCluster after an error or Ctrl-C drops work on purpose: the block calls
    the yielded function before closing, so that Dask's warnings about it (lost results,
    workers killed at close) are not shown; the log level is restored when the block ends."""
    import logging

    log = logging.getLogger("distributed")
    level = log.level
    try:
        yield lambda: log.setLevel(logging.ERROR)
    finally:
        log.setLevel(level)
