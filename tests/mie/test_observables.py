"""Derived far-field observables of the result object (issue 17 item 2).

References: scattnlay 2.4 (Peña & Pal 2009) for g, Q_pr, S1 and S2 of core-shell and
multilayer spheres; invariants that can fail: the multipole sums against the directly
computed efficiencies, g and Q_sca integrated from |S1|^2 + |S2|^2 over angle, the
amplitudes at 0 and pi against Q_fwd and Q_back, the dipole limit's polarisation.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerker
from kerker.mie import Efficiencies

WL = np.linspace(450.0, 800.0, 12)
LAYERED = (["Ag", "SiO2", "Si"], [[20.0, 35.0, 80.0], [5.0, 60.0, 61.0]])
COMPARED = ("g", "q_pr")


def _scattnlay(materials, radii, wavelength, theta):
    scattnlay = pytest.importorskip("scattnlay")
    mats = [kerker.material(m) for m in materials]
    out = {k: np.empty((len(radii), len(wavelength))) for k in COMPARED}
    out["s1"] = np.empty((len(radii), len(wavelength), len(theta)), complex)
    out["s2"] = np.empty_like(out["s1"])
    for p, r in enumerate(np.asarray(radii, float)):
        for j, w in enumerate(wavelength):
            m = np.array([np.sqrt(mat.permittivity(w)) for mat in mats])
            res = scattnlay.scattnlay(2 * np.pi * r / w, m, theta=theta)
            out["q_pr"][p, j], out["g"][p, j] = res[5], res[6]
            out["s1"][p, j], out["s2"][p, j] = res[8], res[9]
    return out


@pytest.mark.parametrize("layered", [True, False])
def test_g_q_pr_and_amplitudes_vs_scattnlay(layered):
    theta = np.linspace(0.0, np.pi, 19)
    if layered:
        materials, radii = LAYERED
        res = kerker.efficiencies_layered(materials, radii, WL)
    else:
        materials, radii = ["Si", "Au"], [[60.0, 75.0]]
        res = kerker.efficiencies("Si", "Au", 60.0, 15.0, WL)
    ref = _scattnlay(materials, radii, WL, theta)
    amp = res.amplitudes(theta)
    # both codes sum converged series in float64: 1e-12 of each quantity's scale
    for key in COMPARED:
        np.testing.assert_allclose(getattr(res, key), ref[key], rtol=0, atol=1e-12 * np.abs(ref[key]).max())
    for key in ("s1", "s2"):
        scale = np.abs(ref[key]).max(axis=-1, keepdims=True)
        assert np.all(np.abs(getattr(amp, key) - ref[key]) <= 1e-12 * scale)


def test_multipole_terms_sum_to_the_efficiencies():
    res = kerker.efficiencies_layered(*LAYERED, WL)
    n = res.coefficients()[0].shape[-1]
    mp = res.multipoles(n)
    for total, e, m in (("q_ext", mp.ext_electric, mp.ext_magnetic), ("q_sca", mp.sca_electric, mp.sca_magnetic),
                        ("q_abs", mp.abs_electric, mp.abs_magnetic)):
        q = getattr(res, total)
        np.testing.assert_allclose(e.sum(-1) + m.sum(-1), q, rtol=0, atol=1e-12 * np.abs(q).max())
    dip = res.multipoles(1)
    np.testing.assert_array_equal(dip.sca_electric[..., 0], mp.sca_electric[..., 0])
    # the scattering terms are those of kerker.mie.multipoles (core-shell)
    cs = kerker.efficiencies("Si", "SiO2", 60.0, 20.0, WL)
    old = kerker.mie.multipoles("Si", "SiO2", 60.0, 20.0, WL, orders=2)
    np.testing.assert_allclose(cs.multipoles(2).sca_magnetic, old.magnetic, rtol=1e-13, atol=0)
    # passive layers absorb in every multipole (Re c_n >= |c_n|^2), lossless ones in none
    assert min(mp.abs_electric.min(), mp.abs_magnetic.min()) > -1e-13 * np.abs(res.q_ext).max()
    lossless = kerker.efficiencies_layered(["SiO2", "Si3N4", "SiO2"], [[40.0, 80.0, 100.0]], WL).multipoles(4)
    assert max(np.abs(lossless.abs_electric).max(), np.abs(lossless.abs_magnetic).max()) < 1e-13


def test_angular_integrals_give_q_sca_and_g():
    """Q_sca = 1/x^2 int (|S1|^2+|S2|^2) d(cos theta) over [-1, 1] (BH 4.61 ff.), g likewise weighted by cos theta."""
    res = kerker.efficiencies_layered(*LAYERED, WL)
    mu, w = np.polynomial.legendre.leggauss(200)
    amp = res.amplitudes(np.arccos(mu))
    x = 2 * np.pi * np.array(LAYERED[1])[:, -1:] / WL
    total = amp.i_per + amp.i_par
    q_sca = (total * w).sum(-1) / x**2
    g = (total * w * mu).sum(-1) / (total * w).sum(-1)
    np.testing.assert_allclose(q_sca, res.q_sca, rtol=1e-12)
    np.testing.assert_allclose(g, res.g, rtol=0, atol=1e-12)
    np.testing.assert_allclose(2 * amp.i_unpolarized, total, rtol=1e-15)


def test_amplitudes_at_zero_and_pi_give_q_fwd_q_back_and_no_polarisation():
    res = kerker.efficiencies_layered(*LAYERED, WL)
    amp = res.amplitudes([0.0, np.pi])
    x = 2 * np.pi * np.array(LAYERED[1])[:, -1:] / WL
    np.testing.assert_allclose(4 * amp.i_per[..., 0] / x**2, res.q_fwd, rtol=1e-12)
    np.testing.assert_allclose(4 * amp.i_per[..., 1] / x**2, res.q_back, rtol=1e-12)
    assert np.abs(amp.degree_of_polarization).max() < 1e-12


def test_dipole_limit_is_fully_polarised_at_ninety_degrees():
    res = kerker.efficiencies_layered(["SiO2", "Si3N4"], [[1.0, 2.0]], [600.0])
    dop = res.amplitudes([np.pi / 2]).degree_of_polarization
    assert abs(float(dop[0, 0, 0]) - 1.0) < 1e-5  # Rayleigh: (1 - cos^2) / (1 + cos^2) + O(x^2)


def test_cross_sections_in_nm2():
    res = kerker.efficiencies("Ag", "SiO2", 30.0, 10.0, WL)
    np.testing.assert_allclose(res.c_ext, res.q_ext * np.pi * 40.0**2, rtol=1e-15)
    np.testing.assert_allclose(res.c_abs, res.q_abs * np.pi * 40.0**2, rtol=1e-15)
    lay = kerker.efficiencies_layered(*LAYERED, WL)
    np.testing.assert_allclose(lay.c_sca, lay.q_sca * np.pi * np.array([[80.0], [61.0]]) ** 2, rtol=1e-15)


def test_q_pr_is_q_ext_minus_g_q_sca_and_g_is_bounded():
    res = kerker.efficiencies_layered(*LAYERED, WL)
    np.testing.assert_allclose(res.q_pr, res.q_ext - res.g * res.q_sca, rtol=1e-12)
    assert np.all(np.abs(res.g) <= 1.0)


def test_derived_observables_carry_gradients():
    radii = torch.tensor([[20.0, 35.0, 80.0]], dtype=torch.float64, requires_grad=True)

    def f(r):
        res = kerker.efficiencies_layered(LAYERED[0], r, WL[:3])
        amp = res.amplitudes(torch.tensor([0.3, 2.0], dtype=torch.float64))
        return torch.cat([res.g.reshape(-1), res.q_pr.reshape(-1), amp.degree_of_polarization.reshape(-1)])

    assert torch.autograd.gradcheck(f, (radii,))


def test_bad_arguments():
    res = kerker.efficiencies("Si", "SiO2", 30.0, 10.0, WL)
    with pytest.raises(ValueError, match="orders must be an integer >= 1"):
        res.multipoles(0)
    with pytest.raises(ValueError, match="theta must be a non-empty array of finite angles"):
        res.amplitudes([np.nan])
    bare = Efficiencies(*(res.q_ext,) * 5)
    with pytest.raises(ValueError, match="derived observables need the result of an efficiency call"):
        _ = bare.g
