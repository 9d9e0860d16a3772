"""Run the doctests of the dataset modules (design type, presets, state round trip, design-vector layout)."""

import doctest

import pytest

from kerker.dataset import _config, _designs, scalers
from kerker.dataset.scalers import _design
from kerker.materials import _table

MODULES = [scalers, _design, _designs, _config, _table]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0

