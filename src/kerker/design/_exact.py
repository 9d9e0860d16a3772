"""Multi-start gradient descent on exact Mie theory for directional scattering."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from kerker._config import integer, interval, number, positive_float, positive_int
from kerker.mie import efficiencies

__all__ = ["DirectionalResult", "optimize_directional"]


@dataclass(frozen=True)
class DirectionalResult:
    """Outcome of :func:`optimize_directional`; sizes in nm.

    Attributes
    ----------
    r_core, t_shell : ndarray, shape (S,)
        Final core radius and shell thickness of every start, best first.
    q_fwd, q_back, loss : ndarray, shape (S,)
        Their forward/backward efficiencies and loss ``-q_fwd + w q_back``.
    history : ndarray, shape (steps, S)
        Loss of every start after each step (columns in the original start order).
    """

    r_core: np.ndarray
    t_shell: np.ndarray
    q_fwd: np.ndarray
    q_back: np.ndarray
    loss: np.ndarray
    history: np.ndarray


def optimize_directional(
    core,
    shell,
    wavelength: float,
    *,
    weight: float = 1.0,
    bounds: tuple[float, float] = (1.0, 100.0),
    n_starts: int = 64,
    steps: int = 150,
    lr: float = 0.05,
    seed: int = 0,
    env: float = 1.0,
) -> DirectionalResult:
    """Minimise ``-Q_fwd + weight * Q_back`` over core radius and shell thickness.

    Sizes are mapped from unconstrained parameters by a sigmoid onto ``bounds`` (nm),
    so every iterate is a valid particle; all starts run as one batch through the
    exact solver and Adam. Materials are fixed (names or Material objects).

    Parameters
    ----------
    core, shell : str or kerker.Material
        Core and shell materials.
    wavelength : float
        Design wavelength in nm (finite, > 0).
    weight : float
        Backscattering weight ``w`` of the loss (Soun et al. eq. 3; w = 1 there); finite.
    bounds : (float, float)
        Range of both the core radius and the shell thickness in nm, ``0 < low < high``.
    n_starts, steps, lr, seed : int, int, float, int
        Number of random starts (>= 1), Adam steps (>= 1), learning rate (> 0), and the
        seed of the starts (>= 0).
    env : float
        Refractive index of the embedding medium.

    Returns
    -------
    DirectionalResult

    Raises
    ------
    TypeError
        An argument of the wrong type (``n_starts=2.5``, ``weight="1"``), naming it.
    ValueError
        A non-finite number (NaN, inf) or one outside its range, naming the argument, the
        rule and the value: ``wavelength``, ``lr`` and ``env`` > 0, ``weight`` finite,
        ``n_starts`` and ``steps`` >= 1, ``seed`` >= 0, ``0 < bounds[0] < bounds[1]``;
        unknown materials or wavelengths outside their data (from :func:`kerker.efficiencies`).
    """
    # Checked here, before the first step: a NaN weight or learning rate would otherwise
    # turn every parameter into NaN and surface as a misleading "r_core must be finite".
    wavelength = positive_float("wavelength", wavelength, what="design wavelength in nm")
    weight = number("weight", weight, what="backscattering weight of the loss")
    lo, hi = interval("bounds", bounds, strict_lower=True)
    if not lo < hi:
        raise ValueError(f"bounds must satisfy 0 < lo < hi (nm, finite); received {bounds!r}")
    n_starts = positive_int("n_starts", n_starts)
    steps = positive_int("steps", steps)
    lr = positive_float("lr", lr, what="Adam learning rate")
    seed = integer("seed", seed, minimum=0)
    env = positive_float("env", env, what="refractive index of the medium")
    gen = torch.Generator().manual_seed(seed)
    params = torch.randn(2, n_starts, generator=gen, dtype=torch.float64).requires_grad_(True)
    wl = torch.tensor([wavelength], dtype=torch.float64)
    opt = torch.optim.Adam([params], lr=lr)

    def sizes(p: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = lo + (hi - lo) * torch.sigmoid(p)
        return s[0], s[1]

    history = np.empty((steps, n_starts))
    for step in range(steps):
        opt.zero_grad()
        r_core, t_shell = sizes(params)
        q = efficiencies(core, shell, r_core, t_shell, wl, env)
        loss = -q.q_fwd[:, 0] + weight * q.q_back[:, 0]
        loss.sum().backward()
        opt.step()
        history[step] = loss.detach().numpy()
    with torch.no_grad():
        r_core, t_shell = sizes(params)
        q = efficiencies(core, shell, r_core, t_shell, wl, env)
        loss = -q.q_fwd[:, 0] + weight * q.q_back[:, 0]
    order = torch.argsort(loss)
    pick = lambda t: t[order].numpy()  # noqa: E731
    return DirectionalResult(
        pick(r_core), pick(t_shell), pick(q.q_fwd[:, 0]), pick(q.q_back[:, 0]), pick(loss), history
    )
