"""Electric and magnetic near fields inside and outside layered spheres under plane-wave illumination.

Illumination and normalisation
------------------------------
The incident wave travels along +z, polarised along x, with unit amplitude in the embedding
medium: ``E_inc = x_hat exp(i k z)``, ``k = 2 pi n_env / wavelength``, time dependence
``exp(-i omega t)``. The magnetic field is returned as ``h = Z_env H`` (``Z_env = Z_0 / n_env``
the medium's impedance, non-magnetic materials), so that ``h_inc = y_hat exp(i k z)`` and
``|h| = |E|`` for the plane wave. Both are relative to the incident amplitude: ``|E|^2`` is
the intensity enhancement ``|E|^2 / |E_0|^2``.

Expansion (Bohren & Huffman 1983, ch. 4.4 and 8.1)
--------------------------------------------------
In layer ``l`` (relative index ``m_l``, ``rho = m_l k r``) the field is
``E = sum_n E_n [M_o1n(R_TE) - i N_e1n(R_TM)]``, ``h = -m_l sum_n E_n [M_e1n(R_TM) + i N_o1n(R_TE)]``
with ``E_n = i^n (2n+1) / (n(n+1))`` and the vector spherical harmonics of BH eq. 4.50 whose
radial functions are ``z_n = R / rho``, ``[rho z_n]' = R'``. Each radial function is a
Riccati-Bessel combination ``R = P psi_n(rho) + Q zeta_n(rho)`` (``zeta_n = rho h_n^(1)``):
``(P, Q) = (1, -b_n)`` (TE) and ``(1, -a_n)`` (TM) outside (BH eqs. 4.45, 4.53), ``Q = 0`` in
the core. Tangential E and h are continuous at ``r_l`` when ``(R/m, R')`` (TE) and
``(R, R'/m)`` (TM) are, the conditions of BH §8.1 and of the layer recursions of Yang,
Appl. Opt. 42, 1710 (2003) and Peña & Pal, Comput. Phys. Commun. 180, 2348 (2009).

Layer coefficients: a forward (inside-out) recursion
----------------------------------------------------
From the regular core solution (``P = 1, Q = 0``) each interface maps ``(R, R')`` of the inner
layer onto the next layer's ``(P, Q)`` by the Wronskian ``psi zeta' - psi' zeta = i``:
``P = -i (R zeta' - R' zeta)``, ``Q = i (R psi' - R' psi)``; no logarithmic derivative (poles at
the real zeros of ``psi_n`` in lossless layers) is formed. Outside this yields the incident
amplitude, by which every layer is divided. The scattered field outside uses the library's
``a_n, b_n`` (the kernel of :func:`kerker.mie.layered_coefficients`, the numbers of the far-field
observables); the recursion's own agree with them to rounding (tested). Outside in would be
unstable: splitting a field given at an outer radius into ``psi`` and ``zeta`` parts leaves an
absolute error ``eps |R psi|`` in the ``zeta`` part, which grows inward like ``|zeta_n|`` -- by up
to ``(x_out / x_in)^{2n+1}`` for evanescent orders and ``e^{2 Im m Delta x}`` through absorbers.
Inside out, ``psi`` is the dominant solution in both regimes (it grows outward) and the rounding
errors go into ``zeta``, which decays outward: stable for lossless and absorbing layers alike.

Scaling: in layer ``l`` the basis is ``psi_n / N_psi`` and ``zeta_n / N_zeta``, ``N_psi`` the scale
of ``(psi_n, psi_n')`` at the layer's outer radius and ``N_zeta`` that of ``zeta_n`` at its inner
radius (the ``exp(-|Im z|)``, ``exp(-i z)`` scalings and power-of-two exponents of
:mod:`kerker.mie.special`), so both are at most of order 1 inside the layer. Each coefficient
carries a complex mantissa and its own integer power of two, so thick absorbers and cores down
to 1e-250 nm can neither overflow nor lose the dipole field around them.

Points
------
A point at radius ``r`` belongs to layer ``l`` when ``r_{l-1} < r <= r_l``: a point exactly on
an interface takes the *inner* layer's expansion (tangential fields agree; the normal E jumps
by the permittivity ratio). At the origin (``|m_1 k r| < 1e-100``) the series is replaced by its
limit (only the ``n = 1`` TM term survives: ``E(0) = d_1 x_hat``, BH's ``d_1``). Outside the particle
the incident field is the closed form ``x_hat exp(ikz)``, so far points need no more orders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from kerker.mie._inputs import MAX_SIZE, _as_real, _is_torch, check_env, check_n_max, to_output
from kerker.mie._memory import check_memory
from kerker.mie.layered import _check_layer_sizes, _check_radii, _fill_empty_core, _layers, _relative_indices
from kerker.mie.layers import layer_coefficients_orders_first
from kerker.mie._range import _binary_exponent, _ldexp, _max_abs, _normalise_rows, _pow2
from kerker.mie.special import riccati_psi, riccati_zeta

__all__ = ["NearField", "NearFieldXZ", "near_field", "near_field_n_max", "near_field_xz"]

_ORIGIN = 1e-100  # |m_1 k r| below this: the limit at the origin (relative error ~1e-100)
_CHUNK_ROWS = 2**18  # elements x orders per chunk of points (bounds the working set, ~350 MB)
_BYTES_PER_ROW = 1400  # peak working set per element and order of a chunk (measured ~1.3 KB)
_LOG2E = 1.0 / math.log(2.0)
_FIELDS = ("total", "scattered")


@dataclass(frozen=True)
class NearField:
    """Fields of P particles at W wavelengths at N points.

    Attributes
    ----------
    e, h : complex array or tensor, shape (P, W, N, 3)
        Cartesian components (x, y, z) of ``E`` and of ``h = Z_env H``, relative to the
        incident amplitude (``E_inc = x_hat exp(ikz)``, ``h_inc = y_hat exp(ikz)``).
    points : float array, shape (N, 3)
        The points in nm (particle centre at the origin).
    layer : int array, shape (P, N)
        Region of each point: 0 the core, ..., L - 1 the outermost layer, L the medium.
    wavelength : float array, shape (W,)
        Vacuum wavelengths in nm.
    radii : float array, shape (P, L)
        Outer radius of each layer in nm.
    n_max : int
        Number of multipole orders summed.
    """

    e: object
    h: object
    points: object
    layer: object
    wavelength: object
    radii: object
    n_max: int


@dataclass(frozen=True)
class NearFieldXZ:
    """``|E|^2 / |E_0|^2`` on a grid of the xz plane (y = 0), the plane of E_inc and k.

    Attributes
    ----------
    x, z : float array, shape (M,) and (K,)
        Grid coordinates in nm.
    intensity : float array, shape (P, W, K, M)
        ``|E|^2`` at ``(x[j], 0, z[i])`` in ``intensity[p, w, i, j]``.
    layer : int array, shape (P, K, M)
        Region of each grid point (as :attr:`NearField.layer`).
    wavelength, radii, n_max
        As in :class:`NearField`.
    """

    x: object
    z: object
    intensity: object
    layer: object
    wavelength: object
    radii: object
    n_max: int


def near_field_n_max(x_outer: float) -> int:
    """Default number of orders for near fields at outer size parameter ``x_outer``.

    Near-field terms decay like ``psi_n(x)`` (``a_n`` like its square), so they need more
    orders than the cross sections: ``ceil(x + 4.05 x^(1/3) + 2) + 14`` (Wiscombe + 14) keeps
    the truncation error at the surface below 1e-12 of the largest field (measured for
    x = 0.2 .. 31 against 40 more orders; Wiscombe + 3 leaves up to 4e-8).
    """
    return int(math.ceil(x_outer + 4.05 * x_outer ** (1.0 / 3.0) + 2.0)) + 14


def _functions(kind: str, z: torch.Tensor, n: int):
    """Orders 1..n of ``psi`` or ``zeta`` at ``z`` (K,): mantissas (K, n), derivative mantissas, exponents."""
    f, df, e = (riccati_psi if kind == "psi" else riccati_zeta)(z, n, exponents=True)
    if e is None:
        f, df, e = _normalise_rows(f, df, None)
    return f[1:].T, df[1:].T, e[1:].T


def _layer_expansion(m: torch.Tensor, x: torch.Tensor, n: int):
    """Forward recursion through the layers (see the module docstring).

    Parameters: ``m`` (B, L) complex relative indices, ``x`` (B, L) size parameters of the outer
    radii. Returns ``alpha, beta`` (B, L, n, 2) mantissas of the psi and zeta coefficients of
    each layer in its scaled basis, their exponents ``ex`` (B, L, n, 2, 2) (last axis: psi, zeta), the references
    ``e_psi`` (exponent of psi at the outer radius, (B, L, n)), ``e_zeta`` (of zeta at the
    inner radius; 0 for the core) and the recursion's own ``a, b`` (B, n). Mode axis: 0 TE, 1 TM.
    """
    b_, L = x.shape
    xc = x.to(torch.complex128)
    rho_o = m * xc  # each layer at its outer radius
    rho_i = m[:, 1:] * xc[:, :-1]  # layers 1.. at their inner radius
    rho_e = xc[:, -1]
    sign = torch.where(m.imag >= 0, 1.0, -1.0).to(torch.float64)
    mp, dmp, ep = (t.reshape(-1, b_, n) for t in _functions("psi", torch.cat([rho_o.T.reshape(-1), rho_i.T.reshape(-1), rho_e]), n))
    mz, dmz, ez = (t.reshape(-1, b_, n) for t in _functions("zeta", torch.cat([rho_i.T.reshape(-1), rho_o[:, 1:].T.reshape(-1), rho_e]), n))
    # psi rows: [outer radii 0..L-1, inner radii 1..L-1, exterior]; zeta rows: [inner 1..L-1, outer 1..L-1, exterior]
    one = torch.ones((), dtype=torch.complex128)
    a_c = c = torch.ones((b_, n, 2), dtype=torch.complex128)
    b_c, ea, layers = torch.zeros_like(a_c), torch.zeros((b_, n, 2), dtype=torch.int64), []
    eb = ea  # psi and zeta coefficients carry their own exponents: either may be negligible at a radius
    for l in range(L):
        layers.append((a_c, b_c, c, ea, eb))
        r, dr, er = a_c * mp[l, ..., None], a_c * dmp[l, ..., None], ea
        if l > 0:  # zeta part at the outer radius, zeta in units of its value at the inner radius
            ph = torch.exp(1j * (rho_o[:, l] - rho_i[:, l - 1]))[:, None, None]
            ez_b = eb + (ez[L - 1 + l - 1] - ez[l - 1])[..., None]
            er = torch.maximum(ea, ez_b)
            r = _ldexp(r, ea - er) + _ldexp(b_c * mz[L - 1 + l - 1, ..., None] * ph, ez_b - er)
            dr = _ldexp(dr, ea - er) + _ldexp(b_c * dmz[L - 1 + l - 1, ..., None] * ph, ez_b - er)
        inner = l + 1 < L
        t = (m[:, l + 1] if inner else one) / m[:, l]
        r = r * torch.stack([t, torch.ones_like(t)], -1)[:, None, :]  # TE carries R/m, TM carries R'/m
        dr = dr * torch.stack([torch.ones_like(t), t], -1)[:, None, :]
        zrow = l if inner else 2 * (L - 1)
        a_new = r * dmz[zrow, ..., None] - dr * mz[zrow, ..., None]
        if inner:  # psi at the inner radius in units of psi at the outer radius of layer l + 1
            s1, rin, ron = sign[:, l + 1], rho_i[:, l], rho_o[:, l + 1]
            ph = torch.exp(-1j * s1 * (rin - ron))[:, None, None]
            b_new = (dr * mp[L + l, ..., None] - r * dmp[L + l, ..., None]) * ph
            e_b = (ep[L + l] - ep[l + 1])[..., None]
            log2 = (s1 * ron.imag - rin.imag).detach() * _LOG2E
            floor = torch.floor(log2)
            k_m = -1j * torch.exp(1j * (rin.real - s1 * ron.real) + (s1 * ron.imag - rin.imag - floor / _LOG2E))
            k_e = ez[zrow] + ep[l + 1] + floor.to(torch.int64)[:, None]
        else:
            # the recursion's own a_n, b_n: (R psi' - R' psi) / (R zeta' - R' zeta) at x_L
            num = r * dmp[-1, ..., None] - dr * mp[-1, ..., None]
            own = _ldexp(num / a_new * torch.exp(-2j * rho_e)[:, None, None], (ep[-1] - ez[zrow])[..., None])
            b_new, e_b = torch.zeros_like(a_new), 0
            k_m = -1j * torch.exp(1j * rho_e)
            k_e = ez[zrow]
        c = c * k_m[:, None, None]  # renormalised, as the pair below, by exact powers of two
        shift_c = _binary_exponent(_max_abs(c.detach()))
        shift_a, shift_b = _binary_exponent(_max_abs(a_new.detach())), _binary_exponent(_max_abs(b_new.detach()))
        a_c, b_c, c = _ldexp(a_new, -shift_a), _ldexp(b_new, -shift_b), _ldexp(c, -shift_c)
        common = er + k_e[..., None] + shift_c
        ea, eb = common + shift_a, common + e_b + shift_b
    norm = a_c * c  # true incident amplitude = norm 2^ea: divide every layer by it
    alpha = torch.stack([lay[0] * lay[2] / norm for lay in layers], 1)
    beta = torch.stack([lay[1] * lay[2] / norm for lay in layers], 1)
    exps = torch.stack([torch.stack([lay[3] - ea, lay[4] - ea], -1) for lay in layers], 1)
    e_psi = ep[:L].permute(1, 0, 2)
    e_zeta = torch.cat([torch.zeros_like(ez[:1]), ez[: L - 1]]).permute(1, 0, 2)
    return alpha, beta, exps, e_psi, e_zeta, own[..., 1], own[..., 0]


def _angular(mu: torch.Tensor, n: int):
    """``pi_n, tau_n`` (BH eq. 4.47) of ``mu = cos theta`` (N,), shape (N, n)."""
    pis = [torch.zeros_like(mu), torch.ones_like(mu)]
    for k in range(2, n + 1):
        pis.append(((2 * k - 1) * mu * pis[-1] - k * pis[-2]) / (k - 1))
    pi = torch.stack(pis[1:], -1)
    kk = torch.arange(1, n + 1, dtype=torch.float64)
    tau = kk * mu[:, None] * pi - (kk + 1) * torch.cat([torch.zeros_like(mu)[:, None], pi[:, :-1]], -1)
    return pi, tau


def _basis_terms(kind, rho, coef, ex, ref_e, ref_rho, sign, n):
    """``R/rho, R'/rho, R/rho^2`` (K, n, 2) of one basis function times its coefficient (K, n, 2).

    ``1 / rho`` is split as ``(1 / rho_bar) 2^-g`` (``|rho_bar|`` in [0.5, 1)) and ``2^-g`` joins the
    functions' exponents, so that tiny ``rho`` (a small core) cannot overflow ``R / rho^2``.
    """
    f, df, e = _functions(kind, rho, n)
    ph = torch.exp((-1j * sign) * (rho - ref_rho) if kind == "psi" else 1j * (rho - ref_rho))[:, None]
    g = _binary_exponent(rho.detach().abs())
    inv = (1.0 / _ldexp(rho, -g))[:, None, None]
    shift = (e - ref_e)[..., None] + ex - g[:, None, None]
    val, der = (f * ph)[..., None] * (coef * inv), (df * ph)[..., None] * (coef * inv)
    shift2 = shift - g[:, None, None]
    if bool((shift2.abs() > 1000).any() or (shift.abs() > 1000).any()):  # two (exact) power-of-two factors
        return _ldexp(val, shift), _ldexp(der, shift), _ldexp(val * inv, shift2)
    scale = _pow2(shift)
    return val * scale, der * scale, val * inv * _pow2(shift2)


def _order_weights(n: int):
    """``E_n / E_0 = i^n (2n+1) / (n(n+1))`` (BH eq. 4.40, exact powers of i) and ``n(n+1)``."""
    k = torch.arange(1, n + 1, dtype=torch.float64)
    i_n = torch.tensor([1, 1j, -1, -1j], dtype=torch.complex128)[torch.arange(1, n + 1) % 4]
    return i_n * (2 * k + 1) / (k * (k + 1)), k * (k + 1)


def _combine(m, t1, t2, t3, pi, tau, en, nn1):
    """Spherical components without their angular prefactors, each (K,): ``E_r / (sin theta cos phi),
    E_theta / cos phi, E_phi / sin phi`` and ``h_r / (sin theta sin phi), h_theta / sin phi, h_phi / cos phi``."""
    te1, te2, te3, tm1, tm2, tm3 = t1[..., 0], t2[..., 0], t3[..., 0], t1[..., 1], t2[..., 1], t3[..., 1]
    s = lambda v: (en * v).sum(-1)  # noqa: E731
    e = (-1j * s(nn1 * pi * tm3), s(pi * te1 - 1j * tau * tm2), s(1j * pi * tm2 - tau * te1))
    h = (-1j * m * s(nn1 * pi * te3), m * s(pi * tm1 - 1j * tau * te2), m * s(tau * tm1 - 1j * pi * te2))
    return e, h


def _cartesian(e_sph, h_sph, st, ct, sp, cp):
    """Cartesian E, h (K, 3) from the reduced spherical components of :func:`_combine`."""
    out = []
    for (fr, ft, fp), (a, b) in ((e_sph, (cp, sp)), (h_sph, (sp, cp))):
        r, t, p = fr * st * a, ft * a, fp * b  # E: (cos, cos, sin) phi; h: (sin, sin, cos) phi
        out.append(torch.stack([r * st * cp + t * ct * cp - p * sp, r * st * sp + t * ct * sp + p * cp, r * ct - t * st], -1))
    return out


def _origin_limit(coef, ex, ref_e, ref_rho, sign, n):
    """``R/rho, R'/rho, R/rho^2`` at the origin: only n = 1 survives (psi_1 ~ rho^2 / 3)."""
    inv_ref = torch.exp(1j * sign * ref_rho)[:, None, None]  # 1 / N_psi = 2^-e e^{i s rho_o}
    base = _ldexp(coef * inv_ref, ex - ref_e[..., None])
    base = base * (torch.arange(n) == 0).to(torch.float64)[None, :, None]
    return torch.zeros_like(base), base * (2.0 / 3.0), base / 3.0


