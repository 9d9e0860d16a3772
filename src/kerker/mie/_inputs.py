"""Validation and conversion of the public Mie arguments (one place, at the boundary).

NumPy in gives NumPy out; a torch tensor anywhere in the inputs switches the whole call
to torch (float64 / complex128) so that gradients flow to every tensor argument.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from kerker.materials import Material, material
from kerker.mie._memory import check_memory
from kerker.mie.special import n_max_wiscombe

__all__ = ["MieInputs", "check_env", "check_n_max", "prepare_coefficient_inputs", "prepare_inputs", "to_output", "truncation_orders"]

#: Largest size parameter ``x = k r`` and optical size ``|m| x`` accepted: the series needs
#: ``n_max ~ x + 4 x^(1/3) + 5`` orders and Miller's recurrence ~``|m| x`` steps, so a
#: particle at this limit already costs ~10^5 steps and rows per wavelength.
MAX_SIZE = 1e5
#: Largest fixed truncation order ``n_max`` accepted (the same limit, in orders).
MAX_ORDER = 100_000
#: Smallest optical size of the core, ``min(|m_core|, |m_shell|) x_core``, per order:
#: the Riccati-Bessel pairs at the core radius carry ``psi_n / psi_n' ~ z / (n + 1)``,
#: which must stay a normal float64 (>= 2.2e-308) for every order up to ``n_max``.
MIN_CORE_SIZE_PER_ORDER = 1e-306
#: Smallest outer size parameter: ``a_n ~ x^(2n+1)`` must not underflow before it is
#: divided by ``x^2`` (Q_abs of a tiny absorbing sphere ~ x).
MIN_OUTER_SIZE = 1e-100
#: Smallest |permittivity| accepted (0 has refractive index 0: no Mie solution).
MIN_ABS_PERMITTIVITY = 1e-200
#: Gain (Im eps < 0) is refused; a negative imaginary part down to this fraction of |eps|
#: is accepted as rounding or finite-difference noise of a lossless medium (gradcheck
#: steps 1e-6 into it), on which the solution is the analytic continuation.
GAIN_TOLERANCE = 1e-5
#: Memory of kerker.efficiencies per particle x wavelength point beyond its inputs, about
#: twice what benchmarks/bench_gradient_memory.py measures at 10^6 points (forward 177 B;
#: gradient 1.25 KB, of which 1 GiB is kept graphs), plus the working set of one kernel
#: block (~16 KB per element of up to BLOCK_POINTS) and, with gradients, the graphs kept
#: up to GRAPH_BUDGET (~12 KB per point).
FORWARD_BYTES_PER_POINT = 384
GRADIENT_BYTES_PER_POINT = 512
BLOCK_POINTS = 12288
BLOCK_BYTES_PER_POINT = 16 * 1024
GRAPH_BYTES_PER_POINT = 12 * 1024
GRAPH_BUDGET = 2**30
#: Calls that run all points through the kernel at once (mie_coefficients, multipoles,
#: scattering_pattern) hold ~60 complex (n_max + 1, points) arrays: bytes per row and point.
UNBLOCKED_BYTES_PER_ROW = 1024
#: Truncation orders are rounded up to a multiple of this, so that one call works on a
#: handful of buckets instead of one order per particle.
ORDER_BUCKET = 4


@dataclass(frozen=True)
class MieInputs:
    """Broadcast, validated inputs of one call, all torch float64/complex128.

    Attributes
    ----------
    m_core, m_shell : complex128, shape (P, W)
        Refractive indices relative to the embedding medium.
    x_core, x_shell : float64, shape (P, W)
        Size parameters ``2 pi n_env r / wavelength`` of the core and outer radius.
    wavelength : float64, shape (W,)
        Vacuum wavelengths in nm.
    orders : int64, shape (P, W)
        Truncation order of each particle and wavelength (a fixed ``n_max`` if given).
    use_torch : bool
        Whether the caller passed any torch tensor (results are returned as torch).
    radii : float64, shape (P, 2)
        Core and outer radius in nm.
    k : float64, shape (W,)
        Wave number ``2 pi n_env / wavelength`` in the medium, 1/nm.
    """

    m_core: torch.Tensor
    m_shell: torch.Tensor
    x_core: torch.Tensor
    x_shell: torch.Tensor
    wavelength: torch.Tensor
    orders: torch.Tensor
    use_torch: bool
    radii: torch.Tensor | None = None
    k: torch.Tensor | None = None


def _is_torch(value) -> bool:
    return isinstance(value, torch.Tensor)


def _as_real(name: str, value, *, ndim_max: int) -> torch.Tensor:
    if _is_torch(value):
        if value.is_complex():
            raise TypeError(f"{name} must be real, got a complex tensor of dtype {value.dtype}")
        tensor = value.to(torch.float64)
    else:
        array = np.asarray(value)
        if np.iscomplexobj(array):
            raise TypeError(f"{name} must be real, got complex values of dtype {array.dtype}")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{name} must be numeric, got dtype {array.dtype} ({value!r:.60})")
        tensor = torch.as_tensor(array, dtype=torch.float64)
    if tensor.ndim > ndim_max:
        raise ValueError(f"{name} must have at most {ndim_max} dimension(s), got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(tensor.shape)}")
    bad = ~torch.isfinite(tensor.detach())
    if bad.any():
        raise ValueError(f"{name} must be finite, got {tensor.detach()[bad].flatten()[:3].tolist()} (NaN or inf)")
    return tensor.reshape(-1) if ndim_max == 1 else tensor


def _permittivity(name: str, spec, wavelength: torch.Tensor, n_particles: int, use_torch: bool) -> torch.Tensor:
    """Relative permittivity of a core or shell, shape (1 or P, W), complex128."""
    n_wl = wavelength.shape[0]
    if isinstance(spec, (str, Material)):
        mat = material(spec) if isinstance(spec, str) else spec
        wl = wavelength if use_torch else wavelength.detach().numpy()
        eps = mat.permittivity(wl)
        return torch.as_tensor(eps, dtype=torch.complex128).reshape(1, n_wl)
    if isinstance(spec, Sequence) and not isinstance(spec, (str, bytes)) and spec and all(
        isinstance(s, (str, Material)) for s in spec
    ):
        if len(spec) != n_particles:
            raise ValueError(
                f"{name} given as a list of materials must have one entry per particle "
                f"({n_particles}), got {len(spec)}"
            )
        # One evaluation per distinct material: a name stands for the material it loads,
        # a Material object for itself (identity), never its display name (Au/Johnson.yml
        # and Ag/Johnson.yml both load as "Johnson").
        keys = [("name", s) if isinstance(s, str) else ("object", id(s)) for s in spec]
        unique = dict(zip(keys, spec))
        position = {k: i for i, k in enumerate(unique)}
        table = torch.stack([_permittivity(name, s, wavelength, n_particles, use_torch)[0] for s in unique.values()])
        return table[torch.tensor([position[k] for k in keys])]
    if _is_torch(spec):
        eps = spec.to(torch.complex128)
    else:
        try:
            eps = torch.as_tensor(np.asarray(spec, dtype=np.complex128))
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{name} must be a material name, a kerker.Material, a list of those (one per particle), "
                f"or complex relative permittivities; got {spec!r:.80}"
            ) from err
    if eps.ndim == 0:
        eps = eps.reshape(1, 1).expand(1, n_wl)
    elif eps.ndim == 1:
        if eps.shape[0] != n_wl:
            raise ValueError(
                f"{name} permittivity of shape {tuple(eps.shape)} does not match {n_wl} wavelengths; "
                "pass shape (W,) or (P, W)"
            )
        eps = eps.reshape(1, n_wl)
    elif eps.ndim == 2:
        if eps.shape[1] != n_wl or eps.shape[0] not in (1, n_particles):
            raise ValueError(
                f"{name} permittivity of shape {tuple(eps.shape)} does not match (P, W) = ({n_particles}, {n_wl})"
            )
    else:
        raise ValueError(f"{name} permittivity must have shape (W,) or (P, W), got {tuple(eps.shape)}")
    if not torch.isfinite(torch.view_as_real(eps.detach())).all():
        raise ValueError(f"{name} permittivity must be finite, got NaN or inf")
    _check_passive(f"{name} permittivity", "eps", eps)
    return eps


def _where(mask: torch.Tensor) -> tuple[int, ...]:
    """Index of the first True element of ``mask``."""
    return tuple(int(i) for i in mask.nonzero()[0])


def _check_passive(label: str, symbol: str, value: torch.Tensor) -> None:
    """Refuse gain: Im < 0 beyond ``GAIN_TOLERANCE`` of the modulus (only negative parts are checked)."""
    v = value.detach()
    if not bool((v.imag < 0).any()):
        return
    gain = v.imag < -GAIN_TOLERANCE * v.abs()
    if gain.any():
        at = _where(gain)
        raise ValueError(
            f"{label} must have Im({symbol}) >= 0 (a passive medium under exp(-i omega t); gain media are "
            f"not supported), got {complex(v[at])} at index {at}; data in the exp(+i omega t) "
            "convention need np.conj"
        )


def _signed_zero_free(value: torch.Tensor) -> torch.Tensor:
    """``value`` with Im = -0.0 made +0.0 (adding +0.0 changes no other number)."""
    return value + 0.0


_EIGHTH_TURN = complex(math.sqrt(0.5), math.sqrt(0.5))  # e^{i pi / 4}


def _refractive_index(eps: torch.Tensor) -> torch.Tensor:
    """``sqrt(eps)`` on the passive branch (Im >= 0 wherever Im eps >= 0), complex128.

    The principal square root has its cut on the negative real axis, where lossless
    metals live: ``np.conj`` of a real permittivity gives Im = -0.0, and
    ``sqrt(-50 - 0j) = -7.07j`` is the gain branch. Signed zeros are made +0.0, and the
    tolerated tiny negative imaginary parts (see ``GAIN_TOLERANCE``) use
    ``e^{i pi/4} sqrt(-i eps)``, whose cut is the negative imaginary axis (strong gain,
    refused): it equals the principal root on the upper half-plane and continues it
    analytically across the real axis.
    """
    eps = _signed_zero_free(eps)
    below = eps.detach().imag < 0
    if not bool(below.any()):
        return torch.sqrt(eps)
    return torch.where(below, _EIGHTH_TURN * torch.sqrt(-1j * eps), torch.sqrt(eps))


def _check_permittivity_size(name: str, eps: torch.Tensor) -> torch.Tensor:
    """Refuse ``|eps| < MIN_ABS_PERMITTIVITY``; returns ``|eps|`` (for :func:`check_sizes`)."""
    modulus = eps.detach().abs()
    small = modulus < MIN_ABS_PERMITTIVITY
    if small.any():
        first = tuple(int(i) for i in small.nonzero()[0])
        value = complex(eps.detach()[first])
        why = "eps = 0 has refractive index 0, for which the Mie series is undefined" if value == 0 else "too close to 0"
        raise ValueError(
            f"{name} permittivity must satisfy |eps| >= {MIN_ABS_PERMITTIVITY:g} ({why}), "
            f"got {value} at (particle, wavelength) index {first}"
        )
    return modulus


def _wants_grad(*values) -> bool:
    return torch.is_grad_enabled() and any(_is_torch(v) and v.requires_grad for v in values)


def check_n_max(n_max) -> int | None:
    """``n_max`` as an int in ``1 .. MAX_ORDER`` (or None); ValueError/TypeError otherwise."""
    if n_max is None:
        return None
    if isinstance(n_max, bool) or not isinstance(n_max, numbers.Real):
        raise TypeError(f"n_max must be an integer number of multipole orders (or None for Wiscombe + 3), got {n_max!r}")
    if not isinstance(n_max, numbers.Integral):
        raise ValueError(f"n_max must be an integer number of multipole orders (or None for Wiscombe + 3), got {n_max!r}")
    if not 1 <= n_max <= MAX_ORDER:
        raise ValueError(f"n_max must be between 1 and {MAX_ORDER} orders, got {n_max}")
    return int(n_max)


def truncation_orders(x_shell: torch.Tensor, n_max: int | None) -> torch.Tensor:
    """Per-element truncation order (int64, shape of ``x_shell``): ``n_max``, or Wiscombe + 3
    (``ceil(x + 4 x^(1/3) + 2) + 3``, see CONVENTIONS.md) rounded up to a multiple of ``ORDER_BUCKET``."""
    if n_max is not None:
        return torch.full(x_shell.shape, n_max, dtype=torch.int64)
    x = x_shell.detach().clamp(max=2 * MAX_SIZE)  # larger sizes are refused by check_sizes
    n = torch.ceil(x + 4.0 * x.pow(1.0 / 3.0) + 2.0) + 3.0
    return (torch.ceil(n / ORDER_BUCKET) * ORDER_BUCKET).to(torch.int64)


def check_sizes(m_core, m_shell, x_core, x_shell, orders, *, names=("r_core", "r_core + t_shell"),
                parts=("core", "shell"), moduli=None) -> None:
    """Refuse sizes outside what float64 and the recurrences can represent (see the limits above).

    All arguments broadcast to one shape; ``names`` are the user's arguments for the inner
    and the outer size, used in the messages, and ``parts`` the subscripts of the two media
    (``m_core``, ``x_shell``; layered spheres name their layers, ``m_0``, ``x_1``).
    ``moduli``: ``(|m_core|, |m_shell|)`` where the caller has them.
    """
    inner, outer = parts
    xc, xs = x_core.detach(), x_shell.detach()
    mc, ms = moduli if moduli is not None else (m_core.detach().abs(), m_shell.detach().abs())
    for size, label, arg in (
        (xs, f"outer size parameter x_{outer} = 2 pi n_env r_{outer} / wavelength", names[1]),
        (ms * xs, f"optical size |m_{outer}| x_{outer}", names[1]),
        (mc * xc, f"optical size |m_{inner}| x_{inner}", names[0]),
    ):
        if float(size.max()) > MAX_SIZE:
            at = _where(size > MAX_SIZE)
            raise ValueError(
                f"{arg} is too large: the {label} must be <= {MAX_SIZE:g} (the series needs about "
                f"x + 4 x^(1/3) + 5 orders and Miller's recurrence about |m| x steps), got {float(size[at]):.4g} "
                f"at (particle, wavelength) index {at}"
            )
    if float(xs.min()) < MIN_OUTER_SIZE:
        at = _where(xs < MIN_OUTER_SIZE)
        raise ValueError(
            f"{names[1]} is too small: the outer size parameter 2 pi n_env r_{outer} / wavelength must be >= "
            f"{MIN_OUTER_SIZE:g} (a_n ~ x^(2n+1) underflows below it), got {float(xs[at]):.4g} "
            f"at (particle, wavelength) index {at}"
        )
    per_order = torch.minimum(mc, ms) * xc / (orders + 1)
    if float(per_order.min()) < MIN_CORE_SIZE_PER_ORDER:
        at = _where(per_order < MIN_CORE_SIZE_PER_ORDER)
        n = int(torch.broadcast_to(orders, per_order.shape)[at])
        what, radius, small = (("the core's optical size", "the core radius", "a core this small") if inner == "core" else
                               (f"the optical size at the outer radius of layer {inner},", f"radius r_{inner}",
                                "an inner part this small"))
        raise ValueError(
            f"{names[0]} is too small: {what} min(|m_{inner}|, |m_{outer}|) x_{inner} must be >= "
            f"{MIN_CORE_SIZE_PER_ORDER:g} (n_max + 1) = {MIN_CORE_SIZE_PER_ORDER * (n + 1):.3g} (n_max = {n}) for "
            f"the Riccati-Bessel functions at {radius} to be float64 numbers, got "
            f"{float(per_order[at]) * (n + 1):.4g} at (particle, wavelength) index {at}; {small} changes "
            f"no digit of the result (its contribution scales as x_{inner}^3), so a larger {names[0]}, e.g. 1e-6 nm, "
            "gives the same numbers"
        )


def check_env(env) -> torch.Tensor:
    """The embedding medium's real refractive index as a 0-d float64 tensor (> 0, finite)."""
    if not _is_torch(env):
        if isinstance(env, complex) or np.iscomplexobj(np.asarray(env)):
            raise TypeError(f"env must be a real refractive index (absorbing media are not supported), got {env!r}")
        env_f = float(env)
        if not math.isfinite(env_f) or env_f <= 0:
            raise ValueError(f"env must be a finite refractive index > 0, got {env!r}")
        return torch.tensor(env_f, dtype=torch.float64)
    env_t = env.to(torch.float64)
    if env_t.numel() != 1 or not (torch.isfinite(env_t.detach()) & (env_t.detach() > 0)).all():
        raise ValueError(f"env must be a single finite refractive index > 0, got {env_t.detach().tolist()}")
    return env_t.reshape(())


