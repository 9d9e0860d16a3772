"""`kerker benchmark inverse` and `kerker study kerker` on Dask: the in-process results, task by task."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from kerker.cli import main
from kerker.dataset import DatasetConfig, build_dataset, open_dataset
from kerker.design import InverseTargets, run_inverse_benchmark, run_kerker_study

# 4 off-grid targets; two methods, small searches: latent (2 batches of 2 targets), de (one task per target)
METHODS = "latent-surrogate,de"
OPTIONS = {"starts": 8, "iterations": 5, "population": 8, "generations": 3, "batch": 2}


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    config = DatasetConfig.from_preset("offgrid", n_particles=40, split=(0, 0, 40))
    return build_dataset(tmp_path_factory.mktemp("inverse") / "offgrid.h5", config, progress=False)


def _rows(path) -> dict:
    """Per (method, label, target): the row without its wall time."""
    out = {}
    for line in path.read_text().splitlines():
        row = json.loads(line)
        row.pop("wall_time_s")
        out[(row["method"], row["label"], row["target"])] = row
    return out


def _summary(path) -> dict:
    summary = json.loads(path.read_text())["summary"]
    for by_label in summary.values():
        for s in by_label.values():
            s.pop("wall_time_per_target_s")
    return summary


@pytest.fixture(scope="module")
def in_process(targets_file, tmp_path_factory):
    """The in-process study (`kerker benchmark inverse` without Dask) on one torch thread, as
    each worker runs: the surrogate's float32 backward may round differently on two threads
    on some CPUs (docs/distributed.md). It runs in its own process, since changing the
    thread count here would leave an OpenMP pool that a later forked child hangs on."""
    out = tmp_path_factory.mktemp("inverse") / "in-process"
    argv = ["benchmark", "inverse", "--data", str(targets_file), "--targets", "4", "--methods", METHODS,
            *(f"--{k}={v}" for k, v in OPTIONS.items()), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cli = "import sys; from kerker.cli import main; sys.exit(main(sys.argv[1:]))"
    subprocess.run([sys.executable, "-c", cli, *argv], env=env, check=True, capture_output=True)
    return out


def test_cli_benchmark_inverse_on_two_workers_equals_the_in_process_run(in_process, targets_file, tmp_path, capsys):
    reference = in_process
    argv = ["benchmark", "inverse", "--data", str(targets_file), "--targets", "4", "--methods", METHODS,
            *(f"--{k}={v}" for k, v in OPTIONS.items())]
    assert main([*argv, "--out", str(tmp_path), "--workers", "2"]) == 0
    err = capsys.readouterr().err
    assert "running the batches on a Dask LocalCluster of 2 worker processes" in err
    rows = _rows(tmp_path / "results.jsonl")
    assert len(rows) == 2 * 4
    assert rows == _rows(reference / "results.jsonl")  # every field but the wall time, exactly
    assert _summary(tmp_path / "summary.json") == _summary(reference / "summary.json")


def test_a_rerun_on_dask_computes_only_the_unfinished_batches(in_process, targets_file, dask2, tmp_path):
    reference = in_process
    lines = (reference / "results.jsonl").read_text().splitlines(keepends=True)
    # latent-surrogate done (2 batches), then one de target, then a line cut by a kill: 3 de targets to do
    assert [json.loads(line)["method"] for line in lines[:5]] == ["latent-surrogate"] * 4 + ["de"]
    (tmp_path / "results.jsonl").write_text("".join(lines[:5]) + lines[5][:40])
    targets = InverseTargets.from_dataset(open_dataset(targets_file), "test", n=4, seed=0)
    run_inverse_benchmark(targets, tmp_path, methods=tuple(METHODS.split(",")), **OPTIONS, executor=dask2)
    text = (tmp_path / "results.jsonl").read_text()
    assert text.startswith("".join(lines[:5]))  # the finished rows are kept as they were
    assert len([json.loads(line) for line in text.splitlines()]) == 8  # the cut line is gone, each row whole
    assert _rows(tmp_path / "results.jsonl") == _rows(reference / "results.jsonl")


# small searches; no grid optimum (its L-BFGS-B runs take seconds per shell): the shell tasks check polydispersity
KERKER = dict(starts=16, iterations=5, grid=0, spread=0.05, weights=(0.5,), lrs=(0.01,))


def _study(study) -> dict:
    out = study.to_dict()
    out.pop("wall_time_s")
    return out


@pytest.fixture(scope="module")
def kerker_in_process(tmp_path_factory):
    path = tmp_path_factory.mktemp("kerker") / "tasks.jsonl"
    return run_kerker_study("Si", 705.0, **KERKER, resume=path), path


def test_study_kerker_on_dask_equals_the_in_process_study(kerker_in_process, dask2):
    reference, _ = kerker_in_process
    study = run_kerker_study("Si", 705.0, **KERKER, executor=dask2)
    assert _study(study) == _study(reference)
    assert len(study.best_per_shell) >= 5 and len(study.weight_sweep) == 1 and "0.01" in study.lr_study


def test_study_kerker_keeps_each_finished_task(kerker_in_process, dask2, tmp_path, monkeypatch):
    reference, kept = kerker_in_process
    lines = kept.read_text().splitlines(keepends=True)
    assert len(lines) == 3 + len(reference.best_per_shell)  # 3 searches, then one task per shell
    resume = tmp_path / "tasks.jsonl"
    resume.write_text("".join(lines[:-1]) + lines[-1][:30])  # the last shell's line cut by a kill
    study = run_kerker_study("Si", 705.0, **KERKER, executor=dask2, resume=resume)  # computes that one again
    assert _study(study) == _study(reference)
    assert resume.read_text() == kept.read_text()  # the same line again, nothing else
    # now everything is kept: nothing is computed
    from kerker.design import _kerker

    def refuse(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(_kerker, "inverse_design", refuse)
    monkeypatch.setattr(_kerker, "grid_optimum", refuse)
    monkeypatch.setattr(_kerker, "polydispersity", refuse)  # what the shell tasks of KERKER (grid=0) compute
    assert _study(run_kerker_study("Si", 705.0, **KERKER, resume=resume)) == _study(reference)
    # other arguments are other tasks
    with pytest.raises(AssertionError, match="computed again"):
        run_kerker_study("Si", 705.0, **{**KERKER, "seed": 1}, resume=resume)
