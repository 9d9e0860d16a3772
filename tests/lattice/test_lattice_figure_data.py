"""Data of the three lattice figures: the stored reference, the V-curve, BFGS histories, F's images."""

import subprocess
import sys

import mpmath as mp
import numpy as np
import pytest

from kerker.lattice import (
    FIG_TAU,
    J_STAR,
    REFERENCE_GRADIENT,
    TAU_STAR,
    convergence_data,
    gradient_error_data,
    objective,
    trajectory_data,
)
from kerker.lattice._optimize import GRADIENTS, OptimizeConfig, compare_gradients, distance_to_optimum
from tests.reference.lattice_mpmath import mp_epstein4, mp_g2star, mp_wirtinger


def _j_mp(tau):
    tau = mp.mpc(tau)
    return tau.imag * abs(mp_g2star(tau)) - tau.imag**2 * mp_epstein4(tau)


def test_stored_reference_gradient_is_the_40_digit_value(mp40):
    # J from the Lambert series of E2 and Chowla-Selberg for S(4, 0) at 40 digits (no kerker),
    # differentiated by mpmath.diff; the stored floats are its float64 roundings, exactly.
    d, _ = mp_wirtinger(_j_mp, FIG_TAU)
    assert (float(2 * mp.re(d)), float(-2 * mp.im(d))) == REFERENCE_GRADIENT


@pytest.fixture(scope="module")
def vcurve():
    return gradient_error_data()


def test_analytic_gradient_error_is_at_rounding_level(vcurve):
    assert vcurve["tau"] == [0.2, 1.3]
    assert vcurve["reference_grad_mpmath40"] == list(REFERENCE_GRADIENT)
    assert vcurve["analytic_grad"] == objective(FIG_TAU).grad.tolist()
    assert vcurve["analytic_rel_error_vs_mpmath"] < 1e-14


def test_finite_differences_show_their_truncation_orders(vcurve):
    # truncation dominates for large h: forward error ~ h, central ~ h^2 (measured slope)
    h = np.array(vcurve["steps"])
    big = (h >= 1e-4) & (h <= 1e-2)
    for kind, order in (("forward", 1.0), ("central", 2.0)):
        slope = np.polyfit(np.log(h[big]), np.log(vcurve[f"{kind}_rel_error"])[big], 1)[0]
        assert abs(slope - order) < 0.1, (kind, slope)
    # rounding dominates for small h, so each has a best step near eps^(1/2), eps^(1/3)
    fwd, cen = np.array(vcurve["forward_rel_error"]), np.array(vcurve["central_rel_error"])
    assert 1e-9 < fwd.min() < 1e-6 and 1e-11 < cen.min() < 1e-8
    assert 1e-10 < h[fwd.argmin()] < 1e-6 and 1e-7 < h[cen.argmin()] < 1e-4


def test_other_points_need_their_own_reference():
    with pytest.raises(ValueError, match=r"reference_grad: the stored 40-digit reference holds at FIG_TAU"):
        gradient_error_data(0.3 + 1.1j)
    g = objective(0.3 + 1.1j).grad
    data = gradient_error_data(0.3 + 1.1j, steps=[1e-6], reference_grad=g)
    assert data["analytic_rel_error_vs_mpmath"] == 0.0 and len(data["forward_rel_error"]) == 1


@pytest.fixture(scope="module")
def report():
    return compare_gradients(OptimizeConfig(n_starts=2))


def test_convergence_data_follows_each_run(report):
    data = convergence_data(report)
    assert data["config"] == {"n_starts": 2, "kappa": 1.0, "gtol": 1e-5, "polish_steps": 3}
    assert [r["gradient"] for r in data["runs"]] == [g for g in GRADIENTS for _ in range(2)]
    for run in data["runs"]:
        assert len(run["evaluations"]) == len(run["gap"]) == len(run["distance"])
        assert run["evaluations"][0] == 0 and np.all(np.diff(run["evaluations"]) > 0)
        assert min(run["gap"]) > -1e-14  # J* is the maximum
    analytic = [r for r in data["runs"] if r["gradient"] == "analytic"]
    assert all(r["distance"][-1] < 1e-8 and r["gap"][-1] < 1e-14 for r in analytic)


def test_trajectory_data_draws_f_and_its_images(report):
    data = trajectory_data(report)
    assert data["j"].shape == (281, 321) == (len(data["y"]), len(data["x"]))
    np.testing.assert_allclose(data["j"][140, 160], objective(data["x"][160] + 1j * data["y"][140]).value, rtol=1e-14)
    assert data["j"].max() <= J_STAR + 1e-12
    right, left, arc = data["boundaries"][0]  # identity first: the boundary of F itself
    assert np.all(right.real == 0.5) and np.all(left.real == -0.5)
    np.testing.assert_allclose(np.abs(arc), 1.0, rtol=1e-15)
    # every image of F's boundary stays in the upper half-plane; every star reduces to tau*
    assert all(np.all(z.imag > 0) for curves in data["boundaries"] for z in curves)
    stars = [complex(*z) for z in data["tau_star_images"]]
    assert any(abs(z - TAU_STAR) < 1e-9 for z in stars) and len(stars) > 5
    assert max(distance_to_optimum(z) for z in stars) < 1e-8
    assert len(data["paths"]) == 2 and data["paths"][0]["x"][0] == report.starts[0].real


def test_lattice_figures_need_neither_mpmath_nor_matplotlib_in_lattice(tmp_path):
    code = (
        "import sys; sys.modules['mpmath'] = None; sys.modules['matplotlib'] = None\n"
        "import kerker.lattice as L\n"
        "from kerker.lattice._optimize import OptimizeConfig\n"
        "d = L.figure_data(OptimizeConfig(n_starts=1))\n"
        "assert sorted(d.to_dict()) == ['gradient_error', 'optimization', 'trajectories']\n"
        "del sys.modules['matplotlib']\n"
        "from kerker.cli import main\n"
        f"assert main(['lattice', 'figures', '--starts', '1', '--out', {str(tmp_path)!r}]) == 0\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "lattice_trajectories.png").stat().st_size > 1000
