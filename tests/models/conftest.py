"""Fixtures of the surrogate tests: the tiny exact-Mie dataset, built once per session."""

import pathlib
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from surrogate_fixtures import make_tiny_dataset  # noqa: E402


@pytest.fixture(scope="session")
def tiny_dataset():
    return make_tiny_dataset()
