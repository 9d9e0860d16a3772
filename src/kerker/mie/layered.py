"""Spheres of L concentric layers: efficiencies and Mie coefficients (core-shell is L = 2).

The recursion is :mod:`kerker.mie.layers` (the one the core-shell API runs); this module
validates the layered arguments and runs it. Two-layer (and one-layer) spheres take the
same path as :func:`kerker.efficiencies`, the fused kernel included, so ``L = 2`` gives
the core-shell numbers bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from kerker.materials import Material
from kerker.mie._blocks import efficiencies_flat
from kerker.mie._inputs import (
    BLOCK_BYTES_PER_POINT,
    BLOCK_POINTS,
    FORWARD_BYTES_PER_POINT,
    GRADIENT_BYTES_PER_POINT,
    GRAPH_BUDGET,
    GRAPH_BYTES_PER_POINT,
    MAX_SIZE,
    UNBLOCKED_BYTES_PER_ROW,
    _as_real,
    _check_passive,
    _check_permittivity_size,
    _is_torch,
    _permittivity,
    _refractive_index,
    _signed_zero_free,
    _wants_grad,
    _where,
    check_env,
    check_n_max,
    check_sizes,
    truncation_orders,
)
from kerker.mie._memory import check_memory
from kerker.mie.layers import layer_coefficients_orders_first
from kerker.mie._results import Efficiencies, Source
from kerker.mie.special import n_max_wiscombe

__all__ = ["efficiencies_layered", "layered_coefficients"]


def _layers(materials) -> list:
    """The per-layer entries of ``materials`` (a sequence, innermost first)."""
    if isinstance(materials, (str, bytes, Material)):
        raise TypeError(
            f"materials must be a sequence of L layers, innermost first, got a single material {materials!r:.40}; "
            f"use [{materials!r:.40}] for a homogeneous sphere"
        )
    if _is_torch(materials) or isinstance(materials, np.ndarray):
        if materials.ndim < 1:
            raise TypeError(f"materials must be a sequence of L layers, got a 0-d array {materials!r:.40}")
        entries = list(materials)
    elif isinstance(materials, Sequence):
        entries = list(materials)
    else:
        raise TypeError(f"materials must be a sequence of L layers, innermost first, got {type(materials).__name__}")
    if not entries:
        raise ValueError("materials must name at least one layer, got an empty sequence")
    return entries


def _check_radii(radii: torch.Tensor, n_layers: int) -> torch.Tensor:
    """Radii (P, L) from (L,) or (P, L): >= 0, non-decreasing, outermost > 0."""
    if radii.ndim == 1:
        radii = radii.reshape(1, -1)
    if radii.ndim != 2 or radii.shape[1] != n_layers:
        raise ValueError(
            f"radii must have shape (P, L) or (L,) with one outer radius per layer (L = len(materials) = {n_layers}), "
            f"got shape {tuple(radii.shape)}"
        )
    r = radii.detach()
    if (r < 0).any():
        at = _where(r < 0)
        raise ValueError(f"radii must be >= 0 nm, got {float(r[at])} at (particle, layer) index {at}")
    if n_layers > 1:
        drop = r[:, 1:] < r[:, :-1]
        if drop.any():
            p, l = _where(drop)
            raise ValueError(
                "radii must be non-decreasing along the layers (each entry is a layer's outer radius, innermost "
                f"first), got {r[p].tolist()} for particle {p}: layer {l + 1} ends at {float(r[p, l + 1])} nm, "
                f"inside layer {l} ({float(r[p, l])} nm)"
            )
    if (r[:, -1] <= 0).any():
        p = int((r[:, -1] <= 0).nonzero()[0])
        raise ValueError(f"radii: the outermost radius must be > 0 nm, got {r[p].tolist()} for particle {p}")
    return radii


def _fill_empty_core(m: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inner layers of radius 0 take the first non-empty layer's index and radius.

    They then have zero thickness and the same index as their neighbour, which the
    recursion passes through (ratio 1); their own index and radius get no gradient, as
    layers of zero volume should. ``m``, ``x``: (L, ...) of one shape, ``x`` non-decreasing.
    """
    empty = x.detach() <= 0
    if not bool(empty.any()):
        return m, x
    first = (~empty).to(torch.int64).argmax(dim=0, keepdim=True).expand_as(x)  # first non-empty layer
    return torch.where(empty, torch.gather(m, 0, first), m), torch.where(empty, torch.gather(x, 0, first), x)


def _check_layer_sizes(m: torch.Tensor, x: torch.Tensor, orders: torch.Tensor, name: str = "radii[:, {}]") -> None:
    """The size limits of :func:`kerker.efficiencies` at every interface (a homogeneous sphere's
    at its surface), naming the radius column; ``m``, ``x``: (L, ...)."""
    last = m.shape[0] - 1
    for l in range(max(last, 1)):
        u = min(l + 1, last)
        check_sizes(m[l], m[u], x[l], x[u], orders, names=(name.format(l), name.format(u)), parts=(str(l), str(u)))


