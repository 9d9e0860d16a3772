"""Frozen configuration dataclasses of the surrogate networks and their training.

Defaults live here and nowhere else; every field is checked in ``__post_init__`` (with
the validators of :mod:`kerker._config`) so a config either describes a runnable
model/run or is refused. Checkpoints store these as plain dicts (``to_dict``) and rebuild
them with ``from_dict``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kerker._config import (
    Config,
    choice,
    int_tuple,
    integer,
    non_negative_float,
    positive_float,
    positive_int,
    string,
)

__all__ = ["MLPConfig", "ResNetConfig", "SurrogateTrainConfig"]


@dataclass(frozen=True)
class ResNetConfig(Config):
    """Architecture of the 1D ResNet surrogate (Soun et al., Fig. 1b).

    A dense stem maps the design vector (2 scaled sizes + two one-hot materials) to a
    sequence of ``seq_len`` positions with ``channels[0]`` channels (the paper: one dense
    layer; ``stem_hidden`` inserts hidden dense layers before it); each group of
    ``blocks_per_group`` residual blocks (Conv1D-BN-act-Conv1D-BN + skip) is followed by
    x2 upsampling, so the output has ``seq_len * 2**len(channels)`` wavelengths; a final
    Conv1D gives ``n_outputs`` channels (Q_fwd, Q_back) with a linear output.

    Attributes
    ----------
    n_materials : int
        Number of materials M; the design vector has ``2 + 2 M`` entries.
    seq_len : int
        Length of the stem's sequence (8 in the paper's layout: 8 -> 16 -> 32 -> 64).
    channels : tuple of int
        Channels of each group; one x2 upsampling per group.
    blocks_per_group : int
        Residual blocks per group (4 in the paper).
    kernel_size : int
        Odd Conv1D kernel size ("same" padding).
    negative_slope : float
        Slope of the leaky ReLU for negative inputs.
    stem_hidden : tuple of int
        Widths of hidden dense layers of the stem, before the dense layer that makes the
        sequence (empty: the paper's single dense layer).
    activation : {"leaky_relu", "silu"}
        Nonlinearity everywhere in the network (the paper: leaky ReLU).
    fourier_octaves : int
        The two scaled sizes s in [-1, 1] enter the stem together with ``sin(pi 2^k s)``
        and ``cos(pi 2^k s)`` for ``k < fourier_octaves`` (0: the sizes alone, the paper).
        Fixed Fourier features let a ReLU network follow resonances that move quickly with
        size, which it otherwise learns slowly (spectral bias).
    upsample : {"nearest", "linear"}
        Interpolation of the x2 upsampling.
    n_outputs : int
        Output channels (2: Q_fwd and Q_back).
    """

    n_materials: int = 7
    seq_len: int = 8
    channels: tuple[int, ...] = (64, 48, 32)
    blocks_per_group: int = 4
    kernel_size: int = 3
    negative_slope: float = 0.01
    stem_hidden: tuple[int, ...] = ()
    activation: str = "leaky_relu"
    fourier_octaves: int = 0
    upsample: str = "nearest"
    n_outputs: int = 2

    def __post_init__(self):
        self._check("n_materials", positive_int)
        self._check("seq_len", positive_int)
        self._check("channels", int_tuple)
        self._check("blocks_per_group", positive_int)
        self._check("kernel_size", positive_int)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"ResNetConfig.kernel_size must be odd (for 'same' padding); received {self.kernel_size}")
        self._check("negative_slope", non_negative_float)
        self._check("stem_hidden", int_tuple, allow_empty=True)
        self._check("activation", choice, ("leaky_relu", "silu"))
        self._check("fourier_octaves", integer, minimum=0, maximum=12)
        self._check("upsample", choice, ("nearest", "linear"))
        self._check("n_outputs", positive_int)

    @property
    def design_dim(self) -> int:
        return 2 + 2 * self.n_materials

    @property
    def stem_input_dim(self) -> int:
        """Width of the stem's input: the design vector plus 4 Fourier features per octave."""
        return self.design_dim + 4 * self.fourier_octaves

    @property
    def n_wavelength(self) -> int:
        """Number of output wavelengths, ``seq_len * 2**len(channels)``."""
        return self.seq_len * 2 ** len(self.channels)


@dataclass(frozen=True)
class MLPConfig(Config):
    """Architecture of the per-wavelength MLP surrogate.

    Input: the design vector (``2 + 2 M``) and the min-max scaled wavelength; output:
    ``n_outputs`` values at that wavelength. Not tied to a wavelength grid.

    Attributes
    ----------
    n_materials : int
        Number of materials M.
    hidden : tuple of int
        Widths of the hidden layers (leaky ReLU after each).
    negative_slope : float
        Slope of the leaky ReLU for negative inputs.
    n_outputs : int
        Outputs per wavelength (2: Q_fwd and Q_back).
    """

    n_materials: int = 7
    hidden: tuple[int, ...] = (256, 256, 256, 256)
    negative_slope: float = 0.01
    n_outputs: int = 2

    def __post_init__(self):
        self._check("n_materials", positive_int)
        self._check("hidden", int_tuple)
        self._check("negative_slope", non_negative_float)
        self._check("n_outputs", positive_int)

    @property
    def design_dim(self) -> int:
        return 2 + 2 * self.n_materials


@dataclass(frozen=True)
class SurrogateTrainConfig(Config):
    """One surrogate training run (``kerker train surrogate``).

    Attributes
    ----------
    arch : {"resnet", "mlp"}
        Which network.
    epochs : int
        Maximum number of epochs (early stopping may end sooner).
    lr : float
        Initial Adam learning rate.
    lr_halve_every : int
        The learning rate is halved every this many epochs (15 in the paper).
    batch_schedule : tuple of (epoch, batch_size)
        Step-wise batch size: from ``epoch`` on, ``batch_size`` particles per step. Starts
        at epoch 0 and increases (the paper grows it up to 256).
    patience : int
        Early stopping: stop after this many epochs without a lower validation loss.
    seed : int
        Seed of initialisation, shuffling and wavelength sampling (``torch.Generator``).
    q_floor : float
        Targets are transformed as ``log1p(q / q_floor)`` then min-max scaled. ``1`` is the
        paper's log1p; the default 1e-6 makes the transform logarithmic down to ``q_floor``, so
        the small efficiencies of small particles are fitted to a relative accuracy (the
        rMAE is relative; see docs/surrogate.md).
    wavelengths_per_particle : int or None
        MLP only: wavelengths drawn per particle and step (None: all of them).
    max_train : int or None
        Use a seeded random subset of ``max_train`` training particles (quick runs and tests).
    num_threads : int or None
        ``torch.set_num_threads`` for the run (None: leave torch's default).
    loss : {"mse", "weighted_mse"}
        ``"mse"``: plain MSE on the preprocessed targets (the paper). ``"weighted_mse"``:
        each wavelength's squared error weighted by ``q / mean_spectrum(q)``, the share it
        has in that spectrum's rMAE (an error of d in log q costs about ``q d``), so the
        network does not spend its capacity on the depth of near-zero dips that the rMAE
        does not see. ``"rmae"``: the evaluation metric itself, each spectrum's
        ``sum_W |pred - q| / sum_W q`` in physical units (predictions decoded through the
        fitted target scaling), averaged over spectra and both quantities; the validation
        loss is then the validation rMAE. Best for fine-tuning a converged run
        (``init_from``); see docs/surrogate.md.
    lr_schedule : {"halve", "cosine"}
        ``"halve"``: the learning rate is halved every ``lr_halve_every`` epochs (the
        paper). ``"cosine"``: it falls from ``lr`` to 0 along a half cosine over ``epochs``
        epochs (so ``epochs`` is part of the schedule and fixed on resume).
    freeze_bn_after : int or None
        From this (0-based) epoch on, batch-norm layers normalise with their running
        statistics during training too and stop updating them: they become fixed affine
        maps whose scale and shift still train. Removes the noise of per-batch statistics,
        which limits how precisely a converged network fits (None: never, the paper).
    init_from : str or None
        Path of a surrogate checkpoint (``best.pt``) whose network weights and fitted
        preprocessing start this run (fine-tuning); it must have been trained on the same
        dataset (fingerprint), so the test split stays unseen. Recorded, with that run's
        configs, history and metrics, in the new checkpoint.
    """

    arch: str = "resnet"
    epochs: int = 80
    lr: float = 1e-3
    lr_halve_every: int = 15
    batch_schedule: tuple[tuple[int, int], ...] = ((0, 32), (3, 64), (6, 128), (10, 256))
    patience: int = 20
    seed: int = 0
    q_floor: float = 1e-6
    wavelengths_per_particle: int | None = None
    max_train: int | None = None
    num_threads: int | None = None
    loss: str = "mse"
    lr_schedule: str = "halve"
    freeze_bn_after: int | None = None
    init_from: str | None = None

    def __post_init__(self):
        self._check("arch", choice, ("resnet", "mlp"))
        self._check("epochs", positive_int)
        self._check("lr", positive_float)
        self._check("lr_halve_every", positive_int)
        schedule = self.batch_schedule
        if isinstance(schedule, (str, bytes)) or not hasattr(schedule, "__iter__"):
            raise TypeError(f"SurrogateTrainConfig.batch_schedule must be (epoch, batch_size) pairs; received {schedule!r}")
        schedule = tuple(tuple(step) if hasattr(step, "__iter__") else (step,) for step in schedule)
        if not schedule or any(len(s) != 2 for s in schedule):
            raise ValueError(
                f"SurrogateTrainConfig.batch_schedule must be (epoch, batch_size) pairs; received {self.batch_schedule!r}"
            )
        schedule = tuple(
            (integer("SurrogateTrainConfig.batch_schedule epoch", epoch, minimum=0),
             positive_int("SurrogateTrainConfig.batch_schedule batch size", size))
            for epoch, size in schedule
        )
        if schedule[0][0] != 0:
            raise ValueError(f"SurrogateTrainConfig.batch_schedule must start at epoch 0; received {schedule!r}")
        if any(b[0] <= a[0] for a, b in zip(schedule, schedule[1:])):
            raise ValueError(f"SurrogateTrainConfig.batch_schedule epochs must increase; received {schedule!r}")
        self._set("batch_schedule", schedule)
        self._check("patience", positive_int)
        self._check("seed", integer)
        self._check("q_floor", positive_float)
        self._check("wavelengths_per_particle", positive_int, none=True)
        if self.wavelengths_per_particle is not None and self.arch != "mlp":
            raise ValueError(
                "SurrogateTrainConfig.wavelengths_per_particle applies to arch='mlp' only (the ResNet predicts whole "
                f"spectra); received wavelengths_per_particle={self.wavelengths_per_particle} with arch={self.arch!r}"
            )
        self._check("max_train", positive_int, none=True)
        self._check("num_threads", positive_int, none=True)
        self._check("loss", choice, ("mse", "weighted_mse", "rmae"))
        self._check("lr_schedule", choice, ("halve", "cosine"))
        self._check("freeze_bn_after", integer, minimum=0, none=True)
        self._check("init_from", string, what="a checkpoint path (str)", none=True)

    def batch_size(self, epoch: int) -> int:
        """Batch size at ``epoch`` (0-based) from the step-wise schedule."""
        size = self.batch_schedule[0][1]
        for start, value in self.batch_schedule:
            if epoch >= start:
                size = value
        return size

    def lr_factor(self, epoch: int) -> float:
        """Learning-rate multiplier at ``epoch`` (0-based): halved every ``lr_halve_every``
        epochs, or ``(1 + cos(pi epoch / epochs)) / 2`` for the cosine schedule."""
        if self.lr_schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * epoch / self.epochs))
        return 0.5 ** (epoch // self.lr_halve_every)
