"""S(n, l) values and Wirtinger derivatives against independent references."""

import json
import pathlib

import mpmath as mp
import numpy as np
import pytest

from kerker.lattice import STANDARD_BASIS, basis, lattice_sum
from kerker.lattice._direct import direct_box_sum, direct_disk_sum
from tests.reference.lattice_mpmath import (
    mp_epstein4,
    mp_g2star,
    mp_kronecker,
    mp_row_sum,
    mp_s4m2,
    mp_wirtinger,
    rel_err,
)

REF = json.loads(pathlib.Path(__file__).with_name("reference_values.json").read_text())
RTOL = 1e-13  # issue 5 done-when, relative with floor 1
MODERATE = [0.3 + 1.1j, -0.41 + 0.93j, 2.7 + 0.31j]


def _mp(pair):
    return mp.mpc(mp.mpf(pair[0]), mp.mpf(pair[1]))


@pytest.mark.parametrize("entry", REF["points"], ids=lambda e: f"{e['tau'][0]}+{e['tau'][1]}i")
@pytest.mark.parametrize(
    "name, nl", [("S(4,0)", (4, 0)), ("S(2,0)", (2, 0)), ("S(2,-2)", (2, -2)), ("S(4,-2)", (4, -2))]
)
def test_far_points_against_frozen_mpmath(entry, name, nl):
    tau = complex(*entry["tau"])
    r = lattice_sum(*nl, tau)
    ref = entry[name]
    assert rel_err(r.value, _mp(ref["value"])) <= RTOL
    assert abs(mp.mpc(complex(r.value)) - _mp(ref["value"])) <= r.error_bound
    if "d" in ref:
        assert rel_err(r.d, _mp(ref["d"])) <= RTOL
        assert rel_err(r.dbar, _mp(ref["dbar"])) <= RTOL


@pytest.mark.parametrize("tau", MODERATE)
def test_nonreducible_against_chowla_selberg(mp40, tau):
    r0 = lattice_sum(4, 0, tau)
    d, db = mp_wirtinger(mp_epstein4, tau)
    assert rel_err(r0.value, mp_epstein4(tau)) <= RTOL
    assert rel_err(r0.d, d) <= RTOL and rel_err(r0.dbar, db) <= RTOL
    ref = mp_s4m2(tau)
    assert rel_err(lattice_sum(4, -2, tau).value, ref) <= RTOL
    assert rel_err(lattice_sum(4, 2, tau).value, mp.conj(ref)) <= RTOL


def test_gradient_of_s4m2(mp40):
    tau = 0.3 + 1.1j
    r = lattice_sum(4, -2, tau)
    d, db = mp_wirtinger(mp_s4m2, tau)
    assert rel_err(r.d, d) <= RTOL and rel_err(r.dbar, db) <= RTOL
    r2 = lattice_sum(4, 2, tau)  # S(4, 2) = conj S(4, -2): d <-> conj dbar
    assert rel_err(r2.d, mp.conj(db)) <= RTOL and rel_err(r2.dbar, mp.conj(d)) <= RTOL


@pytest.mark.parametrize("tau", MODERATE)
def test_weight_two_and_monopole(mp40, tau):
    for f, (n, l) in ((mp_g2star, (2, -2)), (mp_kronecker, (2, 0))):
        r = lattice_sum(n, l, tau)
        d, db = mp_wirtinger(f, tau)
        assert rel_err(r.value, f(tau)) <= RTOL
        assert rel_err(r.d, d) <= RTOL and rel_err(r.dbar, db) <= RTOL


def test_summation_orders(mp40):
    tau = 0.3 + 1.1j
    rows = mp_row_sum(2, -2, tau)  # Mittag-Leffler rows: G2
    assert rel_err(lattice_sum(2, -2, tau, summation="rows").value, rows) <= RTOL
    # columns first: sum_m sum_n (m + n tau)^-2 = 2 zeta(2)/tau^2 + tau^-2 sum_{m != 0} pi^2 / sin^2(pi m / tau)
    t = mp.mpc(tau)
    cols = 2 * mp.zeta(2) / t**2 + 2 / t**2 * mp.nsum(lambda m: mp.pi**2 / mp.sin(mp.pi * m / t) ** 2, [1, mp.inf])
    assert rel_err(lattice_sum(2, -2, tau, summation="columns").value, cols) <= RTOL
    assert abs(lattice_sum(2, -2, tau, summation="rows").dbar) == 0  # G2 is holomorphic


