"""`kerker train surrogate` and `kerker evaluate surrogate` end-to-end on a tiny real HDF5 dataset."""

import argparse
import json

import pytest

from kerker.cli import _surrogate
from kerker.cli._groups import command_group
from kerker.models import load_checkpoint


def run_cli(argv):
    """Parse and run with a parser holding only the train/evaluate groups (independent of registration order)."""
    parser = argparse.ArgumentParser(prog="kerker")
    sub = parser.add_subparsers(dest="command")
    _surrogate.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def tiny_h5(tmp_path_factory):
    from kerker.dataset import DatasetConfig, build_dataset

    path = tmp_path_factory.mktemp("data") / "tiny.h5"
    config = DatasetConfig(materials=("Si", "SiO2"), n_r_core=6, n_t_shell=6, r_core_range=(5.0, 60.0),
                           t_shell_range=(5.0, 60.0), split=(104, 20, 20))
    return build_dataset(path, config, progress=False)


def test_groups_leave_room_for_other_targets():
    parser = argparse.ArgumentParser(prog="kerker")
    sub = parser.add_subparsers(dest="command")
    _surrogate.register(sub)
    command_group(sub, "train").add_parser("wgan").set_defaults(func=lambda a: 7)
    args = parser.parse_args(["train", "wgan"])
    assert args.func(args) == 7
    assert parser.parse_args(["train", "surrogate", "--data", "x.h5"]).target == "surrogate"
    with pytest.raises(ValueError, match="unknown command group"):
        command_group(sub, "fit")


def test_train_then_evaluate(tiny_h5, tmp_path, capsys):
    out = tmp_path / "run"
    common = ["train", "surrogate", "--data", str(tiny_h5), "--out", str(out), "--channels", "8,8,8",
              "--blocks-per-group", "1", "--batch-schedule", "0:16,2:32", "--lr", "3e-3"]
    assert run_cli([*common, "--epochs", "2"]) == 0
    assert run_cli([*common, "--epochs", "3", "--resume"]) == 0
    text = capsys.readouterr().err  # progress is a message: stderr
    assert "epoch 1/2" in text and "resuming after epoch 2" in text and "epoch 3/3" in text
    assert "test rMAE mean/median" in text
    for name in ("best.pt", "last.pt", "history.json", "loss_curves.png", "run.json"):
        assert (out / name).is_file()

    ev = tmp_path / "eval"
    assert run_cli(["evaluate", "surrogate", "--checkpoint", str(out / "best.pt"), "--data", str(tiny_h5),
                    "--off-grid", "20", "--out", str(ev)]) == 0
    captured = capsys.readouterr()
    text = captured.out  # the summary is data: stdout; "evaluating", progress and "wrote" lines go to stderr
    assert "test split (20 particles) rMAE mean / median" in text and "off-grid (20 particles)" in text
    assert "wrote" not in text and f"wrote {ev / 'evaluation.json'}" in captured.err
    report = json.loads((ev / "evaluation.json").read_text())
    assert report["test"]["n"] == 20 and report["off_grid"]["n"] == 20
    assert report["test"]["q_fwd"]["mean"] > 0 and report["off_grid"]["q_back"]["median"] > 0
    for name in ("rmae_test.png", "rmae_off_grid.png", "spectra_examples.png"):
        assert (ev / name).stat().st_size > 0


def test_train_options_reach_the_checkpoint(tiny_h5, tmp_path):
    """--stem-hidden / --activation / --fourier-octaves / --loss are recorded; unset ones keep the defaults."""
    out = tmp_path / "run"
    assert run_cli(["train", "surrogate", "--data", str(tiny_h5), "--out", str(out), "--channels", "8,8,8",
                    "--blocks-per-group", "1", "--epochs", "1", "--stem-hidden", "16,8", "--activation", "silu",
                    "--fourier-octaves", "2", "--loss", "weighted_mse"]) == 0
    payload = load_checkpoint(out / "best.pt")
    arch = payload["arch_config"]
    assert list(arch["stem_hidden"]) == [16, 8] and arch["activation"] == "silu" and arch["fourier_octaves"] == 2
    assert arch["seq_len"] == 8 and arch["kernel_size"] == 3  # defaults
    assert payload["train_config"]["loss"] == "weighted_mse"
    out2 = tmp_path / "paper"
    assert run_cli(["train", "surrogate", "--data", str(tiny_h5), "--out", str(out2), "--channels", "8,8,8",
                    "--blocks-per-group", "1", "--epochs", "1", "--stem-hidden", "none"]) == 0
    assert load_checkpoint(out2 / "best.pt")["arch_config"]["stem_hidden"] == []  # to_dict: plain lists


def test_fine_tune_from_cli(tiny_h5, tmp_path):
    """--init-from takes the checkpoint's architecture; --loss rmae / --freeze-bn-after / --lr-schedule recorded."""
    first = tmp_path / "first"
    assert run_cli(["train", "surrogate", "--data", str(tiny_h5), "--out", str(first), "--channels", "8,8,8",
                    "--blocks-per-group", "1", "--epochs", "1"]) == 0
    tuned = tmp_path / "tuned"
    assert run_cli(["train", "surrogate", "--data", str(tiny_h5), "--out", str(tuned), "--init-from",
                    str(first / "best.pt"), "--loss", "rmae", "--freeze-bn-after", "0", "--lr-schedule", "cosine",
                    "--epochs", "2", "--lr", "1e-4"]) == 0
    payload = load_checkpoint(tuned / "best.pt")
    assert payload["arch_config"] == load_checkpoint(first / "best.pt")["arch_config"]
    cfg = payload["train_config"]
    assert (cfg["loss"], cfg["freeze_bn_after"], cfg["lr_schedule"]) == ("rmae", 0, "cosine")
    assert cfg["init_from"] == str(first / "best.pt") and payload["init_from"]["path"] == cfg["init_from"]
    with pytest.raises(ValueError, match="has architecture .* differs from the requested"):
        run_cli(["train", "surrogate", "--data", str(tiny_h5), "--out", str(tmp_path / "x"), "--init-from",
                 str(first / "best.pt"), "--channels", "16,8,8", "--epochs", "1"])


def test_evaluate_needs_something(tmp_path):
    with pytest.raises(ValueError, match="nothing to evaluate"):
        run_cli(["evaluate", "surrogate", "--checkpoint", str(tmp_path / "missing.pt"), "--off-grid", "0"])


def test_bad_schedule_message(tiny_h5, tmp_path):
    with pytest.raises(ValueError, match="--batch-schedule must look like"):
        run_cli(["train", "surrogate", "--data", str(tiny_h5), "--out", str(tmp_path), "--batch-schedule", "0-32"])
