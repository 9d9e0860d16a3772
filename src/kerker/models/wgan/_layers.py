"""Building blocks shared by the WGAN-GP generator and critic."""

from __future__ import annotations

import itertools

from torch import nn

__all__ = ["glorot_", "mlp"]


def glorot_(module: nn.Module) -> None:
    """Glorot-uniform weights and zero biases (the Keras defaults of the paper's TensorFlow code).

    PyTorch's default (Kaiming-uniform with a = sqrt(5)) shrinks the activations by ~sqrt(3)
    per layer, so an untrained generator maps almost every z to one material pair (16-21 of
    49 pairs among 5,000 samples); Glorot starts with 35-48 and training keeps them.
    """
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.xavier_uniform_(layer.weight)
            nn.init.zeros_(layer.bias)


def mlp(sizes: list[int], negative_slope: float) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in itertools.pairwise(sizes):
        layers += [nn.Linear(a, b), nn.LeakyReLU(negative_slope)]
    return nn.Sequential(*layers)
