"""Validation and conversion of the public Mie arguments (one place, at the boundary).

NumPy in gives NumPy out; a torch tensor anywhere in the inputs switches the whole call
to torch (float64 / complex128) so that gradients flow to every tensor argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from kerker.materials import Material, material

__all__ = ["MieInputs", "prepare_inputs", "to_output"]

#: Gain (Im eps < 0) is refused; a negative imaginary part down to this fraction of |eps|
#: is accepted as rounding or finite-difference noise of a lossless medium (gradcheck
#: steps 1e-6 into it), on which the solution is the analytic continuation.
GAIN_TOLERANCE = 1e-5


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
    use_torch : bool
        Whether the caller passed any torch tensor (results are returned as torch).
    """

    m_core: torch.Tensor
    m_shell: torch.Tensor
    x_core: torch.Tensor
    x_shell: torch.Tensor
    wavelength: torch.Tensor
    use_torch: bool


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
    """Refuse gain: Im < 0 beyond ``GAIN_TOLERANCE`` of the modulus."""
    v = value.detach()
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
    return torch.where(eps.imag < 0, _EIGHTH_TURN * torch.sqrt(-1j * eps), torch.sqrt(eps))


def prepare_inputs(core, shell, r_core, t_shell, wavelength, env=1.0) -> MieInputs:
    """Validate and broadcast the arguments of :func:`kerker.efficiencies`.

    Raises
    ------
    ValueError
        Non-positive or non-finite radius or wavelength, negative shell thickness,
        shape mismatch, unknown material or wavelength outside a material's data.
    TypeError
        Complex sizes or non-numeric inputs.
    """
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

    env_t = env.to(torch.float64) if _is_torch(env) else None
    if env_t is None:
        if isinstance(env, complex) or np.iscomplexobj(np.asarray(env)):
            raise TypeError(f"env must be a real refractive index (absorbing media are not supported), got {env!r}")
        env_f = float(env)
        if not math.isfinite(env_f) or env_f <= 0:
            raise ValueError(f"env must be a finite refractive index > 0, got {env!r}")
        env_t = torch.tensor(env_f, dtype=torch.float64)
    elif env_t.numel() != 1 or not (env_t > 0).all():
        raise ValueError(f"env must be a single refractive index > 0, got {env_t.tolist()}")
    env_t = env_t.reshape(())

    eps_core = _permittivity("core", core, wl, n_particles, use_torch)
    eps_shell = _permittivity("shell", shell, wl, n_particles, use_torch)
    shape = (n_particles, wl.shape[0])
    m_core = (_refractive_index(eps_core) / env_t).expand(shape)
    m_shell = (_refractive_index(eps_shell) / env_t).expand(shape)
    k = 2.0 * math.pi * env_t / wl  # (W,)
    x_core = rc[:, None] * k[None, :]
    x_shell = (rc + ts)[:, None] * k[None, :]
    return MieInputs(m_core, m_shell, x_core, x_shell, wl, use_torch)


def to_output(tensor: torch.Tensor, use_torch: bool):
    """Return ``tensor`` unchanged for torch callers, else as a NumPy array."""
    return tensor if use_torch else tensor.detach().numpy()