@pytest.mark.parametrize("n, l", [(4, -4), (4, -6), (4, -8), (6, -6), (6, -10), (8, -10), (14, -14), (14, -16)])
@pytest.mark.parametrize("tau", [0.3 + 1.1j, 7.3 + 0.15j])
def test_raised_sector_against_row_sums(mp40, n, l, tau):
    ref = mp_row_sum(n, l, tau)
    r = lattice_sum(n, l, tau)
    assert rel_err(r.value, ref) <= RTOL
    assert abs(mp.mpc(complex(r.value)) - ref) <= r.error_bound
    assert rel_err(lattice_sum(n, -l, tau).value, mp.conj(ref)) <= RTOL


def test_raised_sector_gradients(mp40):
    tau = 0.3 + 1.1j
    for n, l in ((4, -6), (6, -8), (2, -4)):
        shift = (lambda t: -mp.pi / (2 * t.imag)) if n == 2 else (lambda t: 0)  # disk vs rows, docs/lattice-math.md §4c
        f = lambda t, n=n, l=l, shift=shift: mp_row_sum(n, l, t) + shift(mp.mpc(t))  # noqa: E731
        d, db = mp_wirtinger(f, tau)
        r = lattice_sum(n, l, tau)
        assert rel_err(r.value, f(tau)) <= RTOL
        assert rel_err(r.d, d) <= RTOL and rel_err(r.dbar, db) <= RTOL


def test_epsteinlib_reduced_and_unreduced(rng):
    epsteinlib = pytest.importorskip("epsteinlib")
    zero = np.zeros(2)
    for tau, rtol in ((0.2 + 1.3j, 1e-14), (-0.37 + 0.95j, 1e-14), (7.3 + 0.05j, 1e-12), (13.61 + 0.4j, 1e-12)):
        m = np.array([[1.0, tau.real], [0.0, tau.imag]])
        s40 = epsteinlib.epstein_zeta(4, m, zero, zero).real
        xx = epsteinlib.epstein_zeta_aniso(6, m, zero, zero, np.array([2, 0])).real
        yy = epsteinlib.epstein_zeta_aniso(6, m, zero, zero, np.array([0, 2])).real
        xy = epsteinlib.epstein_zeta_aniso(6, m, zero, zero, np.array([1, 1])).real
        assert abs(lattice_sum(4, 0, tau).value - s40) <= rtol * s40
        s42 = xx - yy + 2j * xy  # sum (X + iY)^2 / |w|^6
        assert abs(lattice_sum(4, 2, tau).value - s42) <= rtol * max(abs(s42), 1)
        # zeta_reg(2) = S_reg(2, 0) - pi (2 gamma + log pi) / y  (docs/lattice-math.md §4d)
        reg = epsteinlib.epstein_zeta_reg(2, m, zero, zero).real
        ours = lattice_sum(2, 0, tau).value.real - np.pi * (2 * np.euler_gamma + np.log(np.pi)) / tau.imag
        assert abs(ours - reg) <= rtol * max(abs(reg), 1)


@pytest.mark.parametrize("n, l, order", [(4, 0, 2), (4, -2, 2), (4, -6, 2)])
def test_direct_disk_sums_converge_at_the_expected_rate(n, l, order):
    tau = 0.2 + 1.3j
    exact = lattice_sum(n, l, tau).value
    radii = np.array([40.0, 80.0, 160.0, 320.0])
    errs = np.array([abs(direct_disk_sum(n, l, tau, r) - exact) for r in radii])
    assert errs[-1] < errs[0]
    slope = -np.polyfit(np.log(radii), np.log(errs), 1)[0]
    if l == 0:  # |w|^-4 tail integral 2 pi/(2 R^2 A): monotone O(R^-2)
        assert abs(slope - order) < 0.3
    else:  # angular cancellation makes the anisotropic tail decay faster than R^-2
        assert slope > order - 0.3


