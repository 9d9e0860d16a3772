"""Public Mie API: shapes, numpy/torch round trips, invariants and every bad input."""

import numpy as np
import pytest
import torch

import kerker
from kerker.mie import angular_amplitudes, mie_coefficients, multipoles, scattering_pattern

WL = np.linspace(400.0, 800.0, 9)


def test_shapes_and_types():
    q = kerker.efficiencies("Si", "SiO2", [50.0, 60.0, 70.0], 20.0, WL)
    for name in ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back"):
        value = getattr(q, name)
        assert isinstance(value, np.ndarray) and value.shape == (3, 9)
    qt = kerker.efficiencies("Si", "SiO2", torch.tensor([50.0]), 20.0, WL)
    assert isinstance(qt.q_fwd, torch.Tensor) and qt.q_fwd.dtype == torch.float64


def test_numpy_and_torch_paths_agree():
    q = kerker.efficiencies("Au", "SiO2", [30.0, 80.0], [5.0, 40.0], WL)
    qt = kerker.efficiencies("Au", "SiO2", torch.tensor([30.0, 80.0]), torch.tensor([5.0, 40.0]), torch.tensor(WL))
    np.testing.assert_allclose(qt.q_fwd.numpy(), q.q_fwd, rtol=1e-14)


def test_list_of_materials_equals_separate_calls():
    both = kerker.efficiencies(["Si", "Ag"], ["SiO2", "ZrO2"], [60.0, 40.0], [20.0, 10.0], WL)
    one = kerker.efficiencies("Ag", "ZrO2", 40.0, 10.0, WL)
    np.testing.assert_allclose(both.q_back[1], one.q_back[0], rtol=1e-13)


def test_bucketed_orders_equal_fixed_large_order(rng):
    # The per-element truncation (bucketed, blocked, permuted) must equal one call at a
    # generous fixed order: checks the bookkeeping and that Wiscombe + 3 has converged.
    r = rng.uniform(1, 100, 40)
    t = rng.uniform(1, 100, 40)
    auto = kerker.efficiencies("Si", "Ag", r, t, WL)
    fixed = kerker.efficiencies("Si", "Ag", r, t, WL, n_max=40)
    for name in ("q_ext", "q_sca", "q_fwd", "q_back"):
        a, f = getattr(auto, name), getattr(fixed, name)
        assert np.max(np.abs(a - f) / f.max(axis=1, keepdims=True)) < 1e-12


#: Particles of the independent extinction/absorption check: lossless (SiO2/Si3N4),
#: absorbing throughout (Au/Ag), an absorbing core under a lossless shell (Si/SiO2, the
#: paper's pair) and a plasmonic core under a high-index shell (Ag/TiO2).
_XS_CASES = [
    ("SiO2", "Si3N4", 40.0, 30.0),
    ("Au", "Ag", 30.0, 20.0),
    ("Si", "SiO2", 86.0, 36.0),
    ("Ag", "TiO2", 50.0, 15.0),
]


@pytest.mark.parametrize(("core", "shell", "r_core", "t_shell"), _XS_CASES)
def test_extinction_and_absorption_against_treams(core, shell, r_core, t_shell):
    """q_ext, q_sca, q_abs, and the optical theorem 4 Re S(0) / x^2, against treams' own cross sections.

    treams (tfp-photonics/treams) builds the T-matrix of the layered sphere and reports the
    extinction and scattering cross sections itself (``xs_ext_avg``, ``xs_sca_avg``; for a
    sphere the orientation average is the value), so nothing here reuses kerker's sums.
    Measured agreement <= 2e-14 of q_ext; 1e-11 leaves room for platforms.
    """
    treams = pytest.importorskip("treams")
    wl = np.array([450.0, 600.0, 750.0])
    q = kerker.efficiencies(core, shell, r_core, t_shell, wl)
    s1, s2, _ = scattering_pattern(core, shell, r_core, t_shell, wl, [0.0])
    r_outer = r_core + t_shell
    n_core = kerker.material(core).refractive_index(wl)
    n_shell = kerker.material(shell).refractive_index(wl)
    for w, lam in enumerate(wl):
        k0 = 2 * np.pi / lam
        x = k0 * r_outer
        lmax = int(np.round(x + 4.05 * np.cbrt(x) + 2)) + 12  # Wiscombe + 12: converged
        materials = [treams.Material(n_core[w] ** 2), treams.Material(n_shell[w] ** 2), treams.Material()]
        tm = treams.TMatrix.sphere(lmax, k0, [r_core, r_outer], materials)
        geo = np.pi * r_outer**2
        q_ext, q_sca = tm.xs_ext_avg / geo, tm.xs_sca_avg / geo
        tol = 1e-11 * q_ext
        assert abs(q.q_ext[0, w] - q_ext) <= tol
        assert abs(q.q_sca[0, w] - q_sca) <= tol
        assert abs(q.q_abs[0, w] - (q_ext - q_sca)) <= tol
        # optical theorem: C_ext = (4 pi / k^2) Re S(0) (Bohren & Huffman eq. 4.76), S1(0) = S2(0)
        assert abs(4 * s1[0, w, 0].real / x**2 - q_ext) <= tol
        assert abs(s1[0, w, 0] - s2[0, w, 0]) <= 1e-13 * abs(s1[0, w, 0])


