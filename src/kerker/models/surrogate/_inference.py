"""A trained surrogate with its preprocessing: checkpoints in, physical spectra out.

:class:`Surrogate` wraps a network (:class:`ResNet1D` or :class:`SpectralMLP`) with the
fitted preprocessing it was trained with, so ``predict`` takes a
:class:`~kerker.dataset.Designs` batch (or the arguments of :func:`kerker.efficiencies`:
material names, sizes in nm) and returns ``q_fwd, q_back`` in physical units. NumPy in
gives NumPy out; torch in gives differentiable torch out, so design code can
back-propagate through the surrogate to sizes or soft material weights. Loading needs
only :mod:`kerker.models.checkpoint`, not the trainer.
"""

from __future__ import annotations

import copy
import itertools
from pathlib import Path

import numpy as np
import torch
from torch import nn

from kerker.dataset import Designs
from kerker.models._rows import in_fixed_row_calls
from kerker.models.checkpoint import load_checkpoint, require_entries
from kerker.models.surrogate._config import MLPConfig, ResNetConfig
from kerker.models.surrogate._preprocessing import SurrogatePreprocessing
from kerker.models.surrogate.mlp import SpectralMLP
from kerker.models.surrogate.resnet1d import ResNet1D

__all__ = ["CHECKPOINT_KIND", "Surrogate", "arch_config_from_dict", "build_network"]

#: ``kind`` entry of surrogate checkpoints (training runs and the shipped weights).
CHECKPOINT_KIND = "kerker.surrogate"


def build_network(arch: str, config: ResNetConfig | MLPConfig) -> nn.Module:
    """Instantiate the network of ``arch`` ("resnet" or "mlp") from its config."""
    if arch == "resnet":
        if not isinstance(config, ResNetConfig):
            raise TypeError(f"arch 'resnet' needs a ResNetConfig, got {type(config).__name__}")
        return ResNet1D(config)
    if arch == "mlp":
        if not isinstance(config, MLPConfig):
            raise TypeError(f"arch 'mlp' needs an MLPConfig, got {type(config).__name__}")
        return SpectralMLP(config)
    raise ValueError(f"arch must be 'resnet' or 'mlp', got {arch!r}")


def arch_config_from_dict(arch: str, data: dict) -> ResNetConfig | MLPConfig:
    """The architecture config of ``arch`` from its ``to_dict`` output (a checkpoint's ``arch_config``)."""
    return (ResNetConfig if arch == "resnet" else MLPConfig).from_dict(data)


