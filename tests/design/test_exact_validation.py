"""``optimize_directional`` refuses a bad argument before the first step, naming it.

Before, ``weight=nan`` ran the descent until every size was NaN and then blamed
``r_core``; ``lr=nan`` surfaced as torch's "Invalid learning rate"; ``n_starts=2.5`` as a
``randn()`` argument error; a negative seed and an infinite bound were taken.
"""

import math

import pytest

from kerker.design import optimize_directional

nan, inf = math.nan, math.inf


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"weight": nan}, ValueError,
         r"weight \(backscattering weight of the loss\) must be a finite number; received nan"),
        ({"weight": -inf}, ValueError, r"weight .* must be a finite number; received -inf"),
        ({"weight": "1"}, TypeError, r"weight .* must be a finite number; received '1' \(str\)"),
        ({"lr": nan}, ValueError, r"lr \(Adam learning rate\) must be a finite number > 0; received nan"),
        ({"lr": inf}, ValueError, r"lr \(Adam learning rate\) must be a finite number > 0; received inf"),
        ({"lr": 0.0}, ValueError, r"lr \(Adam learning rate\) must be > 0; received 0\.0"),
        ({"n_starts": 0}, ValueError, r"n_starts must be a positive int; received 0"),
        ({"n_starts": 2.5}, TypeError, r"n_starts must be a positive int; received 2\.5 \(float\)"),
        ({"n_starts": True}, TypeError, r"n_starts must be a positive int; received True \(bool\)"),
        ({"steps": 0}, ValueError, r"steps must be a positive int; received 0"),
        ({"seed": -1}, ValueError, r"seed must be an int >= 0; received -1"),
        ({"bounds": (0.0, 100.0)}, ValueError, r"bounds must satisfy 0 < lo <= hi \(nm, finite\); received \(0\.0,"),
        ({"bounds": (1.0, inf)}, ValueError, r"bounds must satisfy 0 < lo <= hi \(nm, finite\); received \(1\.0, inf"),
        ({"bounds": (nan, 5.0)}, ValueError, r"bounds must satisfy .*; received \(nan, 5\.0\)"),
        ({"bounds": (50.0, 50.0)}, ValueError, r"bounds must satisfy 0 < lo < hi \(nm, finite\); received \(50\.0, 50"),
        ({"bounds": (1.0, 2.0, 3.0)}, TypeError, r"bounds must be two numbers \(lo, hi\) in nm"),
        ({"env": nan}, ValueError,
         r"env \(refractive index of the medium\) must be a finite number > 0; received nan"),
        ({"env": 0.0}, ValueError, r"env \(refractive index of the medium\) must be > 0; received 0\.0"),
    ],
)
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        optimize_directional("Si", "SiO2", 705.0, **{"n_starts": 2, "steps": 2, **kwargs})


@pytest.mark.parametrize("wavelength, match", [
    (nan, r"wavelength \(design wavelength in nm\) must be a finite number > 0; received nan"),
    (inf, r"wavelength \(design wavelength in nm\) must be a finite number > 0; received inf"),
    (-705.0, r"wavelength \(design wavelength in nm\) must be > 0; received -705\.0"),
])
def test_bad_wavelength_is_named(wavelength, match):
    with pytest.raises(ValueError, match=match):
        optimize_directional("Si", "SiO2", wavelength, n_starts=2, steps=2)


def test_valid_arguments_still_run():
    res = optimize_directional("Si", "SiO2", 705, weight=0, n_starts=2, steps=2, lr=0.1, seed=3, bounds=(5, 50))
    assert res.r_core.shape == (2,) and ((5 <= res.r_core) & (res.r_core <= 50)).all()
