"""The executor layer (kerker._executor): in-process by default, Dask on request, clear refusals.

The Dask tasks here are ``eval`` of a stdlib expression: a worker imports nothing of the
tests to run them.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import pytest

from kerker import open_executor
from kerker._executor import DaskExecutor, InProcess
from kerker.cli import main

BUILD = ["dataset", "build", "--config", "tiny", "--quiet"]


def _closed_port() -> int:
    """A localhost port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_in_process_is_a_lazy_loop_in_order():
    pulled = []

    def tasks():
        for k in range(4):
            pulled.append(k)
            yield k, (k, 3)

    with open_executor() as ex:
        assert isinstance(ex, InProcess) and not ex.distributed and ex.slots() == 1
        out = []
        for key, value in ex.map(pow, tasks(), ordered=False):
            assert pulled == list(range(key + 1))  # each task is taken only when its result is asked for
            out.append((key, value))
    assert out == [(0, 0), (1, 1), (2, 8), (3, 27)]


def test_neither_import_kerker_nor_an_in_process_build_imports_dask(tmp_path):
    code = textwrap.dedent(
        f"""
        import sys
        import kerker
        from kerker.cli import main
        assert main(["dataset", "build", "--config", "tiny", "--quiet", "--out", {str(tmp_path / "t.h5")!r}]) == 0
        with kerker.open_executor() as ex:
            list(ex.map(abs, [(0, (-1,))]))
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("dask", "distributed"))
        assert not loaded, loaded
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    "kwargs, pieces",
    [
        ({"workers": 0}, ["workers must be an integer >= 1", "received 0"]),
        ({"workers": -3}, ["workers", "received -3"]),
        ({"workers": 2.0}, ["workers", "received 2.0"]),
        ({"workers": True}, ["workers", "received True"]),
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:8786"}, ["not both", "workers=2", "tcp://127.0.0.1:8786"]),
        ({"scheduler": "localhost"}, ["PROTOCOL://HOST:PORT", "received 'localhost'"]),
        ({"scheduler": "http://10.0.0.5:8786"}, ["protocol one of tcp", "'http://10.0.0.5:8786'"]),
        ({"scheduler": "tcp://10.0.0.5:0"}, ["port 1-65535", "'tcp://10.0.0.5:0'"]),
        ({"scheduler": "tcp://10.0.0.5:99999"}, ["port 1-65535", "99999"]),
        ({"scheduler": 8786}, ["PROTOCOL://HOST:PORT", "received 8786"]),
        ({"scheduler": "tcp://h:1", "timeout": 0}, ["timeout", "positive", "received 0"]),
        ({"scheduler": "tcp://h:1", "timeout": float("inf")}, ["timeout", "inf"]),
    ],
)
def test_bad_arguments_are_refused_before_anything_starts(kwargs, pieces):
    with pytest.raises(ValueError) as err:
        with open_executor(**kwargs):
            pass
    for piece in pieces:
        assert piece in str(err.value)


@pytest.mark.parametrize("option", [["--workers", "2"], ["--scheduler", "tcp://127.0.0.1:8786"]])
def test_without_dask_the_options_name_the_extra(option, monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` raises ImportError
    with pytest.raises(ValueError, match=r"needs Dask.*pip install 'kerker\[distributed\]'"):
        with open_executor(**{option[0][2:]: int(option[1]) if option[0] == "--workers" else option[1]}):
            pass
    assert main([*BUILD, *option, "--out", str(tmp_path / "t.h5")]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert line.startswith(f"kerker dataset build: error: {option[0]}=")
    assert "pip install 'kerker[distributed]'" in line
    assert not (tmp_path / "t.h5").exists() and not (tmp_path / "t.h5.partial").exists()


def test_an_unreachable_scheduler_is_a_clear_error_within_the_timeout(tmp_path, capsys):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    t0 = time.monotonic()
    code = main([*BUILD, "--scheduler", address, "--scheduler-timeout", "1.5", "--out", str(tmp_path / "t.h5")])
    elapsed = time.monotonic() - t0
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"kerker dataset build: error: --scheduler='{address}': no Dask scheduler answered "
                           "within 1.5 s"), line
    assert elapsed < 10, elapsed  # the timeout, not a hang (and not Dask's own 30 s)
    assert not (tmp_path / "t.h5.partial").exists()


def _tasks(delays, pulled, first=None):
    for k, delay in enumerate(delays):
        pulled.append(k)
        yield k, (first if k == 0 and first else f"__import__('time').sleep({delay}) or {k} * 10",)


def test_dask_map_in_completion_or_task_order_with_a_bounded_window(dask2):
    assert isinstance(dask2, DaskExecutor) and dask2.slots() == 2
    assert "LocalCluster of 2 worker processes" in dask2.describe() and "dashboard http" in dask2.describe()
    delays = [2.0] + [0.01] * 9  # task 0 finishes last (the other worker has 2 s for one of the others)
    for ordered in (False, True):
        pulled, seen = [], []
        for key, value in dask2.map(eval, _tasks(delays, pulled), ordered=ordered, name="probe"):
            assert value == key * 10
            # submitted and not yet yielded: at most twice the tasks the cluster runs at once
            assert len(pulled) - len(seen) <= 2 * 2
            seen.append(key)
        assert sorted(seen) == list(range(10))
        assert seen == list(range(10)) if ordered else seen[0] != 0


def test_dask_map_raises_a_tasks_error_and_cancels_the_rest(dask2):
    pulled = []
    with pytest.raises(ZeroDivisionError):
        for _ in dask2.map(eval, _tasks([0.5] * 12, pulled, first="1 / 0"), ordered=True):
            pass
    assert len(pulled) <= 2 * 2  # the error came back before more was submitted
    deadline = time.monotonic() + 30  # and the others were cancelled: the scheduler forgets them
    while time.monotonic() < deadline and any(k.startswith("task-") for k in dask2.client.who_has()):
        time.sleep(0.1)
    assert not [k for k in dask2.client.who_has() if k.startswith("task-")]


def test_dask_map_ordered_raises_a_tasks_error_in_its_turn(dask2):
    # task 1 fails at once, task 0 finishes later: in order, task 0's result comes first, as in this process
    tasks = [(0, ("__import__('time').sleep(1.5) or 'first'",)), (1, ("1 / 0",)), (2, ("'never'",))]
    seen = []
    with pytest.raises(ZeroDivisionError):
        for key, value in dask2.map(eval, iter(tasks), ordered=True, name="probe"):
            seen.append((key, value))
    assert seen == [(0, "first")]
