"""The learned surrogate of core-shell Mie theory: design -> ``q_fwd, q_back`` spectra.

- ``_config.py``: :class:`ResNetConfig`, :class:`MLPConfig` (architectures) and
  :class:`SurrogateTrainConfig` (a training run).
- ``resnet1d.py``: :class:`ResNet1D`, the paper's 1D ResNet on a fixed 64-point grid.
- ``mlp.py``: :class:`SpectralMLP`, per wavelength, not tied to a grid.
- ``_preprocessing.py``: :class:`SurrogatePreprocessing`, the fitted design encoding and
  target scaling, in NumPy (training) and torch (prediction).
- ``_inference.py``: :class:`Surrogate`, a trained network with its preprocessing;
  ``predict(designs)`` -> ``q_fwd, q_back`` in physical units.
- ``_fit.py``: :func:`train_surrogate`, the surrogate's step for the shared loop.
- ``_evaluation.py``: rMAE on the test split and off-grid particles (:func:`evaluate_surrogate`).
"""

from kerker.models.surrogate._config import MLPConfig, ResNetConfig, SurrogateTrainConfig
from kerker.models.surrogate._evaluation import (
    evaluate_surrogate,
    exact_spectra,
    example_spectra,
    off_grid_designs,
    rmae,
    summarize_rmae,
    test_split_metrics,
)
from kerker.models.surrogate._fit import train_surrogate
from kerker.models.surrogate._inference import CHECKPOINT_KIND, Surrogate, build_network
from kerker.models.surrogate._preprocessing import SurrogatePreprocessing
from kerker.models.surrogate.mlp import SpectralMLP
from kerker.models.surrogate.resnet1d import ResidualBlock1D, ResNet1D

__all__ = [
    "CHECKPOINT_KIND",
    "MLPConfig",
    "ResNet1D",
    "ResNetConfig",
    "ResidualBlock1D",
    "SpectralMLP",
    "Surrogate",
    "SurrogatePreprocessing",
    "SurrogateTrainConfig",
    "build_network",
    "evaluate_surrogate",
    "exact_spectra",
    "example_spectra",
    "off_grid_designs",
    "rmae",
    "summarize_rmae",
    "test_split_metrics",
    "train_surrogate",
]
