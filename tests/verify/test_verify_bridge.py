"""The bridge to the lattice engine: quasi-static sums and the long-wavelength splitting."""

import cmath
import math

import numpy as np
import pytest

from kerker.lattice import TAU_STAR, lattice_sum
from kerker.verify import dipole_lattice_sum, quasi_static_anisotropy

RHO = cmath.exp(1j * math.pi / 3)


def _brute_force(tau, radius):
    n_max = int(radius / tau.imag) + 2
    n = np.arange(-n_max, n_max + 1)[:, None]
    m = np.arange(-int(radius + abs(tau.real) * n_max) - 2, int(radius + abs(tau.real) * n_max) + 3)[None, :]
    w = (m + n * tau).ravel()
    r = np.abs(w)
    w, r = w[(r > 0) & (r <= radius)], r[(r > 0) & (r <= radius)]
    return complex(np.sum((w / r) ** 2 / r**3))


@pytest.mark.parametrize("tau", [TAU_STAR, 0.2 + 1.3j])
def test_dipole_sum_converges_and_matches_plain_disk_sums(tau):
    a, b = dipole_lattice_sum(tau, cutoff=80.0), dipole_lattice_sum(tau, cutoff=160.0)
    assert abs(a - b) < 1e-11  # smooth cutoff: faster than any power of R
    # a sharp disk of radius 300 is accurate only to ~1e-6 (lattice-point discrepancy)
    assert abs(_brute_force(tau, 300.0) - b) < 2e-6


@pytest.mark.parametrize("tau", [1j, RHO])
def test_dipole_sum_vanishes_on_symmetric_lattices(tau):
    assert abs(dipole_lattice_sum(tau)) < 1e-13


def test_dipole_sum_transforms_under_s():
    # -1/tau spans (1/tau) * lattice(tau), rotated by -arg tau: S(3,2) picks up |tau|^3 exp(-2i arg tau)
    tau = 0.2 + 1.3j
    lhs = dipole_lattice_sum(-1 / tau)
    rhs = abs(tau) ** 3 * cmath.exp(-2j * cmath.phase(tau)) * dipole_lattice_sum(tau)
    assert abs(lhs - rhs) < 1e-11


def test_quasi_static_anisotropy_values():
    q = quasi_static_anisotropy(TAU_STAR)
    assert q["rod"] == pytest.approx(TAU_STAR.imag * abs(lattice_sum(2, -2, TAU_STAR).value), rel=1e-15)
    # tau* (staggered chains along x): G2* > 0, both axes along x
    assert min(q["rod_axis_deg"], 180 - q["rod_axis_deg"]) < 1e-9
    assert min(q["dipole_axis_deg"], 180 - q["dipole_axis_deg"]) < 1e-9
    for tau in (1j, RHO):
        z = quasi_static_anisotropy(tau)
        assert z["rod"] < 1e-13 and z["dipole"] < 1e-12


def test_bad_tau_is_refused():
    with pytest.raises(ValueError, match=r"Im\(tau\) > 0"):
        dipole_lattice_sum(0.3 - 1j)


class TestWithTreams:
    @pytest.fixture(autouse=True)
    def _need_treams(self):
        pytest.importorskip("treams", reason="treams (optional extra kerker[verify]) is not installed")

    def test_square_lattice_has_no_splitting(self):
        from kerker.verify import polarization_splitting

        s = polarization_splitting(1j, 3000.0)
        assert s["t_split"] < 1e-13 and abs(s["r_split"]) < 1e-13

    def test_long_wavelength_splitting_is_the_dipole_lattice_sum(self):
        # D -> y^(3/2)|S(3,2)| as lambda -> infinity; measured 0.2 % at 20 um for tau*
        from kerker.verify import polarization_splitting

        s = polarization_splitting(TAU_STAR, 20000.0)
        q = quasi_static_anisotropy(TAU_STAR)
        assert s["dipole_measured"] == pytest.approx(q["dipole"], rel=1e-2)

    def test_principal_axis_follows_the_lattice_sum(self):
        from kerker.verify import polarization_splitting

        tau = 0.25 + 1.1j  # no mirror axis along x or y
        s = polarization_splitting(tau, 3000.0)
        q = quasi_static_anisotropy(tau)
        assert q["dipole_axis_deg"] > 1.0
        assert abs(s["axis_deg"] - q["dipole_axis_deg"]) < 0.01

    def test_bridge_correlation_on_a_few_lattices(self):
        from kerker.verify import bridge

        res = bridge([1j, 1.3j, 1.75j, 0.25 + 1.1j, TAU_STAR, 0.5 + 2j], (3000.0,))
        c = res.correlations("t_split", "rod")[0]
        assert c["pearson"] > 0.99 and c["spearman"] > 0.99
        d = res.correlations("dipole_measured", "dipole")[0]
        assert d["slope"] == pytest.approx(1.0, abs=0.02)
        with pytest.raises(ValueError, match="at least 3"):
            bridge([1j, TAU_STAR], (3000.0,))
