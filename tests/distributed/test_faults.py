"""What a user meets when the cluster misbehaves: clear errors and exit codes, never a hang or a traceback.

- a task whose worker dies on every try stops the job with :class:`kerker.WorkerLostError`
  (the CLI: one line, exit 1, finished work kept);
- a scheduler without workers is refused at connect, and a job whose workers all leave
  stops after ``--scheduler-timeout`` seconds without one;
- a worker with other package versions is refused by the task itself (it may join late);
- a scheduler that dies mid-job is a :class:`kerker.WorkerLostError`, not a traceback;
- a real Ctrl-C (SIGINT to the whole process group, workers included) ends a
  ``--workers`` build with exit 130, no KeyboardInterrupt traceback and no process left, and the rerun
  resumes to the file of an uninterrupted build.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from kerker import WorkerLostError, open_executor
from kerker.cli import main
from kerker.dataset import DatasetConfig, build_dataset

KERKER = [sys.executable, "-c", "import sys; from kerker.cli import main; sys.exit(main(sys.argv[1:]))"]


def test_a_task_that_kills_its_worker_every_time_is_a_worker_lost_error():
    pytest.importorskip("distributed")  # first: it loads its defaults into dask.config, which the block overrides
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), open_executor(workers=1) as ex:
        t0 = time.monotonic()
        with pytest.raises(WorkerLostError) as err:
            list(ex.map(os._exit, [("doomed", (3,))], name="probe"))  # the worker process exits at once
        assert "probe 'doomed': the worker running it died each time it was tried" in str(err.value)
        assert "run again to resume" in str(err.value)
        assert time.monotonic() - t0 < 60
        ex.client.wait_for_workers(1, timeout=60)  # the nanny's replacement is there, the cluster still works
        assert list(ex.map(abs, [(0, (-2,))])) == [(0, 2)]


def test_the_cli_prints_a_lost_worker_in_one_line_and_exits_1(monkeypatch, tmp_path, capsys):
    import kerker.dataset as dataset

    def lost(*args, **kwargs):
        raise WorkerLostError("chunk 3: the worker running it died each time it was tried. Finished work is kept")

    monkeypatch.setattr(dataset, "build_dataset", lost)
    code = main(["dataset", "build", "--config", "tiny", "--quiet", "--out", str(tmp_path / "t.h5")])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.strip() == ("kerker dataset build: error: chunk 3: the worker running it died each time it was "
                           "tried. Finished work is kept")


def test_a_worker_with_other_versions_is_refused_by_its_task(dask2):
    honest = dask2._versions
    dask2._versions = {**honest, "kerker": "0.0.1"}  # as if this process had another kerker than the workers
    try:
        with pytest.raises(ValueError) as err:
            list(dask2.map(abs, [(0, (-1,))]))
    finally:
        dask2._versions = honest
    text = str(err.value)
    assert "workers with other package versions than this process" in text
    assert f"kerker {honest['kerker']} (here 0.0.1)" in text and "tcp://127.0.0.1:" in text
    assert list(dask2.map(abs, [(0, (-1,))])) == [(0, 1)]


def test_a_scheduler_without_workers_is_refused_within_the_timeout(dask_processes, tmp_path, capsys):
    proc, address = dask_processes.scheduler()
    try:
        t0 = time.monotonic()
        code = main(["dataset", "build", "--config", "tiny", "--quiet", "--scheduler", address,
                     "--scheduler-timeout", "2", "--out", str(tmp_path / "t.h5")])
        elapsed = time.monotonic() - t0
    finally:
        dask_processes.stop(proc)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"kerker dataset build: error: --scheduler='{address}': the scheduler answered but has "
                           "no worker, and none joined within 2 s"), line
    assert elapsed < 20, elapsed
    assert not (tmp_path / "t.h5.partial").exists()


def test_a_job_whose_workers_all_leave_stops_after_the_timeout(dask_processes):
    sched, address = dask_processes.scheduler()
    worker = dask_processes.worker(address, "worker-0")
    try:
        with open_executor(scheduler=address, timeout=60) as ex:
            ex.idle_timeout = 3.0
            jobs = ex.map(time.sleep, [(0, (60,))], name="nap")
            started = threading.Timer(5.0, worker.terminate)  # the only worker leaves while the task runs
            started.start()
            t0 = time.monotonic()
            with pytest.raises(WorkerLostError) as err:
                next(jobs)
            elapsed = time.monotonic() - t0
            started.join()
    finally:
        dask_processes.stop(worker)
        dask_processes.stop(sched)
    assert f"the Dask cluster at {address} has had no worker for 3 s" in str(err.value)
    assert 5.0 < elapsed < 40, elapsed  # not the task's 60 s, not for ever


# 3 x 3 materials x 20 x 20 sizes = 3,600 particles x 64 wavelengths in 30 chunks of 120
CTRL_C = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=20, n_t_shell=20, chunk_size=120)
CTRL_C_ARGS = ["--materials", "Si", "TiO2", "Au", "--n-r-core", "20", "--n-t-shell", "20", "--chunk-size", "120",
               "--extrapolate", "hold"]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow  # flaky under load (about 1 run in 5 failed, cause not yet found): not in `make test`
def test_ctrl_c_on_a_workers_build_ends_cleanly_and_the_rerun_resumes(assert_same_dataset, tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "c.h5"
    proc = subprocess.Popen([*KERKER, "dataset", "build", *CTRL_C_ARGS, "--workers", "2", "--out", str(out)],
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            # a job started in the background by a non-interactive shell (CI, nohup ... &) inherits
                            # SIGINT ignored, and Python keeps it so: give the command a terminal's default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    deadline = time.monotonic() + 180
    while not any(line.startswith("chunk 2/30") for line in lines) and time.monotonic() < deadline:
        assert proc.poll() is None, "".join(lines)
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
    code = proc.wait(timeout=120)
    reader.join(timeout=30)
    proc.stderr.close()
    err = "".join(lines)
    assert code == 130, err
    # no KeyboardInterrupt traceback from this process or the workers (they ignore SIGINT); a worker may
    # still log Dask's own heartbeat error when the scheduler closes before it (a teardown race in Dask)
    assert "KeyboardInterrupt" not in err, err
    assert err.rstrip().endswith("kerker dataset build: interrupted"), err
    assert "interrupted:" in err and "run again to resume" in err, err
    deadline = time.monotonic() + 30
    while _group_alive(proc.pid) and time.monotonic() < deadline:  # the worker processes go too
        time.sleep(0.2)
    assert not _group_alive(proc.pid)
    assert not out.exists() and (tmp_path / "c.h5.partial").exists()
    build_dataset(out, CTRL_C, progress=False)  # resumes in this process
    assert_same_dataset(build_dataset(tmp_path / "clean.h5", CTRL_C, progress=False), out)


def test_a_lost_scheduler_is_a_worker_lost_error(dask_processes):
    sched, address = dask_processes.scheduler()
    worker = dask_processes.worker(address, "worker-0")
    try:
        with open_executor(scheduler=address, timeout=60) as ex:
            jobs = ex.map(time.sleep, [(0, (60,))], name="nap")
            threading.Timer(3.0, sched.kill).start()  # the scheduler dies while the task runs
            t0 = time.monotonic()
            with pytest.raises(WorkerLostError) as err:
                next(jobs)
            elapsed = time.monotonic() - t0
    finally:
        dask_processes.stop(worker, sched)
    assert f"lost the connection to the Dask scheduler at {address}" in str(err.value)
    assert "run again to resume" in str(err.value)
    assert elapsed < 50, elapsed
