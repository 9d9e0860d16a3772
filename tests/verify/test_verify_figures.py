"""What the verification figures show, selected from a run's output (no treams needed)."""

import argparse

import numpy as np

from kerker.cli import _lattice, _verify
from kerker.lattice import TAU_STAR
from kerker.report import plot_verification
from kerker.verify import BridgeResult, ContrastMap, figure_data

W, A = 4, 3


def _map(tau, shift):
    """A ContrastMap whose channels are distinct known numbers: R[plane, pol] = base + shift."""
    base = np.arange(W * A, dtype=float).reshape(W, A) / 100
    reflectance = np.stack([np.stack([base + 0.1 * (2 * i + j) + shift for j in range(2)]) for i in range(2)])
    return ContrastMap(
        tau=tau,
        wavelength=np.linspace(600.0, 900.0, W),
        theta=np.radians([40.0, 20.0, 0.0]),  # normal incidence is not the first angle
        reflectance=reflectance,
        transmittance=1.0 - reflectance,
        n_orders=np.ones((W, A), dtype=int),
    )


def _bridge():
    taus = [1j, TAU_STAR, 1.5j, 0.3 + 1.1j]
    wl = np.array([2000.0, 3000.0])
    rng = np.random.default_rng(0)
    measured = {"t_split": rng.uniform(0.1, 1, (2, 4)), "dipole_measured": rng.uniform(0.1, 1, (2, 4))}
    return BridgeResult(taus, wl, rng.uniform(0.1, 1, 4), rng.uniform(0.1, 1, 4), np.zeros(4), np.zeros(4), measured)


def test_figure_data_selects_contrasts_normal_incidence_and_highlights(tmp_path):
    maps = {"square": _map(1j, 0.0), "tau_star": _map(TAU_STAR, 0.05)}
    br = _bridge()
    payload = {
        "bridge": {
            "headline_wavelength_nm": 3000.0,
            "correlation_t_split_vs_rod": [{"pearson": 0.1, "spearman": 0.2}, {"pearson": 0.9, "spearman": 0.8}],
            "correlation_dipole_measured_vs_dipole": [{"slope": 1.1}, {"slope": 1.2}],
        }
    }
    data = figure_data(payload, {"maps": maps, "bridge": br})
    m = data["maps"]
    np.testing.assert_allclose(m["theta_deg"], [40.0, 20.0, 0.0])
    for name, cmap in maps.items():
        np.testing.assert_array_equal(m["contrasts"][name]["s"], cmap.contrast("s", "R"))
        np.testing.assert_array_equal(m["contrasts"][name]["p"], cmap.contrast("p", "R"))
        # the s family: E along x is s-polarized in the yz plane, E along y in xz; at theta = 0
        np.testing.assert_array_equal(m["normal_spectra"][name]["R_x"], cmap.channel("R", "yz", "s")[:, 2])
        np.testing.assert_array_equal(m["normal_spectra"][name]["R_y"], cmap.channel("R", "xz", "s")[:, 2])
    b = data["bridge"]
    assert b["headline"] == 1 and b["stats"] == {"pearson": 0.9, "spearman": 0.8, "slopes": [1.1, 1.2]}
    assert b["highlight"] == {"τ*": 1, "1.5i": 2, "i and ρ": 0} and b["n_lattices"] == 4
    files = plot_verification(data, tmp_path)
    assert [f.name for f in files] == ["verify_contrast_maps.png", "verify_spectra.png", "verify_bridge.png"]
    assert all(f.stat().st_size > 1000 for f in files)
    assert figure_data({}, {}) == {} and plot_verification({}, tmp_path / "none") == []


def test_verify_registers_in_either_order():
    for modules in ((_lattice, _verify), (_verify, _lattice)):
        parser = argparse.ArgumentParser(prog="kerker")
        sub = parser.add_subparsers(dest="command")
        for module in modules:
            module.register(sub)
        assert parser.parse_args(["lattice", "verify", "--quick"]).func is _verify._cmd_verify
        assert parser.parse_args(["lattice", "sums", "--tau", "1j"]).func is _lattice._cmd_sums
