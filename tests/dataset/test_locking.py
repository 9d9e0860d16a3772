"""One build per output, atomic creation of the partial file, no symlinks, modes from the umask.

Issue 13, items 5-7, with real processes: two builds on one --out (the loser used to
truncate the winner's file), SIGKILL while ``<out>.partial`` is being created, dangling
symbolic links at the output paths, and the mode of every kind of output file under a
umask.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

from kerker._artifacts import exclusive_lock
from kerker.cli import main
from kerker.dataset import TARGETS, DatasetConfig, build_dataset, open_dataset, verify_dataset

TINY = DatasetConfig.from_preset("tiny")  # 256 particles, 4 chunks: what `--config tiny` builds
CLI = "import sys; from kerker.cli import main; sys.exit(main(sys.argv[1:]))"


def cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=timeout)


# --- the lock helper ------------------------------------------------------------------------


def test_lock_is_exclusive_and_removed_after(tmp_path):
    out = tmp_path / "result.h5"
    with exclusive_lock(out) as lock:
        assert lock == tmp_path / "result.h5.lock" and lock.read_text() == f"{os.getpid()}\n"
        # flock locks belong to an open file: a second attempt fails even in the same process
        with pytest.raises(ValueError, match=rf"result.h5 is being written by another process \(pid {os.getpid()}, "
                           r"holding .*result.h5.lock\); wait for it to finish or write to another output"):
            with exclusive_lock(out):
                pass
    assert not lock.exists() and not out.exists()
    with exclusive_lock(out):  # free again
        pass


def test_lock_of_a_killed_process_is_free(tmp_path):
    out = tmp_path / "result.h5"
    code = "import sys, time; from kerker._artifacts import exclusive_lock\n" \
           "with exclusive_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code, str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "locked\n"
        with pytest.raises(ValueError, match=rf"being written by another process \(pid {proc.pid}, "):
            with exclusive_lock(out):
                pass
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
    with exclusive_lock(out):  # the kernel released it; the stale file is reused
        pass


def test_lock_file_symlink_is_refused(tmp_path):
    out = tmp_path / "result.h5"
    (tmp_path / "result.h5.lock").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ValueError, match=r"the lock file .*result.h5.lock of .*result.h5 is a symbolic link"):
        with exclusive_lock(out):
            pass
    assert not (tmp_path / "elsewhere").exists()


# --- two builds on one output -----------------------------------------------------------------

_HELD = textwrap.dedent(
    """
    import pathlib, sys, time
    from kerker.dataset import DatasetConfig, build_dataset
    go = pathlib.Path(sys.argv[2])
    def hold(k, n, rate, eta):  # after chunk 1, wait for the parent's go-ahead
        print(f"chunk {k}/{n}", flush=True)
        deadline = time.monotonic() + 60
        while k == 1 and not go.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    build_dataset(sys.argv[1], DatasetConfig.from_preset("tiny"), progress=hold)
    print("returned", flush=True)
    """
)


def test_second_build_on_one_output_is_refused(tmp_path):
    out = tmp_path / "shared.h5"
    go = tmp_path / "go"
    first = subprocess.Popen([sys.executable, "-c", _HELD, str(out), str(go)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert first.stdout.readline() == "chunk 1/4\n"  # the first build is half-way, holding its lock
        second = cli("dataset", "build", "--config", "tiny", "--out", str(out))
        assert second.returncode == 2, second.stderr
        assert "Traceback" not in second.stderr and "wrote" not in second.stdout + second.stderr
        assert f"error: {out} is being written by another process (pid {first.pid}, holding " \
               f"{out}.lock); wait for it to finish or write to another output" in second.stderr
        go.touch()
        rest, err = first.communicate(timeout=120)
    finally:
        first.kill()
        first.wait(timeout=30)
    assert first.returncode == 0, err
    assert rest.splitlines()[-1] == "returned" and "Traceback" not in err
    assert not (tmp_path / "shared.h5.lock").exists() and not (tmp_path / "shared.h5.partial").exists()
    clean = open_dataset(build_dataset(tmp_path / "clean.h5", TINY, progress=False))
    ds = open_dataset(out)
    assert verify_dataset(out)["damaged"] == []
    for name in ("wavelength", "core_index", "shell_index", "r_core", *TARGETS):
        assert np.array_equal(getattr(ds, name), getattr(clean, name)), name


def test_simultaneous_builds_write_once(tmp_path):
    # the trial: builds started together on one --out corrupted it in 6 of 7 runs
    out = tmp_path / "race.h5"
    procs = [subprocess.Popen([sys.executable, "-c", CLI, "dataset", "build", "--config", "tiny", "--out", str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    for rc, _, err in results:
        assert rc in (0, 2) and "Traceback" not in err, err
        assert rc == 0 or "is being written by another process" in err
    assert sum("wrote" in err for _, _, err in results) == 1  # later ones find it complete or are refused
    assert verify_dataset(out)["damaged"] == [] and len(open_dataset(out)) == 256
    assert sorted(p.name for p in tmp_path.iterdir()) == ["race.h5"]


# --- SIGKILL while the partial file is created, unreadable partial files -----------------------

_SLOW_CREATE = textwrap.dedent(
    """
    import sys, time
    import h5py
    from kerker.dataset import DatasetConfig, build_dataset
    create = h5py.Group.create_dataset
    def slow(self, name, *args, **kwargs):  # announce each dataset, then give the parent time to kill us
        out = create(self, name, *args, **kwargs)
        print(f"created {name}", flush=True)
        time.sleep(0.05)
        return out
    h5py.Group.create_dataset = slow
    build_dataset(sys.argv[1], DatasetConfig.from_preset("tiny"), progress=False)
    """
)


def test_kill_while_creating_the_partial_file(tmp_path, capsys):
    out = tmp_path / "killed.h5"
    partial = tmp_path / "killed.h5.partial"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_CREATE, str(out)], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.strip() == "created q_fwd":  # inputs written, targets being allocated
            proc.send_signal(signal.SIGKILL)
            break
    proc.stdout.close()
    assert proc.wait(timeout=60) == -signal.SIGKILL
    # no half-made partial file: only the temporary file it was being created as (and the
    # lock file, which a killed process cannot remove but no longer holds)
    assert not partial.exists() and not out.exists()
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert len(leftovers) == 2 and leftovers[1] == "killed.h5.lock"
    assert leftovers[0].startswith(".killed.h5.partial.") and leftovers[0].endswith(".tmp")
    build_dataset(out, TINY)
    err = capsys.readouterr().err
    assert f"removed {tmp_path / leftovers[0]}, left by a build interrupted while creating {partial}" in err
    assert "wrote" in err and sorted(p.name for p in tmp_path.iterdir()) == ["killed.h5"]
    assert verify_dataset(out)["damaged"] == []


@pytest.mark.parametrize("content", ["garbage", "truncated", "no-targets"])
def test_unresumable_partial_names_itself_and_says_delete(tmp_path, content, capsys):
    out = tmp_path / "broken.h5"
    partial = tmp_path / "broken.h5.partial"
    if content == "garbage":
        partial.write_bytes(b"\0\1 not hdf5" * 100)
    else:
        build_dataset(tmp_path / "whole.h5", TINY, progress=False)
        data = (tmp_path / "whole.h5").read_bytes()
        if content == "truncated":
            partial.write_bytes(data[: len(data) // 3])
        else:
            partial.write_bytes(data)
            with h5py.File(partial, "r+") as f:
                del f["q_abs"]
    message = (rf"{partial} is an unfinished build that cannot be resumed \(.*\)\. Delete it \(rm '{partial}'\) and "
               "run the build again")
    with pytest.raises(ValueError, match=message):
        build_dataset(out, TINY, progress=False)
    assert main(["dataset", "build", "--config", "tiny", "--quiet", "--out", str(out)]) == 2
    assert "cannot be resumed" in capsys.readouterr().err
    partial.unlink()
    build_dataset(out, TINY, progress=False)
    assert verify_dataset(out)["damaged"] == []


# --- symbolic links --------------------------------------------------------------------------


def test_dangling_symlink_at_the_partial_path_is_refused(tmp_path, capsys):
    out = tmp_path / "data" / "linked.h5"
    out.parent.mkdir()
    elsewhere = tmp_path / "elsewhere" / "victim.h5"
    elsewhere.parent.mkdir()
    (out.parent / "linked.h5.partial").symlink_to(elsewhere)
    with pytest.raises(ValueError, match=r"the unfinished build path .*linked.h5.partial is a symbolic link \(to "
                       r".*victim.h5\); a build writes only to a real file at that path"):
        build_dataset(out, TINY, progress=False)
    assert main(["dataset", "build", "--config", "tiny", "--out", str(out)]) == 2
    assert "is a symbolic link" in capsys.readouterr().err
    assert not elsewhere.exists() and not out.exists() and not out.is_symlink()


def test_symlink_at_the_output_is_refused(tmp_path):
    out = tmp_path / "linked.h5"
    out.symlink_to(tmp_path / "missing.h5")
    with pytest.raises(ValueError, match=r"the output path .*linked.h5 is a symbolic link"):
        build_dataset(out, TINY, progress=False)
    assert not (tmp_path / "missing.h5").exists() and out.is_symlink()


# --- every output follows the umask --------------------------------------------------------------

_MODES = textwrap.dedent(
    """
    import json, os, stat, sys
    from pathlib import Path
    os.umask(int(sys.argv[2], 8))
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch
    from kerker._artifacts import exclusive_lock, write_bytes_atomic, write_figure_atomic, write_json_atomic
    from kerker.dataset import DatasetConfig, build_dataset
    from kerker.models import save_checkpoint
    out = Path(sys.argv[1])
    mode = lambda p: oct(stat.S_IMODE(os.stat(p).st_mode))
    modes = {}
    write_json_atomic(out / "result.json", {"a": 1})
    write_bytes_atomic(out / "blob.bin", b"x")
    fig = plt.figure()
    write_figure_atomic(fig, out / "figure.png", dpi=20)
    save_checkpoint(out / "model.pt", {"kind": "test", "modules": {"w": torch.ones(2)}})
    with exclusive_lock(out / "job") as lock:
        modes["lock"] = mode(lock)
    def during(k, n, rate, eta):
        if k == 1:
            modes["dataset.partial"] = mode(out / "data.h5.partial")
    build_dataset(out / "data.h5", DatasetConfig.from_preset("tiny"), progress=during)
    for name in ("result.json", "blob.bin", "figure.png", "model.pt", "data.h5"):
        modes[name] = mode(out / name)
    print(json.dumps(modes))
    """
)


@pytest.mark.parametrize("umask", [0o027, 0o002])
def test_every_output_follows_the_umask(tmp_path, umask):
    proc = subprocess.run([sys.executable, "-c", _MODES, str(tmp_path), oct(umask)], capture_output=True, text=True,
                          timeout=180)
    assert proc.returncode == 0, proc.stderr
    modes = json.loads(proc.stdout.splitlines()[-1])
    expected = oct(0o666 & ~umask)  # 0o640, 0o664: what `touch` would give; never mkstemp's 0o600
    assert modes == dict.fromkeys(
        ["lock", "dataset.partial", "result.json", "blob.bin", "figure.png", "model.pt", "data.h5"], expected
    )
    assert not any(stat.S_IMODE(os.stat(p).st_mode) & 0o111 for p in tmp_path.iterdir())


def test_lock_released_when_a_build_fails(tmp_path):
    out = tmp_path / "fails.h5"

    def fail(k, n, rate, eta):
        raise RuntimeError("the progress hook failed")

    with pytest.raises(RuntimeError, match="the progress hook failed"):
        build_dataset(out, TINY, progress=fail)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fails.h5.partial"]
    build_dataset(out, TINY, progress=False)  # not refused: resumes
    assert verify_dataset(out)["damaged"] == []
