"""Fixtures for the lattice tests."""

import mpmath as mp
import pytest


@pytest.fixture
def mp40():
    """Run the test at 40 significant digits, restoring mpmath's precision after."""
    old = mp.mp.dps
    mp.mp.dps = 40
    yield
    mp.mp.dps = old
