"""Learned models of core-shell designs, in two wings on one training loop and one checkpoint format.

- ``surrogate/``: the Mie surrogate, design -> ``q_fwd, q_back`` spectra.
  :class:`ResNet1D` (the paper's 1D ResNet, 64-point grid) and :class:`SpectralMLP`
  (per wavelength, any grid point in range); :class:`Surrogate`, a trained network with
  its preprocessing: ``predict(designs)`` (or ``predict(core, shell, r_core, t_shell)``)
  -> ``q_fwd, q_back`` in physical units; :func:`train_surrogate`,
  :func:`evaluate_surrogate` (``kerker train/evaluate surrogate``).
- ``wgan/``: the WGAN-GP re-parametrization of discrete designs. :class:`Generator`
  (latent ``z`` -> :class:`~kerker.dataset.Designs`), :class:`Critic`;
  :func:`train_wgan`, :func:`evaluate_wgan` (``kerker train/evaluate wgan``).
- ``training.py``: :func:`run_training`, the one training loop both wings plug a step into.
- ``checkpoint.py``: :func:`save_checkpoint`, :func:`load_checkpoint` (what inference needs).
- :func:`load_surrogate`, :func:`load_generator`: the checkpoints shipped in
  ``kerker/models/weights/``.
"""

from kerker.models._shipped import SHIPPED_GENERATORS, SHIPPED_SURROGATES, load_generator, load_surrogate
from kerker.models.checkpoint import load_checkpoint, save_checkpoint
from kerker.models.surrogate import (
    MLPConfig,
    ResidualBlock1D,
    ResNet1D,
    ResNetConfig,
    SpectralMLP,
    Surrogate,
    SurrogatePreprocessing,
    SurrogateTrainConfig,
    build_network,
    evaluate_surrogate,
    exact_spectra,
    example_spectra,
    off_grid_designs,
    rmae,
    summarize_rmae,
    test_split_metrics,
    train_surrogate,
)
from kerker.models.training import TrainingResult, run_training
from kerker.models.wgan import (
    Critic,
    CriticConfig,
    Generator,
    GeneratorConfig,
    WGANTrainConfig,
    evaluate_wgan,
    export_generator,
    fidelity_metrics,
    gradient_penalty,
    latent_smoothness,
    layer_fidelity_metrics,
    layer_smoothness,
    pair_robustness,
    train_wgan,
)

__all__ = [
    "SHIPPED_GENERATORS",
    "SHIPPED_SURROGATES",
    "Critic",
    "CriticConfig",
    "Generator",
    "GeneratorConfig",
    "MLPConfig",
    "ResNet1D",
    "ResNetConfig",
    "ResidualBlock1D",
    "SpectralMLP",
    "Surrogate",
    "SurrogatePreprocessing",
    "SurrogateTrainConfig",
    "TrainingResult",
    "WGANTrainConfig",
    "build_network",
    "evaluate_surrogate",
    "evaluate_wgan",
    "exact_spectra",
    "example_spectra",
    "export_generator",
    "fidelity_metrics",
    "gradient_penalty",
    "latent_smoothness",
    "layer_fidelity_metrics",
    "layer_smoothness",
    "pair_robustness",
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