def test_absorption_vanishes_when_lossless_and_is_positive_otherwise(rng):
    q = kerker.efficiencies("SiO2", "Si3N4", rng.uniform(1, 100, 20), rng.uniform(1, 100, 20), WL)
    assert np.max(np.abs(q.q_abs)) < 1e-12  # both materials lossless
    qm = kerker.efficiencies("Au", "Ag", rng.uniform(1, 100, 20), rng.uniform(1, 100, 20), WL)
    assert np.all(qm.q_abs > 0)


def test_zero_shell_and_equal_materials_are_the_homogeneous_sphere():
    core_only = kerker.efficiencies("Si", "Au", 70.0, 0.0, WL)
    same = kerker.efficiencies("Si", "Si", 30.0, 40.0, WL)
    homogeneous = kerker.efficiencies("Si", "Si", 70.0, 0.0, WL)
    np.testing.assert_allclose(core_only.q_sca, homogeneous.q_sca, rtol=1e-13)
    np.testing.assert_allclose(same.q_fwd, homogeneous.q_fwd, rtol=1e-12)


def test_pattern_endpoints_equal_fwd_and_back():
    q = kerker.efficiencies("Si", "TiO2", 60.0, 30.0, [650.0])
    _, _, q_diff = scattering_pattern("Si", "TiO2", 60.0, 30.0, [650.0], np.array([0.0, np.pi]))
    np.testing.assert_allclose(q_diff[0, 0], [q.q_fwd[0, 0], q.q_back[0, 0]], rtol=1e-12)


def test_pattern_integrates_to_q_sca():
    # Q_sca = (1/4 pi) * integral of q_diff over the sphere (q_diff is 4 pi-normalised).
    theta = np.linspace(0, np.pi, 4001)
    q = kerker.efficiencies("Ag", "SiO2", 40.0, 20.0, [500.0])
    _, _, q_diff = scattering_pattern("Ag", "SiO2", 40.0, 20.0, [500.0], theta)
    integral = np.trapezoid(q_diff[0, 0] * np.sin(theta), theta) * 2 * np.pi / (4 * np.pi)
    np.testing.assert_allclose(integral, q.q_sca[0, 0], rtol=1e-6)


POLARIZATIONS = ("unpolarized", "perpendicular", "parallel")


@pytest.mark.parametrize("polarization", POLARIZATIONS)
def test_every_polarization_reduces_to_q_fwd_and_q_back(polarization):
    # S1(0) = S2(0) and S1(pi) = -S2(pi): polarization cannot matter exactly forward or backward
    q = kerker.efficiencies("Au", "SiO2", 45.0, 25.0, [550.0, 700.0])
    _, _, q_diff = scattering_pattern("Au", "SiO2", 45.0, 25.0, [550.0, 700.0], [0.0, np.pi], polarization=polarization)
    np.testing.assert_allclose(q_diff[0, :, 0], q.q_fwd[0], rtol=1e-12)
    np.testing.assert_allclose(q_diff[0, :, 1], q.q_back[0], rtol=1e-12)


def test_unpolarized_pattern_is_the_mean_of_the_two_polarizations():
    theta = np.linspace(0, np.pi, 91)
    args = (["Si", "Ag"], ["SiO2", "ZrO2"], [70.0, 40.0], [20.0, 10.0], WL, theta)
    q = {p: scattering_pattern(*args, polarization=p)[2] for p in POLARIZATIONS}
    assert q["unpolarized"].shape == (2, len(WL), len(theta))
    np.testing.assert_allclose(q["unpolarized"], (q["perpendicular"] + q["parallel"]) / 2, rtol=1e-13)
    assert np.max(np.abs(q["perpendicular"] - q["parallel"])) > 0.1 * np.max(q["unpolarized"])  # they differ


def test_polarized_patterns_against_scattnlay():
    """4 |S1|^2 / x^2 and 4 |S2|^2 / x^2 of a core-shell particle against scattnlay's S1, S2.

    scattnlay 2.4 (Pena & Pal 2009) takes relative indices and size parameters inside-out
    and returns Bohren & Huffman's S1 (field perpendicular to the scattering plane) and S2.
    Measured agreement ~1e-15; it is held to 1e-7 like in test_references.py.
    """
    scattnlay = pytest.importorskip("scattnlay").scattnlay
    theta = np.linspace(0, np.pi, 37)
    for core, shell, r_core, t_shell, wl in (("Si", "Ag", 60.0, 25.0, 600.0), ("Au", "TiO2", 40.0, 30.0, 700.0)):
        k = 2 * np.pi / wl
        x = np.array([k * r_core, k * (r_core + t_shell)])
        m = np.array([kerker.material(name).refractive_index([wl])[0] for name in (core, shell)])
        *_, s1, s2 = scattnlay(x, m, theta=theta)
        for polarization, s in (("perpendicular", s1), ("parallel", s2)):
            _, _, q = scattering_pattern(core, shell, r_core, t_shell, [wl], theta, polarization=polarization)
            want = 4 * np.abs(s) ** 2 / x[1] ** 2
            np.testing.assert_allclose(q[0, 0], want, rtol=0, atol=1e-7 * want.max())