def _geometry(pts: torch.Tensor, n: int):
    """``(sin theta, cos theta, sin phi, cos phi)``, ``(pi_n, tau_n)`` and ``r`` of points (N, 3).

    At the origin theta = 0, on the z axis phi = 0 (the Cartesian field does not depend on them).
    """
    rxy = torch.hypot(pts[:, 0], pts[:, 1])
    r = torch.hypot(rxy, pts[:, 2])  # no underflow of the squares of tiny coordinates
    safe_r, safe_xy = torch.where(r > 0, r, 1.0), torch.where(rxy > 0, rxy, 1.0)
    ct, st = torch.where(r > 0, pts[:, 2] / safe_r, 1.0), rxy / safe_r
    cp, sp = torch.where(rxy > 0, pts[:, 0] / safe_xy, 1.0), pts[:, 1] / safe_xy
    return (st, ct, sp, cp), _angular(ct, n), r


def _region_fields(m, rho, parts, ang, n, *, origin: bool):
    """Reduced spherical E and h (see :func:`_combine`) of K elements of one region from its basis parts."""
    at_origin = rho.detach().abs() < (_ORIGIN if origin else 0.0)
    rho = torch.where(at_origin, torch.ones_like(rho), rho)
    t1 = t2 = t3 = 0
    for part in parts:
        a1, a2, a3 = _basis_terms(part[0], rho, *part[1:], n)
        t1, t2, t3 = t1 + a1, t2 + a2, t3 + a3
    if origin:  # the core (a single psi part): its limit at the origin
        mask = at_origin[:, None, None]
        t1, t2, t3 = (torch.where(mask, lo, t) for lo, t in zip(_origin_limit(*parts[0][1:], n), (t1, t2, t3)))
    return _combine(m, t1, t2, t3, *ang, *_order_weights(n))


