"""Input validation, the missing-treams error and the ``kerker lattice verify`` command end to end."""

import argparse
import json
import sys

import pytest

from kerker.cli import _lattice, _verify
from kerker.verify import MonolayerConfig, VerifyConfig, lattice_vectors


def _parser():
    parser = argparse.ArgumentParser(prog="kerker")
    sub = parser.add_subparsers(dest="command")
    _lattice.register(sub)
    _verify.register(sub)
    return parser


def _run(argv):
    args = _parser().parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"radius": -1.0}, "radius must be"),
        ({"index": 3.5 - 0.1j}, "index must be"),
        ({"area": 0.0}, "area must be"),
        ({"lmax": 0}, "lmax must be"),
        ({"diffraction_radius": 0.0}, "diffraction_radius must be"),
    ],
)
def test_monolayer_config_is_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MonolayerConfig(**kwargs)


def test_verify_config_is_validated():
    with pytest.raises(ValueError, match="wl_min < wl_max"):
        VerifyConfig(wl_min=900.0, wl_max=600.0)
    with pytest.raises(ValueError, match="angles_deg"):
        VerifyConfig(angles_deg=(0.0, 95.0))
    with pytest.raises(ValueError, match="bridge_wavelength"):
        VerifyConfig(bridge_wavelength=1234.0)


def test_lattice_vectors_keep_the_area():
    v = lattice_vectors(0.3 + 1.7j, 160000.0)
    assert abs(v[0, 0] * v[1, 1] - v[0, 1] * v[1, 0]) == pytest.approx(160000.0, rel=1e-14)
    with pytest.raises(ValueError, match=r"Im\(tau\) > 0"):
        lattice_vectors(0.3 - 1j, 160000.0)


def test_missing_treams_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "treams", None)  # makes "import treams" fail
    from kerker.verify import require_treams

    with pytest.raises(ModuleNotFoundError, match=r"pip install 'kerker\[verify\]'"):
        require_treams()
    assert _run(["lattice", "verify", "--quick"]) == 2
    assert "kerker[verify]" in capsys.readouterr().err


def test_overlapping_spheres_are_refused():
    pytest.importorskip("treams", reason="treams (optional extra kerker[verify]) is not installed")
    from kerker.verify import solve_monolayer

    with pytest.raises(ValueError, match="spheres overlap"):
        solve_monolayer(3j, 800.0, config=MonolayerConfig(area=90000.0))  # a = 173 nm < 200 nm


def test_cli_end_to_end(tmp_path, capsys):
    pytest.importorskip("treams", reason="treams (optional extra kerker[verify]) is not installed")
    argv = ["lattice", "verify", "--quick", "--n-wl", "3", "--angles", "0:30:2", "--skip", "convergence"]
    argv += ["--tau", "square", "--tau", "tau_star", "--tau", "0.25+1.1j", "--out", str(tmp_path)]
    assert _run(argv) == 0
    data = json.loads((tmp_path / "verify.json").read_text())
    assert data["meta"]["treams"] and data["meta"]["config"]["monolayer"]["radius"] == 100.0
    assert data["summary"]["square"]["s"]["max_contrast_R"] < 1e-12
    assert data["summary"]["tau_star"]["s"]["max_contrast_R"] > 1e-2
    assert "tau=0.25+1.1i" in data["summary"]
    assert data["bridge"]["correlation_t_split_vs_rod"][0]["pearson"] > 0.99
    for name in ("verify_contrast_maps.png", "verify_spectra.png", "verify_bridge.png"):
        assert (tmp_path / name).stat().st_size > 1000
    assert "wall time" in capsys.readouterr().out


def test_cli_rejects_bad_angles():
    with pytest.raises(SystemExit):
        _parser().parse_args(["lattice", "verify", "--angles", "0-40"])


@pytest.mark.parametrize("module", ["kerker.verify._treams_array", "kerker.verify._bridge"])
def test_doctests(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
