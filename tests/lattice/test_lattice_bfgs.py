"""The float port of scipy's BFGS (kerker.lattice._bfgs) against scipy itself.

Issue 16, item 3: the 8-start BFGS of ``kerker lattice optimize`` runs on the port; it
must reach scipy's optimum (to ~1e-12) with scipy's iterations and evaluations.
"""

import argparse
import json
import math

import numpy as np
import pytest
from scipy.optimize import minimize

from kerker.cli import _lattice
from kerker.lattice._bfgs import _dcsrch, minimize_bfgs
from kerker.lattice._optimize import GRADIENTS, OptimizeConfig, compare_gradients


def _counted(fn):
    calls = [0]

    def fg(v):
        calls[0] += 1
        return fn(float(v[0]), float(v[1]))

    return fg, calls


def _for_scipy(fg):
    def fun(v):
        f, g = fg(v)
        return f, np.array(g)

    return fun


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2, (-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x))


def _bowl(x, y):
    return 3 * x * x + 2 * y * y + 0.3 * x * y + x**4, (6 * x + 0.3 * y + 4 * x**3, 4 * y + 0.3 * x)


@pytest.mark.parametrize("fn, x0", [(_rosenbrock, (-1.2, 1.0)), (_rosenbrock, (0.3, -0.4)), (_bowl, (0.9, -1.4))])
def test_port_follows_scipy_on_smooth_functions(fn, x0):
    ours, n_ours = _counted(fn)
    theirs, n_theirs = _counted(fn)
    res = minimize_bfgs(ours, x0, gtol=1e-8)
    ref = minimize(_for_scipy(theirs), np.array(x0), jac=True, method="BFGS", options={"gtol": 1e-8})
    # the dot products are summed in a fixed order here and by BLAS there: the same steps to rounding
    assert res.nit == ref.nit and res.success == ref.success and res.message == ref.message
    assert math.dist(res.x, ref.x) < 1e-10
    assert n_ours[0] == n_theirs[0] == ref.nfev


def test_line_search_is_scipys_dcsrch():
    dcsrch = pytest.importorskip("scipy.optimize._dcsrch")  # scipy's own port of MINPACK-2

    cases = [
        (lambda s: (s - 2.0) ** 2 - 3.0, lambda s: 2.0 * (s - 2.0), 1.0),
        (lambda s: math.exp(-s) + 0.1 * s * s, lambda s: -math.exp(-s) + 0.2 * s, 0.01),
        (lambda s: (s - 0.3) ** 4 - s, lambda s: 4 * (s - 0.3) ** 3 - 1.0, 5.0),
        (lambda s: -s / (1 + s * s), lambda s: -(1 - s * s) / (1 + s * s) ** 2, 30.0),
    ]
    for phi, dphi, alpha1 in cases:
        ref = dcsrch.DCSRCH(phi, dphi, 1e-4, 0.9, 1e-14, 1e-100, 1e100)
        stp_ref, phi_ref, _, _ = ref(alpha1, phi0=phi(0.0), derphi0=dphi(0.0), maxiter=100)
        stp, f = _dcsrch(lambda s: (phi(s), dphi(s)), alpha1, phi(0.0), dphi(0.0))
        assert stp == stp_ref and f == phi_ref


def test_uphill_direction_is_refused_like_scipy():
    assert _dcsrch(lambda s: (s, 1.0), 1.0, 0.0, 1.0) == (None, 0.0)  # "ERROR: INITIAL G .GE. ZERO"


@pytest.fixture(scope="module")
def both_engines():
    # warm-up off: the untimed pass changes no result and is not compared here
    return {
        engine: compare_gradients(OptimizeConfig(engine=engine, warm_up=False)) for engine in ("kerker", "scipy")
    }


