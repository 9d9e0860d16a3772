"""Riccati-Bessel functions against scipy's spherical Bessel functions (independent AMOS code)."""

import mpmath
import numpy as np
import pytest
import scipy.special as sp
import torch

from kerker.mie import special
from kerker.mie.special import miller_start, n_max_wiscombe, riccati_psi, riccati_zeta


def _scipy_reference(z, n_max):
    n = np.arange(n_max + 1)
    zz = z[None, :]
    nn = n[:, None]
    j, dj = sp.spherical_jn(nn, zz), sp.spherical_jn(nn, zz, derivative=True)
    y, dy = sp.spherical_yn(nn, zz), sp.spherical_yn(nn, zz, derivative=True)
    psi, dpsi = zz * j, j + zz * dj
    zeta, dzeta = zz * (j + 1j * y), (j + 1j * y) + zz * (dj + 1j * dy)
    return psi, dpsi, zeta, dzeta


@pytest.fixture
def arguments(rng):
    # moduli up to 25 and arguments up to ~80 deg: lossless to strongly absorbing layers,
    # plus the lossless zeros of psi_0 (k pi) and tiny arguments.
    z = rng.uniform(0.01, 25, 300) * np.exp(1j * rng.uniform(0, 1.4, 300))
    extra = np.array([np.pi, 2 * np.pi, 3 * np.pi, 4.493409457909064, 0.01, 1e-4, 0.3 + 3j])
    return np.concatenate([z, extra]).astype(complex)


def test_psi_matches_scipy(arguments):
    n_max = 30
    psi, dpsi = riccati_psi(torch.tensor(arguments), n_max)
    ref_psi, ref_dpsi, _, _ = _scipy_reference(arguments, n_max)
    # our psi carries e^{i s z} with s = sign(Im z) (modulus e^{-|Im z|})
    scale = np.exp(1j * np.where(arguments.imag >= 0, 1, -1) * arguments)[None, :]
    for ours, ref in ((psi.numpy(), ref_psi * scale), (dpsi.numpy(), ref_dpsi * scale)):
        # error relative to the local envelope (psi has real zeros, where pointwise
        # relative error is meaningless); scipy itself is accurate to ~1e-14 here.
        mag = np.abs(ref)
        envelope = mag.copy()
        envelope[1:] = np.maximum(envelope[1:], mag[:-1])
        envelope[:-1] = np.maximum(envelope[:-1], mag[1:])
        envelope = np.maximum(envelope, 1e-300)
        assert np.max(np.abs(ours - ref) / envelope) < 1e-11


def _zeta_closed_form(n, z):
    """zeta_n(z) e^{-iz} = (-i)^(n+1) sum_k i^k (n+k)! / (k! (n-k)!) (2z)^-k (exact, finite), in mpmath."""
    z = mpmath.mpc(z)
    total = mpmath.mpc(0)
    for k in range(n + 1):
        total += (1j) ** k * mpmath.factorial(n + k) / (mpmath.factorial(k) * mpmath.factorial(n - k)) / (2 * z) ** k
    return (-1j) ** (n + 1) * total


def test_zeta_matches_closed_form(arguments):
    # scipy's complex spherical_yn loses accuracy for Im z >~ 5, so the reference is the
    # terminating series of h_n^(1) evaluated at 40 digits.
    mpmath.mp.dps = 40
    z = arguments[::7]
    n_max = 20
    zeta, dzeta = riccati_zeta(torch.tensor(z), n_max)
    ref = np.array([[complex(_zeta_closed_form(n, zi)) for zi in z] for n in range(n_max + 1)])
    n = np.arange(1, n_max + 1)[:, None]
    ref_d = ref[:-1] - n / z[None, :] * ref[1:]  # zeta_n' = zeta_{n-1} - n zeta_n / z (then scaled)
    assert np.max(np.abs(zeta.numpy() - ref) / np.abs(ref)) < 1e-12
    assert np.max(np.abs(dzeta.numpy()[1:] - ref_d) / np.abs(ref_d)) < 1e-11