def _relative_indices(layers, wl: torch.Tensor, n_particles: int, env_t: torch.Tensor, use_torch: bool) -> list:
    """Each layer's refractive index relative to the medium, (1 or P, W) complex128, validated."""
    m = []
    for l, spec in enumerate(layers):
        eps = _permittivity(f"materials[{l}]", spec, wl, n_particles, use_torch)
        _check_permittivity_size(f"materials[{l}]", eps)
        m.append(_refractive_index(eps) / env_t)
    return m


def _prepare(materials, radii, wavelength, env, n_max):
    n_max = check_n_max(n_max)
    layers = _layers(materials)
    n_layers = len(layers)
    use_torch = any(_is_torch(v) for v in (*layers, radii, wavelength, env))
    wl = _as_real("wavelength", wavelength, ndim_max=1)
    if (wl <= 0).any():
        raise ValueError(f"wavelength must be > 0 nm, got {wl[wl <= 0][:3].tolist()}")
    r = _check_radii(_as_real("radii", radii, ndim_max=2), n_layers)
    n_particles = r.shape[0]
    env_t = check_env(env)

    grad = _wants_grad(*layers, radii, wavelength, env)
    n_points = n_particles * wl.shape[0]
    scale = max(n_layers, 2) / 2  # the two-layer figures per point, per two layers
    working = int(min(n_points, BLOCK_POINTS) * BLOCK_BYTES_PER_POINT * scale)
    if grad:
        working += min(int(n_points * GRAPH_BYTES_PER_POINT * scale), GRAPH_BUDGET)
    per_point = GRADIENT_BYTES_PER_POINT if grad else FORWARD_BYTES_PER_POINT
    check_memory(
        "kerker.efficiencies_layered" + (" with gradients" if grad else ""), n_points, int(per_point * scale), working,
        f"{n_particles:,} particles x {wl.shape[0]:,} wavelengths x {n_layers} layers",
    )
    shape = (n_particles, wl.shape[0])
    m = _relative_indices(layers, wl, n_particles, env_t, use_torch)
    k = 2.0 * math.pi * env_t / wl
    source = Source(tuple(m), r, k, use_torch)  # the indices as given: W numbers per named layer
    m = torch.stack([t.expand(shape) for t in m])  # (L, P, W)
    if bool((r.detach()[:, :-1] <= 0).any()):  # empty inner layers (see _fill_empty_core); the result keeps the filled ones
        m, r_full = _fill_empty_core(m, r.T[:, :, None].expand(m.shape))
        source = Source(tuple(m), r_full[:, :, 0].T, k, use_torch)
    x = source.radii.T[:, :, None] * k  # (L, P, W)
    orders = truncation_orders(x[-1], n_max)
    _check_layer_sizes(m, x, orders)
    return m, x, orders, use_torch, source


def efficiencies_layered(materials, radii, wavelength, env=1.0, *, n_max: int | None = None) -> Efficiencies:
    """Exact Mie efficiencies of spheres of L concentric layers, batched over particles x wavelengths.

    Parameters
    ----------
    materials : sequence of L entries, innermost first
        Each layer's material: a name (``kerker.materials.available()``), a Material, a
        list of those with one entry per particle, or complex relative permittivities of
        shape ``(W,)`` or ``(P, W)``.
    radii : array_like or tensor, shape (P, L) or (L,)
        Outer radius of each layer in nm, innermost first, non-decreasing, >= 0; the
        outermost > 0. A layer of zero thickness (equal to its inner neighbour's radius,
        or 0 for inner layers) changes nothing: it equals removing the layer.
    wavelength : float or array_like, shape (W,)
        Vacuum wavelength in nm.
    env : float, default 1.0
        Real refractive index of the embedding medium.
    n_max : int, optional
        Fixed truncation order; default per particle and wavelength, Wiscombe + 3 of the
        outer size parameter (see :func:`kerker.efficiencies`).

    Returns
    -------
    Efficiencies
        ``q_ext, q_sca, q_abs, q_fwd, q_back`` of shape (P, W) over ``pi r_outer^2``:
        torch tensors carrying gradients (to every radius, permittivity, wavelength and
        ``env``) if any input was a torch tensor, NumPy arrays otherwise.

    Raises
    ------
    ValueError
        Radii of the wrong shape, negative, decreasing or with a zero outer radius; the
        input errors of :func:`kerker.efficiencies` (unknown material, wavelength outside
        its data, gain, non-finite values, sizes out of range), naming the layer.
    TypeError
        ``materials`` not a sequence of layers (a single name), complex radii.

    Notes
    -----
    Two-layer (and one-layer) spheres run the code of :func:`kerker.efficiencies`, so
    ``efficiencies_layered([core, shell], [[r, r + t]], wl)`` equals
    ``efficiencies(core, shell, r, t, wl)`` bit for bit. More layers run the torch path of
    the same recursion (:mod:`kerker.mie.layers`).

    Examples
    --------
    >>> import kerker
    >>> q = kerker.efficiencies_layered(["Ag", "SiO2", "Si"], [[20.0, 35.0, 80.0]], [600.0, 700.0])
    >>> q.q_sca.shape
    (1, 2)
    """
    m, x, orders, use_torch, source = _prepare(materials, radii, wavelength, env, n_max)
    n_layers, shape = m.shape[0], x.shape[1:]
    flat = efficiencies_flat(m.reshape(n_layers, -1), x.reshape(n_layers, -1), orders.reshape(-1))
    fields = [q.reshape(shape) if use_torch else q.reshape(shape).detach().numpy() for q in flat]
    return Efficiencies(*fields, source=source)


