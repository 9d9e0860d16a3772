"""Gradients of kerker.efficiencies: torch.autograd.gradcheck in float64, and autograd vs
central finite differences of the NumPy path (Q_fwd, Q_back w.r.t. radii)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerker
from tests.reference import mie_particles as rp

KEYS = rp.KEYS


def _stack(res) -> torch.Tensor:
    """The five efficiencies as one (5, P, W) tensor, so gradcheck sees every output."""
    return torch.stack([getattr(res, k) for k in KEYS])


def _t(values, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, requires_grad=True)


# gradcheck compares autograd with its own central differences (eps = 1e-6) at
# atol = 1e-5, rtol = 1e-3 by default; the efficiencies are O(0.01-10) and smooth, so the
# defaults hold.  Each case is a small batch of 2 particles x 3 wavelengths.


@pytest.mark.parametrize(
    ("core", "shell"), [("Si", "SiO2"), ("SiO2", "Ag"), ("Au", "TiO2")], ids=["Si/SiO2", "SiO2/Ag", "Au/TiO2"]
)
def test_gradcheck_radii_and_wavelength(core, shell):
    """d/d(r_core, t_shell, wavelength) through the material interpolation (PCHIP)."""
    mat_core, mat_shell = rp.material(core), rp.material(shell)

    def f(r_core, t_shell, wavelength):
        return _stack(kerker.efficiencies(mat_core, mat_shell, r_core, t_shell, wavelength))

    inputs = (_t([35.0, 80.0]), _t([3.0, 45.0]), _t([452.3, 571.9, 733.1]))
    assert torch.autograd.gradcheck(f, inputs)


def test_gradcheck_complex_permittivities():
    """d/d(eps_core, eps_shell) for complex (P, W) permittivity inputs (Wirtinger calculus)."""
    eps_core = _t([[16.0 + 0.4j, 15.2 + 0.2j, 14.1 + 0.05j], [-5.0 + 0.3j, -8.2 + 0.3j, -12.0 + 0.4j]], torch.complex128)
    eps_shell = _t([[2.1 + 0.0j, 2.11 + 0.0j, 2.12 + 0.0j], [-2.5 + 5.0j, -4.0 + 2.5j, -11.0 + 1.2j]], torch.complex128)
    r_core = torch.tensor([40.0, 30.0], dtype=torch.float64)
    t_shell = torch.tensor([20.0, 5.0], dtype=torch.float64)
    wavelength = torch.tensor([450.0, 550.0, 700.0], dtype=torch.float64)

    def f(eps_c, eps_s):
        return _stack(kerker.efficiencies(eps_c, eps_s, r_core, t_shell, wavelength))

    assert torch.autograd.gradcheck(f, (eps_core, eps_shell))


def test_gradcheck_all_real_inputs_with_permittivity_arrays():
    """Radii and wavelength together when the optical constants are given as arrays."""
    eps_core = torch.tensor([16.0 + 0.4j, 15.2 + 0.2j], dtype=torch.complex128)
    eps_shell = torch.tensor([2.1 + 0.0j, 2.11 + 0.0j], dtype=torch.complex128)

    def f(r_core, t_shell, wavelength):
        return _stack(kerker.efficiencies(eps_core, eps_shell, r_core, t_shell, wavelength))

    assert torch.autograd.gradcheck(f, (_t([60.0, 20.0]), _t([10.0, 70.0]), _t([480.0, 650.0])))


def test_gradcheck_environment_index():
    """The medium index env enters k = 2 pi env / lambda and the relative indices."""
    eps_core = torch.tensor([16.0 + 0.4j, 15.2 + 0.2j], dtype=torch.complex128)
    eps_shell = torch.tensor([2.1 + 0.0j, 2.11 + 0.0j], dtype=torch.complex128)
    r_core = torch.tensor([60.0], dtype=torch.float64)
    t_shell = torch.tensor([15.0], dtype=torch.float64)
    wavelength = torch.tensor([480.0, 650.0], dtype=torch.float64)

    def f(env):
        return _stack(kerker.efficiencies(eps_core, eps_shell, r_core, t_shell, wavelength, env=env))

    assert torch.autograd.gradcheck(f, (_t(1.33),))


# --------------------------------------------------------------------------------------
# Autograd (torch path) vs central differences of the NumPy path, on random particles


#: Central differences with step h (nm) have truncation error ~ h^2 f''' / 6 and rounding
#: error ~ 1e-16 |f| / h.  Measured on these particles the truncation error scales as h^2
#: (worst: an Ag core under an 84-nm Si shell, whose summed Q_fwd has a small slope but
#: strong curvature: 8e-4 at h = 1e-2, 8e-6 at 1e-3, 8e-8 at 1e-4 relative), so
#: h = 1e-4 nm with rtol = 1e-5 leaves a ~100x margin while any real gradient bug is O(1).
H_NM = 1e-4
RTOL_FD = 1e-5


@pytest.fixture(scope="module")
def particles():
    return rp.random_configurations(49, seed=rp.SEED + 1)  # every material pair once


@pytest.mark.parametrize("target", ["q_fwd", "q_back"])
@pytest.mark.parametrize("radius", ["r_core", "t_shell"])
def test_autograd_matches_finite_differences(particles, target, radius):
    cfg = particles
    wl = cfg.wavelength[::8]
    eps_c, eps_s = cfg.eps_core[:, ::8], cfg.eps_shell[:, ::8]
    r_core = torch.tensor(cfg.r_core, requires_grad=True)
    t_shell = torch.tensor(cfg.t_shell, requires_grad=True)
    res = kerker.efficiencies(
        torch.as_tensor(eps_c), torch.as_tensor(eps_s), r_core, t_shell, torch.as_tensor(wl)
    )
    getattr(res, target).sum().backward()
    grad = (r_core if radius == "r_core" else t_shell).grad.numpy()

    def q(shift):
        rc, ts = cfg.r_core.copy(), cfg.t_shell.copy()
        if radius == "r_core":
            rc = rc + shift
        else:
            ts = ts + shift
        return np.asarray(getattr(kerker.efficiencies(eps_c, eps_s, rc, ts, wl), target)).sum(axis=-1)

    fd = (q(H_NM) - q(-H_NM)) / (2 * H_NM)
    # per particle, relative to the gradient's size, with an absolute floor for particles
    # whose summed target barely depends on the radius (scale: the target itself / 1 nm)
    scale = np.maximum(np.abs(fd), 1e-6 * np.abs(q(0.0)))
    err = np.abs(grad - fd) / scale
    worst = int(np.argmax(err))
    assert err[worst] <= RTOL_FD, (
        f"d{target}/d{radius}: autograd {grad[worst]!r} vs central difference {fd[worst]!r} "
        f"for {cfg.core[worst]}/{cfg.shell[worst]} r_core={cfg.r_core[worst]!r} t_shell={cfg.t_shell[worst]!r}"
    )


@pytest.mark.parametrize(("core", "shell", "r_core", "t_shell"), [("SiO2", "Ag", 100.0, 1.0), ("Si", "Au", 100.0, 1.5)])
def test_thin_metal_shell_gradients_match_finite_differences(core, shell, r_core, t_shell):
    """Hard case: 1-nm metal shells, where the spectra change fastest with thickness."""
    wl = rp.WAVELENGTH[::8]
    mat_c, mat_s = rp.material(core), rp.material(shell)
    r = torch.tensor([r_core], dtype=torch.float64, requires_grad=True)
    t = torch.tensor([t_shell], dtype=torch.float64, requires_grad=True)
    res = kerker.efficiencies(mat_c, mat_s, r, t, torch.as_tensor(wl))
    (res.q_fwd.sum() + res.q_back.sum()).backward()

    def q(dr, dt):
        out = kerker.efficiencies(mat_c, mat_s, np.array([r_core + dr]), np.array([t_shell + dt]), wl)
        return float(np.sum(out.q_fwd) + np.sum(out.q_back))

    fd_r = (q(H_NM, 0) - q(-H_NM, 0)) / (2 * H_NM)
    fd_t = (q(0, H_NM) - q(0, -H_NM)) / (2 * H_NM)
    np.testing.assert_allclose(r.grad.item(), fd_r, rtol=RTOL_FD)
    np.testing.assert_allclose(t.grad.item(), fd_t, rtol=RTOL_FD)
