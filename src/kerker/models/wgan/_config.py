"""Frozen configurations of the WGAN-GP: generator and critic architectures, a training run.

Defaults are the paper's where it gives them; every field is checked in ``__post_init__``
with the validators of :mod:`kerker._config`. Checkpoints store them as ``to_dict``
output (``generator_spec["config"]``, ``critic``, ``train_config``).
"""

from __future__ import annotations

from dataclasses import dataclass

from kerker._config import (
    Config,
    choice,
    int_tuple,
    integer,
    non_negative_float,
    number_tuple,
    positive_float,
    positive_int,
    probability,
)

__all__ = ["SPLITS", "CriticConfig", "GeneratorConfig", "WGANTrainConfig"]

#: Which designs a run learns: all of the dataset (the paper) or one split.
SPLITS = ("all", "train", "val", "test")


@dataclass(frozen=True)
class GeneratorConfig(Config):
    """Architecture of the WGAN-GP generator.

    Attributes
    ----------
    latent_dim : int
        Size of the standard-normal latent vector ``z`` (128 in the paper: large on
        purpose, the aim is a smooth latent space, not compression).
    hidden : tuple of int
        Widths of the hidden layers; each is followed by a leaky ReLU.
    n_materials : int
        Number of materials M (size of each softmax head).
    negative_slope : float
        Slope of the leaky ReLU for negative inputs.
    n_layers : int
        Concentric layers L of the designs (2: core and shell, the paper). The design
        vector has L tanh sizes and L softmax heads.
    """

    latent_dim: int = 128
    hidden: tuple[int, ...] = (128, 128, 128)
    n_materials: int = 7
    negative_slope: float = 0.2
    n_layers: int = 2

    def __post_init__(self):
        self._check("latent_dim", positive_int)
        self._check("hidden", int_tuple, empty_rule="must name at least one hidden layer")
        self._check("n_materials", positive_int)
        self._check("negative_slope", non_negative_float)
        self._check("n_layers", positive_int)

    @property
    def design_dim(self) -> int:
        """Length of the design vector, ``L (1 + n_materials)`` (``2 + 2 M`` for core-shell)."""
        return self.n_layers * (1 + self.n_materials)


@dataclass(frozen=True)
class CriticConfig(Config):
    """Architecture of the WGAN-GP critic (discriminator): an MLP, no batch norm.

    Attributes
    ----------
    hidden : tuple of int
        Widths of the hidden layers; each is followed by a leaky ReLU.
    n_materials : int
        Number of materials M; a design vector has ``2 + 2 M`` entries.
    negative_slope : float
        Slope of the leaky ReLU for negative inputs.
    pack : int
        Designs scored jointly (PacGAN, Lin et al. 2018, arXiv:1712.04086): the critic
        sees ``pack`` designs concatenated, shape (N / pack, pack (2 + 2M)), so a batch
        that lacks some material pairs is easier to tell from a real one. 1 is the plain
        critic of the paper.
    n_layers : int
        Concentric layers L of the designs; a design vector has ``L (1 + M)`` entries.
    """

    hidden: tuple[int, ...] = (128, 128, 128)
    n_materials: int = 7
    negative_slope: float = 0.2
    pack: int = 1
    n_layers: int = 2

    def __post_init__(self):
        self._check("hidden", int_tuple, empty_rule="must name at least one hidden layer")
        self._check("n_materials", positive_int)
        self._check("negative_slope", non_negative_float)
        self._check("pack", positive_int)
        self._check("n_layers", positive_int)

    @property
    def design_dim(self) -> int:
        """Length of a design vector, ``L (1 + M)``."""
        return self.n_layers * (1 + self.n_materials)

    @property
    def input_dim(self) -> int:
        """Length of the critic's input, ``pack * design_dim``."""
        return self.pack * self.design_dim


@dataclass(frozen=True)
class WGANTrainConfig(Config):
    """One WGAN-GP training run (``kerker train wgan``); defaults are the paper's.

    Attributes
    ----------
    epochs : int
        Passes over the real designs (24 in the paper). One pass = ``N // batch_size``
        generator updates, each preceded by ``n_critic`` critic updates on that batch.
    batch_size : int
        Real designs per step (256).
    lr_generator, lr_critic : float
        Adam learning rates (5e-5 and 5e-4 in the paper).
    betas : (float, float)
        Adam betas of both optimizers; (0.0, 0.9) as in Gulrajani et al. (2017), whose
        settings the paper follows apart from the learning rates.
    n_critic : int
        Critic updates per generator update (5, Gulrajani et al.).
    gp_weight : float
        Gradient-penalty weight lambda (10, Gulrajani et al.).
    seed : int
        Seed of the initialisation, shuffling, latent draws and penalty mixing weights.
    critic_batches : {"same", "fresh"}
        "same": the ``n_critic`` critic updates of a step all see the step's real batch
        (with fresh z and mixing weights), as the Keras WGAN-GP example does. "fresh":
        updates 2..n_critic draw their own random real batches, as Gulrajani et al.'s
        Algorithm 1 (each critic update samples real data).
    split : {"all", "train", "val", "test"}
        Which designs to learn: "all" (the paper: the design parameters carry no spectra,
        so nothing of the surrogate's test set leaks) or one split of the dataset.
    max_samples : int or None
        Train on a seeded random subset of this many designs (quick runs, tests).
    monitor_samples : int
        Latent vectors (fixed seed ``seed + 1``) decoded after every epoch: material
        frequencies, pairs present and size coverage are logged, and ``best.pt`` keeps the
        epoch with the smallest ``fidelity_gap`` = missing pairs + largest material
        deviation (pp) / 100 + (1 - smaller 1-nm coverage).
    num_threads : int or None
        ``torch.set_num_threads`` for the run (None: leave torch's default).
    pair_balance : float
        Weight of the pair-balance term added to the generator loss (0: the paper's loss):
        ``KL(uniform || J)`` with ``J`` the mean over ``pair_batch`` latent draws of the
        soft joint ``p_core p_shell^T``. The training designs cover every material pair
        equally, so this matches a statistic of the data; it keeps rare pairs from dying
        out as the softmax heads sharpen (docs/wgan.md).
    pair_batch : int
        Latent draws per generator step for the pair-balance term.
    """

    epochs: int = 24
    batch_size: int = 256
    lr_generator: float = 5e-5
    lr_critic: float = 5e-4
    betas: tuple[float, float] = (0.0, 0.9)
    n_critic: int = 5
    gp_weight: float = 10.0
    seed: int = 0
    split: str = "all"
    critic_batches: str = "same"
    max_samples: int | None = None
    monitor_samples: int = 10_000
    num_threads: int | None = None
    pair_balance: float = 0.0
    pair_batch: int = 1024

    def __post_init__(self):
        for name in ("epochs", "batch_size", "n_critic", "monitor_samples", "pair_batch"):
            self._check(name, positive_int)
        for name in ("lr_generator", "lr_critic"):
            self._check(name, positive_float)
        self._check("betas", number_tuple, length=2, entry=probability, include_one=False)
        self._check("gp_weight", non_negative_float)
        self._check("pair_balance", non_negative_float)
        self._check("seed", integer)
        self._check("split", choice, SPLITS)
        self._check("critic_batches", choice, ("same", "fresh"))
        self._check("max_samples", positive_int, none=True)
        self._check("num_threads", positive_int, none=True)
