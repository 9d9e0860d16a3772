"""`kerker train wgan` and `kerker evaluate wgan` end-to-end on a tiny real HDF5 dataset."""

import json

import pytest
import torch

from kerker.cli import build_parser


def run_cli(argv):
    args = build_parser().parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def tiny_h5(tmp_path_factory):
    from kerker.dataset import PRESETS, build_dataset

    return build_dataset(tmp_path_factory.mktemp("data") / "tiny.h5", PRESETS["tiny"], progress=False)


def test_train_resume_evaluate_export(tiny_h5, tmp_path, capsys):
    threads = torch.get_num_threads()
    out = tmp_path / "run"
    common = ["train", "wgan", "--data", str(tiny_h5), "--out", str(out), "--batch-size", "32", "--latent-dim", "8",
              "--generator-hidden", "16,16", "--critic-hidden", "16,16", "--threads", "1"]
    try:
        assert run_cli([*common, "--epochs", "1"]) == 0
        assert run_cli([*common, "--epochs", "2", "--resume"]) == 0
        text = capsys.readouterr().err  # progress is a message: stderr
        assert "epoch 1/1" in text and "resuming after epoch 1" in text and "epoch 2/2" in text
        for name in ("best.pt", "last.pt", "history.json", "losses.png", "run.json"):
            assert (out / name).is_file()
        history = json.loads((out / "history.json").read_text())["history"]
        assert [h["epoch"] for h in history] == [1, 2] and "wasserstein" in history[0]

        ev, shipped = tmp_path / "eval", tmp_path / "wgan.pt"
        assert run_cli(["evaluate", "wgan", "--checkpoint", str(out / "best.pt"), "--data", str(tiny_h5), "--samples",
                        "400", "--lines", "4", "--steps", "20", "--out", str(ev), "--export", str(shipped)]) == 0
    finally:
        torch.set_num_threads(threads)
    captured = capsys.readouterr()
    text = captured.out  # the summary is data: stdout; "wrote" lines go to stderr
    assert "material pairs present" in text and "1-nm bins hit" in text
    assert "wrote" not in text and f"wrote {ev / 'fidelity.json'}" in captured.err
    report = json.loads((ev / "fidelity.json").read_text())
    assert report["generated"]["n"] == 400 and report["generated"]["pairs"]["total"] == 4
    assert report["training"]["materials"]["max_abs_deviation_pp"] == pytest.approx(0.0)
    assert report["smoothness"]["n_lines"] == 4 and set(report["targets"]) >= {"all_met"}
    assert report["training"]["n"] == 256 and report["provenance"]["seed"] == 0
    for name in ("fidelity.png", "pairs.png", "latent_lines.png"):
        assert (ev / name).is_file()

    from kerker.models import Generator

    gen = Generator.from_checkpoint(shipped, materials=("Si", "Au"))
    assert gen.info["metrics"]["generated"]["n"] == 400
    assert gen.info["command"]["argv"][:3] == ["kerker", "train", "wgan"] or gen.info["command"]["argv"][0] == "kerker"


def test_errors_are_clear(tiny_h5, tmp_path):
    from kerker.cli import main

    assert main(["evaluate", "wgan", "--checkpoint", str(tmp_path / "missing.pt")]) == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["train", "wgan", "--data", str(tiny_h5), "--split", "nope"])


def test_layers_train_evaluate_export_and_design(tmp_path, capsys):
    """`kerker train wgan --layers 3` (no dataset), its evaluation and export, and `kerker design --generator`."""
    from kerker.cli import main
    from kerker.models import Generator

    threads = torch.get_num_threads()
    out, ev, exported, design = tmp_path / "run3", tmp_path / "eval3", tmp_path / "wgan3.pt", tmp_path / "design"
    try:
        assert main(["train", "wgan", "--layers", "3", "--designs", "512", "--thickness-range", "2,80", "--epochs", "1",
                     "--batch-size", "64", "--latent-dim", "8", "--generator-hidden", "16,16", "--critic-hidden",
                     "16,16", "--threads", "1", "--pair-balance", "1", "--out", str(out)]) == 0
        assert main(["evaluate", "wgan", "--checkpoint", str(out / "best.pt"), "--samples", "300", "--lines", "3",
                     "--steps", "10", "--out", str(ev), "--export", str(exported)]) == 0
        text = capsys.readouterr().out
        assert "designs of 3 layers" in text and "material sequences present" in text and "layer 3:" in text
        assert main(["design", "--directional", "705", "--layers", "3", "--method", "latent", "--physics", "exact",
                     "--generator", str(exported), "--starts", "8", "--iterations", "3", "--thickness-range", "2",
                     "80", "--plots", "1", "--out", str(design)]) == 0
    finally:
        torch.set_num_threads(threads)
    report = json.loads((ev / "fidelity.json").read_text())
    assert report["n_layers"] == 3 and len(report["generated"]["sizes"]) == 3
    assert report["generated"]["sizes"][1]["min_nm"] >= 2.0 and report["generated"]["sizes"][1]["max_nm"] <= 80.0
    for name in ("fidelity.png", "pairs_12.png", "pairs_13.png", "pairs_23.png"):
        assert (ev / name).is_file()
    gen = Generator.from_checkpoint(exported)
    assert gen.n_layers == 3 and gen.info["dataset"]["layer_designs"]["n_designs"] == 512
    record = json.loads((design / "design.json").read_text())
    assert record["method"] == "latent" and record["layers"] == 3 and len(record["best"]["materials"]) == 3
    assert record["meta"]["search"]["generator"]["command"] == gen.info["command"]  # which generator made it
    # bad combinations: one line, exit 2
    assert main(["train", "wgan", "--out", str(tmp_path / "x")]) == 2
    assert main(["train", "wgan", "--layers", "3", "--thickness-range", "5", "--out", str(tmp_path / "x")]) == 2
    assert main(["design", "--directional", "705", "--layers", "4", "--method", "latent", "--physics", "exact",
                 "--generator", str(exported), "--out", str(tmp_path / "y")]) == 2
    assert main(["design", "--directional", "705", "--layers", "3", "--method", "de", "--physics", "exact",
                 "--generator", str(exported), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "give --data (a core-shell dataset) or --layers L" in err and "Traceback" not in err
    assert "makes 3-layer designs, not layers=4" in err and "--generator is used by --method latent only" in err


def test_evaluate_the_shipped_three_layer_generator_by_name(tmp_path, capsys):
    from kerker.cli import main

    assert main(["evaluate", "wgan", "--checkpoint", "wgan3", "--samples", "500", "--lines", "2", "--steps", "5",
                 "--out", str(tmp_path)]) == 0
    assert "500 designs of 3 layers" in capsys.readouterr().out
    assert json.loads((tmp_path / "fidelity.json").read_text())["generated"]["n_layers"] == 3
    assert main(["evaluate", "wgan", "--checkpoint", "wgan3", "--export", str(tmp_path / "x.pt")]) == 2
