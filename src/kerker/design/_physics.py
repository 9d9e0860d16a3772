"""The physics a design is scored with: the shipped surrogate or exact Mie theory.

Both take *soft* designs — material probabilities ``p_core``, ``p_shell`` of shape (N, M)
over one material list, sizes in nm of shape (N,) — so that gradients reach the latent
vector of a generator, and *hard* designs (material indices) for the final, exact scores.

How soft materials reach the exact solver (measured in docs/design.md): the default
``relaxation="straight-through"`` evaluates Mie theory with the permittivity of the most
probable material (so every score is that of a real particle) and passes the gradient of
the probability-weighted permittivity ``sum_i p_i eps_i`` back to the probabilities;
``"mix"`` evaluates the mixed permittivity itself (a fictitious effective medium whose
loss can lie below every real material's).
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["ExactPhysics", "SurrogatePhysics", "exact_spectra", "hold_permittivities", "relaxed_permittivity"]

RELAXATIONS = ("straight-through", "mix")


def hold_permittivities(materials, wavelength) -> torch.Tensor:
    """Permittivities (M, W) complex128 torch with the dataset's out-of-range policy ("hold": TiO2
    below 430 nm), so exact scores match the spectra the surrogate was trained on."""
    from kerker.materials import permittivity_table

    return torch.as_tensor(permittivity_table(materials, np.asarray(wavelength, dtype=np.float64), extrapolation="hold"))


def relaxed_permittivity(p: torch.Tensor, table: torch.Tensor, relaxation: str) -> torch.Tensor:
    """Permittivities (N, W) of soft materials ``p`` (N, M) over ``table`` (M, W) (module docstring):
    ``"mix"`` the probability-weighted permittivity, ``"straight-through"`` the most probable
    material's with the mixture's gradient."""
    mix = p.to(torch.complex128) @ table
    if relaxation == "mix":
        return mix
    hard = table[p.detach().argmax(1)]
    return hard + (mix - mix.detach())


def exact_spectra(materials, core_index, shell_index, r_core, t_shell, wavelength, env: float = 1.0):
    """Exact ``q_fwd, q_back`` (N, W) NumPy of hard designs (material indices into ``materials``)."""
    from kerker.mie import efficiencies

    eps = hold_permittivities(materials, wavelength).numpy()
    q = efficiencies(
        eps[np.asarray(core_index)], eps[np.asarray(shell_index)], np.asarray(r_core), np.asarray(t_shell),
        np.asarray(wavelength, dtype=np.float64), env,
    )
    return q.q_fwd, q.q_back


class ExactPhysics:
    """Exact, differentiable Mie theory on the objective's wavelengths.

    Parameters
    ----------
    materials : sequence of str
        Material list the probabilities refer to.
    wavelength : array_like, shape (W,)
        Wavelengths (nm) to evaluate.
    env : float
        Refractive index of the embedding medium.
    relaxation : {"straight-through", "mix"}
        How soft materials enter the solver (module docstring).
    """

    name = "exact"

    def __init__(self, materials, wavelength, *, env: float = 1.0, relaxation: str = "straight-through"):
        if relaxation not in RELAXATIONS:
            raise ValueError(f"relaxation must be one of {RELAXATIONS}, got {relaxation!r}")
        self.materials = tuple(materials)
        self.wavelength = np.asarray(wavelength, dtype=np.float64)
        self.env = env
        self.relaxation = relaxation
        self._wl = torch.as_tensor(self.wavelength)
        self._table = hold_permittivities(self.materials, self.wavelength)

    def _eps(self, p: torch.Tensor) -> torch.Tensor:
        return relaxed_permittivity(p, self._table, self.relaxation)

    def soft(self, p_core, p_shell, r_core, t_shell) -> tuple[torch.Tensor, torch.Tensor]:
        """Differentiable ``q_fwd, q_back`` (N, W) of soft designs."""
        from kerker.mie import efficiencies

        q = efficiencies(self._eps(p_core), self._eps(p_shell), r_core.to(torch.float64),
                         t_shell.to(torch.float64), self._wl, self.env)
        return q.q_fwd, q.q_back

    def hard(self, core_index, shell_index, r_core, t_shell) -> tuple[torch.Tensor, torch.Tensor]:
        """Differentiable (in the sizes) ``q_fwd, q_back`` (N, W) of fixed materials."""
        from kerker.mie import efficiencies

        q = efficiencies(self._table[core_index], self._table[shell_index], r_core, t_shell, self._wl, self.env)
        return q.q_fwd, q.q_back


class SurrogatePhysics:
    """A trained surrogate (default the shipped ResNet) on its own wavelength grid.

    Parameters
    ----------
    surrogate : kerker.models.Surrogate
        The network; its :attr:`materials` order is the probabilities' order.
    wavelength : array_like, shape (W,)
        Wavelengths (nm) the objective needs, inside the ResNet's grid (off-grid points
        are interpolated linearly between the two neighbouring grid points).

    Raises
    ------
    ValueError
        A wavelength outside the surrogate's grid (use ``physics="exact"``).
    """

    name = "surrogate"

    def __init__(self, surrogate, wavelength):
        self.model = surrogate
        self.materials = tuple(surrogate.materials)
        grid = np.asarray(surrogate.wavelength, dtype=np.float64)
        wl = np.asarray(wavelength, dtype=np.float64)
        outside = (wl < grid[0] - 1e-9) | (wl > grid[-1] + 1e-9)
        if outside.any():
            raise ValueError(
                f"the surrogate predicts on {grid[0]:g}-{grid[-1]:g} nm only; the objective needs "
                f"{wl[outside][:4].tolist()} nm: use physics='exact' (exact Mie theory at any wavelength)"
            )
        # Off-grid wavelengths inside the grid: linear interpolation between the two
        # neighbouring grid columns (differentiable; exact at grid points).
        hi = np.clip(np.searchsorted(grid, wl), 1, grid.size - 1)
        frac = (wl - grid[hi - 1]) / (grid[hi] - grid[hi - 1])
        self.wavelength = wl
        self._lo = torch.as_tensor(hi - 1)
        self._hi = torch.as_tensor(hi)
        self._frac = torch.as_tensor(frac)
        self.r_range = tuple(surrogate.r_range)
        self.t_range = tuple(surrogate.t_range)

    def _at(self, q: torch.Tensor) -> torch.Tensor:
        return q[:, self._lo] * (1.0 - self._frac) + q[:, self._hi] * self._frac

    def soft(self, p_core, p_shell, r_core, t_shell) -> tuple[torch.Tensor, torch.Tensor]:
        """Differentiable predicted ``q_fwd, q_back`` (N, W) of soft designs."""
        q_fwd, q_back = self.model.predict(p_core, p_shell, r_core, t_shell)
        return self._at(q_fwd), self._at(q_back)