def test_wronskian_identity(arguments):
    # psi_n zeta_n' - psi_n' zeta_n = i for every n and z (BH eq. 4.64 form): an invariant
    # that ties the backward and forward recurrences together, scale factors included.
    n_max = 25
    z = torch.tensor(arguments)
    psi, dpsi = riccati_psi(z, n_max)
    zeta, dzeta = riccati_zeta(z, n_max)
    s = torch.where(z.imag >= 0, 1.0, -1.0)
    unscale = torch.exp(-1j * s * z) * torch.exp(1j * z)  # undo e^{isz} and e^{-iz}
    w = (psi * dzeta - dpsi * zeta) * unscale
    mag = (psi.abs() * dzeta.abs() + dpsi.abs() * zeta.abs()) * unscale.abs()
    assert torch.max((w - 1j).abs() / torch.clamp(mag, min=1.0)) < 1e-12


def test_analytic_backward_matches_finite_differences():
    # Strictly inside the upper half-plane: the scale factor of psi switches with the
    # sign of Im z (the Mie coefficients built from it do not; see test_gradients).
    z = torch.tensor([0.7 + 0.2j, 3.0 + 0.05j, 9.4 + 1.5j], dtype=torch.complex128, requires_grad=True)

    def f(z):
        psi, dpsi = riccati_psi(z, 8)
        zeta, dzeta = riccati_zeta(z, 8)
        return psi, dpsi, zeta, dzeta

    assert torch.autograd.gradcheck(f, (z,), eps=1e-7, atol=1e-7, rtol=1e-6)


def test_truncation_rules():
    assert n_max_wiscombe(1.0) == 10  # ceil(1 + 4 + 2) + 3
    assert miller_start(10, 30.0) >= 30 + 15
    # below |z| = n_max / 2 the start follows the decay bound: fewer orders for smaller |z|
    assert miller_start(40, 1.0) < miller_start(40, 10.0) < miller_start(40, 20.0) <= 40 + 22
    assert miller_start(40, 1.0) > 40


@pytest.mark.parametrize("n_max", [2, 4, 8, 12, 16, 24, 40, 80, 160])
def test_miller_start_small_arguments_converged(rng, n_max):
    """For |z| <= n_max / 2 Miller's recurrence starts e^-44 (decay bound) above n_max: its
    psi_n, psi_n' equal those of a start 80 orders higher to rounding (at 20 e-folds this
    fails, 9e-13), for lossless to strongly absorbing arguments, down to |z| = 1e-8."""
    a = np.concatenate([rng.uniform(0, n_max / 2, 300), [n_max / 2, 1e-3, 1e-8]])
    z = torch.tensor(a * np.exp(1j * rng.uniform(0, 1.5707, a.size)))
    ours = riccati_psi(z, n_max)
    starts = special._miller_starts
    try:
        special._miller_starts = lambda abs_z, n: starts(abs_z, n) + 80
        far = riccati_psi(z, n_max)
    finally:
        special._miller_starts = starts
    for o, r in zip(ours, far):
        mag = np.abs(r.numpy())
        envelope = mag.copy()
        envelope[1:] = np.maximum(envelope[1:], mag[:-1])
        envelope[:-1] = np.maximum(envelope[:-1], mag[1:])
        assert np.max(np.abs(o.numpy() - r.numpy()) / np.maximum(envelope, 1e-300)) < 1e-14


def test_miller_start_scalar_equals_vectorised(rng):
    """The fused kernel's scalar start order equals the torch path's, element by element."""
    abs_z = torch.tensor(np.concatenate([rng.uniform(0, 100, 5000), rng.uniform(0, 1, 500), [0.5, 1.0, 6.0]]))
    for n_max in (1, 2, 5, 12, 16, 33, 80):
        vector = special._miller_starts(abs_z, n_max).numpy()
        assert vector.tolist() == [miller_start(n_max, float(a)) for a in abs_z]
