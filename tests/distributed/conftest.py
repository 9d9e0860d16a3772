"""Shared pieces of the Dask tests: tiny datasets and the file comparison that "bit-identical" means.

Two builds of one config differ only in when they ran: the root attributes
``created_utc``/``completed_utc``, the ``created_utc`` inside ``metadata`` and the
``header_sha256`` over them. Everything else (every array, byte for byte with its dtype
and chunk layout, every other attribute) must be equal.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from kerker.dataset import DatasetConfig

# 3 x 3 materials (TiO2 held below 430 nm) x 4 x 4 sizes = 144 particles, 12 wavelengths, 18 chunks
SMALL = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=4, n_t_shell=4, n_wavelengths=12, chunk_size=8)

_WHEN = {"created_utc", "completed_utc", "header_sha256"}


def _attrs(obj) -> dict:
    out = {}
    for key, value in obj.attrs.items():
        if key in _WHEN:
            continue
        if key == "metadata":
            value = {k: v for k, v in json.loads(value).items() if k != "created_utc"}
        out[key] = value
    return out


def same_dataset(a, b) -> None:
    """Assert that the dataset files ``a`` and ``b`` hold the same bytes apart from their timestamps."""
    with h5py.File(a, "r") as f, h5py.File(b, "r") as g:
        names_f, names_g = [], []
        f.visit(names_f.append)
        g.visit(names_g.append)
        assert names_f == names_g
        assert _attrs(f) == _attrs(g)
        for name in names_f:
            x, y = f[name], g[name]
            assert type(x) is type(y), name
            if isinstance(x, h5py.Dataset):
                assert (x.dtype, x.shape, x.chunks) == (y.dtype, y.shape, y.chunks), name
                assert np.array_equal(x[...], y[...]), name
                assert x.dtype.kind in "OSU" or x[...].tobytes() == y[...].tobytes(), name
            assert _attrs(x) == _attrs(y), name
        assert bool(f.attrs["complete"]) and bool(g.attrs["complete"])


@pytest.fixture(scope="session")
def small():
    """:data:`SMALL`, the config of the tiny test dataset."""
    return SMALL


@pytest.fixture(scope="session")
def clean_small(tmp_path_factory):
    """The in-process build of SMALL, the reference every other build must equal."""
    from kerker.dataset import build_dataset

    return build_dataset(tmp_path_factory.mktemp("clean") / "small.h5", SMALL, progress=False)


@pytest.fixture
def assert_same_dataset():
    """:func:`same_dataset`, for the test modules."""
    return same_dataset


@pytest.fixture(scope="session")
def dask2():
    """One Dask LocalCluster of 2 worker processes for the library-level tests (started once, closed at the end)."""
    from kerker import open_executor

    with open_executor(workers=2) as executor:
        yield executor


class DaskProcesses:
    """`dask scheduler` and `dask worker` processes on localhost, as a user starts them in terminals."""

    command = [sys.executable, "-m", "dask"]

    def __init__(self, folder):
        self.folder = folder

    def _start(self, args, name):
        with open(self.folder / f"{name}.log", "w") as log:
            return subprocess.Popen([*self.command, *args], stdout=log, stderr=subprocess.STDOUT)

    def scheduler(self, name="scheduler"):
        """A scheduler (no dashboard, no workers): (process, address)."""
        file = self.folder / f"{name}.json"
        proc = self._start(["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                            "--scheduler-file", str(file)], name)
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        return proc, json.loads(file.read_text())["address"]

    def worker(self, address, name):
        """A worker of one thread joining the scheduler at ``address``."""
        return self._start(["worker", address, "--nthreads", "1", "--no-dashboard", "--name", name], name)

    @staticmethod
    def stop(*procs):
        """Terminate the processes (all at once), killing any that has not ended within 30 s."""
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="session")
def dask_processes_in():
    """:class:`DaskProcesses` itself, for fixtures of a wider scope: ``dask_processes_in(folder)``."""
    pytest.importorskip("distributed")
    return DaskProcesses


@pytest.fixture
def dask_processes(dask_processes_in, tmp_path):
    """:class:`DaskProcesses` logging into the test's folder."""
    return dask_processes_in(tmp_path)
