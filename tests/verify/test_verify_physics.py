"""Physics checks of the treams monolayer: symmetry, energy conservation, convergence, a frozen run."""

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("treams", reason="treams (optional extra kerker[verify]) is not installed")

from kerker.lattice import TAU_STAR
from kerker.verify import (
    MonolayerConfig,
    compute_map,
    convergence,
    grazing_points,
    lattice_vectors,
    nearest_neighbour_distance,
    normal_incidence_jones,
    solve_monolayer,
    xy_channels,
)

CFG = MonolayerConfig()
REFERENCE = Path(__file__).with_name("reference_run.json")

# Round-off of treams' Ewald sums and S-matrix algebra: measured 1e-16 (same S-matrix) to
# 2e-14 (two planes of incidence, two independent solves); 1e-12 leaves a margin.
SYM_ATOL = 1e-12


def _r(res, plane, pol):
    return res.reflectance[plane, pol]


@pytest.mark.parametrize("wavelength", [500.0, 725.0, 1200.0])
def test_square_lattice_normal_incidence_has_no_contrast(wavelength):
    res = solve_monolayer(1j, wavelength, 0.0, config=CFG)
    # x-polarized = p in xz = s in yz; y-polarized = s in xz = p in yz
    assert abs(_r(res, "xz", "p") - _r(res, "xz", "s")) < SYM_ATOL
    assert abs(_r(res, "yz", "s") - _r(res, "xz", "s")) < SYM_ATOL


def test_square_lattice_rotated_experiments_agree_at_oblique_incidence():
    res = solve_monolayer(1j, 620.0, math.radians(30.0), config=CFG)
    assert abs(_r(res, "yz", "s") - _r(res, "xz", "s")) < SYM_ATOL  # s-family: E || x vs E || y
    assert abs(_r(res, "xz", "p") - _r(res, "yz", "p")) < SYM_ATOL  # p-family
    # the paper's TE/TM pair in one plane is *not* a lattice measure: it differs for a square lattice
    assert abs(_r(res, "xz", "s") - _r(res, "xz", "p")) > 1e-2


@pytest.mark.parametrize("theta_deg", [0.0, 20.0])
def test_swapping_the_lattice_axes_swaps_x_and_y(theta_deg):
    # a(1, 1.5i) is a rectangle (a, 1.5a); at equal area a'(1, i/1.5) is (1.5a, a): the same cell turned by 90 deg
    v1, v2 = lattice_vectors(1.5j, CFG.area), lattice_vectors(1j / 1.5, CFG.area)
    np.testing.assert_allclose([v1[0, 0], v1[1, 1]], [v2[1, 1], v2[0, 0]], rtol=1e-14)
    a = solve_monolayer(1.5j, 650.0, math.radians(theta_deg), config=CFG)
    b = solve_monolayer(1j / 1.5, 650.0, math.radians(theta_deg), config=CFG)
    assert abs(_r(a, "xz", "p") - _r(a, "yz", "p")) > 1e-2  # the lattice is anisotropic here
    for pol in ("s", "p"):
        assert _r(a, "xz", pol) == pytest.approx(_r(b, "yz", pol), abs=SYM_ATOL)
        assert _r(a, "yz", pol) == pytest.approx(_r(b, "xz", pol), abs=SYM_ATOL)


def test_equivalent_bases_give_the_same_lattice():
    # tau and tau + 1 span one lattice; only the basis differs
    a = solve_monolayer(TAU_STAR, 700.0, math.radians(15.0), config=CFG)
    b = solve_monolayer(TAU_STAR + 1, 700.0, math.radians(15.0), config=CFG)
    for key in a.reflectance:
        assert a.reflectance[key] == pytest.approx(b.reflectance[key], abs=SYM_ATOL)


@pytest.mark.parametrize("tau", [1j, TAU_STAR, complex(0.5, math.sqrt(3) / 2), 0.2 + 1.3j])
def test_energy_conservation_for_lossless_spheres(tau):
    for wavelength, theta in ((520.0, 0.0), (725.0, 35.0), (1100.0, 10.0)):
        res = solve_monolayer(tau, wavelength, math.radians(theta), config=CFG)
        assert res.energy_error() < 1e-12


def test_absorbing_spheres_lose_energy():
    lossy = MonolayerConfig(index=3.5 + 0.1j)
    res = solve_monolayer(1j, 725.0, 0.0, config=lossy)
    assert all(res.reflectance[k] + res.transmittance[k] < 0.99 for k in res.reflectance)


def test_dropping_a_propagating_order_breaks_energy_conservation():
    # at 500 nm and 40 deg the (-1, 0) order of the 400 nm square lattice propagates; radius 0.5 k0 drops it
    kept = solve_monolayer(1j, 500.0, math.radians(40.0), config=CFG)
    dropped = solve_monolayer(1j, 500.0, math.radians(40.0), config=MonolayerConfig(diffraction_radius=0.5))
    assert kept.energy_error() < 1e-12
    assert dropped.energy_error() > 0.1