def prepare_inputs(core, shell, r_core, t_shell, wavelength, env=1.0, n_max=None, *, blocked=True) -> MieInputs:
    """Validate and broadcast the arguments of :func:`kerker.efficiencies`.

    ``blocked`` says how the caller runs the kernel, for the memory estimate: in blocks
    (:func:`kerker.efficiencies`) or all points at once (multipoles, patterns).

    Raises
    ------
    MemoryError
        Before allocating, when the request cannot fit in the available memory.
    ValueError
        Non-positive or non-finite radius or wavelength, negative shell thickness,
        shape mismatch, unknown material or wavelength outside a material's data,
        gain (Im eps < 0) in raw permittivities, |eps| < 1e-200, sizes outside
        ``MIN_OUTER_SIZE .. MAX_SIZE`` or a core below ``MIN_CORE_SIZE_PER_ORDER (n_max + 1)``,
        ``n_max`` outside ``1 .. MAX_ORDER``.
    TypeError
        Complex sizes, non-numeric inputs or a non-integer ``n_max``.
    """
    n_max = check_n_max(n_max)
    use_torch = any(_is_torch(v) for v in (core, shell, r_core, t_shell, wavelength, env))
    wl = _as_real("wavelength", wavelength, ndim_max=1)
    if (wl <= 0).any():
        raise ValueError(f"wavelength must be > 0 nm, got {wl[wl <= 0][:3].tolist()}")
    rc = _as_real("r_core", r_core, ndim_max=1)
    ts = _as_real("t_shell", t_shell, ndim_max=1)
    if (rc <= 0).any():
        raise ValueError(f"r_core must be > 0 nm (use a core of the shell material for a homogeneous sphere), got {rc.detach()[rc <= 0][:3].tolist()}")
    if (ts < 0).any():
        raise ValueError(
            f"t_shell must be >= 0 nm (the outer radius r_core + t_shell may not be below the core radius), "
            f"got {ts.detach()[ts < 0][:3].tolist()}"
        )
    if rc.shape[0] != ts.shape[0] and 1 not in (rc.shape[0], ts.shape[0]):
        raise ValueError(
            f"r_core and t_shell must broadcast over particles, got shapes {tuple(rc.shape)} and {tuple(ts.shape)}"
        )
    n_particles = max(rc.shape[0], ts.shape[0])
    rc = rc.expand(n_particles)
    ts = ts.expand(n_particles)

    env_t = check_env(env)

    grad = _wants_grad(core, shell, r_core, t_shell, wavelength, env)
    detail = f"{n_particles:,} particles x {wl.shape[0]:,} wavelengths"
    if blocked:
        n_points = n_particles * wl.shape[0]
        working = min(n_points, BLOCK_POINTS) * BLOCK_BYTES_PER_POINT
        if grad:
            working += min(n_points * GRAPH_BYTES_PER_POINT, GRAPH_BUDGET)
        check_memory(
            "kerker.efficiencies" + (" with gradients" if grad else ""),
            n_points,
            GRADIENT_BYTES_PER_POINT if grad else FORWARD_BYTES_PER_POINT,
            working,
            detail,
        )
    eps_core = _permittivity("core", core, wl, n_particles, use_torch)
    eps_shell = _permittivity("shell", shell, wl, n_particles, use_torch)
    abs_core = _check_permittivity_size("core", eps_core)
    abs_shell = _check_permittivity_size("shell", eps_shell)
    shape = (n_particles, wl.shape[0])
    m_core = _refractive_index(eps_core) / env_t  # (1 or P, W)
    m_shell = _refractive_index(eps_shell) / env_t
    k = 2.0 * math.pi * env_t / wl  # (W,)
    x_core = rc[:, None] * k[None, :]
    x_shell = (rc + ts)[:, None] * k[None, :]
    orders = truncation_orders(x_shell, n_max)
    # |m| = sqrt|eps| / n_env (to rounding: only the size limits use it); NumPy's sqrt, as
    # torch's float64 sqrt runs MKL's OpenMP threads, which hang in a forked child
    modulus = [torch.from_numpy(np.sqrt(a.cpu().numpy())).to(a.device) / env_t.detach() for a in (abs_core, abs_shell)]
    check_sizes(m_core, m_shell, x_core, x_shell, orders, moduli=tuple(modulus))
    if not blocked:
        rows = (n_max_wiscombe(float(x_shell.detach().max())) if n_max is None else n_max) + 1
        check_memory("the Mie kernel", x_shell.numel(), rows * UNBLOCKED_BYTES_PER_ROW, 0, detail)
    return MieInputs(m_core.expand(shape), m_shell.expand(shape), x_core, x_shell, wl, orders, use_torch, torch.stack([rc, rc + ts], dim=1), k)


