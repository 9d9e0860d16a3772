"""WGAN-GP re-parametrization of discrete core-shell designs (Soun et al., Sec. II.D, Fig. 3).

A generator maps a standard-normal latent vector ``z`` (128-dim in the paper) to a
*design vector* ``[s_r, s_t, p_core (M), p_shell (M)]``: two tanh outputs (the min-max
normalised core radius and shell thickness, in (-1, 1) so inside the design range by
construction) and two softmax heads over the M materials. The critic scores design
vectors; real ones come from the same :class:`kerker.dataset.scalers.DesignEncoder` (one-hot
materials), so generated and real designs live in the same space. Training follows
Gulrajani et al., "Improved Training of Wasserstein GANs" (2017), arXiv:1704.00028:
critic loss ``D(fake) - D(real) + lambda * (||grad D(x_hat)|| - 1)^2`` with ``x_hat`` on
straight lines between real and fake samples; no batch norm in the critic (the penalty
is per sample).

Because the generator is smooth in ``z``, any differentiable objective of the decoded
design (e.g. a surrogate's prediction) has a gradient with respect to ``z``, even though
the materials are discrete: :meth:`Generator.decode` gives the soft, differentiable
output for optimization and the hard (argmax) designs for evaluation, both as
:class:`~kerker.dataset.Designs` (soft: material weights; hard: material indices).

Examples
--------
>>> import torch
>>> from kerker.models import Generator, GeneratorConfig
>>> gen = Generator(GeneratorConfig(n_materials=3, hidden=(16,)), materials=("Si", "SiO2", "Au"),
...                 r_range=(1, 100), t_range=(1, 100))
>>> designs = gen.sample(4, seed=0)
>>> designs.core_index.shape, bool(((designs.r_core > 1) & (designs.r_core < 100)).all())
((4,), True)
>>> soft = gen.decode(gen.sample_latent(4, seed=0), hard=False, fix_core="Si")
>>> soft.p_core[0].tolist()
[1.0, 0.0, 0.0]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from kerker._config import positive_int
from kerker.dataset import DesignEncoder, Designs
from kerker.models._rows import in_fixed_row_calls
from kerker.models.checkpoint import load_checkpoint, require_entries
from kerker.models.wgan._config import GeneratorConfig
from kerker.models.wgan._layers import glorot_, mlp

__all__ = ["CHECKPOINT_KIND", "Generator"]

#: ``kind`` entry of WGAN-GP checkpoints (training runs and the shipped generator).
CHECKPOINT_KIND = "kerker.wgan_gp"


class Generator(nn.Module):
    """Latent vector -> core-shell design (Soun et al., Fig. 3, red).

    Parameters
    ----------
    config : GeneratorConfig
        Architecture.
    materials : sequence of str
        Material names in the order of the softmax heads (the dataset's order);
        ``len(materials)`` must equal ``config.n_materials``.
    r_range, t_range : (float, float)
        Core radius and shell thickness ranges in nm that tanh's (-1, 1) maps onto.

    Raises
    ------
    ValueError
        The number of materials does not match the config, or a bad range.
    """

    def __init__(self, config: GeneratorConfig, *, materials, r_range, t_range):
        super().__init__()
        if not isinstance(config, GeneratorConfig):
            raise TypeError(f"config must be a GeneratorConfig, got {type(config).__name__}")
        materials = tuple(str(m) for m in materials)
        if len(materials) != config.n_materials:
            raise ValueError(
                f"config.n_materials = {config.n_materials} but {len(materials)} materials were given "
                f"{materials}; set GeneratorConfig(n_materials={len(materials)})"
            )
        if len(set(materials)) != len(materials):
            raise ValueError(f"materials must be distinct; received {materials}")
        self.config = config
        self.materials = materials
        self.encoder = DesignEncoder(materials, tuple(r_range), tuple(t_range)).fit()
        self.r_range = tuple(float(v) for v in self.encoder.r_range)
        self.t_range = tuple(float(v) for v in self.encoder.t_range)
        width = config.hidden[-1]
        self.body = mlp([config.latent_dim, *config.hidden], config.negative_slope)
        self.size_head = nn.Linear(width, config.n_layers)
        # One softmax head per layer, innermost first (registered in the order of the
        # core-shell generator's core_head, shell_head, so a seed gives the same weights).
        self.material_heads = nn.ModuleList(nn.Linear(width, config.n_materials) for _ in range(config.n_layers))
        self.register_load_state_dict_pre_hook(_rename_core_shell_heads)
        glorot_(self)

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def n_layers(self) -> int:
        """Concentric layers L of the designs (2: core-shell)."""
        return self.config.n_layers

    def __repr__(self) -> str:
        n = sum(p.numel() for p in self.parameters())
        layers = "" if self.n_layers == 2 else f"n_layers={self.n_layers}, "
        return (
            f"Generator({layers}latent_dim={self.latent_dim}, hidden={self.config.hidden}, materials={self.materials}, "
            f"r_range={self.r_range}, t_range={self.t_range}, {n:,} parameters)"
        )

    def _check_z(self, z) -> torch.Tensor:
        if not isinstance(z, torch.Tensor):
            raise TypeError(f"z must be a torch tensor of shape (N, {self.latent_dim}); received {type(z).__name__}")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"z must have shape (N, {self.latent_dim}); received {tuple(z.shape)}")
        param = self.size_head.weight
        return z.to(dtype=param.dtype, device=param.device)

    def material_index(self, material) -> int:
        """Index of ``material`` (a name or an index) in :attr:`materials`.

        Raises
        ------
        ValueError
            Unknown name or index out of range; the message lists the known materials.
        """
        if isinstance(material, str):
            if material not in self.materials:
                raise ValueError(f"unknown material {material!r}; this generator knows {list(self.materials)}")
            return self.materials.index(material)
        if isinstance(material, (int, np.integer)) and not isinstance(material, bool):
            if not 0 <= int(material) < len(self.materials):
                raise ValueError(
                    f"material index {material} is outside 0..{len(self.materials) - 1} ({list(self.materials)})"
                )
            return int(material)
        raise TypeError(f"material must be a name or an index; received {material!r} ({type(material).__name__})")

    def _override(self, probs: torch.Tensor, material) -> torch.Tensor:
        if material is None:
            return probs
        onehot = torch.zeros_like(probs)
        onehot[:, self.material_index(material)] = 1.0
        return onehot

    def _fixed(self, fix, fix_core, fix_shell) -> list:
        """One entry per layer (a material or None) from ``fix`` or the core-shell ``fix_core``/``fix_shell``."""
        if fix_core is not None or fix_shell is not None:
            if fix is not None:
                raise ValueError("give fix=[...] (one entry per layer) or fix_core/fix_shell, not both")
            if self.n_layers != 2:
                raise ValueError(f"fix_core and fix_shell describe core-shell designs; this generator has "
                                 f"{self.n_layers} layers: use fix=[...] with one entry per layer")
            return [fix_core, fix_shell]
        if fix is None:
            return [None] * self.n_layers
        if isinstance(fix, (str, bytes)) or len(fix) != self.n_layers:
            raise ValueError(f"fix must have one entry per layer ({self.n_layers}), a material or None; got {fix!r}")
        return list(fix)

    def forward(self, z: torch.Tensor, *, fix_core=None, fix_shell=None, fix=None) -> torch.Tensor:
        """Design vectors ``[s_1 .. s_L, p_1 .. p_L]`` (core-shell: ``[s_r, s_t, p_core, p_shell]``).

        Parameters
        ----------
        z : Tensor, shape (N, latent_dim)
            Latent vectors (standard normal during training).
        fix_core, fix_shell : str or int, optional
            Core-shell generators: replace that softmax head by the one-hot row of this
            material (the paper's fixed silicon core); the sizes and the other head still
            depend on ``z``.
        fix : sequence, optional
            Any generator: one entry per layer, innermost first, a material (name or
            index) that replaces that layer's head, or None.

        Returns
        -------
        Tensor, shape (N, L (1 + M))
            L sizes in (-1, 1) (tanh), then L rows of probabilities summing to 1.
        """
        fixed = self._fixed(fix, fix_core, fix_shell)
        z = self._check_z(z)
        if self.training:
            return self._design_vector(z, fixed)
        # in eval mode each z's design is independent of the rest of the batch
        return in_fixed_row_calls(lambda rows: self._design_vector(rows, fixed), z)

    def _design_vector(self, z: torch.Tensor, fixed: list) -> torch.Tensor:
        h = self.body(z)
        sizes = torch.tanh(self.size_head(h))
        probs = [self._override(torch.softmax(head(h), dim=-1), f) for head, f in zip(self.material_heads, fixed)]
        return torch.cat([sizes, *probs], dim=-1)

    def layer_ranges(self) -> torch.Tensor:
        """(L, 2) size ranges in nm: the core radius in ``r_range``, every further layer's thickness in ``t_range``."""
        return torch.tensor([self.r_range] + [self.t_range] * (self.n_layers - 1), dtype=torch.float64)

    def encode_layers(self, index, thickness) -> np.ndarray:
        """Hard L-layer designs -> design vectors (N, L (1 + M)), float64: what the critic sees.

        ``index`` (N, L) material indices and ``thickness`` (N, L) nm (the first is the core
        radius), innermost first; the sizes are min-max mapped onto (-1, 1) over the ranges.
        For core-shell designs this equals ``encoder.transform`` of the same designs.
        """
        index = np.asarray(index)
        thickness = np.asarray(thickness, dtype=np.float64)
        n_l, n_m = self.n_layers, len(self.materials)
        if index.ndim != 2 or index.shape[1] != n_l or thickness.shape != index.shape:
            raise ValueError(f"index and thickness must both have shape (N, {n_l}); received {index.shape} and "
                             f"{thickness.shape}")
        if index.dtype.kind not in "iu" or index.min() < 0 or index.max() >= n_m:
            raise ValueError(f"index must hold material indices 0..{n_m - 1}; received {index.min()}..{index.max()}")
        lo, hi = self.layer_ranges().numpy().T
        sizes = 2.0 * (thickness - lo) / (hi - lo) - 1.0
        onehot = np.eye(n_m)[index].reshape(len(index), n_l * n_m)
        return np.concatenate([sizes, onehot], axis=1)

    def decode_layers(self, z: torch.Tensor, *, hard: bool = True, fix=None):
        """Decode latent vectors into L-layer designs (any ``n_layers``), innermost first.

        Returns
        -------
        (index, thickness) or (p, thickness)
            Hard (NumPy, no graph): material indices (N, L) by argmax and thicknesses (N, L)
            in nm (the first is the core radius), inside the ranges. Soft (torch, attached
            to ``z``, float64): material probabilities (N, L, M) and thicknesses (N, L).
        """
        n_l, n_m = self.n_layers, len(self.materials)
        ranges = self.layer_ranges()
        if hard:
            with torch.no_grad():
                vec = self.forward(z, fix=fix).to(torch.float64)
        else:
            vec = self.forward(z, fix=fix).to(torch.float64)
        thickness = ranges[:, 0] + (ranges[:, 1] - ranges[:, 0]) * (vec[:, :n_l] + 1.0) / 2.0
        thickness = torch.minimum(torch.maximum(thickness, ranges[:, 0]), ranges[:, 1])
        p = vec[:, n_l:].reshape(-1, n_l, n_m)
        if hard:
            return p.argmax(-1).numpy(), thickness.numpy()
        return p, thickness

    def decode(self, z: torch.Tensor, *, hard: bool = True, fix_core=None, fix_shell=None):
        """Decode latent vectors into designs in physical units.

        Parameters
        ----------
        z : Tensor, shape (N, latent_dim)
            Latent vectors.
        hard : bool
            True: argmax materials, NumPy output, no graph (evaluation, reporting).
            False: the differentiable soft output (optimization through ``z``).
        fix_core, fix_shell : str or int, optional
            Override that material head with a fixed material (see :meth:`forward`).

        Returns
        -------
        Designs
            Over :attr:`materials`, sizes in nm inside ``r_range`` / ``t_range``. Hard: NumPy,
            ``core_index``/``shell_index`` by argmax. Soft: torch tensors attached to ``z``,
            ``p_core``/``p_shell`` the softmax rows (one-hot where a material is fixed);
            ``generator.encoder.transform(soft)`` gives back the design vector (what the
            critic sees).
        """
        self._core_shell("decode", "decode_layers")
        if hard:
            with torch.no_grad():
                vec = self.forward(z, fix_core=fix_core, fix_shell=fix_shell)
            raw = self.encoder.inverse_transform(vec.detach().cpu().to(torch.float64).numpy())
            return Designs(
                self.materials,
                core_index=raw.core_index,
                shell_index=raw.shell_index,
                r_core=self._clip(raw.r_core, self.r_range),
                t_shell=self._clip(raw.t_shell, self.t_range),
            )
        raw = self.encoder.inverse_transform(self.forward(z, fix_core=fix_core, fix_shell=fix_shell), soft=True)
        return Designs(
            self.materials,
            p_core=raw.p_core,
            p_shell=raw.p_shell,
            r_core=raw.r_core.clamp(*self.r_range),
            t_shell=raw.t_shell.clamp(*self.t_range),
        )

    def _core_shell(self, method: str, instead: str) -> None:
        if self.n_layers != 2:
            raise ValueError(f"Generator.{method} gives core-shell Designs; this generator has {self.n_layers} layers: "
                             f"use Generator.{instead}")

    @staticmethod
    def _clip(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
        # tanh is in (-1, 1), but float32 rounding at saturation may land a hair outside the range
        return np.clip(values, *bounds)

    def sample_latent(self, n: int, *, seed: int | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` standard-normal latent vectors, shape (n, latent_dim), from a seed or a ``torch.Generator``."""
        positive_int("n", n)
        if generator is None:
            generator = torch.Generator().manual_seed(0 if seed is None else int(seed))
        return torch.randn(n, self.latent_dim, generator=generator, dtype=self.size_head.weight.dtype)

    def sample(self, n: int, *, seed: int | None = 0, fix_core=None, fix_shell=None) -> Designs:
        """``n`` generated designs (hard decoding) from latent vectors drawn with ``seed``.

        Returns
        -------
        Designs
            Hard, NumPy: ``core_index``, ``shell_index`` (``core_names``, ``shell_names``),
            ``r_core``, ``t_shell`` (nm), each shape (n,).
        """
        self._core_shell("sample", "sample_layers")
        return self._in_eval_mode(self.decode, self.sample_latent(n, seed=seed), hard=True, fix_core=fix_core,
                                  fix_shell=fix_shell)

    def sample_layers(self, n: int, *, seed: int | None = 0, fix=None) -> tuple[np.ndarray, np.ndarray]:
        """``n`` generated L-layer designs (hard): material indices (n, L) and thicknesses (n, L) in nm."""
        return self._in_eval_mode(self.decode_layers, self.sample_latent(n, seed=seed), hard=True, fix=fix)

    def _in_eval_mode(self, decode, *args, **kwargs):
        """``decode(*args, **kwargs)`` in eval mode, the previous mode restored after."""
        was_training = self.training
        self.eval()
        try:
            return decode(*args, **kwargs)
        finally:
            self.train(was_training)

    def spec(self) -> dict:
        """Plain-dict description (config, materials, ranges) stored in checkpoints."""
        return {
            "config": self.config.to_dict(),
            "materials": list(self.materials),
            "r_range": list(self.r_range),
            "t_range": list(self.t_range),
        }

    @classmethod
    def from_spec(cls, spec: dict) -> Generator:
        """Build an (untrained) generator from :meth:`spec` output."""
        return cls(
            GeneratorConfig.from_dict(spec["config"]),
            materials=spec["materials"],
            r_range=spec["r_range"],
            t_range=spec["t_range"],
        )

    @classmethod
    def from_checkpoint(cls, checkpoint, *, materials=None, latent_dim: int | None = None) -> Generator:
        """Load a trained generator (eval mode) from a WGAN-GP checkpoint.

        Parameters
        ----------
        checkpoint : path or dict
            A ``best.pt``/``last.pt`` of ``kerker train wgan`` or the shipped ``wgan.pt``,
            or its loaded payload.
        materials : sequence of str, optional
            Expected material list (e.g. a dataset's); a different one is refused.
        latent_dim : int, optional
            Expected latent size; a different one is refused.

        Raises
        ------
        ValueError
            Not a WGAN-GP checkpoint, or it does not match ``materials`` / ``latent_dim``, or
            its weights do not fit its own recorded architecture.
        """
        payload = load_checkpoint(checkpoint) if isinstance(checkpoint, (str, Path)) else checkpoint
        where = str(checkpoint) if isinstance(checkpoint, (str, Path)) else "the checkpoint"
        if payload.get("kind") != CHECKPOINT_KIND:
            raise ValueError(f"{where} is not a WGAN-GP checkpoint (kind {payload.get('kind')!r}, expected "
                             f"{CHECKPOINT_KIND!r})")
        require_entries(payload, ("generator_spec",), modules=("generator",), what="WGAN-GP", where=where)
        spec = payload["generator_spec"]
        if materials is not None and tuple(str(m) for m in materials) != tuple(spec["materials"]):
            raise ValueError(
                f"{where} was trained on materials {list(spec['materials'])}, not {list(materials)}; retrain with "
                "`kerker train wgan` on a dataset with these materials"
            )
        saved_latent = int(spec["config"]["latent_dim"])
        if latent_dim is not None and int(latent_dim) != saved_latent:
            raise ValueError(f"{where} has latent_dim {saved_latent}, not the requested {latent_dim}")
        gen = cls.from_spec(spec)
        state = payload["modules"]["generator"]
        try:
            gen.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(f"{where}: the generator weights do not match its recorded architecture {spec}: {err}") from err
        gen.info = {k: payload[k] for k in ("train_config", "critic", "dataset", "metrics", "command", "history", "export") if k in payload}
        return gen.eval()

    def check_dataset(self, dataset) -> None:
        """Refuse a dataset whose materials or size ranges differ from the generator's."""
        mats = tuple(str(m) for m in dataset.materials)
        if mats != self.materials:
            raise ValueError(f"the generator's materials {list(self.materials)} differ from the dataset's {list(mats)}")
        for name, mine, theirs in (("r_range", self.r_range, dataset.r_range), ("t_range", self.t_range, dataset.t_range)):
            if tuple(float(v) for v in theirs) != mine:
                raise ValueError(f"the generator's {name} {mine} nm differs from the dataset's {tuple(theirs)} nm")


def _rename_core_shell_heads(module, state_dict, prefix, *_args) -> None:
    """Checkpoints written before L-layer generators name the two heads core_head, shell_head."""
    for old, new in (("core_head.", "material_heads.0."), ("shell_head.", "material_heads.1.")):
        for key in [k for k in state_dict if k.startswith(prefix + old)]:
            state_dict[prefix + new + key[len(prefix + old):]] = state_dict.pop(key)
