"""End-to-end tests of `kerker mie` and `kerker demo` (output files and JSON provenance)."""

import json

import numpy as np

import kerker
from kerker.cli import main
from kerker.design import run_directional_study
from kerker.mie import multipoles


def test_mie_json_matches_library(capsys):
    assert main(["mie", "--core", "Si", "--shell", "SiO2", "--r-core", "60", "--t-shell", "20", "--n-wl", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    q = kerker.efficiencies("Si", "SiO2", 60.0, 20.0, np.linspace(400, 800, 5))
    np.testing.assert_allclose(data["q_fwd"], q.q_fwd[0], rtol=1e-14)


def test_mie_writes_plots_and_provenance(tmp_path, capsys):
    args = ["mie", "--core", "Au", "--shell", "TiO2", "--r-core", "30", "--t-shell", "10", "--n-wl", "21",
            "--extrapolate", "hold", "--pattern-wavelength", "600", "--out", str(tmp_path)]
    assert main(args) == 0
    assert (tmp_path / "spectrum.png").stat().st_size > 1000
    assert (tmp_path / "pattern.png").stat().st_size > 1000
    meta = json.loads((tmp_path / "mie.json").read_text())["provenance"]
    assert meta["kerker_version"] == kerker.__version__
    assert {m["name"] for m in meta["materials"]} == {"Au", "TiO2"}
    assert all(m["extrapolate"] == "hold" for m in meta["materials"])


def test_mie_out_of_range_is_a_clear_cli_error(capsys):
    code = main(["mie", "--core", "TiO2", "--shell", "SiO2", "--r-core", "30", "--t-shell", "10"])
    assert code == 2
    err = capsys.readouterr().err
    # the command-line fix (the flag), not the Python call of the library's message
    assert "--core TiO2: its data cover 430-1530 nm" in err and "--extrapolate hold" in err
    assert "with_extrapolation" not in err


def test_demo_small_run(tmp_path, capsys):
    assert main(["demo", "--starts", "4", "--steps", "5", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    out, err = captured.out.splitlines(), captured.err.splitlines()
    record = json.loads((tmp_path / "demo.json").read_text())
    assert record["provenance"]["seed"] == 0
    assert 1.0 <= record["best"]["r_core_nm"] <= 100.0
    assert (tmp_path / "pattern.png").exists()
    # the CLI prints what the library study found, in the documented layout
    study = run_directional_study("Si", "SiO2", 705.0, n_starts=4, steps=5, seed=0)
    best = study.optimum
    assert err[0].startswith("kerker demo: minimising -Q_fwd + 1 Q_back at 705 nm")  # the banner is a message
    assert out[0] == (
        f"best design: r_core = {study.r_core:.2f} nm, t_shell = {study.t_shell:.2f} nm -> "
        f"Q_fwd = {best.q_fwd[0]:.4f}, Q_back = {best.q_back[0]:.4f}, "
        f"Q_fwd/Q_back = {best.q_fwd[0] / best.q_back[0]:.2f}, loss = {best.loss[0]:.4f}"
    )
    assert out[1] == f"{study.n_distinct} distinct local optima (rounded to 1 nm) among 4 starts"
    assert err[-3:] == [f"wrote {tmp_path / name}" for name in ("spectrum.png", "pattern.png", "demo.json")]
    assert not any(line.startswith("wrote") for line in out)
    assert record["best"]["r_core_nm"] == study.r_core


def test_mie_json_has_the_multipoles(capsys):
    argv = ["mie", "--core", "Ag", "--shell", "SiO2", "--r-core", "40", "--t-shell", "20", "--n-wl", "3", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    mp = multipoles("Ag", "SiO2", 40.0, 20.0, np.linspace(400, 800, 3))
    np.testing.assert_allclose(data["q_sca_MD"], mp.magnetic[0, :, 0], rtol=1e-14)
    np.testing.assert_allclose(data["q_sca_EQ"], mp.electric[0, :, 1], rtol=1e-14)
