"""Shared fixtures of the report tests."""

import os

import pytest

from kerker.report._browser import find_chromium


@pytest.fixture
def chromium():
    """The Chromium executable; skips where none is installed, fails instead under KERKER_REQUIRE_BROWSER=1 (CI)."""
    try:
        return find_chromium()
    except FileNotFoundError as err:
        if os.environ.get("KERKER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"KERKER_REQUIRE_BROWSER=1 but {err}")
        pytest.skip(str(err))  # a developer machine without Chromium; .ci/run installs it and requires it