def prepare_coefficient_inputs(m_core, m_shell, x_core, x_shell, n_max=None):
    """Validate and broadcast the arguments of :func:`kerker.mie.mie_coefficients`.

    Returns ``(m_core, m_shell, x_core, x_shell, n_max, use_torch)``: four broadcast
    tensors (complex128, complex128, float64, float64), the order count (Wiscombe + 3 of
    the largest ``x_shell`` by default) and whether any input was a torch tensor.
    """
    n_max = check_n_max(n_max)
    use_torch = any(_is_torch(v) for v in (m_core, m_shell, x_core, x_shell))
    tensors = []
    for name, value, dtype in (
        ("m_core", m_core, torch.complex128),
        ("m_shell", m_shell, torch.complex128),
        ("x_core", x_core, torch.float64),
        ("x_shell", x_shell, torch.float64),
    ):
        if _is_torch(value):
            if value.is_complex() and not dtype.is_complex:
                raise TypeError(f"{name} must be real, got a complex tensor of dtype {value.dtype}")
            t = value.to(dtype)
        else:
            array = np.asarray(value)
            if array.dtype.kind not in "biufc" or (np.iscomplexobj(array) and not dtype.is_complex):
                raise TypeError(f"{name} must be {'complex' if dtype.is_complex else 'real'} numbers, got dtype {array.dtype}")
            t = torch.as_tensor(array, dtype=dtype)
        finite = torch.isfinite(torch.view_as_real(t.detach()) if t.is_complex() else t.detach())
        if not finite.all():
            raise ValueError(f"{name} must be finite, got NaN or inf")
        tensors.append(t)
    try:
        shape = torch.broadcast_shapes(*(t.shape for t in tensors))
    except RuntimeError:
        raise ValueError(
            "m_core, m_shell, x_core, x_shell must broadcast to one shape, got shapes "
            + ", ".join(str(tuple(t.shape)) for t in tensors)
        ) from None
    check_memory("mie_coefficients", math.prod(shape), UNBLOCKED_BYTES_PER_ROW, 0, f"shape {tuple(shape)}")
    mc, ms, xc, xs = torch.broadcast_tensors(*tensors)
    mc, ms = _signed_zero_free(mc), _signed_zero_free(ms)
    if (xc <= 0).any():
        raise ValueError(f"x_core must be > 0, got {xc.detach()[xc <= 0][:3].tolist()}")
    if (xs < xc).any():
        raise ValueError("x_shell must be >= x_core (the outer radius cannot be inside the core)")
    for name, m in (("m_core", mc), ("m_shell", ms)):
        _check_passive(name, "m", m)
        small = m.detach().abs() < math.sqrt(MIN_ABS_PERMITTIVITY)
        if small.any():
            at = _where(small)
            raise ValueError(
                f"{name} must satisfy |m| >= {math.sqrt(MIN_ABS_PERMITTIVITY):g} (m = 0 has no Mie solution), "
                f"got {complex(m.detach()[at])} at index {at}"
            )
    if xs.numel() == 0:
        raise ValueError("mie_coefficients needs at least one particle, got empty inputs")
    if n_max is None:
        x_max = float(xs.detach().max())
        if x_max > MAX_SIZE:
            raise ValueError(f"x_shell must be <= {MAX_SIZE:g} (the series needs about x + 4 x^(1/3) + 5 orders), got {x_max:.4g}")
        n_max = n_max_wiscombe(x_max)
    check_sizes(mc, ms, xc, xs, torch.tensor(n_max), names=("x_core", "x_shell"))
    check_memory("mie_coefficients", xs.numel(), (n_max + 1) * UNBLOCKED_BYTES_PER_ROW, 0, f"shape {tuple(xs.shape)}")
    return mc, ms, xc, xs, n_max, use_torch


def to_output(tensor: torch.Tensor, use_torch: bool):
    """Return ``tensor`` unchanged for torch callers, else as a NumPy array."""
    return tensor if use_torch else tensor.detach().numpy()
