"""Render an HTML report in headless Chromium and read back what its inline script recorded.

The page written by :func:`kerker.report._html.write_html_report` sets, on ``window``
``load``, the attributes ``data-report-status``, ``data-figures-total``,
``data-figures-loaded`` and ``data-errors`` on ``<body>``. Chromium's ``--dump-dom``
prints the DOM after the page has loaded; ``--virtual-time-budget`` makes it wait
(in virtual time) until the page is idle, so the load handler has run before the dump.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

__all__ = ["find_chromium", "render_in_browser"]

_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str:
    """The Chromium executable: ``$KERKER_CHROMIUM``, else the first of chromium, chromium-browser, google-chrome.

    Raises
    ------
    FileNotFoundError
        No browser is found (or ``$KERKER_CHROMIUM`` names no executable).
    """
    configured = os.environ.get("KERKER_CHROMIUM")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise FileNotFoundError(f"KERKER_CHROMIUM={configured!r} is not an executable; point it at "
                                    "a Chromium binary or install Debian's 'chromium' package")
        return found
    for name in _CANDIDATES:
        found = shutil.which(name)
        if found is not None:
            return found
    raise FileNotFoundError(
        "no Chromium browser found (looked for " + ", ".join(_CANDIDATES) + " on PATH and $KERKER_CHROMIUM); "
        "install Debian's 'chromium' package (apt-get install chromium) or set KERKER_CHROMIUM"
    )


def render_in_browser(html_path, *, timeout: float = 60.0) -> dict:
    """Load ``html_path`` in headless Chromium; return what the page's load handler recorded.

    Parameters
    ----------
    html_path : str or Path
        A report written by ``write_html_report``.
    timeout : float, optional
        Seconds to wait for the browser.

    Returns
    -------
    dict
        ``status`` (``"ready"`` once the load handler ran, else ``None``),
        ``figures_total``, ``figures_loaded``, ``errors`` (ints; -1 when the attribute is
        missing) and ``stderr`` (the browser's diagnostic output).

    Raises
    ------
    FileNotFoundError
        The report or a browser is missing.
    RuntimeError
        The browser exits with an error status.
    subprocess.TimeoutExpired
        The browser does not finish within ``timeout``.
    """
    path = Path(html_path).resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no HTML report at {path}")
    browser = find_chromium()
    with tempfile.TemporaryDirectory(prefix="kerker-chromium-") as profile:
        command = [browser, *_FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=10000",
                   "--dump-dom", path.as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{browser} exited with status {done.returncode} on {path}:\n{done.stderr[-4000:]}")
    attrs = _body_attributes(done.stdout)
    return {
        "status": attrs.get("data-report-status"),
        "figures_total": _int(attrs.get("data-figures-total")),
        "figures_loaded": _int(attrs.get("data-figures-loaded")),
        "errors": _int(attrs.get("data-errors")),
        "stderr": done.stderr,
    }


class _BodyParser(HTMLParser):
    """Collects the attributes of the first ``<body>`` tag."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.attrs: dict | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "body" and self.attrs is None:
            self.attrs = {name: (value or "") for name, value in attrs}


def _body_attributes(dom: str) -> dict:
    parser = _BodyParser()
    parser.feed(dom)
    parser.close()
    return parser.attrs or {}


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