def _validate(materials, radii, wavelength, points, env, n_max, field):
    """Validate and broadcast the arguments of :func:`near_field` (see its Raises).

    The layered arguments take the checks of :func:`kerker.efficiencies_layered`. Returns ``m, x``
    (P, W, L) (empty inner layers filled by their neighbour), ``k``, wavelengths, radii, points, n_max, use_torch.
    """
    if field not in _FIELDS:
        raise ValueError(f"field must be one of {_FIELDS}, got {field!r}")
    n_max = check_n_max(n_max)
    layers = _layers(materials)
    use_torch = any(_is_torch(v) for v in (*layers, radii, wavelength, points, env))
    wl = _as_real("wavelength", wavelength, ndim_max=1)
    if (wl.detach() <= 0).any():
        raise ValueError(f"wavelength must be > 0 nm, got {wl.detach()[wl.detach() <= 0][:3].tolist()}")
    rad = _check_radii(_as_real("radii", radii, ndim_max=2), len(layers))
    pts = _as_real("points", points, ndim_max=2)
    pts = pts.reshape(1, -1) if pts.ndim == 1 else pts
    if pts.shape[-1] != 3:
        raise ValueError(f"points must have shape (N, 3) (Cartesian x, y, z in nm), got shape {tuple(pts.shape)}")
    env_t = check_env(env)
    n_p, n_w = rad.shape[0], wl.shape[0]
    m = [t.expand(n_p, n_w) for t in _relative_indices(layers, wl, n_p, env_t, use_torch)]
    k = 2.0 * math.pi * env_t / wl
    m, x = _fill_empty_core(torch.stack(m), rad.T[:, :, None] * k[None, None, :])  # (L, P, W)
    if n_max is None:
        x_max = float(x[-1].detach().max())
        if x_max > MAX_SIZE:
            raise ValueError(f"radii: the outer size parameter 2 pi n_env r / wavelength must be <= {MAX_SIZE:g}, got {x_max:.4g}")
        n_max = near_field_n_max(x_max)
    _check_layer_sizes(m, x, torch.tensor(n_max))
    return m.permute(1, 2, 0), x.permute(1, 2, 0), k, wl, rad, pts, n_max, use_torch


