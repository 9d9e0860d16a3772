"""The WGAN-GP critic (Soun et al., Fig. 3, green) and the gradient penalty of Gulrajani et al. (2017)."""

from __future__ import annotations

import torch
from torch import nn

from kerker.models.wgan._config import CriticConfig
from kerker.models.wgan._layers import glorot_, mlp

__all__ = ["Critic", "gradient_penalty"]


class Critic(nn.Module):
    """Design vector -> unbounded score (Soun et al., Fig. 3, green); higher = more real.

    Parameters
    ----------
    config : CriticConfig
        Architecture (hidden widths, leaky ReLU slope, number of materials).
    """

    def __init__(self, config: CriticConfig):
        super().__init__()
        if not isinstance(config, CriticConfig):
            raise TypeError(f"config must be a CriticConfig, got {type(config).__name__}")
        self.config = config
        self.body = mlp([config.input_dim, *config.hidden], config.negative_slope)
        self.head = nn.Linear(config.hidden[-1], 1)
        glorot_(self)

    def pack(self, x: torch.Tensor) -> torch.Tensor:
        """Design vectors (N, L (1 + M)) -> critic inputs (N / pack, pack L (1 + M)), consecutive rows joined."""
        p, f = self.config.pack, self.config.design_dim
        if x.ndim != 2 or x.shape[1] != f:
            raise ValueError(
                f"the critic expects design vectors of shape (N, {f}) for {self.config.n_layers} layer(s) of "
                f"{self.config.n_materials} materials; received {tuple(x.shape)}"
            )
        if x.shape[0] % p:
            raise ValueError(f"the critic packs {p} designs at a time; N = {x.shape[0]} is not a multiple of {p}")
        return x.reshape(x.shape[0] // p, p * f)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores of packed inputs ``x`` (N', pack L (1 + M)) -> shape (N',); see :meth:`pack`."""
        if x.ndim != 2 or x.shape[1] != self.config.input_dim:
            raise ValueError(
                f"the critic expects inputs of shape (N, {self.config.input_dim}) ({self.config.pack} design vector(s) "
                f"for {self.config.n_layers} layer(s) of {self.config.n_materials} materials); received {tuple(x.shape)}"
            )
        return self.head(self.body(x)).squeeze(-1)


def gradient_penalty(
    critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, *, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Gulrajani et al. (2017), Eq. 3: ``mean((||grad_x D(x_hat)||_2 - 1)^2)``.

    Parameters
    ----------
    critic : nn.Module
        Maps (N, F) -> (N,).
    real, fake : Tensor, shape (N, F)
        Real and generated samples (``fake`` detached from the generator).
    generator : torch.Generator, optional
        Source of the per-sample mixing weights ``eps ~ U[0, 1]``
        (``x_hat = eps * real + (1 - eps) * fake``).

    Returns
    -------
    Tensor, shape ()
        The penalty, differentiable with respect to the critic's parameters
        (``create_graph=True``).
    """
    if real.shape != fake.shape:
        raise ValueError(f"real and fake must have one shape; received {tuple(real.shape)} and {tuple(fake.shape)}")
    eps = torch.rand(real.shape[0], 1, generator=generator, dtype=real.dtype, device=real.device)
    x_hat = (eps * real + (1.0 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1.0) ** 2).mean()
