"""Run the doctests of the surrogate networks (they show the input and output shapes)."""

import doctest

import pytest

from kerker.models import mlp, resnet1d


@pytest.mark.parametrize("module", [resnet1d, mlp], ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