def near_field(materials, radii, wavelength, points, env=1.0, *, n_max: int | None = None, field: str = "total") -> NearField:
    """E and H of layered spheres at given points for a plane wave along z polarised along x.

    Parameters
    ----------
    materials : sequence of L entries, innermost first
        Each a material name, a :class:`kerker.Material`, a list of those (one per particle),
        or complex relative permittivities of shape (W,) or (P, W); ``["Si"]`` is a homogeneous
        sphere. The arguments follow :func:`kerker.efficiencies_layered`.
    radii : array_like, shape (P, L) or (L,)
        Outer radius of each layer in nm, non-decreasing, >= 0, the outermost > 0 (a layer of
        zero thickness changes nothing and holds no point).
    wavelength : float or array_like, shape (W,)
        Vacuum wavelengths in nm.
    points : array_like, shape (N, 3) or (3,)
        Cartesian points in nm, particle centre at the origin.
    env : float, default 1.0
        Real refractive index of the embedding medium.
    n_max : int, optional
        Number of orders; default :func:`near_field_n_max` of the largest outer size parameter.
    field : {"total", "scattered"}
        ``"scattered"`` returns the total field minus the incident plane wave (everywhere).

    Returns
    -------
    NearField
        ``e``, ``h`` of shape (P, W, N, 3), ``h = Z_env H`` (the incident wave has ``|E| = |h| = 1``);
        NumPy arrays, or torch tensors with gradients if any input was a torch tensor.

    Raises
    ------
    ValueError
        Points not finite or not of shape (N, 3); radii negative, decreasing, not one per
        layer or a zero outer radius; unknown materials or wavelengths outside their data,
        gain, |eps| < 1e-200; wavelength <= 0; env not a finite index > 0; sizes outside the
        limits of :func:`kerker.efficiencies`; ``n_max`` outside 1 .. 100000; unknown ``field``.
    TypeError
        ``materials`` a single name instead of a sequence, complex radii or points.
    MemoryError
        When the fields cannot fit in the available memory.
    """
    m, x, k, wl, rad, pts, n, use_torch = _validate(materials, radii, wavelength, points, env, n_max, field)
    n_p, n_w, L = x.shape
    n_pts = pts.shape[0]
    check_memory(
        "kerker.mie.near_field", n_p * n_w * n_pts, 96 + 32 * n, min(_CHUNK_ROWS, n_p * n_w * n_pts * n) * _BYTES_PER_ROW,
        f"{n_p:,} particles x {n_w:,} wavelengths x {n_pts:,} points",
    )
    mf, xf = m.reshape(-1, L), x.reshape(-1, L)
    alpha, beta, exps, e_psi, e_zeta, _, _ = _layer_expansion(mf, xf, n)
    a_ext, b_ext = (c.T for c in layer_coefficients_orders_first(mf.T, xf.T, n))  # the library's
    alpha, beta, exps = alpha.reshape(n_p, n_w, L, n, 2), beta.reshape(n_p, n_w, L, n, 2), exps.reshape(n_p, n_w, L, n, 2, 2)
    e_psi, e_zeta = e_psi.reshape(n_p, n_w, L, n), e_zeta.reshape(n_p, n_w, L, n)
    ext = torch.stack([-b_ext, -a_ext], -1).reshape(n_p, n_w, n, 2)
    rho_o = (m * x).to(torch.complex128)
    rho_i = m * torch.cat([torch.zeros_like(x[..., :1]), x[..., :-1]], -1)
    sign = torch.where(m.imag >= 0, 1.0, -1.0).to(torch.float64)
    geo, (pi, tau), r = _geometry(pts, n)
    # the region of each point: r_{l-1} < r <= r_l, on the filled radii (an empty inner layer
    # holds no point) for the expansion, on the given radii for the reported label
    rd = rad.detach().contiguous()
    filled = _fill_empty_core(rd.T, rd.T)[1].T.contiguous()
    evaluate = torch.searchsorted(filled, r.detach().expand(n_p, n_pts).contiguous())
    label = torch.searchsorted(rd, r.detach().expand(n_p, n_pts).contiguous())
    label = torch.where(r.detach() > 0, label, (rd > 0).to(torch.int64).argmax(1, keepdim=True))
    e_out = torch.zeros((n_p, n_w, n_pts, 3), dtype=torch.complex128)
    h_out = torch.zeros_like(e_out)
    per_chunk = max(1, _CHUNK_ROWS // (n * n_w))
    x_hat = torch.tensor([1, 0, 0], dtype=torch.complex128)
    for l in range(L + 1):
        ip, ipt = (evaluate == l).nonzero(as_tuple=True)
        for start in range(0, ip.shape[0], per_chunk):
            p_, q_ = ip[start : start + per_chunk], ipt[start : start + per_chunk]
            kr = (k[None, :] * r[q_, None]).to(torch.complex128)  # (K, W)
            flat = lambda t: t.reshape(-1, *t.shape[2:])  # noqa: E731
            if l == L:
                mm = torch.ones_like(kr)
                zero = torch.zeros((1, n, 2), dtype=torch.int64)
                parts = [("zeta", flat(ext[p_]), zero, 0, 0.0, 1.0)]
            else:
                mm, ex_l = m[p_, :, l], flat(exps[p_, :, l])
                parts = [("psi", flat(alpha[p_, :, l]), ex_l[..., 0], flat(e_psi[p_, :, l]), flat(rho_o[p_, :, l]), flat(sign[p_, :, l]))]
                if l > 0:
                    parts.append(("zeta", flat(beta[p_, :, l]), ex_l[..., 1], flat(e_zeta[p_, :, l]), flat(rho_i[p_, :, l]), 1.0))
            ang = [flat(t[q_][:, None].expand(-1, n_w, -1)) for t in (pi, tau)]
            e_s, h_s = _region_fields(flat(mm), flat(mm * kr), parts, ang, n, origin=l == 0)
            e_c, h_c = _cartesian(e_s, h_s, *(flat(g[q_][:, None].expand(-1, n_w)) for g in geo))
            wave = flat(torch.exp(1j * k[None, :] * pts[q_, 2, None]))[:, None] * x_hat
            if (l == L) == (field == "total"):  # the incident wave: added outside, removed inside
                sgn = 1.0 if l == L else -1.0
                e_c, h_c = e_c + sgn * wave, h_c + sgn * wave.roll(1, -1)
            e_out[p_, :, q_] = e_c.reshape(-1, n_w, 3)
            h_out[p_, :, q_] = h_c.reshape(-1, n_w, 3)
    out = lambda t: to_output(t, use_torch)  # noqa: E731
    return NearField(out(e_out), out(h_out), out(pts), out(label), out(wl), out(rad), n)


def near_field_xz(materials, radii, wavelength, extent_nm=None, points_per_axis=201, env=1.0, *, n_max=None) -> NearFieldXZ:
    """``|E|^2 / |E_0|^2`` on a square grid of the xz plane (the plane of E_inc and k).

    Parameters
    ----------
    materials, radii, wavelength, env, n_max
        As in :func:`near_field`.
    extent_nm : float or (x_min, x_max, z_min, z_max), optional
        Half-width of the square grid in nm (default twice the largest outer radius), or
        its bounds in nm.
    points_per_axis : int or (int, int), default 201
        Grid points along x and z (an odd count puts a row and a column through the centre).

    Returns
    -------
    NearFieldXZ
        Grid coordinates in nm and ``intensity`` of shape (P, W, K, M), K points along z, M along x.

    Raises
    ------
    ValueError
        A non-positive or non-finite extent, fewer than 2 points per axis, and the errors
        of :func:`near_field`.
    """
    counts = np.broadcast_to(np.asarray(points_per_axis), (2,))
    if counts.dtype.kind not in "iu" or (counts < 2).any():
        raise ValueError(f"points_per_axis must be an integer >= 2 (or two of them, for x and z), got {points_per_axis!r}")
    if extent_nm is None:
        r_max = radii.detach().max() if _is_torch(radii) else np.max(np.asarray(radii, dtype=float))
        extent_nm = 2.0 * float(r_max)
    bounds = np.asarray(extent_nm, dtype=float).reshape(-1)
    if bounds.size == 1:
        bounds = np.array([-bounds[0], bounds[0], -bounds[0], bounds[0]])
    if bounds.size != 4 or not np.isfinite(bounds).all() or bounds[1] <= bounds[0] or bounds[3] <= bounds[2]:
        raise ValueError(
            f"extent_nm must be a finite half-width > 0 nm or (x_min, x_max, z_min, z_max) with x_min < x_max "
            f"and z_min < z_max, got {extent_nm!r}"
        )
    gx, gz = np.linspace(bounds[0], bounds[1], int(counts[0])), np.linspace(bounds[2], bounds[3], int(counts[1]))
    zz, xx = np.meshgrid(gz, gx, indexing="ij")
    pts = np.stack([xx.ravel(), np.zeros(xx.size), zz.ravel()], -1)
    nf = near_field(materials, radii, wavelength, pts, env, n_max=n_max)
    e2 = (nf.e.abs() ** 2 if _is_torch(nf.e) else np.abs(nf.e) ** 2).sum(-1)
    shape = (gz.size, gx.size)
    return NearFieldXZ(gx, gz, e2.reshape(*e2.shape[:2], *shape), nf.layer.reshape(-1, *shape), nf.wavelength, nf.radii, nf.n_max)