def test_direct_box_sum_is_consistent():
    tau = 0.2 + 1.3j
    exact = lattice_sum(4, -4, tau).value
    e1 = abs(direct_box_sum(4, -4, tau, 50) - exact)
    e2 = abs(direct_box_sum(4, -4, tau, 100) - exact)
    assert e2 < e1 < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize(
    "n, l, radius, tol", [(2, -2, 3000.0, 3e-5), (2, 0, 3000.0, 3e-5), (2, -4, 3000.0, 3e-5), (2, -6, 3000.0, 3e-5)]
)
def test_weight_two_disk_summation(n, l, radius, tol):
    # the disk is the summation shape that defines G2*, S_reg(2, 0) and their raised sums
    tau = 0.2 + 1.3j
    assert abs(direct_disk_sum(n, l, tau, radius) - lattice_sum(n, l, tau).value) < tol


def test_richardson_baseline_and_its_order():
    from kerker.lattice._richardson import richardson_sum

    tau = 0.2 + 1.3j
    exact = lattice_sum(4, 0, tau).value.real
    r = lattice_sum(4, 0, tau, method="richardson")
    assert abs(r.value - exact) < 1e-8 * exact
    # measured orders: full box shells give O(N^-3) after Richardson, half-weighted O(N^-4)
    for shell, order in (("full", 3), ("half", 4)):
        errs = [
            abs(richardson_sum(tau, 0.0 + 1e-300, shell=shell, n_start=8, n_max=ns).values[0] - exact)
            for ns in (32, 64, 128)
        ]
        slopes = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
        assert np.all(np.abs(slopes - order) < 0.5), (shell, slopes)


def test_basis_matches_single_calls():
    tau = np.array([0.3 + 1.1j, 5.2 + 0.07j])
    many = basis(tau)
    for nl in STANDARD_BASIS:
        one = lattice_sum(*nl, tau)
        # one shared truncation (the union of the needed series) vs per-sum truncation
        np.testing.assert_allclose(many[nl].value, one.value, rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(many[nl].d, one.d, rtol=1e-14, atol=1e-14)


def test_real_gradients_are_wirtinger_combinations():
    r = lattice_sum(4, -2, 0.3 + 1.1j)
    h = 1e-6
    fx = (lattice_sum(4, -2, 0.3 + h + 1.1j).value - lattice_sum(4, -2, 0.3 - h + 1.1j).value) / (2 * h)
    fy = (lattice_sum(4, -2, 0.3 + 1.1j + 1j * h).value - lattice_sum(4, -2, 0.3 + 1.1j - 1j * h).value) / (2 * h)
    assert abs(r.grad_x - fx) < 1e-8 and abs(r.grad_y - fy) < 1e-8


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((4, 1, 1j), {}, r"l: must be even .* received l=1"),
        ((3, 0, 1j), {}, r"n: must be an even integer >= 2 .* received n=3"),
        ((6, 0, 1j), {}, r"\(n, l\): supported are .* received \(n, l\)=\(6, 0\)"),
        ((16, -16, 1j), {}, r"\(n, l\): supported .* received \(n, l\)=\(16, -16\)"),
        ((4, 0, 1j), {"method": "ewald"}, r"method: must be one of .* received method='ewald'"),
        ((2, -4, 1j), {"summation": "rows"}, r"summation: only \(n, l\) = \(2, \+-2\)"),
        ((4, -4, 1j), {"method": "richardson"}, r"method: 'richardson' is the paper's box-sum baseline"),
        ((4, 0, -1j), {}, r"tau: Im\(tau\) must be > 0 .* received tau=\(-0-1j\)"),
        ((4, 0, np.nan), {}, r"tau: every entry must be finite"),
        ((4, 0, 1j), {"tol": 2.0}, r"tol: must lie in \(0, 1\)"),
        ((4.0, 0, 1j), {}, r"n: must be an integer; received n=4.0"),
    ],
)
def test_bad_input_raises(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        lattice_sum(*args, **kwargs)
