"""Learned surrogates of core-shell Mie theory and the shared training loop.

- :class:`ResNet1D` (``resnet1d.py``): the paper's 1D ResNet, design -> 64-point spectra.
- :class:`SpectralMLP` (``mlp.py``): per-wavelength MLP, not tied to a wavelength grid.
- :func:`run_training` (``training.py``): the one training loop (also used by the WGAN-GP).
- :class:`Surrogate` (``surrogate.py``): a trained network with its preprocessing;
  ``predict(core, shell, r_core, t_shell)`` -> ``q_fwd, q_back`` in physical units.
- :func:`train_surrogate`, :func:`evaluate_surrogate`: what ``kerker train surrogate`` and
  ``kerker evaluate surrogate`` run.
- :func:`load_surrogate`: the checkpoints shipped in ``kerker/models/weights/``.
- :class:`Generator`, :class:`Critic` (``wgan_gp.py``): the WGAN-GP re-parametrization of
  discrete designs; :func:`train_wgan`, :func:`evaluate_wgan` (``kerker train/evaluate wgan``);
  :func:`load_generator`: the shipped generator.
"""

from __future__ import annotations

from pathlib import Path

from kerker.models._config import MLPConfig, ResNetConfig, SurrogateTrainConfig
from kerker.models._evaluation import evaluate_surrogate, off_grid_designs, rmae, summarize_rmae, test_split_metrics
from kerker.models._fit_surrogate import train_surrogate
from kerker.models._fit_wgan import WGANTrainConfig, export_generator, train_wgan
from kerker.models._preprocessing import SurrogatePreprocessing
from kerker.models._wgan_fidelity import evaluate_wgan, fidelity_metrics, latent_smoothness
from kerker.models.mlp import SpectralMLP
from kerker.models.resnet1d import ResidualBlock1D, ResNet1D
from kerker.models.surrogate import Surrogate, build_network
from kerker.models.training import TrainingResult, load_checkpoint, run_training, save_checkpoint
from kerker.models.wgan_gp import Critic, CriticConfig, DecodedDesigns, Generator, GeneratorConfig, SoftDesigns, gradient_penalty

__all__ = [
    "SHIPPED_SURROGATES",
    "Critic",
    "CriticConfig",
    "DecodedDesigns",
    "Generator",
    "GeneratorConfig",
    "MLPConfig",
    "ResNet1D",
    "ResNetConfig",
    "ResidualBlock1D",
    "SoftDesigns",
    "SpectralMLP",
    "Surrogate",
    "SurrogatePreprocessing",
    "SurrogateTrainConfig",
    "TrainingResult",
    "WGANTrainConfig",
    "build_network",
    "evaluate_surrogate",
    "evaluate_wgan",
    "export_generator",
    "fidelity_metrics",
    "gradient_penalty",
    "latent_smoothness",
    "load_checkpoint",
    "load_generator",
    "load_surrogate",
    "off_grid_designs",
    "rmae",
    "run_training",
    "save_checkpoint",
    "summarize_rmae",
    "test_split_metrics",
    "train_surrogate",
    "train_wgan",
]

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
        ``model.predict(core, shell, r_core, t_shell)`` -> ``q_fwd, q_back`` (P, W) on
        ``model.wavelength``; training command and metrics in ``model.info``.

    Raises
    ------
    ValueError
        Unknown name.
    FileNotFoundError
        The package was installed without its weights.
    """
    if name not in SHIPPED_SURROGATES:
        raise ValueError(f"unknown shipped surrogate {name!r}; available: {sorted(SHIPPED_SURROGATES)}")
    path = Path(__file__).parent / "weights" / SHIPPED_SURROGATES[name]
    if not path.is_file():
        raise FileNotFoundError(f"shipped surrogate {name!r} is missing: no file {path}")
    return Surrogate.from_checkpoint(path)


def load_generator() -> Generator:
    """Load the WGAN-GP generator shipped with kerker (``weights/wgan.pt``), in eval mode.

    Returns
    -------
    Generator
        ``generator.sample(n, seed=...)`` -> n designs (core/shell names, r_core/t_shell
        in nm); ``generator.decode(z, hard=False)`` for optimization through ``z``;
        training command, history and fidelity numbers in ``generator.info``.

    Raises
    ------
    FileNotFoundError
        The package was installed without its weights.
    """
    path = Path(__file__).parent / "weights" / "wgan.pt"
    if not path.is_file():
        raise FileNotFoundError(f"the shipped WGAN-GP generator is missing: no file {path}")
    return Generator.from_checkpoint(path)
