"""Seeded random designs of L-layer spheres: what an L-layer generator learns from.

The core-shell dataset holds the paper's grid of 122,500 designs with their spectra. A
generator learns only the *designs* (never the spectra), so an L-layer generator needs no
dataset file: :class:`LayerDesigns` draws each layer's material uniformly among the
materials (every material sequence equally likely) and each size uniformly and
continuously in its range, from a seed, and answers the few questions
:func:`kerker.models.train_wgan` asks of a dataset (materials, ranges, indices,
fingerprint).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from kerker._config import Config, integer, interval, positive_int

__all__ = ["LayerDesigns"]


@dataclass(frozen=True)
class LayerDesigns(Config):
    """``n_designs`` random L-layer designs, innermost layer first.

    Attributes
    ----------
    materials : tuple of str
        Material names; index ``i`` of a design refers to ``materials[i]``.
    n_layers : int
        Concentric layers L (2: core and shell).
    r_range : (float, float)
        Core radius range in nm.
    t_range : (float, float)
        Thickness range of every further layer in nm.
    n_designs : int
        Number of designs.
    seed : int
        Seed of the draw (``numpy.random.default_rng``).

    Examples
    --------
    >>> d = LayerDesigns(("Si", "SiO2", "Au"), n_layers=3, n_designs=4)
    >>> index, thickness = d.layer_designs()
    >>> index.shape, thickness.shape
    ((4, 3), (4, 3))
    """

    materials: tuple
    n_layers: int = 3
    r_range: tuple = (1.0, 100.0)
    t_range: tuple = (1.0, 100.0)
    n_designs: int = 122_500
    seed: int = 0

    def __post_init__(self):
        if isinstance(self.materials, str) or not len(self.materials):
            raise ValueError(f"LayerDesigns.materials must be a non-empty sequence of names; received {self.materials!r}")
        self._set("materials", tuple(str(m) for m in self.materials))
        if len(set(self.materials)) != len(self.materials):
            raise ValueError(f"LayerDesigns.materials must be distinct; received {list(self.materials)}")
        self._check("n_layers", positive_int)
        self._check("n_designs", positive_int)
        self._check("seed", integer)
        for name in ("r_range", "t_range"):
            lo, hi = self._check(name, interval, strict_lower=True)
            if not lo < hi:
                raise ValueError(f"LayerDesigns.{name} must have low < high (nm); received {getattr(self, name)!r}")

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the specification (the designs are a function of it)."""
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()

    def indices(self, split: str = "all", n: int | None = None, seed: int = 0) -> np.ndarray:
        """Design indices: all of them, or a seeded random subset of ``n`` (random designs have no splits)."""
        if split != "all":
            raise ValueError(f"random L-layer designs have no {split!r} split (only 'all'): they carry no spectra, "
                             "so nothing of a test set can leak into a generator")
        if n is None or n >= self.n_designs:
            return np.arange(self.n_designs)
        return np.sort(np.random.default_rng(seed).choice(self.n_designs, size=n, replace=False))

    def layer_designs(self, idx=None) -> tuple[np.ndarray, np.ndarray]:
        """Material indices (N, L) int64 and thicknesses (N, L) in nm (the first the core radius)."""
        rng = np.random.default_rng(self.seed)
        n, n_l = self.n_designs, self.n_layers
        index = rng.integers(0, len(self.materials), size=(n, n_l))
        lo = np.array([self.r_range[0]] + [self.t_range[0]] * (n_l - 1))
        hi = np.array([self.r_range[1]] + [self.t_range[1]] * (n_l - 1))
        thickness = lo + (hi - lo) * rng.random((n, n_l))
        if idx is None:
            return index, thickness
        idx = np.asarray(idx)
        return index[idx], thickness[idx]
