"""Run the doctests of the public lattice functions (they show the modular identities)."""

import doctest

import pytest

from kerker.lattice import _basis, _eisenstein, _objective, _torch


@pytest.mark.parametrize("module", [_basis, _eisenstein, _objective, _torch], ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
