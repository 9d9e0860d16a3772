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


def test_mie_layers_json_csv_and_pattern(capsys, tmp_path):
    wl = np.linspace(450, 800, 4)
    base = ["mie", "--layers", "Ag:20,SiO2:35,Si:80", "--wl-min", "450", "--n-wl", "4"]
    assert main([*base, "--json", "--pattern-wavelength", "600"]) == 0
    data = json.loads(capsys.readouterr().out)
    q = kerker.efficiencies_layered(["Ag", "SiO2", "Si"], [20.0, 35.0, 80.0], wl)
    np.testing.assert_allclose(data["q_back"], q.q_back[0], rtol=1e-14)
    np.testing.assert_allclose(data["g"], q.g[0], rtol=1e-14)
    pattern = data["pattern"]
    amp = kerker.efficiencies_layered(["Ag", "SiO2", "Si"], [20.0, 35.0, 80.0], [600.0]).amplitudes(np.radians(pattern["theta_deg"]))
    np.testing.assert_allclose(pattern["degree_of_polarization"], amp.degree_of_polarization[0, 0], atol=1e-14)
    np.testing.assert_allclose(np.asarray(pattern["s1"]) @ [1, 1j], amp.s1[0, 0], rtol=1e-13)
    assert main([*base, "--csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(",")[:6] == ["wavelength_nm", "q_ext", "q_sca", "q_abs", "q_fwd", "q_back"]
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    np.testing.assert_array_equal(rows[:, 4], q.q_fwd[0])  # 17 digits round-trip
    assert main([*base, "--out", str(tmp_path)]) == 0
    assert (tmp_path / "spectra.csv").read_text().splitlines()[0] == lines[0]
    meta = json.loads((tmp_path / "mie.json").read_text())["provenance"]
    assert [m["name"] for m in meta["materials"]][:1] == [kerker.material("Ag").name]


def test_mie_layers_bad_input_exits_2(capsys):
    for argv, words in (
        (["--layers", "Ag:20,SiO2:15"], "non-decreasing"),
        (["--layers", "Ag:20,SiO2"], "entry 2 must be MATERIAL:RADIUS"),
        (["--layers", "Ag:20", "--core", "Si"], "drop --core"),
        (["--core", "Si"], "missing --shell, --r-core, --t-shell"),
        (["--layers", "Ag:20", "--json", "--csv"], "give one of them"),
    ):
        assert main(["mie", *argv, "--n-wl", "2"]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err


def test_mie_near_field_map(tmp_path, capsys):
    argv = ["mie", "--layers", "Ag:30,SiO2:50,Si:90", "--wl-min", "450", "--n-wl", "3", "--near-field", "600",
            "--near-field-points", "41", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert (tmp_path / "near_field.png").stat().st_size > 1000
    assert f"wrote {tmp_path / 'near_field.png'}" in capsys.readouterr().err
    config = json.loads((tmp_path / "mie.json").read_text())["provenance"]["config"]
    assert config["near_field"] == 600.0 and config["near_field_points"] == 41
    assert main(["mie", "--layers", "Ag:30", "--near-field", "600", "--n-wl", "2"]) == 2
    assert "give --out" in capsys.readouterr().err
