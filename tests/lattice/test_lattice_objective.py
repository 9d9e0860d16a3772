"""Objective J, fixed-area sums P(n, l) and the BFGS comparison."""

import mpmath as mp
import numpy as np
import pytest

from kerker.lattice import J_STAR, TAU_STAR, fixed_area_sum, lattice_sum, objective
from kerker.lattice._optimize import (
    OptimizeConfig,
    compare_gradients,
    distance_to_optimum,
    starting_points,
)
from tests.reference.lattice_mpmath import (
    mp_epstein4,
    mp_g2star,
    mp_kronecker,
    mp_row_sum,
    mp_s4m2,
    mp_wirtinger,
    rel_err,
)


def _j_mp(tau):
    tau = mp.mpc(tau)
    return tau.imag * abs(mp_g2star(tau)) - tau.imag**2 * mp_epstein4(tau)


# critical points of J for kappa = 1 (docs/lattice-math.md §7.3: grid + Newton, 13+ digits)
CRITICAL = [
    (TAU_STAR, J_STAR),
    (1.315188578928281639j, -5.4685824174517),
    (np.exp(1.180103071515j), -5.6742339583447),
    (1j, -6.0268120396919),
    (np.exp(1j * np.pi / 3), -5.7833592996787),
]


@pytest.mark.parametrize("tau, value", CRITICAL)
def test_known_critical_values(tau, value):
    assert abs(objective(tau).value - value) < 1e-12


def test_optimum_is_stationary():
    assert np.abs(objective(TAU_STAR).grad).max() < 1e-12
    assert np.abs(objective(1.315188578928281639j).grad).max() < 1e-12


@pytest.mark.parametrize("tau", [0.2 + 1.3j, -0.31 + 0.77j, 3.4 + 0.21j])
def test_gradient_against_mpmath(mp40, tau):
    r = objective(tau)
    d, _ = mp_wirtinger(_j_mp, tau)
    ref = [2 * mp.re(d), -2 * mp.im(d)]
    assert rel_err(r.value, _j_mp(tau)) <= 1e-13
    for ours, want in zip(r.grad, ref):
        assert rel_err(ours, want) <= 1e-13


def test_invariance_under_the_modular_group():
    tau = 0.2 + 1.3j
    value = objective(tau).value
    for gamma in ([[1, 3], [0, 1]], [[0, -1], [1, 0]], [[2, 1], [1, 1]], [[5, 2], [7, 3]]):
        (a, b), (c, d) = gamma
        t2 = (a * tau + b) / (c * tau + d)
        assert abs(objective(t2).value - value) < 1e-12
    assert abs(objective(-np.conj(tau)).value - value) < 1e-13  # mirror


def test_kappa_validation():
    with pytest.raises(ValueError, match=r"kappa: must be finite and >= 0; received kappa=-1"):
        objective(1j, kappa=-1)


@pytest.mark.parametrize("n, l", [(2, 0), (2, -2), (4, 0), (4, -2), (4, 2), (4, -6)])
def test_fixed_area_chain_rule(mp40, n, l):
    tau, area = 0.27 + 1.05j, 2.5
    refs = {
        (2, 0): mp_kronecker,
        (2, -2): mp_g2star,
        (4, 0): mp_epstein4,
        (4, -2): mp_s4m2,
        (4, 2): lambda t: mp.conj(mp_s4m2(t)),
        (4, -6): lambda t: mp_row_sum(4, -6, t),
    }
    base = refs[(n, l)]

    def p(t):
        t = mp.mpc(t)
        val = (t.imag / area) ** (mp.mpf(n) / 2) * base(t)
        if (n, l) == (2, 0):
            val += mp.pi / area * mp.log(t.imag / area)
        return val

    r = fixed_area_sum(n, l, tau, area)
    d, db = mp_wirtinger(p, tau)
    assert rel_err(r.value, p(tau)) <= 1e-13
    assert rel_err(r.d, d) <= 1e-13 and rel_err(r.dbar, db) <= 1e-13


def test_monopole_energy_is_stationary_at_zeros_of_g2star():
    # docs/lattice-math.md §6: dP(2,0) = -i G2*/(2A), zero at i and rho
    for tau in (1j, np.exp(1j * np.pi / 3)):
        assert abs(fixed_area_sum(2, 0, tau, 3.0).d) < 1e-14
    tau = 0.4 + 0.8j
    assert abs(fixed_area_sum(2, 0, tau, 3.0).d + 0.5j * lattice_sum(2, -2, tau).value / 3.0) < 1e-14


def test_area_validation():
    with pytest.raises(ValueError, match=r"area: must be > 0; received area=0"):
        fixed_area_sum(4, 0, 1j, 0)


def test_starts_avoid_symmetry_lines_and_critical_points():
    cfg = OptimizeConfig()
    starts = starting_points(cfg)
    assert len(starts) >= 8
    for s in starts:
        assert min(abs(s - 1j), abs(s - np.exp(1j * np.pi / 3))) > 0.05
        assert abs(2 * s.real - round(2 * s.real)) > 0.05


def test_bfgs_analytic_reaches_the_optimum():
    report = compare_gradients(OptimizeConfig())
    tot = report.totals()
    # done-when of issue 5: every analytic run within 1e-8 of tau* (after reduction)
    assert tot["analytic"]["n_within_1e-8"] == tot["analytic"]["n_runs"] >= 8
    assert tot["analytic"]["max_distance"] <= 1e-8
    for r in report.runs:
        assert abs(r.final_value - J_STAR) < 1e-12 or r.gradient == "forward"
    # same BFGS iterations; FD gradients cost 2 or 4 extra values per gradient
    assert tot["forward"]["iterations"] == tot["analytic"]["iterations"] == tot["central"]["iterations"]
    assert 2.5 < tot["forward"]["evaluations"] / tot["analytic"]["evaluations"] < 3.5
    assert 4.5 < tot["central"]["evaluations"] / tot["analytic"]["evaluations"] < 5.5


def test_distance_uses_the_reduced_point():
    image = (0 * TAU_STAR + 1) / (-TAU_STAR + 0)  # S tau*
    assert distance_to_optimum(image + 3) < 1e-14


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("n_starts", 0, "n_starts: must be >= 1"),
        ("gtol", 0.0, "gtol: must be > 0"),
        ("region", (0, 1, -1, 2), "region: must be"),
    ],
)
def test_config_validation(field, value, match):
    with pytest.raises(ValueError, match=match):
        OptimizeConfig(**{field: value})
