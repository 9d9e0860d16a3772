"""End-to-end tests of ``kerker materials`` through ``kerker.cli.main``."""

import json
import re

import pytest

from kerker.cli import main
from kerker.materials import PAPER_MATERIALS, material

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_json_lists_every_material_with_range(capsys):
    assert main(["materials", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == list(PAPER_MATERIALS)
    for record in records:
        assert record["wavelength_range_nm"] == list(material(record["name"]).wavelength_range)
        assert record["reference"] and len(record["sha256"]) == 64


def test_table_lists_ranges_in_nm(capsys):
    assert main(["materials"]) == 0
    out = capsys.readouterr().out
    assert "from (nm)" in out
    tio2 = next(line for line in out.splitlines() if line.startswith("TiO2"))
    assert "430" in tio2 and "1530" in tio2 and "DeVore" in tio2


def test_plot_writes_png(tmp_path, capsys):
    out = tmp_path / "si.png"
    assert main(["materials", "--plot", "si", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    captured = capsys.readouterr()
    assert f"wrote {out}: n and k of Si over 250–1450 nm" in captured.err and captured.out == ""  # a message


def test_plot_with_range_and_hold_and_json(tmp_path, capsys):
    out = tmp_path / "tio2.png"
    argv = ["materials", "--plot", "TiO2", "--range", "400", "800", "--extrapolate", "hold", "--out", str(out), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["material"]["extrapolate"] == "hold" and record["range_nm"] == [400.0, 800.0]
    assert out.read_bytes()[:8] == PNG_MAGIC


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--plot", "TiO2", "--range", "400", "800", "--out", "x.png"],
         r"--plot TiO2: its data cover 430-1530 nm, but the wavelengths \(--range\) are 400-800 nm; .* add "
         r"--extrapolate hold"),
        (["--plot", "Unobtainium", "--out", "x.png"],
         r"--plot: unknown material 'Unobtainium'; give a shipped material \(Au, Ag, .*\) or a refractiveindex\.info "
         r"YAML file"),
        (["--plot", "Si"], r"--plot Si needs --out FILE\.png"),
        (["--out", "x.png"], r"add --plot NAME"),
        (["--plot", "Si", "--range", "800", "400", "--out", "x.png"], r"--range LO HI must satisfy 0 < LO < HI"),
        (["--plot", "Si", "--points", "1", "--out", "x.png"], r"argument --points: must be an int in \[2, 1000000\]; "
         r"received 1"),
    ],
)
def test_bad_arguments_exit_2_with_message(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["materials", *argv]) == 2
    err = capsys.readouterr().err
    assert "kerker materials: error:" in err.splitlines()[-1]  # argparse's own errors follow the usage line
    assert re.search(message, err), err
    assert not (tmp_path / "x.png").exists()


def test_help_explains_units(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["materials", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "nanometres (nm)" in out and "--range LO HI" in out
