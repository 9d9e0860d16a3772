"""The checkpoints shipped in ``kerker/models/weights/`` (see its README.md), loaded by name."""

from __future__ import annotations

from pathlib import Path

from kerker.models.surrogate import Surrogate
from kerker.models.wgan import Generator

__all__ = ["SHIPPED_SURROGATES", "load_generator", "load_surrogate"]

_WEIGHTS = Path(__file__).parent / "weights"

#: Shipped checkpoints by name (files in ``kerker/models/weights/``; see its README.md).
SHIPPED_SURROGATES = {"resnet": "resnet.pt", "mlp": "mlp.pt"}


def load_surrogate(name: str = "resnet") -> Surrogate:
    """Load a surrogate shipped with kerker, in eval mode.

    Parameters
    ----------
    name : {"resnet", "mlp"}
        ``"resnet"``: the paper's 1D ResNet on 64 wavelengths (400-800 nm); ``"mlp"``: the
        per-wavelength MLP (any wavelength in 400-800 nm).

    Returns
    -------
    Surrogate
        ``model.predict(designs)`` or ``model.predict(core, shell, r_core, t_shell)`` ->
        ``q_fwd, q_back`` (P, W) on ``model.wavelength``; training command and metrics in
        ``model.info``.

    Raises
    ------
    ValueError
        Unknown name.
    FileNotFoundError
        The package was installed without its weights.
    """
    if name not in SHIPPED_SURROGATES:
        raise ValueError(f"unknown shipped surrogate {name!r}; available: {sorted(SHIPPED_SURROGATES)}")
    path = _WEIGHTS / SHIPPED_SURROGATES[name]
    if not path.is_file():
        raise FileNotFoundError(f"shipped surrogate {name!r} is missing: no file {path}")
    return Surrogate.from_checkpoint(path)


def load_generator() -> Generator:
    """Load the WGAN-GP generator shipped with kerker (``weights/wgan.pt``), in eval mode.

    Returns
    -------
    Generator
        ``generator.sample(n, seed=...)`` -> n hard :class:`~kerker.dataset.Designs`
        (material indices, r_core/t_shell in nm); ``generator.decode(z, hard=False)``, soft
        designs for optimization through ``z``;
        training command, history and fidelity numbers in ``generator.info``.

    Raises
    ------
    FileNotFoundError
        The package was installed without its weights.
    """
    path = _WEIGHTS / "wgan.pt"
    if not path.is_file():
        raise FileNotFoundError(f"the shipped WGAN-GP generator is missing: no file {path}")
    return Generator.from_checkpoint(path)
