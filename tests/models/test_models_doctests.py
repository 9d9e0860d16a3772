"""Run the doctests of the model modules (they show input and output shapes and the design type in use)."""

import doctest

import pytest

from kerker.models.surrogate import mlp, resnet1d
from kerker.models.wgan import _generator


@pytest.mark.parametrize("module", [resnet1d, mlp, _generator], ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
