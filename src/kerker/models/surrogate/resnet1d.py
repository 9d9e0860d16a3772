"""The 1D ResNet surrogate of Soun et al.: design vector -> (Q_fwd, Q_back) spectra.

A dense stem turns the 16-entry design vector into a short 1D sequence; residual
blocks refine it and x2 upsampling stretches it to the wavelength grid, so neighbouring
wavelengths share convolution filters (spectra are smooth in wavelength).
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from kerker.models.surrogate._config import ResNetConfig

__all__ = ["ResidualBlock1D", "ResNet1D"]


def _activation(config: ResNetConfig) -> nn.Module:
    if config.activation == "silu":
        return nn.SiLU()
    return nn.LeakyReLU(config.negative_slope)


class ResidualBlock1D(nn.Module):
    """Conv1D-BN-act-Conv1D-BN plus a skip connection, then act (leaky ReLU in the paper).

    A 1x1 convolution projects the skip when the channel count changes.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    kernel_size : int
        Odd kernel size; "same" padding keeps the length.
    act : nn.Module
        The nonlinearity (stateless; shared by both places it is applied).
    """

    def __init__(self, c_in: int, c_out: int, kernel_size: int, act: nn.Module):
        super().__init__()
        pad = kernel_size // 2
        self.conv1 = nn.Conv1d(c_in, c_out, kernel_size, padding=pad, bias=False)
        self.bn1 = nn.BatchNorm1d(c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, kernel_size, padding=pad, bias=False)
        self.bn2 = nn.BatchNorm1d(c_out)
        self.act = act
        self.skip = nn.Identity() if c_in == c_out else nn.Conv1d(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, c_in, L) -> (B, c_out, L)."""
        h = self.act(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return self.act(h + self.skip(x))


class ResNet1D(nn.Module):
    """Design vector (B, 2 + 2M) -> scaled spectra (B, n_outputs, seq_len * 2**groups).

    Parameters
    ----------
    config : ResNetConfig
        Widths, depth and output grid size.

    Examples
    --------
    >>> import torch
    >>> from kerker.models import ResNet1D, ResNetConfig
    >>> net = ResNet1D(ResNetConfig(channels=(16, 16, 8), blocks_per_group=1)).eval()
    >>> net(torch.zeros(3, 16)).shape
    torch.Size([3, 2, 64])
    """

    def __init__(self, config: ResNetConfig):
        super().__init__()
        self.config = config
        c0 = config.channels[0]
        stem: list[nn.Module] = []
        width = config.stem_input_dim
        for w in config.stem_hidden + (config.seq_len * c0,):
            stem += [nn.Linear(width, w), _activation(config)]
            width = w
        self.stem = nn.Sequential(*stem)
        layers: list[nn.Module] = []
        c_in = c0
        for c in config.channels:
            for _ in range(config.blocks_per_group):
                layers.append(ResidualBlock1D(c_in, c, config.kernel_size, _activation(config)))
                c_in = c
            layers.append(nn.Upsample(scale_factor=2, mode=config.upsample))
        self.body = nn.Sequential(*layers)
        self.head = nn.Conv1d(c_in, config.n_outputs, config.kernel_size, padding=config.kernel_size // 2)
        freqs = torch.pi * 2.0 ** torch.arange(config.fourier_octaves, dtype=torch.float32)
        self.register_buffer("freqs", freqs, persistent=False)

    def features(self, design: torch.Tensor) -> torch.Tensor:
        """Design vector plus the Fourier features of its two sizes (the stem's input)."""
        if self.config.fourier_octaves == 0:
            return design
        phase = design[:, :2, None] * self.freqs.to(design.dtype)
        return torch.cat([design, torch.sin(phase).flatten(1), torch.cos(phase).flatten(1)], dim=1)

    def forward(self, design: torch.Tensor) -> torch.Tensor:
        """design: (B, 2 + 2M) preprocessed -> (B, n_outputs, W) preprocessed targets."""
        h = self.stem(self.features(design)).reshape(design.shape[0], self.config.channels[0], self.config.seq_len)
        return self.head(self.body(h))

    def folded(self) -> ResNet1D:
        """An inference copy: each batch norm folded into the convolution before it, weights frozen.

        In eval mode a batch norm is an affine map per channel, so ``bn(conv(x))`` is one
        convolution with scaled weights and a bias; the copy computes the same function (to
        float32 rounding) with 16 fewer layers in the forward and the backward pass, and its
        parameters do not require gradients, so a backward pass computes input gradients
        only (what design needs). Measured on 500 designs, forward + backward: about a
        quarter less CPU time than the network with batch norms and trainable weights.
        """
        net = copy.deepcopy(self).eval()
        for block in net.body:
            if isinstance(block, ResidualBlock1D):
                block.conv1 = fuse_conv_bn_eval(block.conv1, block.bn1)
                block.conv2 = fuse_conv_bn_eval(block.conv2, block.bn2)
                block.bn1, block.bn2 = nn.Identity(), nn.Identity()
        return net.requires_grad_(False)