class Surrogate(nn.Module):
    """A trained surrogate network plus the preprocessing that maps to physical units.

    Parameters
    ----------
    arch : {"resnet", "mlp"}
        Network family.
    network : nn.Module
        The trained network (weights in float32).
    preprocessing : SurrogatePreprocessing
        Fitted design encoding and target scaling, with the material list, size ranges
        and wavelength grid of the training data.
    info : dict, optional
        Everything else the checkpoint recorded (configs, metrics, dataset fingerprint).

    Attributes
    ----------
    materials : tuple of str
        Materials the network knows, in one-hot order.
    wavelength : ndarray, shape (W,)
        Wavelength grid (nm) of :meth:`predict`.
    r_range, t_range : (float, float)
        Core-radius and shell-thickness ranges (nm) of the training data.
    """

    def __init__(self, arch: str, network: nn.Module, preprocessing: SurrogatePreprocessing, info: dict | None = None):
        super().__init__()
        self.arch = arch
        self.network = network
        self.preprocessing = preprocessing
        self.info = dict(info or {})
        self.eval()

    # -- metadata ---------------------------------------------------------------------
    @property
    def materials(self) -> tuple[str, ...]:
        return self.preprocessing.materials

    @property
    def wavelength(self) -> np.ndarray:
        return self.preprocessing.wavelength.copy()

    @property
    def r_range(self) -> tuple[float, float]:
        return self.preprocessing.r_range

    @property
    def t_range(self) -> tuple[float, float]:
        return self.preprocessing.t_range

    def __repr__(self) -> str:
        wl = self.preprocessing.wavelength
        return (
            f"Surrogate(arch={self.arch!r}, materials={self.materials}, wavelength={wl[0]:g}-{wl[-1]:g} nm x {wl.size}, "
            f"r_core {self.r_range[0]:g}-{self.r_range[1]:g} nm, t_shell {self.t_range[0]:g}-{self.t_range[1]:g} nm)"
        )

    # -- checkpoints ------------------------------------------------------------------
    @classmethod
    def from_checkpoint(cls, checkpoint: str | Path | dict, dataset=None) -> Surrogate:
        """Rebuild a surrogate from a ``best.pt``/shipped checkpoint (path or loaded dict).

        Parameters
        ----------
        checkpoint : path or dict
            File written by ``kerker train surrogate`` or its loaded payload.
        dataset : optional
            If given, the checkpoint must match its material list and wavelength grid.

        Raises
        ------
        ValueError
            Not a surrogate checkpoint, or incompatible with ``dataset``.
        """
        payload = load_checkpoint(checkpoint) if not isinstance(checkpoint, dict) else checkpoint
        where = "the checkpoint" if isinstance(checkpoint, dict) else str(checkpoint)
        if payload.get("kind") != CHECKPOINT_KIND:
            raise ValueError(
                f"{where} is not a surrogate checkpoint: kind is {payload.get('kind')!r}, expected {CHECKPOINT_KIND!r}"
            )
        require_entries(payload, ("arch", "arch_config", "preprocessing"), modules=("network",), what="surrogate",
                        where=where)
        arch = payload["arch"]
        config = arch_config_from_dict(arch, payload["arch_config"])
        network = build_network(arch, config)
        network.load_state_dict(payload["modules"]["network"])
        preprocessing = SurrogatePreprocessing.from_state_dict(payload["preprocessing"])
        info = {k: v for k, v in payload.items() if k not in ("modules", "optimizers", "generator")}
        model = cls(arch, network, preprocessing, info)
        if dataset is not None:
            model.check_dataset(dataset)
        return model

    def check_dataset(self, dataset) -> None:
        """Raise ``ValueError`` unless ``dataset`` has this model's materials and wavelength grid."""
        self.preprocessing.check_dataset(dataset, what="this surrogate")

    # -- evaluation -------------------------------------------------------------------
    def forward(self, design: torch.Tensor, wavelength: torch.Tensor | None = None) -> torch.Tensor:
        """Network output in preprocessed units.

        Parameters
        ----------
        design : Tensor, shape (P, 2 + 2M)
            Preprocessed design vectors (:meth:`encode`).
        wavelength : Tensor, shape (W,), optional
            MLP only: min-max scaled wavelengths (default: the training grid).

        Returns
        -------
        Tensor, shape (P, 2, W)
        """
        network = self.network if self.network.training else self._inference_network()
        call = network
        if self.arch == "mlp":
            if wavelength is None:
                wavelength = self.preprocessing.scale_wavelength(torch.as_tensor(self.preprocessing.wavelength))
            wl = wavelength.to(design.dtype)

            def call(rows):
                return network(rows, wl)
        if self.network.training:
            return call(design)
        return in_fixed_row_calls(call, design)  # eval: a design's prediction does not depend on its batch

    def _inference_network(self) -> nn.Module:
        """What :meth:`forward` runs in eval mode: a frozen copy of the network (the ResNet's
        batch norms folded into its convolutions, :meth:`ResNet1D.folded`), rebuilt whenever a
        weight or buffer of :attr:`network` changes (in place, in dtype or in device).

        Frozen weights mean a backward pass computes input gradients only. The copy is kept
        outside the module's state, so checkpoints and ``state_dict`` are unchanged.
        """
        state = tuple((id(t), t._version, t.data_ptr(), t.dtype)
                      for t in itertools.chain(self.network.parameters(), self.network.buffers()))
        cached = self.__dict__.get("_inference_cache")
        if cached is None or cached[0] != state:
            net = (self.network.folded() if isinstance(self.network, ResNet1D)
                   else copy.deepcopy(self.network).eval().requires_grad_(False))
            cached = self.__dict__["_inference_cache"] = (state, net)
        return cached[1]

    def encode(self, designs: Designs, *, check_range: bool = True) -> torch.Tensor:
        """Preprocessed design vectors of ``designs``, shape (P, 2 + 2M), float32 (differentiable for torch input)."""
        return self.preprocessing.encode(designs, check_range=check_range)

    def predict(self, designs, shell=None, r_core=None, t_shell=None, wavelength=None, *, check_range: bool = True):
        """Predict ``q_fwd, q_back`` of core-shell particles in physical units.

        Two forms: ``predict(designs)`` with a :class:`~kerker.dataset.Designs` batch, or
        ``predict(core, shell, r_core, t_shell)`` with the arguments of
        :func:`kerker.efficiencies`, short for
        ``predict(Designs.broadcast(core, shell, r_core, t_shell, materials=model.materials))``.

        Parameters
        ----------
        designs : Designs, or the core material of the short form
            Hard designs (over any material list whose names this surrogate knows) or soft
            designs (material weights over :attr:`materials`, in that order), NumPy or torch.
            In the short form, the core material: a name, a kerker.Material, a list of
            those, or material weights of shape (M,) or (P, M), like ``shell``.
        shell : str, kerker.Material, list of those, or array_like of shape (M,) or (P, M)
            Short form: materials by name (one for all particles or one per particle; must
            be among :attr:`materials`), or material weights in :attr:`materials` order
            (e.g. a generator's softmax; rows sum to 1) for a differentiable relaxation.
        r_core, t_shell : float or array_like, shape (P,)
            Short form: core radius and shell thickness in nm, broadcast over particles.
            Sizes must lie in :attr:`r_range` / :attr:`t_range` (the network was never
            trained outside).
        wavelength : array_like, shape (W,), optional
            MLP only: wavelengths in nm inside the training range (default
            :attr:`wavelength`). The ResNet always predicts on :attr:`wavelength`.
        check_range : bool
            Refuse sizes outside the training ranges (default). ``False`` extrapolates.

        Returns
        -------
        q_fwd, q_back : ndarray or Tensor, shape (P, W)
            Differential forward and backward efficiencies (see CONVENTIONS.md). NumPy if
            no argument was a torch tensor; else torch float64 carrying gradients.

        Raises
        ------
        ValueError
            Unknown material, size outside the training range, wavelength outside the grid
            range (MLP) or given to the ResNet.
        TypeError
            Neither a Designs batch nor all four arguments of the short form.
        """
        short = (shell, r_core, t_shell)
        if isinstance(designs, Designs):
            if any(a is not None for a in short):
                raise TypeError("predict takes either one Designs batch or core, shell, r_core, t_shell; not both")
        elif any(a is None for a in short):
            raise TypeError(
                "predict needs a kerker.dataset.Designs batch, or all of core, shell, r_core and t_shell; received "
                f"{type(designs).__name__} with shell={shell!r:.40}, r_core={r_core!r:.40}, t_shell={t_shell!r:.40}"
            )
        else:
            designs = Designs.broadcast(designs, shell, r_core, t_shell, materials=self.materials)
        use_torch = designs.is_torch or isinstance(wavelength, torch.Tensor)
        wl_scaled = None
        if wavelength is not None:
            if self.arch == "resnet":
                raise ValueError(
                    "the ResNet surrogate predicts on its fixed grid model.wavelength "
                    f"({self.preprocessing.wavelength.size} points); pass wavelength=None or use the MLP surrogate"
                )
            wl_scaled = self.preprocessing.scale_wavelength(wavelength)
        design = self.encode(designs, check_range=check_range)
        was_training = self.network.training
        self.network.eval()  # batch norm must use its running statistics at prediction
        try:
            if use_torch:
                z = self.forward(design, wl_scaled)
                q = self.preprocessing.decode_targets(z).to(torch.float64)
                return q[:, 0], q[:, 1]
            chunk = 4096 if self.arch == "resnet" else 512
            with torch.no_grad():
                parts = [
                    self.preprocessing.decode_targets(self.forward(design[i : i + chunk], wl_scaled))
                    for i in range(0, design.shape[0], chunk)
                ]
            q = torch.cat(parts).to(torch.float64).numpy()
            return q[:, 0], q[:, 1]
        finally:
            self.network.train(was_training)
