"""`kerker benchmark inverse`: `--sample K` (a seeded subset, each target with its full-run row) and one run per output."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kerker.cli import main
from kerker.dataset import DatasetConfig, build_dataset, open_dataset
from kerker.design import InverseTargets, run_inverse_study

OPTIONS = {"starts": 6, "iterations": 4, "batch": 3}


@pytest.fixture(scope="module")
def targets_file(tmp_path_factory):
    config = DatasetConfig.from_preset("offgrid", n_particles=30, split=(0, 0, 30))
    return build_dataset(tmp_path_factory.mktemp("sample") / "offgrid.h5", config, progress=False)


def _rows(path) -> dict:
    out = {}
    for line in (path / "results.jsonl").read_text().splitlines():
        row = json.loads(line)
        row.pop("wall_time_s")
        out[row["target"]] = row
    return out


def test_sample_is_a_seeded_subset_in_order(targets_file):
    t = InverseTargets.from_dataset(open_dataset(targets_file), "test", n=12, seed=3)
    s = t.sample(5, seed=3)
    assert len(s) == 5 and set(s.index) <= set(t.index) and np.all(np.diff(s.index) > 0)
    rows = np.searchsorted(t.index, s.index)
    np.testing.assert_array_equal(s.q_fwd, t.q_fwd[rows])
    np.testing.assert_array_equal(s.r_core, t.r_core[rows])
    assert s.label == t.label and s.wavelength is t.wavelength
    np.testing.assert_array_equal(t.sample(5, seed=3).index, s.index)  # the same seed, the same targets
    assert not np.array_equal(t.sample(5, seed=4).index, s.index)
    assert t.sample(12) is t and t.sample(99) is t
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=f"sample must be a positive integer .*received {bad!r}"):
            t.sample(bad)


def test_a_sampled_run_gives_each_target_its_full_run_row(targets_file, tmp_path):
    full = run_inverse_study(targets_file, tmp_path / "full", targets=6, methods=("latent-surrogate",), **OPTIONS)
    assert main(["benchmark", "inverse", "--data", str(targets_file), "--targets", "6", "--sample", "2",
                 "--methods", "latent-surrogate", "--starts", "6", "--iterations", "4", "--batch", "3",
                 "--out", str(tmp_path / "part")]) == 0
    part, every = _rows(tmp_path / "part"), _rows(tmp_path / "full")
    assert len(part) == 2 and len(every) == 6
    for target, row in part.items():
        assert row == every[target]
    summary = json.loads((tmp_path / "part" / "summary.json").read_text())
    assert summary["sources"]["test"] == {**full["sources"]["test"], "sampled": 2}
    assert summary["summary"]["latent-surrogate"]["test"]["targets"] == 2
    assert summary["provenance"]["config"]["sample"] == 2


def test_two_studies_cannot_share_an_output(targets_file, tmp_path):
    from kerker._artifacts import exclusive_lock

    (tmp_path / "out").mkdir()
    with exclusive_lock(tmp_path / "out" / "results.jsonl"):  # as a running study holds it
        with pytest.raises(ValueError, match="results.jsonl"):
            run_inverse_study(targets_file, tmp_path / "out", targets=2, methods=("latent-surrogate",), **OPTIONS)
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_stratified_screening_rows_do_not_depend_on_the_batch(targets_file, tmp_path):
    # --stratify spreads each target's screened starts over the pairs within its own group:
    # a target's row is the same in a batch of 3 and in a sampled run of 2 (other batches)
    opts = {**OPTIONS, "screen": 3, "stratify": True}
    full = run_inverse_study(targets_file, tmp_path / "full", targets=6, methods=("latent-surrogate",), **opts)
    assert full["provenance"]["config"]["stratify"] is True
    assert main(["benchmark", "inverse", "--data", str(targets_file), "--targets", "6", "--sample", "2",
                 "--methods", "latent-surrogate", "--starts", "6", "--iterations", "4", "--batch", "2",
                 "--screen", "3", "--stratify", "--out", str(tmp_path / "part")]) == 0
    part, every = _rows(tmp_path / "part"), _rows(tmp_path / "full")
    assert len(part) == 2
    for target, row in part.items():
        assert row == every[target]
    summary = json.loads((tmp_path / "part" / "summary.json").read_text())
    assert summary["provenance"]["config"]["stratify"] is True