def test_polarized_patterns_against_miepython():
    """Homogeneous spheres: perpendicular/parallel patterns against miepython's i_per, i_par.

    miepython 3 (S. Prahl) takes m = n - ik, so conj(n) is passed; with norm="qsca" its
    intensities integrate (unpolarized) to q_sca over the sphere, i.e. q_diff = 4 pi i.
    """
    miepython = pytest.importorskip("miepython")
    theta = np.linspace(0, np.pi, 37)
    for name, radius, wl in (("Si", 70.0, 600.0), ("Au", 50.0, 520.0)):
        x = 2 * np.pi * radius / wl
        m = np.conj(kerker.material(name).refractive_index([wl])[0])
        for polarization, theirs in (("perpendicular", miepython.i_per), ("parallel", miepython.i_par)):
            _, _, q = scattering_pattern(name, name, radius, 0.0, [wl], theta, polarization=polarization)
            want = 4 * np.pi * theirs(m, x, np.cos(theta), norm="qsca")
            np.testing.assert_allclose(q[0, 0], want, rtol=0, atol=1e-10 * want.max())


def test_bad_polarization_is_refused():
    with pytest.raises(ValueError, match=r"polarization must be one of .*received 'circular'"):
        scattering_pattern("Si", "SiO2", 50.0, 10.0, [500.0], [0.0], polarization="circular")


def test_multipoles_sum_to_q_sca_for_small_particles():
    q = kerker.efficiencies("SiO2", "SiO2", 10.0, 0.0, WL)
    mp = multipoles("SiO2", "SiO2", 10.0, 0.0, WL, orders=4)
    np.testing.assert_allclose(mp.electric.sum(-1) + mp.magnetic.sum(-1), q.q_sca, rtol=1e-9)


def test_angular_amplitudes_forward_value():
    a, b = mie_coefficients(1.5 + 0.1j, 2.0 + 0j, 0.8, 1.2)
    s1, s2 = angular_amplitudes(a, b, [0.0])
    n = np.arange(1, a.shape[-1] + 1)
    expected = 0.5 * np.sum((2 * n + 1) * (a + b))
    np.testing.assert_allclose([s1[0], s2[0]], [expected, expected], rtol=1e-13)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"core": "Unobtainium"}, ValueError, "Unobtainium"),
        ({"wavelength": [300.0, 500.0], "core": "TiO2"}, ValueError, "outside the data range of TiO2"),
        ({"r_core": 0.0}, ValueError, "r_core must be > 0"),
        ({"r_core": -5.0}, ValueError, "r_core must be > 0"),
        ({"r_core": float("nan")}, ValueError, "r_core must be finite"),
        ({"t_shell": -1.0}, ValueError, "t_shell must be >= 0"),
        ({"wavelength": [0.0]}, ValueError, "wavelength must be > 0"),
        ({"wavelength": [[500.0]]}, ValueError, "wavelength must have at most 1"),
        ({"r_core": [10.0, 20.0], "t_shell": [1.0, 2.0, 3.0]}, ValueError, "must broadcast"),
        ({"core": np.ones(3, complex)}, ValueError, "does not match 2 wavelengths"),
        ({"core": ["Si", "Au", "Ag"]}, ValueError, "one entry per particle"),
        ({"env": -1.0}, ValueError, "env must be"),
        ({"env": 1.0 + 0.1j}, TypeError, "env must be a real"),
        ({"r_core": 10 + 1j}, TypeError, "r_core must be real"),
    ],
)
def test_bad_inputs_raise(kwargs, error, match):
    args = {"core": "Si", "shell": "SiO2", "r_core": 50.0, "t_shell": 10.0, "wavelength": [500.0, 600.0]}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        kerker.efficiencies(**args)


def test_mie_coefficients_validation():
    with pytest.raises(ValueError, match="x_shell must be >= x_core"):
        mie_coefficients(1.5, 1.5, 2.0, 1.0)
    with pytest.raises(ValueError, match="x_core must be > 0"):
        mie_coefficients(1.5, 1.5, 0.0, 1.0)
    with pytest.raises(ValueError, match="m_core must be finite"):
        mie_coefficients(float("nan"), 1.5, 0.5, 1.0)
