"""`--scheduler ADDR`: a cluster that kerker did not start (a `dask scheduler` and two `dask worker` processes).

The test starts them itself on localhost, as a user would in three terminals, and runs
`kerker dataset build --scheduler ADDR` in a fourth process.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

SMALL_ARGS = ["--materials", "Si", "TiO2", "Au", "--n-r-core", "4", "--n-t-shell", "4", "--n-wl", "12",
              "--chunk-size", "8", "--extrapolate", "hold"]


@pytest.fixture(scope="module")
def scheduler(dask_processes_in, tmp_path_factory):
    """The address of a running `dask scheduler` with two `dask worker` processes of one thread each."""
    distributed = pytest.importorskip("distributed")
    cluster = dask_processes_in(tmp_path_factory.mktemp("cluster"))
    procs = []
    try:
        sched, address = cluster.scheduler()
        procs.append(sched)
        workers = [cluster.worker(address, f"worker-{k}") for k in range(2)]
        procs[:0] = workers
        with distributed.Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=90)
        yield address
    finally:
        cluster.stop(*procs[:-1])  # the workers, then the scheduler
        cluster.stop(*procs[-1:])


def test_dataset_build_on_a_running_cluster_is_bit_identical(scheduler, clean_small, assert_same_dataset,
                                                             tmp_path):
    out = tmp_path / "remote.h5"
    kerker = [sys.executable, "-c", "import sys; from kerker.cli import main; sys.exit(main(sys.argv[1:]))"]
    proc = subprocess.run([*kerker, "dataset", "build", *SMALL_ARGS, "--out", str(out), "--scheduler", scheduler],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert f"on the Dask cluster at {scheduler} (2 workers now)" in proc.stderr
    assert "chunk 18/18" in proc.stderr
    assert_same_dataset(clean_small, out)


def test_workers_with_other_versions_are_refused():
    from kerker._dask_worker import _refuse_other_versions, _versions

    here = _versions()
    _refuse_other_versions(here, {"tcp://a:1": dict(here)}, "tcp://s:1")  # the same: accepted
    there = {"tcp://a:1": {**here, "kerker": "0.0.1"}, "tcp://b:1": OSError("gone")}
    with pytest.raises(ValueError) as err:
        _refuse_other_versions(here, there, "tcp://s:1")
    text = str(err.value)
    assert f"tcp://a:1: kerker 0.0.1 (here {here['kerker']})" in text and "tcp://b:1: could not be asked" in text
