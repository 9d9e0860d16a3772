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


def test_energy_balance_and_lossless(rng):
    q = kerker.efficiencies("SiO2", "Si3N4", rng.uniform(1, 100, 20), rng.uniform(1, 100, 20), WL)
    np.testing.assert_allclose(q.q_ext, q.q_sca + q.q_abs, rtol=0, atol=1e-14)
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
