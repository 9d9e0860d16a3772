"""`kerker dataset build` / `kerker dataset info` end to end (in-process, tiny grids)."""

import json

import pytest

from kerker.cli import main
from kerker.dataset import DatasetConfig, open_dataset


def test_build_tiny_then_info_then_noop(tmp_path, capsys):
    out = tmp_path / "tiny.h5"
    assert main(["dataset", "build", "--config", "tiny", "--out", str(out)]) == 0
    err = capsys.readouterr()
    assert err.out == ""  # the banner and the progress are messages: stderr
    assert "256 particles (grid) x 16 wavelengths" in err.err and "chunk 4/4" in err.err
    ds = open_dataset(out)
    assert ds.materials == ("Si", "Au") and len(ds) == 256
    assert main(["dataset", "info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "256 particles x 16 wavelengths" in text and ds.fingerprint in text
    assert main(["dataset", "info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["fingerprint"] == ds.fingerprint
    assert main(["dataset", "build", "--config", "tiny", "--out", str(out)]) == 0
    assert "already complete" in capsys.readouterr().err


def test_options_override_the_preset(tmp_path):
    out = tmp_path / "custom.h5"
    argv = [
        "dataset",
        "build",
        "--out",
        str(out),
        "--quiet",
        "--materials",
        "SiO2",
        "TiO2",
        "--n-r-core",
        "3",
        "--n-t-shell",
        "2",
        "--r-core-min",
        "10",
        "--r-core-max",
        "30",
        "--t-shell-min",
        "0",
        "--t-shell-max",
        "5",
        "--wl-min",
        "450",
        "--wl-max",
        "650",
        "--n-wl",
        "5",
        "--seed",
        "4",
        "--split",
        "16",
        "4",
        "4",
        "--extrapolate",
        "error",
        "--dtype",
        "float64",
    ]
    assert main(argv) == 0
    cfg = open_dataset(out).config
    assert cfg == DatasetConfig(
        materials=("SiO2", "TiO2"),
        n_r_core=3,
        n_t_shell=2,
        r_core_range=(10, 30),
        t_shell_range=(0, 5),
        wavelength_min=450,
        wavelength_max=650,
        n_wavelengths=5,
        seed=4,
        split=(16, 4, 4),
        extrapolation="error",
        dtype="float64",
    )


def test_random_sampling_from_the_command_line(tmp_path):
    out = tmp_path / "random.h5"
    argv = [
        "dataset",
        "build",
        "--config",
        "tiny",
        "--sampling",
        "random",
        "--n-particles",
        "50",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0
    ds = open_dataset(out)
    assert len(ds) == 50 and ds.config.sampling == "random" and sum(ds.config.split) == 50


def test_errors_exit_2_with_message(tmp_path, capsys):
    out = tmp_path / "tiny.h5"
    assert main(["dataset", "build", "--config", "tiny", "--out", str(out), "--quiet"]) == 0
    assert main(["dataset", "build", "--config", "tiny", "--n-wl", "8", "--out", str(out), "--quiet"]) == 2
    assert "different config (file -> requested): n_wavelengths: 16 -> 8" in capsys.readouterr().err
    assert main(["dataset", "build", "--materials", "Kryptonite", "--out", str(out)]) == 2
    assert "Kryptonite" in capsys.readouterr().err
    assert main(["dataset", "info", str(tmp_path / "none.h5")]) == 2
    assert "no dataset at" in capsys.readouterr().err


def test_help_states_units(capsys):
    with pytest.raises(SystemExit):
        main(["dataset", "build", "--help"])
    assert "in nm" in capsys.readouterr().out
