"""Run the doctests of the preprocessing module (state round trip, design-vector layout)."""

import doctest

from kerker.dataset import scalers


def test_scalers_doctests():
    result = doctest.testmod(scalers, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
