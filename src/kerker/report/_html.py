"""A self-contained HTML report: sections of paragraphs, tables, embedded PNG figures and text.

The written file needs nothing but itself: figures are embedded as base64 ``data:`` URIs,
the style sheet and the one script are inline, and no external resource (CDN, font,
remote script) is referenced. The inline script records on ``<body>`` how many figures
the browser decoded and how many script errors occurred, so that a headless browser
(:func:`kerker.report._browser.render_in_browser`) can check the rendered page.
"""

from __future__ import annotations

import base64
import html
import json
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path

from kerker._artifacts import write_bytes_atomic

__all__ = ["FigureBlock", "Paragraph", "Preformatted", "Section", "TableBlock", "write_html_report"]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of plain text (HTML-escaped when written)."""

    text: str


@dataclass(frozen=True)
class TableBlock:
    """A table of records.

    Parameters
    ----------
    rows : list of dict
        One dict per row. The columns are the union of the rows' keys, in the order they
        first appear (the first row's keys first); a missing or ``None`` cell shows "—",
        a float shows with 4 significant digits.
    caption : str, optional
        Caption above the table.
    """

    rows: list = field(default_factory=list)
    caption: str = ""


@dataclass(frozen=True)
class FigureBlock:
    """A PNG image read from ``path`` and embedded in the page, with an optional caption."""

    path: str | Path
    caption: str = ""


@dataclass(frozen=True)
class Preformatted:
    """Preformatted text (JSON, logs), shown in a ``<pre>`` block."""

    text: str


@dataclass(frozen=True)
class Section:
    """A titled section of the report: a heading and a list of blocks."""

    heading: str
    blocks: list = field(default_factory=list)


_CSS = """
body { font-family: sans-serif; max-width: 60em; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { border-bottom: 1px solid #bbb; margin-top: 2em; }
nav ol { padding-left: 1.5em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .9em; }
caption { caption-side: top; font-weight: bold; text-align: left; padding-bottom: .3em; }
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; }
th { background: #eee; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; }
figcaption { font-size: .9em; color: #555; }
pre { background: #f5f5f5; border: 1px solid #ddd; padding: .8em; overflow-x: auto; }
"""

# the first script of <head>, so an error in any script that runs later is counted; a
# listener in the bubbling phase sees script errors only (an image that fails to decode is
# counted by the load handler instead, as a figure not loaded)
_ERROR_SCRIPT = """
window.__kerkerErrors = 0;
window.addEventListener('error', function () { window.__kerkerErrors += 1; });
"""

_LOAD_SCRIPT = """
window.addEventListener('load', function () {
  var images = document.getElementsByTagName('img');
  var loaded = 0;
  for (var i = 0; i < images.length; i++) {
    if (images[i].complete && images[i].naturalWidth > 0) { loaded += 1; }
  }
  var body = document.body;
  body.setAttribute('data-figures-total', String(images.length));
  body.setAttribute('data-figures-loaded', String(loaded));
  body.setAttribute('data-errors', String(window.__kerkerErrors));
  body.setAttribute('data-report-status', 'ready');
});
"""


def write_html_report(path, *, title: str, sections: list, provenance: dict | None = None) -> Path:
    """Write a self-contained HTML report to ``path``; return the path.

    Parameters
    ----------
    path : str or Path
        The HTML file; its folder is created if missing. Written atomically.
    title : str
        Title of the page and its top heading.
    sections : list of Section
        The report's sections, in order; a table of contents links to each.
    provenance : dict, optional
        Metadata of the run (config, seed, versions ...), shown as indented JSON in a
        final "Provenance" section.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    ValueError
        A figure's file is missing or is not a PNG (the message names the file).
    TypeError
        A section or block is not one of this module's classes.
    """
    sections = list(sections)
    for section in sections:
        if not isinstance(section, Section):
            raise TypeError(f"sections must be Section objects; received {type(section).__name__}")
    if provenance is not None:
        text = json.dumps(provenance, indent=2, sort_keys=True, default=str, ensure_ascii=False)
        sections.append(Section("Provenance", [Preformatted(text)]))
    anchors = _anchors([s.heading for s in sections])
    body = [f"<h1>{_esc(title)}</h1>"]
    if sections:
        items = "".join(f'<li><a href="#{a}">{_esc(s.heading)}</a></li>' for s, a in zip(sections, anchors))
        body.append(f'<nav id="contents"><h2>Contents</h2><ol>{items}</ol></nav>')
    for section, anchor in zip(sections, anchors):
        body.append(f'<section id="{anchor}"><h2>{_esc(section.heading)}</h2>')
        body.extend(_block(block) for block in section.blocks)
        body.append("</section>")
    page = "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<script>{_ERROR_SCRIPT}</script>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        *body,
        f"<script>{_LOAD_SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, page.encode("utf-8"))
    return path


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _anchors(headings: list[str]) -> list[str]:
    """Unique ``id`` values for the section headings: ``sec-<slug>``, numbered when repeated."""
    seen: set[str] = set()
    anchors = []
    for i, heading in enumerate(headings, start=1):
        slug = re.sub(r"[^a-z0-9]+", "-", str(heading).lower()).strip("-") or f"section-{i}"
        anchor = f"sec-{slug}"
        n = 2
        while anchor in seen:
            anchor = f"sec-{slug}-{n}"
            n += 1
        seen.add(anchor)
        anchors.append(anchor)
    return anchors


def _block(block) -> str:
    if isinstance(block, Paragraph):
        return f"<p>{_esc(block.text)}</p>"
    if isinstance(block, Preformatted):
        return f"<pre>{_esc(block.text)}</pre>"
    if isinstance(block, TableBlock):
        return _table(block)
    if isinstance(block, FigureBlock):
        return _figure(block)
    raise TypeError(f"unknown report block {type(block).__name__}; "
                    "use Paragraph, TableBlock, FigureBlock or Preformatted")


def _cell(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        value = float(value)  # NumPy floats too
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return _esc(value)


def _table(block: TableBlock) -> str:
    rows = list(block.rows)
    columns: list = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    parts = ["<table>"]
    if block.caption:
        parts.append(f"<caption>{_esc(block.caption)}</caption>")
    parts.append("<thead><tr>" + "".join(f"<th>{_esc(c)}</th>" for c in columns) + "</tr></thead>")
    parts.append("<tbody>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns) + "</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _figure(block: FigureBlock) -> str:
    path = Path(block.path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValueError(f"figure file {path} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"figure file {path} is a directory, not a PNG file") from None
    if data[:8] != PNG_SIGNATURE:
        raise ValueError(f"figure file {path} is not a PNG file (no PNG signature)")
    uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    alt = _esc(block.caption or path.name)
    caption = f"<figcaption>{_esc(block.caption)}</figcaption>" if block.caption else ""
    return f'<figure><img src="{uri}" alt="{alt}">{caption}</figure>'
