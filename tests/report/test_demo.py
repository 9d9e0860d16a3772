"""``kerker demo``: the end-to-end run writes a self-contained report that renders in Chromium."""

import json

import pytest

from kerker.cli import main
from kerker.report import DemoConfig
from kerker.report._browser import render_in_browser


def test_demo_quick_writes_a_report_that_renders(tmp_path, capsys, chromium):
    out = tmp_path / "demo"
    argv = ["demo", "--quick", "--starts", "8", "--targets", "1", "--generations", "1", "--out", str(out)]
    assert main(argv) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("Kerker study: best shell ")
    assert any(line.startswith("inverse design: latent-surrogate") for line in lines)
    assert captured.err.splitlines()[-1] == f"wrote {out / 'report.html'}"  # messages on stderr, data on stdout
    for raw in ("demo.json", "kerker/study.json", "inverse/results.jsonl", "lattice/lattice_optimize.json",
                "particle/mie.json"):
        assert (out / raw).is_file(), raw
    record = json.loads((out / "demo.json").read_text())
    assert record["config"]["kerker_starts"] == 8 and record["provenance"]["seed"] == 0
    study = json.loads((out / "kerker" / "study.json").read_text())
    assert len(study["optima"]["loss"]) == 8 and study["provenance"]["kerker_version"]
    html = (out / "report.html").read_text()
    assert 'src="http' not in html and "Provenance" in html and "Kerker study" in html
    result = render_in_browser(out / "report.html")
    assert result["status"] == "ready", result["stderr"][-2000:]
    assert result["errors"] == 0
    assert result["figures_total"] >= 10 and result["figures_loaded"] == result["figures_total"]


@pytest.mark.parametrize(
    "field, value, words",
    [("wavelength", 1000.0, ["wavelength", "400-800", "1000"]), ("kerker_starts", 0, ["kerker_starts", "0"]),
     ("targets", 2.5, ["targets", "2.5"]), ("weight", float("nan"), ["weight", "nan"]),
     ("kerker_grid", 1, ["kerker_grid", ">= 2", "1"])],
)
def test_demo_config_refuses_bad_values(field, value, words):
    with pytest.raises(ValueError) as err:
        DemoConfig(**{field: value})
    for w in words:
        assert w in str(err.value), str(err.value)
