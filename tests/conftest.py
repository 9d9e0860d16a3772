"""Shared pytest configuration: slow tests are opt-in; a seeded generator for random tests.

A plain ``pytest`` runs the fast suite. Tests marked ``@pytest.mark.slow`` (long physics
sweeps) are deselected unless asked for, and the header says so:

* ``pytest --run-slow`` runs everything, fast and slow;
* ``pytest -m slow`` runs only the slow tests (any ``-m`` expression naming ``slow``, such
  as ``-m "slow and not treams"``, leaves the selection to that expression).

``tests`` is a package (``tests/__init__.py``), so pytest puts the repository root on
``sys.path`` when it loads this file and every test can import the shared references as
``from tests.reference import ...``.
"""

import re

import numpy as np
import pytest

_NAMES_SLOW = re.compile(r"\bslow\b")


def pytest_addoption(parser):
    parser.addoption(
        "--run-slow",
        action="store_true",
        default=False,
        help="also run the tests marked slow (long physics sweeps); '-m slow' runs only those",
    )


def _slow_requested(config) -> bool:
    """True with ``--run-slow`` or when the ``-m`` expression itself mentions ``slow``."""
    return bool(config.getoption("--run-slow")) or bool(_NAMES_SLOW.search(config.option.markexpr or ""))


def pytest_report_header(config):
    if not _slow_requested(config):
        return "slow tests: deselected (add --run-slow to include them, or -m slow to run only them)"
    return None


def pytest_collection_modifyitems(config, items):
    if _slow_requested(config):
        return
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if slow:
        config.hook.pytest_deselected(items=slow)
        items[:] = [item for item in items if item.get_closest_marker("slow") is None]


@pytest.fixture
def rng():
    """A seeded NumPy generator so every random test is reproducible."""
    return np.random.default_rng(20261121)
