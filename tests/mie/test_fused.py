"""The fused kernel (kerker.mie._fused) against the torch path it replaces, its adjoint,
batch independence, and the fallback (issue 16, item 1; issue 13, batch independence).

The torch path (``KERKER_MIE_KERNEL=torch``) stays the reference: the same physics in
vectorised torch, itself tested against treams, scattnlay, pymiecs, miepython and mpmath
(test_references.py, test_hardening.py). Here the fused kernel must reproduce it to
rounding on the seeded 2,000-particle set, the hard cases and the extreme regimes, and
return the same gradients.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import kerker
from kerker.mie import _blocks, _fused
from kerker.mie._inputs import prepare_inputs
from tests.reference import mie_particles as rp
from tests.reference.mie_hard_cases import HARD_CASES, SIN_ZERO_CASES

pytest.importorskip("numba")

KEYS = rp.KEYS

#: Fused vs torch path, relative to each spectrum's maximum: both are float64 evaluations of
#: the same formulas in a different order (scalar vs vectorised, seed of Miller's
#: recurrence, rotated basis); measured <= 6.6e-14 on 2,000 x 64 (Q_sca, Q_fwd), <= 2.3e-14 on the
#: hard cases and the regimes below.
TOL_VS_TORCH = 2e-13
#: Q_ext and Q_abs are known to a few ulp of their terms, 2 sqrt(Q_fwd) / x (see
#: test_sweep_extended.py), not of themselves where Re(a_1) ~ |a_1|^2 << |a_1|: their
#: deviation is measured relative to the larger of the spectrum maximum and the term size.
CANCELLING = ("q_ext", "q_abs")
#: Gradients, fused adjoint vs autograd through the torch path, relative to each input's
#: largest gradient: measured <= 9.6e-15 (t_shell) on these random particles.
TOL_GRAD = 1e-11


def _flat(*args, **kwargs):
    """Flat kernel inputs (m_core, m_shell, x_core, x_shell, orders) and the (P, W) shape."""
    inp = prepare_inputs(*args, **kwargs)
    flat = [t.reshape(-1).contiguous() for t in (inp.m_core, inp.m_shell, inp.x_core, inp.x_shell, inp.orders)]
    return flat, inp.x_shell.shape


def _both(flat, shape):
    """(torch path, fused) efficiencies, each (5, P, W) NumPy."""
    torch_q = _blocks._coreshell_flat(*flat).reshape(5, *shape).numpy()
    fused_q = _fused.fused_efficiencies(*flat).reshape(5, *shape).numpy()
    return torch_q, fused_q


def _deviation(q, ref, x_shell) -> dict:
    """Max over particles of each efficiency's deviation, relative to its spectrum's max
    (or, for Q_ext and Q_abs, to the term size 2 sqrt(Q_fwd)/x where that is larger)."""
    x = np.asarray(x_shell).reshape(ref.shape[1:])
    terms = (2 * np.sqrt(ref[3]) / x).max(-1, keepdims=True)
    out = {}
    for k, key in enumerate(KEYS):
        scale = np.abs(ref[k]).max(-1, keepdims=True)
        if key in CANCELLING:
            scale = np.maximum(scale, terms)
        out[key] = float(np.max(np.abs(q[k] - ref[k]) / np.where(scale > 0, scale, 1.0)))
    return out


def _assert_close(flat, shape, what):
    ref, q = _both(flat, shape)
    assert np.isfinite(q).all(), what
    dev = _deviation(q, ref, flat[3])
    assert max(dev.values()) <= TOL_VS_TORCH, (what, dev)


def test_random_particles_match_the_torch_path():
    """The seeded 2,000 configurations x 64 wavelengths (all 49 pairs, radii 1-100 nm)."""
    cfg = rp.random_configurations(2000, seed=rp.SEED)
    _assert_close(*_flat(cfg.eps_core, cfg.eps_shell, cfg.r_core, cfg.t_shell, cfg.wavelength), "random")


@pytest.mark.parametrize(("case_id", "core", "shell", "r_core", "t_shell"), HARD_CASES, ids=[c[0] for c in HARD_CASES])
def test_hard_cases_match_the_torch_path(case_id, core, shell, r_core, t_shell):
    _assert_close(*_flat(rp.material(core), rp.material(shell), r_core, t_shell, rp.WAVELENGTH), case_id)


@pytest.mark.parametrize(("case_id", "m_core", "m_shell", "x_core", "x_shell"), SIN_ZERO_CASES, ids=[c[0] for c in SIN_ZERO_CASES])
def test_lossless_layers_at_sin_zeros_match_the_torch_path(case_id, m_core, m_shell, x_core, x_shell):
    """Relative indices and size parameters as given: wavelength 2 pi nm, so k = 1 / nm."""
    eps = (np.array([m_core**2]), np.array([m_shell**2]))
    _assert_close(*_flat(*eps, x_core, x_shell - x_core, np.array([2 * math.pi])), case_id)


#: Regimes of the exponent-carrying path and the range limits (materials, radii in nm).
REGIMES = {
    "1e-3 nm core under a 1 um shell": ("SiO2", "Si", 1e-3, 1000.0),
    "1e-30 nm Ag core under 50 nm Au": ("Ag", "Au", 1e-30, 50.0),
    "1e-300 nm Si core under 50 nm Au": ("Si", "Au", 1e-300, 50.0),
    "0.01 nm Au sphere": ("Au", "Au", 0.01, 0.0),
    "1 um + 1 um Si": ("Si", "Si", 1000.0, 1000.0),
    "500 nm Au core, 500 nm Ag shell": ("Au", "Ag", 500.0, 500.0),
    "homogeneous 80 nm Si (t_shell = 0)": ("Si", "Si", 80.0, 0.0),
}


@pytest.mark.parametrize("regime", list(REGIMES))
def test_extreme_regimes_match_the_torch_path(regime):
    core, shell, r_core, t_shell = REGIMES[regime]
    _assert_close(*_flat(rp.material(core), rp.material(shell), r_core, t_shell, rp.WAVELENGTH[::4]), regime)


def test_high_contrast_homogeneous_spheres_match_the_torch_path(rng):
    """|m| 1.5-100 at any loss angle, optical size |m| x 0.01-2000 (the sweep's spheres)."""
    modulus = 10 ** rng.uniform(math.log10(1.5), 2, 300)
    m = modulus * np.exp(1j * rng.uniform(0, math.pi / 2, 300))
    radius = 10 ** rng.uniform(-2, math.log10(2000), 300) / modulus
    eps = (m**2)[:, None]
    _assert_close(*_flat(eps, eps, radius, 0.0, np.array([2 * math.pi])), "homogeneous")


def test_fixed_n_max_matches_the_torch_path():
    _assert_close(*_flat("Si", "Ag", [30.0, 75.0], [5.0, 20.0], rp.WAVELENGTH[::8], n_max=40), "n_max = 40")


def test_exponent_path_equals_the_plain_path_where_both_apply():
    """Forcing every element onto the exponent-carrying path changes no bit: its mantissas
    differ from the plain values by exact powers of two only."""
    cfg = rp.random_configurations(200, seed=rp.SEED + 7)
    flat, _ = _flat(cfg.eps_core, cfg.eps_shell, cfg.r_core, cfg.t_shell, cfg.wavelength)
    arrays = [t.numpy() for t in flat]
    plain, plain_jac = _fused.run_kernel(*arrays, True)
    exact, exact_jac = _fused.run_kernel(*arrays, True, exact_only=True)
    np.testing.assert_array_equal(plain, exact)
    np.testing.assert_array_equal(plain_jac, exact_jac)


# --------------------------------------------------------------------------------------
# Batch independence (issue 13): every element is computed by the same scalar code.


def _mixed_batch(rng):
    """~1,100 points mixing the plain path, the exponent path, lossless and metal layers."""
    cfg = rp.random_configurations(98, seed=rp.SEED + 3)
    parts = [_flat(cfg.eps_core[:, ::8], cfg.eps_shell[:, ::8], cfg.r_core, cfg.t_shell, cfg.wavelength[::8])[0]]
    parts.append(_flat(rp.material("Si3N4"), rp.material("SiO2"), 0.3652, 0.8212, np.array([529.357]), env=1.5)[0])
    parts.append(_flat(rp.material("SiO2"), rp.material("Si"), [1e-3, 1e-30], [1000.0, 50.0], rp.WAVELENGTH[::16])[0])
    parts.append(_flat(rp.material("Au"), rp.material("Ag"), [500.0, 0.01], [500.0, 0.0], rp.WAVELENGTH[::16])[0])
    flat = [torch.cat([p[i] for p in parts]) for i in range(5)]
    perm = torch.as_tensor(rng.permutation(flat[0].shape[0]))
    return [t[perm] for t in flat]


def test_each_element_equals_itself_alone_in_any_batch(rng):
    flat = _mixed_batch(rng)
    b = flat[0].shape[0]
    whole = _fused.fused_efficiencies(*flat).numpy()
    for i in rng.choice(b, 40, replace=False):  # alone
        alone = _fused.fused_efficiencies(*[t[i : i + 1] for t in flat]).numpy()
        np.testing.assert_array_equal(alone[:, 0], whole[:, i])
    for size in (2, 7, 300, 777):  # in other company, in another order (>= 256: threaded)
        idx = torch.as_tensor(rng.choice(b, size, replace=False))
        part = _fused.fused_efficiencies(*[t[idx] for t in flat]).numpy()
        np.testing.assert_array_equal(part, whole[:, idx.numpy()])


def test_thread_count_changes_no_bit(rng):
    flat = _mixed_batch(rng)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = _fused.fused_efficiencies(*flat).numpy()
        torch.set_num_threads(3)
        three = _fused.fused_efficiencies(*flat).numpy()
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(one, three)


def _q_fwd_of_mixed_batch(seed: int):
    return _fused.fused_efficiencies(*_mixed_batch(np.random.default_rng(seed))).numpy()


def test_forked_child_computes_the_same_numbers():
    """After fork the child has none of the parent's pool threads: it starts its own."""
    import multiprocessing
    import warnings
    from concurrent.futures import ProcessPoolExecutor

    parent = _q_fwd_of_mixed_batch(7)  # the parent's pool exists now (>= 256 points)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python >= 3.12: fork of a threaded process
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            child = pool.submit(_q_fwd_of_mixed_batch, 7).result(timeout=120)
    np.testing.assert_array_equal(child, parent)


def test_gradient_mode_returns_the_same_values(rng):
    """The Jacobian pass computes each coefficient by the same operations as the forward."""
    flat = _mixed_batch(rng)
    plain = _fused.fused_efficiencies(*flat).numpy()
    inputs = [t.clone().requires_grad_(True) for t in flat[:4]]
    with_grad = _fused.fused_efficiencies(*inputs, flat[4]).detach().numpy()
    np.testing.assert_array_equal(plain, with_grad)


# --------------------------------------------------------------------------------------
# The adjoint


def _stack(res) -> torch.Tensor:
    return torch.stack([getattr(res, k) for k in KEYS])


def _leaf(values, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(values, dtype=dtype, requires_grad=True)


def test_gradcheck_every_input():
    """Complex permittivities (Wirtinger), radii, wavelength and medium through the fused adjoint."""
    eps_core = _leaf([[16.0 + 0.4j, 14.1 + 0.05j], [-5.0 + 0.3j, -12.0 + 0.4j], [2.1 + 0.0j, 2.12 + 0.0j]], torch.complex128)
    eps_shell = _leaf([[2.1 + 0.0j, 2.12 + 0.0j], [-2.5 + 5.0j, -11.0 + 1.2j], [16.0 + 0.4j, 14.1 + 0.05j]], torch.complex128)

    def f(eps_c, eps_s, r_core, t_shell, wavelength, env):
        return _stack(kerker.efficiencies(eps_c, eps_s, r_core, t_shell, wavelength, env))

    inputs = (eps_core, eps_shell, _leaf([40.0, 30.0, 12.0]), _leaf([20.0, 5.0, 2.0]), _leaf([450.0, 700.0]), _leaf(1.33))
    assert torch.autograd.gradcheck(f, inputs)


def test_gradcheck_on_the_exponent_path():
    """A 1e-3 nm core under a 300 nm shell and a 0.01 nm sphere: exponents in every function."""
    mat = (rp.material("SiO2"), rp.material("Si"))

    def f(t_shell, wavelength):
        return _stack(kerker.efficiencies(*mat, torch.tensor([1e-3, 0.01], dtype=torch.float64), t_shell, wavelength))

    assert torch.autograd.gradcheck(f, (_leaf([300.0, 0.02]), _leaf([500.0, 640.0])))


def _gradients(kernel: str, monkeypatch, cfg, wl):
    monkeypatch.setenv("KERKER_MIE_KERNEL", kernel)
    eps_c = torch.tensor(cfg.eps_core[:, ::8], requires_grad=True)
    eps_s = torch.tensor(cfg.eps_shell[:, ::8], requires_grad=True)
    r_core = torch.tensor(cfg.r_core, requires_grad=True)
    t_shell = torch.tensor(cfg.t_shell, requires_grad=True)
    wavelength = torch.tensor(wl, requires_grad=True)
    env = torch.tensor(1.2, dtype=torch.float64, requires_grad=True)
    leaves = (eps_c, eps_s, r_core, t_shell, wavelength, env)
    q = _stack(kerker.efficiencies(*leaves))
    weights = torch.as_tensor(np.random.default_rng(5).normal(size=tuple(q.shape)))
    (q * weights).sum().backward()
    return q.detach(), [t.grad for t in leaves]


def test_gradients_match_autograd_through_the_torch_path(monkeypatch):
    """Every input of 196 random particles x 8 wavelengths, all five outputs weighted."""
    cfg = rp.random_configurations(196, seed=rp.SEED + 11)
    wl = cfg.wavelength[::8]
    q_torch, g_torch = _gradients("torch", monkeypatch, cfg, wl)
    q_fused, g_fused = _gradients("fused", monkeypatch, cfg, wl)
    torch.testing.assert_close(q_fused, q_torch, rtol=1e-12, atol=1e-14)
    for name, a, b in zip(("eps_core", "eps_shell", "r_core", "t_shell", "wavelength", "env"), g_fused, g_torch):
        err = float((a - b).abs().max() / b.abs().max())
        assert err <= TOL_GRAD, (name, err)


def test_gradient_memory_is_the_jacobian():
    """Autograd keeps the (B, 30) Jacobian and the kernel's inputs: 240 + 56 bytes per point
    (measured 296), nothing per order."""
    r_core = _leaf(np.random.default_rng(1).uniform(1, 100, 4000))
    saved = []

    def pack(t):
        saved.append(t.numel() * t.element_size())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        q = kerker.efficiencies("Si", "Ag", r_core, 20.0, [600.0]).q_fwd
    q.sum().backward()
    assert sum(saved) / 4000 <= 320
    assert torch.isfinite(r_core.grad).all()


def test_second_derivatives_go_through_the_torch_path(monkeypatch):
    """create_graph=True: the backward differentiates the torch path, so Hessians are exact."""
    def hessian(kernel):
        monkeypatch.setenv("KERKER_MIE_KERNEL", kernel)
        r_core, t_shell = _leaf([40.0, 70.0]), _leaf([10.0, 3.0])
        q = kerker.efficiencies("Si", "Ag", r_core, t_shell, [500.0, 600.0])
        grad = torch.cat(torch.autograd.grad(q.q_fwd.sum() + q.q_back.sum(), (r_core, t_shell), create_graph=True))
        rows = [torch.cat(torch.autograd.grad(g, (r_core, t_shell), retain_graph=True)) for g in grad]
        return grad.detach(), torch.stack(rows)

    grad_fused, hess_fused = hessian("fused")
    grad_torch, hess_torch = hessian("torch")
    torch.testing.assert_close(grad_fused, grad_torch, rtol=1e-11, atol=0.0)
    torch.testing.assert_close(hess_fused, hess_torch, rtol=1e-12, atol=0.0)
    assert float(hess_fused.abs().max()) > 0


# --------------------------------------------------------------------------------------
# Selection and fallback


def test_torch_kernel_is_selectable(monkeypatch):
    """KERKER_MIE_KERNEL=torch never enters the fused kernel and gives the torch path's numbers."""
    def refuse(*args, **kwargs):
        raise AssertionError("the fused kernel ran")

    cfg = rp.random_configurations(49, seed=rp.SEED + 5)
    args = (cfg.eps_core, cfg.eps_shell, cfg.r_core, cfg.t_shell, cfg.wavelength)
    fused = kerker.efficiencies(*args)
    monkeypatch.setenv("KERKER_MIE_KERNEL", "torch")
    monkeypatch.setattr(_fused, "run_kernel", refuse)
    assert _fused.selected_kernel() == "torch"
    res = kerker.efficiencies(*args)
    flat, shape = _flat(*args)
    ref = _blocks._coreshell_flat(*flat).reshape(5, *shape).numpy()
    for k, key in enumerate(KEYS):
        np.testing.assert_array_equal(getattr(res, key), ref[k])
    dev = _deviation(np.stack([getattr(fused, key) for key in KEYS]), ref, flat[3])
    assert max(dev.values()) <= TOL_VS_TORCH, dev


def test_without_numba_auto_falls_back_and_fused_raises(monkeypatch):
    monkeypatch.setattr(_fused, "_state", {"error": "the fused Mie kernel needs numba (simulated)"})
    monkeypatch.setenv("KERKER_MIE_KERNEL", "auto")
    assert _fused.selected_kernel() == "torch"
    q = kerker.efficiencies("Si", "SiO2", 60.0, 20.0, [600.0])
    assert np.isfinite(q.q_fwd).all()
    monkeypatch.setenv("KERKER_MIE_KERNEL", "fused")
    with pytest.raises(ImportError, match="numba"):
        kerker.efficiencies("Si", "SiO2", 60.0, 20.0, [600.0])


def test_unknown_kernel_name_is_refused(monkeypatch):
    monkeypatch.setenv("KERKER_MIE_KERNEL", "cuda")
    with pytest.raises(ValueError, match="KERKER_MIE_KERNEL must be one of"):
        kerker.efficiencies("Si", "SiO2", 60.0, 20.0, [600.0])
