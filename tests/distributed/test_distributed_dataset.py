"""`kerker dataset build` on Dask: the same file as the in-process build, whatever happens to the workers."""

from __future__ import annotations

import os
import signal

import h5py
import numpy as np
import pytest

from kerker import open_executor
from kerker.cli import main
from kerker.dataset import DatasetConfig, build_dataset
from kerker.dataset._store import read_header

SMALL_ARGS = ["--materials", "Si", "TiO2", "Au", "--n-r-core", "4", "--n-t-shell", "4", "--n-wl", "12",
              "--chunk-size", "8", "--extrapolate", "hold"]


def test_cli_build_on_two_workers_is_bit_identical_to_the_in_process_build(small, clean_small, assert_same_dataset,
                                                                           tmp_path, capsys):
    out = tmp_path / "dask.h5"
    assert main(["dataset", "build", *SMALL_ARGS, "--out", str(out), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert read_header(out)["config"] == small  # the executor is no part of the config (nor the fingerprint)
    assert_same_dataset(clean_small, out)
    assert "computing 18 chunks on a Dask LocalCluster of 2 worker processes" in err and "dashboard http" in err
    assert "chunk 18/18" in err and "on 2 Dask workers" in err


# 9 material pairs x 16 x 16 sizes = 2,304 particles, 64 wavelengths, 24 chunks of 96: tasks of some 40 ms
KILL = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=16, n_t_shell=16, chunk_size=96)


def test_a_worker_killed_mid_build_changes_nothing(assert_same_dataset, tmp_path):
    clean = build_dataset(tmp_path / "clean.h5", KILL, progress=False)
    killed = []
    with open_executor(workers=2) as ex:
        client = ex.client
        before = set(client.run(os.getpid).values())

        def kill_a_busy_worker(k, n, rate, eta):
            # once a chunk is written: SIGKILL a worker that is running a task (by value: a lambda)
            if killed:
                return
            busy = [w for w, running in client.run(lambda dask_worker: dask_worker.state.executing_count).items()
                    if running]
            if busy:
                pid = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(pid, signal.SIGKILL)
                killed.append((k, pid))

        build_dataset(tmp_path / "dask.h5", KILL, progress=kill_a_busy_worker, executor=ex)
        client.wait_for_workers(2, timeout=60)  # the nanny has started a replacement
        after = set(client.run(os.getpid).values())
    (k, pid), = killed
    assert k < KILL.n_chunks // 2 and pid in before and pid not in after and len(after) == 2
    assert_same_dataset(clean, tmp_path / "dask.h5")


class _Stop:
    """A progress hook that interrupts the build (as Ctrl-C would) once ``after`` chunks are written."""

    def __init__(self, after):
        self.after = after

    def __call__(self, k, n, rate, eta):
        if k == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("first, then", [("in-process", "dask"), ("dask", "in-process")])
def test_an_interrupted_build_resumes_on_either_executor(first, then, small, dask2, clean_small,
                                                         assert_same_dataset, tmp_path):
    executors = {"in-process": None, "dask": dask2}
    path = tmp_path / "resumed.h5"
    with pytest.raises(KeyboardInterrupt):
        build_dataset(path, small, progress=_Stop(5), executor=executors[first])
    with h5py.File(tmp_path / "resumed.h5.partial", "r") as f:
        # written in chunk order: the finished chunks are the first ones
        assert np.array_equal(f["done"][...], np.arange(small.n_chunks) < 5)
    build_dataset(path, small, progress=False, executor=executors[then])
    assert_same_dataset(clean_small, path)


def test_a_complete_file_is_not_recomputed_on_dask(small, clean_small, dask2, capsys):
    build_dataset(clean_small, small, executor=dask2)
    assert "already complete and intact" in capsys.readouterr().err
