"""The WGAN-GP re-parametrization of discrete core-shell (and L-layer) designs (Soun et al., Sec. II.D).

- ``_config.py``: :class:`GeneratorConfig`, :class:`CriticConfig` (architectures) and
  :class:`WGANTrainConfig` (a training run).
- ``_generator.py``: :class:`Generator`, latent vector -> :class:`~kerker.dataset.Designs`
  (soft for optimisation through ``z``, hard by argmax); L-layer designs (``n_layers``)
  through ``decode_layers``.
- ``_critic.py``: :class:`Critic` and :func:`gradient_penalty` (Gulrajani et al. 2017).
- ``_layers.py``: the MLP blocks and Glorot initialisation both networks share.
- ``_fit.py``: :func:`train_wgan` (the WGAN-GP step for the shared loop), :func:`export_generator`.
- ``_fidelity.py``: generated vs training designs (:func:`fidelity_metrics`,
  :func:`latent_smoothness`, :func:`evaluate_wgan`).
"""

from kerker.models.wgan._config import CriticConfig, GeneratorConfig, WGANTrainConfig
from kerker.models.wgan._critic import Critic, gradient_penalty
from kerker.models.wgan._fidelity import (
    evaluate_wgan,
    fidelity_metrics,
    latent_smoothness,
    layer_fidelity_metrics,
    layer_smoothness,
    pair_robustness,
)
from kerker.models.wgan._fit import export_generator, train_wgan
from kerker.models.wgan._generator import CHECKPOINT_KIND, Generator

__all__ = [
    "CHECKPOINT_KIND",
    "Critic",
    "CriticConfig",
    "Generator",
    "GeneratorConfig",
    "WGANTrainConfig",
    "evaluate_wgan",
    "export_generator",
    "fidelity_metrics",
    "gradient_penalty",
    "latent_smoothness",
    "layer_fidelity_metrics",
    "layer_smoothness",
    "pair_robustness",
    "train_wgan",
]