def test_jones_matrices_reciprocal_and_lossless():
    t, r = normal_incidence_jones(0.2 + 1.3j, 2000.0, config=CFG)
    np.testing.assert_allclose(t, t.T, atol=1e-13)  # reciprocity
    np.testing.assert_allclose(r, r.T, atol=1e-13)
    power = np.sum(np.abs(t) ** 2 + np.abs(r) ** 2, axis=0)  # only the zeroth order propagates
    np.testing.assert_allclose(power, 1.0, atol=1e-12)
    assert abs(t[0, 1]) > 1e-6  # oblique lattice: x and y are not its principal axes


def test_jones_matches_the_power_solver():
    _, r = normal_incidence_jones(TAU_STAR, 900.0, config=CFG)
    res = solve_monolayer(TAU_STAR, 900.0, 0.0, config=CFG)
    assert np.sum(np.abs(r[:, 0]) ** 2) == pytest.approx(_r(res, "xz", "p"), abs=1e-12)  # x-polarized
    assert np.sum(np.abs(r[:, 1]) ** 2) == pytest.approx(_r(res, "xz", "s"), abs=1e-12)  # y-polarized


def test_frozen_reference_run():
    ref = json.loads(REFERENCE.read_text())
    assert MonolayerConfig().to_dict() == ref["config"]
    for point in ref["points"]:
        res = solve_monolayer(
            complex(*point["tau"]), point["wavelength_nm"], math.radians(point["theta_deg"]), config=CFG
        )
        for (plane, pol), value in res.reflectance.items():
            # rtol: the numbers are from the same code and treams 0.4.7; allow BLAS/compiler round-off
            assert value == pytest.approx(point["R"][f"{plane}_{pol}"], rel=1e-9, abs=1e-12)
            assert res.transmittance[plane, pol] == pytest.approx(point["T"][f"{plane}_{pol}"], rel=1e-9, abs=1e-12)


def test_map_contrast_square_vs_tau_star():
    wl, th = np.array([610.0, 760.0]), np.radians([0.0, 30.0])  # 600 nm at 30 deg would sit on a Rayleigh anomaly
    sq = compute_map(1j, wl, th, config=CFG)
    ts = compute_map(TAU_STAR, wl, th, config=CFG)
    for fam in ("s", "p"):
        assert sq.contrast(fam, "R").max() < SYM_ATOL
        assert ts.contrast(fam, "R").max() > 0.05
        # lossless: T = 1 - R channel by channel, so the T contrast equals the R contrast
        np.testing.assert_allclose(ts.contrast(fam, "T"), ts.contrast(fam, "R"), atol=1e-12)
    ch = xy_channels(ts, "s")
    assert ch["R_x"].shape == (2, 2)
    assert ts.energy_error() < 1e-12
    with pytest.raises(ValueError, match="family must be one of"):
        xy_channels(ts, "te")


def test_nearest_neighbour_distance():
    assert nearest_neighbour_distance(1j, 160000.0) == pytest.approx(400.0, rel=1e-14)
    # tau* is reduced: the shortest vector is the first period a = sqrt(A / y)
    assert nearest_neighbour_distance(TAU_STAR, 160000.0) == pytest.approx(math.sqrt(160000.0 / TAU_STAR.imag))
    # a non-reduced basis of the square lattice
    assert nearest_neighbour_distance(3 + 1j, 160000.0) == pytest.approx(400.0, rel=1e-12)


def test_rayleigh_anomaly_points_are_flagged():
    # a = 400 nm: the (-1, 0) order grazes at lambda = a (1 + sin 30 deg) = 600 nm; treams loses digits there
    flags = grazing_points(1j, CFG.area, np.array([600.0, 620.0]), np.radians([0.0, 30.0]))
    assert flags.tolist() == [[False, True], [False, False]]
    on = solve_monolayer(1j, 600.0, math.radians(30.0), config=CFG)
    assert on.energy_error() > 1e-9  # measured 5.8e-7
    assert abs(_r(on, "yz", "s") - _r(on, "xz", "s")) > 1e-12  # measured 2.3e-9


@pytest.mark.slow
def test_multipole_convergence_is_monotone_and_lmax3_is_enough():
    c = convergence(TAU_STAR, (500.0, 725.0), (0.0, math.radians(40.0)), config=CFG)
    diffs = [row["max_abs_diff"] for row in c["lmax"]]  # lmax 2..6 against 6
    assert all(a > b for a, b in itertools.pairwise(diffs))
    assert diffs[1] < 5e-4  # lmax = 3, the default
    by_radius = {row["diffraction_radius"]: row for row in c["diffraction"]}
    assert by_radius[1.65]["max_abs_diff"] < 1e-12  # every propagating order kept
    assert by_radius[0.5]["energy_error"] > 0.1
