"""The HTML report: self-contained, escaped, linked; and rendered by a real headless Chromium.

The browser tests skip when no Chromium is found, unless ``KERKER_REQUIRE_BROWSER=1``
(set by ``.ci/run``), where a missing browser is a failure.
"""

import re

import pytest
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic
from kerker.report import (
    FigureBlock,
    Paragraph,
    Preformatted,
    Section,
    TableBlock,
    write_html_report,
)
from kerker.report._browser import render_in_browser

EVIL = "<script>alert(1)</script>"


def _png(path, slope):
    fig = Figure(figsize=(3, 2))
    fig.add_subplot().plot([0, 1, 2], [0, slope, 2 * slope])
    return write_figure_atomic(fig, path, dpi=80)


def _report(tmp_path):
    first, second = _png(tmp_path / "fig" / "a.png", 1.0), _png(tmp_path / "fig" / "b.png", -1.0)
    sections = [
        Section("Spectra & fits", [
            Paragraph(EVIL),
            FigureBlock(first, caption="first <figure>"),
            TableBlock([{"name": "Si", "radius": 61.234567, "loss": None}, {"name": "SiO2", "extra": 3}],
                       caption="Results"),
        ]),
        Section("Patterns", [FigureBlock(second), Preformatted('{"key": [1, 2]}')]),
    ]
    provenance = {"config": {"lr": 1e-3, "note": EVIL}, "seed": 7, "versions": {"kerker": "0.0"}}
    path = write_html_report(tmp_path / "out" / "report.html", title="Run <1>", sections=sections,
                             provenance=provenance)
    return path


def test_report_is_self_contained_escaped_and_linked(tmp_path):
    path = _report(tmp_path)
    assert path == tmp_path / "out" / "report.html"
    text = path.read_text(encoding="utf-8")
    # self-contained: nothing fetched from anywhere else
    assert 'src="http' not in text and 'href="http' not in text
    assert "src=\"//" not in text and "@import" not in text and "url(" not in text
    assert text.count('src="data:image/png;base64,') == 2
    assert re.findall(r'<script\s+src=', text) == []
    # user text escaped, everywhere (paragraph, provenance, title)
    assert EVIL not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2
    assert "<title>Run &lt;1&gt;</title>" in text
    assert "first &lt;figure&gt;" in text
    # table of contents: each anchor links to a section with that id, provenance last
    anchors = re.findall(r'<a href="#([^"]+)">', text)
    assert anchors == ["sec-spectra-fits", "sec-patterns", "sec-provenance"]
    for anchor in anchors:
        assert f'<section id="{anchor}">' in text
    assert text.index('id="sec-provenance"') > text.index('id="sec-patterns"')
    assert "&quot;seed&quot;: 7" in text
    # table: union of keys in order, 4 significant digits, None as a dash
    assert "<th>name</th><th>radius</th><th>loss</th><th>extra</th>" in text
    assert "<td>61.23</td><td>—</td><td>—</td>" in text
    assert "<td>SiO2</td><td>—</td><td>—</td><td>3</td>" in text
    # the error handler is registered in <head> before any other script
    head = text[: text.index("</head>")]
    assert head.index("<script>") < head.index("<style>")
    assert text.index("addEventListener('error'") < text.index("addEventListener('load'")


def test_missing_or_non_png_figure_is_refused(tmp_path):
    missing = tmp_path / "nowhere.png"
    with pytest.raises(ValueError, match=re.escape(str(missing))):
        write_html_report(tmp_path / "r.html", title="t", sections=[Section("s", [FigureBlock(missing)])])
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a not a png at all")
    with pytest.raises(ValueError, match=re.escape(str(fake))):
        write_html_report(tmp_path / "r.html", title="t", sections=[Section("s", [FigureBlock(fake)])])
    assert not (tmp_path / "r.html").exists()


def test_report_renders_in_headless_chromium(tmp_path, chromium):
    result = render_in_browser(_report(tmp_path))
    assert result["status"] == "ready", result["stderr"][-2000:]
    assert result["figures_total"] == 2
    assert result["figures_loaded"] == 2
    assert result["errors"] == 0


def test_broken_figure_is_detected_by_the_browser(tmp_path, chromium):
    path = _report(tmp_path)
    text = path.read_text(encoding="utf-8")
    payloads = re.findall(r'src="data:image/png;base64,([^"]+)"', text)
    assert len(payloads) == 2
    path.write_text(text.replace(payloads[1], "bm90IGEgcG5nIGF0IGFsbA==" * 8), encoding="utf-8")
    result = render_in_browser(path)
    assert result["status"] == "ready", result["stderr"][-2000:]
    assert result["figures_total"] == 2
    assert result["figures_loaded"] == 1
    assert result["errors"] == 0
