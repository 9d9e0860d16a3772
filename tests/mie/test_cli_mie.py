"""End-to-end tests of `kerker mie` (output files and JSON provenance); `kerker demo`: tests/report/test_demo.py."""

import json

import numpy as np

import kerker
from kerker.cli import main
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


def test_mie_json_has_the_multipoles(capsys):
    argv = ["mie", "--core", "Ag", "--shell", "SiO2", "--r-core", "40", "--t-shell", "20", "--n-wl", "3", "--json"]
    assert main(argv) == 0
    data = json.loads(capsys.readouterr().out)
    mp = multipoles("Ag", "SiO2", 40.0, 20.0, np.linspace(400, 800, 3))
    np.testing.assert_allclose(data["q_sca_MD"], mp.magnetic[0, :, 0], rtol=1e-14)
    np.testing.assert_allclose(data["q_sca_EQ"], mp.electric[0, :, 1], rtol=1e-14)