def test_lattice_optimum_and_counts_match_scipy(both_engines):
    ours, ref = both_engines["kerker"], both_engines["scipy"]
    for a, b in zip(ours.runs, ref.runs):
        assert (a.gradient, a.start) == (b.gradient, b.start)
        assert a.iterations == b.iterations, (a.gradient, a.start)
        if a.gradient == "analytic":  # the issue: the same optimum to ~1e-12, with scipy's evaluations
            assert abs(a.final_tau - b.final_tau) < 1e-12 and abs(a.final_value - b.final_value) < 1e-13
            assert a.evaluations == b.evaluations and a.success == b.success and a.message == b.message
        elif a.gradient == "central":  # FD noise amplifies rounding: agree to what central FD resolves
            assert abs(a.final_tau - b.final_tau) < 1e-9 and a.evaluations == b.evaluations
        else:  # forward FD resolves ~1e-7; its polish may take a different number of steps
            assert abs(a.final_tau - b.final_tau) < 1e-6
    ta, tb = ours.totals(), ref.totals()
    assert ta["analytic"]["max_distance"] <= 1e-8 and tb["analytic"]["max_distance"] <= 1e-8


def test_precision_loss_exit_matches_scipy():
    # far below float64's resolution of J, the line search fails: scipy's status and message
    cfg = dict(gtol=1e-14, polish_steps=0, n_starts=2, warm_up=False)
    ours = compare_gradients(OptimizeConfig(**cfg), gradients=("analytic",))
    ref = compare_gradients(OptimizeConfig(engine="scipy", **cfg), gradients=("analytic",))
    for a, b in zip(ours.runs, ref.runs):
        fields = ("success", "message", "iterations", "evaluations")
        assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
        assert abs(a.final_tau - b.final_tau) < 1e-12
    assert not ours.runs[0].success and "precision loss" in ours.runs[0].message


def test_wolfe2_fallback_is_scipys():
    # a wall that dcsrch cannot bracket (+inf beyond x = 0.5): scipy falls back to its
    # strong-Wolfe search; the port calls the same function
    def fn(x, y):
        if x > 0.5:
            return math.inf, (math.inf, math.inf)
        return -x + y * y, (-1.0, 2 * y)

    ours, n_ours = _counted(fn)
    theirs, n_theirs = _counted(fn)
    with np.errstate(all="ignore"):
        res = minimize_bfgs(ours, (0.0, 0.3), gtol=1e-6, maxiter=20)
        ref = minimize(
            _for_scipy(theirs), np.array([0.0, 0.3]), jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 20}
        )
    assert (res.nit, res.status, res.message) == (ref.nit, ref.status, ref.message)
    assert math.dist(res.x, ref.x) < 1e-12 and n_ours[0] == n_theirs[0]


def test_warm_up_changes_no_result_and_reports_the_cold_pass():
    warm = compare_gradients(OptimizeConfig(n_starts=2), gradients=("analytic",))
    cold = compare_gradients(OptimizeConfig(n_starts=2, warm_up=False), gradients=("analytic",))
    assert [(r.final_tau, r.evaluations) for r in warm.runs] == [(r.final_tau, r.evaluations) for r in cold.runs]
    assert warm.totals()["analytic"]["cold_wall_time"] > 0 and cold.totals()["analytic"]["cold_wall_time"] is None


def test_engine_is_validated():
    with pytest.raises(ValueError, match=r"engine: must be one of \('kerker', 'scipy'\); received 'numpy'"):
        OptimizeConfig(engine="numpy")


def _run(argv):
    parser = argparse.ArgumentParser(prog="kerker")
    _lattice.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.mark.parametrize("engine", ["kerker", "scipy"])
def test_cli_reports_wall_time_per_start(tmp_path, capsys, engine):
    assert _run(["lattice", "optimize", "--starts", "2", "--engine", engine, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"BFGS ({engine} engine)" in out and "ms/start" in out and "untimed first pass" in out
    data = json.loads((tmp_path / "lattice_optimize.json").read_text())
    assert data["config"]["engine"] == engine
    assert all(run["wall_time"] > 0 for run in data["runs"]) and len(data["runs"]) == 2 * len(GRADIENTS)
    for g in GRADIENTS:
        tot = data["totals"][g]
        per_start = [run["wall_time"] for run in data["runs"] if run["gradient"] == g]
        assert tot["wall_time_per_start"] == pytest.approx(sum(per_start) / len(per_start))
        assert tot["cold_wall_time"] > 0
