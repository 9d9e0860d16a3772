"""The per-wavelength MLP surrogate: (design vector, scaled wavelength) -> (Q_fwd, Q_back).

The alternative the paper mentions: wavelength is an input, so the network can be
evaluated on any wavelength inside its training range, not only on the 64-point grid.
"""

from __future__ import annotations

import torch
from torch import nn

from kerker.models.surrogate._config import MLPConfig

__all__ = ["SpectralMLP"]


class SpectralMLP(nn.Module):
    """Fully connected network evaluated independently at each wavelength.

    Parameters
    ----------
    config : MLPConfig
        Hidden widths and number of materials.

    Examples
    --------
    >>> import torch
    >>> from kerker.models import MLPConfig, SpectralMLP
    >>> net = SpectralMLP(MLPConfig(hidden=(32, 32)))
    >>> net(torch.zeros(3, 16), torch.linspace(-1, 1, 5)).shape
    torch.Size([3, 2, 5])
    """

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        layers: list[nn.Module] = []
        width = config.design_dim + 1
        for h in config.hidden:
            layers += [nn.Linear(width, h), nn.LeakyReLU(config.negative_slope)]
            width = h
        layers.append(nn.Linear(width, config.n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, design: torch.Tensor, wavelength: torch.Tensor) -> torch.Tensor:
        """Evaluate on a grid or on per-particle wavelengths.

        Parameters
        ----------
        design : Tensor, shape (B, 2 + 2M)
            Preprocessed design vectors.
        wavelength : Tensor, shape (W,) or (B, W)
            Min-max scaled wavelengths, shared by all particles or one row per particle.

        Returns
        -------
        Tensor, shape (B, n_outputs, W)
            Preprocessed targets.
        """
        b = design.shape[0]
        wl = wavelength.reshape(1, -1).expand(b, -1) if wavelength.ndim == 1 else wavelength
        w = wl.shape[1]
        rows = torch.cat([design[:, None, :].expand(b, w, design.shape[1]), wl[..., None].to(design.dtype)], dim=-1)
        return self.net(rows).transpose(1, 2)
