"""End-to-end tests of ``kerker lattice`` through its own argument parser."""

import argparse
import json

import pytest

from kerker.cli import _lattice


def _run(argv):
    parser = argparse.ArgumentParser(prog="kerker")
    sub = parser.add_subparsers(dest="command")
    _lattice.register(sub)
    args = parser.parse_args(argv)
    return args.func(args)


def test_sums_table(capsys):
    assert _run(["lattice", "sums", "--tau", "0.3+1.1j"]) == 0
    out = capsys.readouterr().out
    for name in ("E2", "S(2,0)", "S(2,-2)", "S(4,0)", "S(4,-2)", "S(4,-6)"):
        assert name in out


def test_sums_json(capsys):
    assert _run(["lattice", "sums", "--tau", "0.2+1.3i", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert abs(data["sums"]["S(4,0)"]["value"][0] - 3.8858173963193328) < 1e-14
    assert data["sums"]["S(4,0)"]["error_bound"] > 0


def test_bad_tau_is_an_argument_error(capsys):
    with pytest.raises(SystemExit):
        _run(["lattice", "sums", "--tau", "abc"])
    with pytest.raises(ValueError, match=r"Im\(tau\) must be > 0"):
        _run(["lattice", "sums", "--tau", "0.3-1j"])


def test_optimize_writes_json(tmp_path, capsys):
    assert _run(["lattice", "optimize", "--starts", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "eval ratio" in out
    data = json.loads((tmp_path / "lattice_optimize.json").read_text())
    assert data["config"]["n_starts"] == 2 and data["config"]["seed"] == 20260501
    assert "kerker_version" in data["meta"] and data["meta"]["seed"] == 20260501
    assert data["meta"]["config"] == data["config"]
    assert len(data["runs"]) == 6
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_figures(tmp_path, capsys):
    assert _run(["lattice", "figures", "--starts", "2", "--out", str(tmp_path)]) == 0
    names = [
        "lattice_gradient_error.png",
        "lattice_convergence.png",
        "lattice_trajectories.png",
        "lattice_figures.json",
    ]
    captured = capsys.readouterr()  # the files written are messages: stderr, one "wrote PATH" each
    assert captured.out == "" and captured.err.splitlines() == [f"wrote {tmp_path / n}" for n in names]
    for name in names:
        assert (tmp_path / name).stat().st_size > 1000
    data = json.loads((tmp_path / "lattice_figures.json").read_text())
    assert list(data) == ["files", "gradient_error", "optimization", "trajectories", "meta"]
    assert data["files"] == names[:3]
    assert data["optimization"]["config"]["n_starts"] == 2 and data["meta"]["seed"] == 20260501
    assert len(data["trajectories"]["paths"]) == 2


def test_help_explains_conventions(capsys):
    for cmd in ("sums", "optimize", "figures"):
        with pytest.raises(SystemExit):
            _run(["lattice", cmd, "--help"])
        text = capsys.readouterr().out
        assert "Wirtinger" in text and "Im > 0" in text or "y > 0" in text
