"""Bad invocations of every ``kerker`` command: exit 2, one line on stderr naming the argument, no traceback.

One table, one test (the habit of ``sklearn/preprocessing/tests/test_common.py``): each
row is a command line a demanding user might type and the pieces its message must hold.
Its classes: missing, wrong-typed, out-of-range, NaN, inf, negative and empty values,
an unwritable ``--out``, a file where a directory belongs (and the reverse), a missing
``--data``, bad ``--checkpoint`` files, a dataset too large for the machine. Below the
table: the output contract (data on stdout, messages on stderr), help, ``--tau`` with a
negative real part, one name per shipped model, one ``--extrapolate`` default, YAML
materials on the command line, ``KERKER_DEBUG`` and a closed pipe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import kerker
from kerker.cli import build_parser, main
from kerker.materials import constant

MIE = ["mie", "--core", "Si", "--shell", "SiO2", "--r-core", "50", "--t-shell", "20", "--n-wl", "5"]
DEMO = ["demo", "--quick", "--starts", "2", "--targets", "1", "--out", "{dir}/demo"]
BUILD = ["dataset", "build", "--config", "tiny", "--quiet"]
TRAIN_S = ["train", "surrogate", "--epochs", "1"]
TRAIN_W = ["train", "wgan", "--epochs", "1"]
EVAL_S = ["evaluate", "surrogate", "--off-grid", "4", "--out", "{dir}/es"]
EVAL_W = ["evaluate", "wgan", "--samples", "20", "--lines", "2", "--steps", "3", "--out", "{dir}/ew"]

# (argv with {placeholders}, pieces the error line must contain); see the `paths` fixture
CASES = [
    # -- kerker materials
    (["materials", "--plot", "Kryptonite", "--out", "{dir}/x.png"], ["--plot", "unknown material 'Kryptonite'"]),
    (["materials", "--plot", "Si", "--out", "{dir}/x.png", "--points", "abc"], ["--points", "'abc'"]),
    (["materials", "--plot", "Si", "--out", "{dir}/x.png", "--range", "nan", "800"], ["--range", "finite", "nan"]),
    (["materials", "--plot", "TiO2", "--out", "{dir}/x.png", "--range", "300", "800"],
     ["--plot TiO2", "430-1530 nm", "--extrapolate hold"]),
    (["materials", "--plot", "Si", "--out", "{dir}"], ["--out", "is a directory"]),
    (["materials", "--plot", "Si", "--out", "{file}/x.png"], ["--out", "is a file"]),
    (["materials", "--plot", "{gain}", "--out", "{dir}/x.png"], ["gain.yml", "k >= 0", "row 1", "-0.1"]),
    # -- kerker mie
    ([a for a in MIE if a not in ("--core", "Si")], ["--core", "required"]),
    (MIE[:1] + ["--core", "", *MIE[3:]], ["--core", "unknown material ''"]),
    ([*MIE, "--r-core", "abc"], ["--r-core", "'abc'"]),
    ([*MIE[:6], "-5", *MIE[7:]], ["r_core", "> 0", "-5"]),
    ([*MIE, "--env", "nan"], ["--env", "finite", "nan"]),
    ([*MIE, "--wl-max", "inf"], ["--wl-max", "finite", "inf"]),
    ([*MIE, "--wl-min", "800", "--wl-max", "400"], ["--wl-min", "--wl-max", "800"]),
    ([*MIE, "--n-wl", "-3"], ["--n-wl", "-3"]),
    ([*MIE, "--n-wl", "1000000000"], ["--n-wl", "100000", "1000000000"]),
    (["mie", "--core", "TiO2", *MIE[3:]], ["--core TiO2", "430-1530 nm", "--extrapolate hold"]),
    ([*MIE, "--out", "{ro}/out"], ["--out", "cannot write", "read-only"]),
    ([*MIE, "--out", "{file}"], ["--out", "is a file"]),
    ([*MIE, "--out", "{file}/sub"], ["--out", "is a file, not a directory"]),
    (["mie", "--core", "{gain}", *MIE[3:]], ["gain.yml", "k >= 0 (k > 0 is loss", "-0.1"]),
    (["mie", "--core", "{dir}/missing.yml", *MIE[3:]], ["--core", "missing.yml", "no such"]),
    # -- kerker demo
    (["demo", "--starts", "0"], ["--starts", "positive", "0"]),
    ([*DEMO, "--weight", "nan"], ["--weight", "finite", "nan"]),
    ([*DEMO, "--wavelength", "1e6"], ["--wavelength", "800.0", "1000000.0"]),
    ([*DEMO, "--seed", "-1"], ["--seed", ">= 0", "-1"]),
    ([*DEMO, "--out", "{ro}/out"], ["--out", "cannot write"]),
    ([*DEMO, "--out", "{file}"], ["--out", "is a file"]),
    # -- kerker lattice sums / optimize / figures / verify
    (["lattice", "sums"], ["--tau", "required"]),
    (["lattice", "sums", "--tau", ""], ["--tau", "complex number"]),
    (["lattice", "sums", "--tau", "nan+1j"], ["--tau", "finite"]),
    (["lattice", "sums", "--tau", "0.3-1.1j"], ["Im(tau)"]),
    (["lattice", "sums", "--tau", "0.3+1.1j", "--tol", "inf"], ["--tol", "finite", "inf"]),
    (["lattice", "optimize", "--starts", "1", "--kappa", "-1e-3"], ["kappa", "-0.001"]),  # a value, not an option
    (["lattice", "optimize", "--starts", "0"], ["--starts", "0"]),
    (["lattice", "optimize", "--starts", "1", "--out", "{file}"], ["--out", "is a file"]),
    (["lattice", "figures", "--starts", "1"], ["--out", "required"]),
    (["lattice", "figures", "--starts", "1", "--out", "{ro}/fig"], ["--out", "cannot write"]),
    (["lattice", "verify", "--quick", "--n-wl", "0"], ["--n-wl", "0"]),
    (["lattice", "verify", "--quick", "--angles", "0:nan:3"], ["--angles", "finite"]),
    # -- kerker dataset build / info
    ([*BUILD, "--materials", "Kryptonite", "--out", "{dir}/b.h5"], ["--materials", "unknown material"]),
    ([*BUILD, "--materials", "{gain}", "--out", "{dir}/b.h5"], ["--materials", "shipped materials only"]),
    ([*BUILD, "--n-r-core", "abc", "--out", "{dir}/b.h5"], ["--n-r-core", "'abc'"]),
    ([*BUILD, "--r-core-min", "0", "--out", "{dir}/b.h5"], ["--r-core-min/--r-core-max", "0 < lo"]),
    ([*BUILD, "--r-core-max", "inf", "--out", "{dir}/b.h5"], ["--r-core-max", "finite", "inf"]),
    ([*BUILD, "--env", "0", "--out", "{dir}/b.h5"], ["--env", "> 0", "0.0"]),
    ([*BUILD, "--split", "-1", "200", "57", "--out", "{dir}/b.h5"], ["--split", ">= 0", "-1"]),
    ([*BUILD, "--n-particles", "5", "--out", "{dir}/b.h5"], ["--n-particles", "--sampling random"]),
    ([*BUILD, "--materials", "TiO2", "--out", "{dir}/b.h5"], ["--materials TiO2", "--extrapolate hold"]),
    (["dataset", "build", "--n-r-core", "100000", "--n-t-shell", "100000", "--out", "{dir}/huge.h5"],
     ["490,000,000,000 particles", "on disk", "free", "--n-r-core"]),
    ([*BUILD, "--out", "{ro}/b.h5"], ["--out", "cannot write"]),
    ([*BUILD, "--out", "{file}/b.h5"], ["--out", "is a file, not a directory"]),
    ([*BUILD, "--out", "{dir}"], ["--out", "is a directory"]),
    # where the work runs (Dask): refused by argparse, before anything starts
    ([*BUILD, "--workers", "0", "--out", "{dir}/b.h5"], ["--workers", "positive", "received 0"]),
    ([*BUILD, "--workers", "-2", "--out", "{dir}/b.h5"], ["--workers", "-2"]),
    ([*BUILD, "--workers", "two", "--out", "{dir}/b.h5"], ["--workers", "'two'"]),
    ([*BUILD, "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786", "--out", "{dir}/b.h5"],
     ["--scheduler", "not allowed with argument --workers"]),
    ([*BUILD, "--scheduler", "localhost", "--out", "{dir}/b.h5"],
     ["--scheduler", "PROTOCOL://HOST:PORT", "'localhost'"]),
    ([*BUILD, "--scheduler", "http://10.0.0.5:8786", "--out", "{dir}/b.h5"], ["--scheduler", "protocol one of"]),
    ([*BUILD, "--scheduler", "tcp://10.0.0.5:99999", "--out", "{dir}/b.h5"], ["--scheduler", "port 1-65535"]),
    ([*BUILD, "--scheduler-timeout", "0", "--out", "{dir}/b.h5"], ["--scheduler-timeout", "> 0", "0"]),
    (["benchmark", "inverse", "--data", "{file}", "--out", "{dir}/inv", "--workers", "0"], ["--workers", "positive"]),
    (["study", "kerker", "--out", "{dir}/k", "--scheduler", "10.0.0.5"], ["--scheduler", "'10.0.0.5'"]),
    (["dataset", "info", "{dir}/none.h5"], ["no dataset at", "none.h5"]),
    (["dataset", "info", "{dir}"], ["is a directory, not a dataset file"]),
    # -- kerker train surrogate / wgan
    (["train", "surrogate"], ["--data", "required"]),
    ([*TRAIN_S, "--data", "{dir}/none.h5", "--out", "{dir}/r"], ["no dataset at", "none.h5"]),
    ([*TRAIN_S, "--data", "{dir}", "--out", "{dir}/r"], ["--data", "is a directory"]),
    ([*TRAIN_S, "--data", "{file}", "--lr", "nan", "--out", "{dir}/r"], ["--lr", "finite", "nan"]),
    ([*TRAIN_S, "--data", "{file}", "--epochs", "2.5", "--out", "{dir}/r"], ["--epochs", "'2.5'"]),
    ([*TRAIN_S, "--data", "{file}", "--init-from", "{noarch}", "--out", "{dir}/r"],
     ["--init-from", "not a complete surrogate checkpoint", "'arch'"]),
    ([*TRAIN_S, "--data", "{file}", "--out", "{ro}/r"], ["--out", "cannot write"]),
    ([*TRAIN_W, "--data", "{dir}/none.h5", "--out", "{dir}/w"], ["no dataset at"]),
    ([*TRAIN_W, "--data", "{file}", "--gp-weight", "inf", "--out", "{dir}/w"], ["--gp-weight", "finite", "inf"]),
    ([*TRAIN_W, "--data", "{file}", "--out", "{file}"], ["--out", "is a file"]),
    # -- kerker evaluate surrogate / wgan
    ([*EVAL_S, "--checkpoint", "{noarch}"], ["--checkpoint", "not a complete surrogate checkpoint", "'arch'"]),
    ([*EVAL_S, "--checkpoint", "{text}"], ["text.pt", "not a readable kerker checkpoint"]),
    ([*EVAL_S, "--checkpoint", "{wrongkind}"], ["not a surrogate checkpoint"]),
    ([*EVAL_S, "--checkpoint", "wgan"], ["--checkpoint wgan", "kerker evaluate wgan"]),
    ([*EVAL_S, "--checkpoint", "transformer"], ["--checkpoint transformer", "resnet, mlp"]),
    ([*EVAL_S, "--off-grid", "-1"], ["--off-grid", ">= 0", "-1"]),
    ([*EVAL_S, "--data", "{dir}/none.h5"], ["no dataset at"]),
    ([*EVAL_S, "--out", "{file}"], ["--out", "is a file"]),
    ([*EVAL_W, "--checkpoint", "{nospec}"],
     ["--checkpoint", "not a complete WGAN-GP checkpoint", "'generator_spec'"]),
    ([*EVAL_W, "--checkpoint", "resnet"], ["--checkpoint resnet", "kerker evaluate surrogate"]),
    ([*EVAL_W, "--steps", "1"], ["--steps", ">= 2", "1"]),
    ([*EVAL_W, "--export", "{dir}/g.pt"], ["--export", "training checkpoint"]),
    ([*EVAL_W, "--out", "{ro}/e"], ["--out", "cannot write"]),
]


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    (root / "afile").write_text("not a directory")
    (root / "text.pt").write_text("not a torch file")
    (root / "ro").mkdir()
    torch.save({"kind": "kerker.surrogate", "modules": {}}, root / "noarch.pt")
    torch.save({"kind": "something else", "modules": {}}, root / "wrongkind.pt")
    torch.save({"kind": "kerker.wgan_gp", "modules": {}}, root / "nospec.pt")
    (root / "gain.yml").write_text(
        "DATA:\n  - type: tabulated nk\n    data: |\n        0.4 1.5 -0.1\n        0.8 1.5 -0.1\n"
    )
    return {"dir": root, "file": root / "afile", "ro": root / "ro", "text": root / "text.pt",
            "noarch": root / "noarch.pt", "wrongkind": root / "wrongkind.pt", "nospec": root / "nospec.pt",
            "gain": root / "gain.yml"}


@pytest.fixture
def read_only(paths, monkeypatch):
    """Make ``paths["ro"]`` read-only for the checks (root ignores permission bits, so access() is patched)."""
    real_access, ro = os.access, str(paths["ro"])

    def access(path, mode, **kwargs):
        if str(path).startswith(ro) and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)

    monkeypatch.setattr(os, "access", access)


def _fill(argv, paths):
    return [a.format(**{k: str(v) for k, v in paths.items()}) for a in argv]


@pytest.mark.parametrize("argv, pieces", CASES, ids=[" ".join(c[0][:2] + c[0][-2:]) for c in CASES])
def test_bad_invocation_exits_2_with_a_one_line_message(argv, pieces, paths, read_only, capsys):
    code = main(_fill(argv, paths))
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "Traceback" not in err and out == "", (out, err)
    line = err.strip().splitlines()[-1]  # argparse's own errors follow their usage lines
    assert line.startswith(f"kerker {argv[0]}") and ": error: " in line, err
    for piece in pieces:
        assert _fill([piece], paths)[0] in line, line


def test_os_errors_of_the_library_are_one_line(paths, monkeypatch, capsys):
    """A write failing after the checks (disk full, read-only remount) is an OSError: one line, exit 2."""
    import errno

    import kerker._artifacts

    def refuse(path, *args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(path))

    monkeypatch.setattr(kerker._artifacts, "write_json_atomic", refuse)
    assert main([*MIE, "--out", str(paths["dir"] / "mie")]) == 2
    err = capsys.readouterr().err
    assert err.strip() == f"kerker mie: error: {paths['dir'] / 'mie' / 'mie.json'}: Read-only file system"


@pytest.mark.parametrize("raised, code, line", [
    (KeyboardInterrupt(), 130, "kerker lattice sums: interrupted"),
    (MemoryError(), 2, "kerker lattice sums: error: out of memory; ask for less (particles, wavelengths, samples)"),
    (TypeError("tau must be a number"), 2, "kerker lattice sums: error: tau must be a number"),
])
def test_interrupts_and_library_errors_are_one_line(raised, code, line, monkeypatch, capsys):
    import kerker.lattice

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(kerker.lattice, "eisenstein", fail)
    assert main(["lattice", "sums", "--tau", "0.3+1.1j"]) == code
    assert capsys.readouterr().err == line + "\n"


def test_kerker_debug_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("KERKER_DEBUG", "1")
    with pytest.raises(ValueError, match="unknown material 'Kryptonite'"):
        main(["mie", "--core", "Kryptonite", *MIE[3:]])


# -- no command, help -----------------------------------------------------------------


@pytest.mark.parametrize("argv", [[], ["dataset"], ["train"], ["evaluate"], ["lattice"]])
def test_a_command_without_its_subcommand_prints_its_help(argv, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(f"usage: {' '.join(['kerker', *argv])}") and ": error:" not in err


def _help(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [["mie"], ["demo"], ["materials"], ["dataset", "build"], ["train", "surrogate"], ["train", "wgan"],
     ["evaluate", "surrogate"], ["evaluate", "wgan"], ["lattice", "optimize"], ["lattice", "verify"]],
)
def test_help_is_wrapped_and_says_each_default_once(argv, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    text = _help(argv, capsys)
    assert max(len(line) for line in text.splitlines()) <= 100  # descriptions are wrapped, not one long line
    assert "(default: None)" not in text
    for line in text.splitlines():
        assert line.count("(default") <= 1, line
    if argv == ["train", "surrogate"]:
        assert "(default: 64,48,32)" in text and "initial Adam learning rate (default: 0.001)" in text


# -- output contract ------------------------------------------------------------------


def test_mie_json_with_out_keeps_stdout_json(tmp_path, capsys):
    assert main([*MIE, "--json", "--out", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert len(data["q_fwd"]) == 5
    assert err.splitlines() == [f"wrote {tmp_path / n}" for n in ("spectrum.png", "spectra.csv", "mie.json")]


def test_demo_refuses_before_any_output(tmp_path, capsys):
    assert main(["demo", "--starts", "0", "--out", str(tmp_path / "demo")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "report.html" not in err and "--starts" in err  # no banner before the refusal
    assert main(["demo", "--wavelength", "1e6", "--out", str(tmp_path / "demo")]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "report.html" not in err and err.splitlines()[-1].startswith("kerker demo: error:")
    assert not any(tmp_path.iterdir())


def test_a_closed_pipe_ends_quietly():
    """``kerker mie ... | head -2``: exit 141 (128 + SIGPIPE), nothing on stderr."""
    code = "import sys; from kerker.cli import main; sys.exit(main(sys.argv[1:]))"
    argv = [sys.executable, "-c", code, *MIE[:-1], "40000"]  # ~3 MB of table: more than any pipe buffer
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=120) == 141, err
    assert err == ""


# -- values argparse used to refuse or mistake ---------------------------------------


def test_tau_with_a_negative_real_part(capsys):
    assert main(["lattice", "sums", "--tau", "-0.3+1.1j", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tau"] == [-0.3, 1.1]
    assert main(["lattice", "sums", "--tau", "-0.3-1.1i"]) == 2  # parsed as a value, refused by the library
    assert "Im(tau)" in capsys.readouterr().err


def test_one_name_per_shipped_model():
    parser = build_parser()
    assert parser.parse_args(["evaluate", "surrogate"]).checkpoint == "resnet"
    assert parser.parse_args(["evaluate", "wgan"]).checkpoint == "wgan"  # a model name, like resnet and mlp


def test_extrapolate_defaults_to_error_except_for_a_presets_own_data():
    from kerker.cli._dataset import config_from_args

    parser = build_parser()
    for argv in (["mie", *MIE[1:]], ["materials"]):
        assert parser.parse_args(argv).extrapolate == "error"
    paper = config_from_args(parser.parse_args(["dataset", "build"]))
    assert paper.extrapolation == "hold"  # the paper's TiO2 below 430 nm, as its preset says
    custom = config_from_args(parser.parse_args(["dataset", "build", "--materials", "Si", "Au"]))
    assert custom.extrapolation == "error"
    held = config_from_args(parser.parse_args(["dataset", "build", "--materials", "TiO2", "--extrapolate", "hold"]))
    assert held.extrapolation == "hold"


def test_a_yaml_file_wherever_a_material_name_goes(tmp_path, capsys):
    yml = tmp_path / "glass.yml"
    yml.write_text(textwrap.dedent("""\
        REFERENCES: "a constant glass"
        DATA:
          - type: tabulated nk
            data: |
                0.3 1.5 0.0
                0.9 1.5 0.0
        """))
    assert main(["mie", "--core", str(yml), "--shell", "SiO2", "--r-core", "50", "--t-shell", "20", "--n-wl", "5",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    q = kerker.efficiencies(constant(1.5), "SiO2", 50.0, 20.0, np.linspace(400, 800, 5))
    np.testing.assert_allclose(data["q_sca"], q.q_sca[0], rtol=1e-12)
    assert main(["materials", "--plot", str(yml), "--out", str(tmp_path / "glass.png")]) == 0
    assert (tmp_path / "glass.png").stat().st_size > 1000
