"""NaN and inf are refused wherever a finite number is required: the shared validators and Designs.

``kerker._config`` holds the validators of every config (and of ``optimize_directional``);
``Designs`` validates the material weights that reach the surrogate, the encoder and the
generator's soft designs.
"""

import math

import numpy as np
import pytest
import torch

from kerker._config import integer, interval, number, positive_float, probability
from kerker.dataset import Designs

MATS = ("Si", "SiO2", "Au")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float32("nan"), 10**400, -(10**400)])
def test_number_refuses_non_finite(value):
    with pytest.raises(ValueError, match=r"^lr must be a finite number > 0; received (nan|inf|-inf)$"):
        positive_float("lr", value)
    with pytest.raises(ValueError, match="must be a finite number"):
        number("x", value)
    with pytest.raises(ValueError, match="must be a finite number"):
        probability("p", value)


@pytest.mark.parametrize("value", [math.nan, "1", True, 1j, None])
def test_integer_refuses_what_is_not_an_int(value):
    with pytest.raises(TypeError, match=r"n must be a positive int"):
        integer("n", value, minimum=1)


@pytest.mark.parametrize("value", [(math.nan, 5.0), (1.0, math.nan), (1.0, math.inf), (math.inf, math.inf),
                                   (1.0, 10**400)])
def test_interval_refuses_non_finite_ends(value):
    with pytest.raises(ValueError, match=r"r_core_range must satisfy 0 < lo <= hi \(nm, finite\)"):
        interval("r_core_range", value, strict_lower=True)


@pytest.mark.parametrize("value", [("1", "2"), (True, 5.0), (1.0,), "ab", 3.0])
def test_interval_refuses_what_is_not_two_numbers(value):
    with pytest.raises(TypeError, match=r"r_core_range must be two numbers \(lo, hi\) in nm"):
        interval("r_core_range", value, strict_lower=True)


@pytest.mark.parametrize("bad, shown", [(math.nan, "nan"), (math.inf, "inf"), (-0.25, "-0.25")])
@pytest.mark.parametrize("as_torch", [False, True])
def test_soft_weights_name_the_row_the_column_and_the_value(bad, shown, as_torch):
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    p[1, 2] = bad
    p_core = torch.tensor(p, requires_grad=True) if as_torch else p
    match = (rf"Designs: p_core \(the core material weights\) must be finite and >= 0; row 1, column 2 \(Au\) holds "
             rf"{shown} \(1 of 6 entries break the rule")
    with pytest.raises(ValueError, match=match):
        Designs(MATS, p_core=p_core, p_shell=np.full((2, 3), 1 / 3), r_core=[10.0, 20.0], t_shell=[1.0, 2.0])


def test_infinite_weight_was_reported_as_a_minimum_of_zero():
    # the old message, "received a minimum of 0.0", pointed at a valid entry
    with pytest.raises(ValueError, match="holds inf") as info:
        Designs(MATS, p_core=[[0.5, 0.5, np.inf]], p_shell=[[0.0, 1.0, 0.0]], r_core=[10.0], t_shell=[1.0])
    assert "minimum" not in str(info.value)