def layered_coefficients(m, x, n_max: int | None = None):
    """Mie coefficients ``a_n, b_n`` of L-layer spheres from relative indices and size parameters.

    Parameters
    ----------
    m : complex array_like or tensor, shape (..., L)
        Refractive index of each layer relative to the embedding medium, innermost first
        (Im >= 0 is loss).
    x : real array_like or tensor, shape (..., L)
        Size parameter ``2 pi n_env r_l / wavelength`` of each layer's outer radius,
        non-decreasing along the last axis, >= 0 with the last > 0.
    n_max : int, optional
        Number of orders; default Wiscombe + 3 of the largest outer size parameter.

    Returns
    -------
    a, b : array or tensor, complex128, shape (..., n_max)
        Orders ``n = 1 .. n_max`` along the last axis (Bohren & Huffman convention).

    Raises
    ------
    ValueError
        Non-finite input, shapes that do not broadcast, negative or decreasing ``x``,
        gain (Im m < 0), ``|m| < 1e-100``, sizes outside the limits of
        :func:`kerker.efficiencies`, ``n_max`` outside 1 .. 100000.
    TypeError
        Non-numeric input, complex size parameters.
    """
    n_max = check_n_max(n_max)
    use_torch = _is_torch(m) or _is_torch(x)
    m_t = m.to(torch.complex128) if _is_torch(m) else torch.as_tensor(np.asarray(m, dtype=np.complex128))
    x_t = _as_real("x", x, ndim_max=64)
    if m_t.ndim == 0 or x_t.ndim == 0:
        raise ValueError(f"m and x must have a layer axis last, shape (..., L), got shapes {tuple(m_t.shape)} and {tuple(x_t.shape)}")
    if not bool(torch.isfinite(torch.view_as_real(m_t.detach())).all()):
        raise ValueError("m must be finite, got NaN or inf")
    try:
        shape = torch.broadcast_shapes(m_t.shape, x_t.shape)
    except RuntimeError:
        raise ValueError(f"m and x must broadcast to one shape (..., L), got {tuple(m_t.shape)} and {tuple(x_t.shape)}") from None
    m_t, x_t = torch.broadcast_tensors(_signed_zero_free(m_t), x_t)
    _check_passive("m", "m", m_t)
    if bool((m_t.detach().abs() < 1e-100).any()):
        raise ValueError(f"m must satisfy |m| >= 1e-100 (m = 0 has no Mie solution), got {complex(m_t.detach()[_where(m_t.detach().abs() < 1e-100)])}")
    xd = x_t.detach()
    if (xd < 0).any():
        raise ValueError(f"x must be >= 0, got {float(xd[_where(xd < 0)])} at index {_where(xd < 0)}")
    if shape[-1] > 1 and (xd[..., 1:] < xd[..., :-1]).any():
        at = _where(xd[..., 1:] < xd[..., :-1])
        raise ValueError(f"x must be non-decreasing along the layer axis (outer radii, innermost first), got a decrease at index {at}")
    if (xd[..., -1] <= 0).any():
        raise ValueError("x: the outermost size parameter must be > 0")
    n_layers = shape[-1]
    mf = m_t.reshape(-1, n_layers).T
    xf = x_t.reshape(-1, n_layers).T
    mf, xf = _fill_empty_core(mf, xf)
    if n_max is None:
        x_max = float(xf[-1].detach().max())
        if x_max > MAX_SIZE:
            raise ValueError(f"x must be <= {MAX_SIZE:g} (the series needs about x + 4 x^(1/3) + 5 orders), got {x_max:.4g}")
        n_max = n_max_wiscombe(x_max)
    check_memory("layered_coefficients", xf.shape[1], (n_max + 1) * UNBLOCKED_BYTES_PER_ROW * mf.shape[0] // 2, 0, f"shape {tuple(shape)}")
    _check_layer_sizes(mf, xf, torch.tensor(n_max), name="x[..., {}]")
    a, b = layer_coefficients_orders_first(mf, xf, n_max)
    out = [c.T.reshape(*shape[:-1], n_max) for c in (a, b)]
    return tuple(c if use_torch else c.detach().numpy() for c in out)
