"""Shared pytest configuration: float64 torch defaults stay untouched; slow tests are opt-in via -m slow."""

import numpy as np
import pytest


@pytest.fixture
def rng():
    """A seeded NumPy generator so every random test is reproducible."""
    return np.random.default_rng(20261121)
