"""A tiny core-shell dataset computed with exact Mie, with the attributes of kerker.dataset's reader.

Small enough (3 materials, 5 x 5 sizes, 64 wavelengths) for training smoke tests to run in
seconds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from kerker.dataset import Dataset


@dataclass
class TinyDataset:
    materials: tuple
    wavelength: np.ndarray
    r_core: np.ndarray
    t_shell: np.ndarray
    core_index: np.ndarray
    shell_index: np.ndarray
    q_fwd: np.ndarray
    q_back: np.ndarray
    r_range: tuple
    t_range: tuple
    splits: dict
    fingerprint: str
    metadata: dict = field(default_factory=dict)

    def split(self, name):
        return self.splits[name]

    # the real reader's methods: they only use the attributes above
    indices = Dataset.indices
    designs = Dataset.designs


def make_tiny_dataset(materials=("Si", "SiO2", "Au"), n_wl=64, sizes=5, seed=0) -> TinyDataset:
    from kerker.materials import material
    from kerker.mie import efficiencies

    wl = np.linspace(400.0, 800.0, n_wl)
    grid = np.linspace(5.0, 80.0, sizes)
    ci, si, r, t = (a.ravel() for a in np.meshgrid(np.arange(len(materials)), np.arange(len(materials)), grid, grid,
                                                   indexing="ij"))
    mats = [material(m).with_extrapolation("hold") for m in materials]
    q = efficiencies([mats[i] for i in ci], [mats[i] for i in si], r, t, wl)
    n = r.size
    perm = np.random.default_rng(seed).permutation(n)
    n_val = n_test = n // 8
    splits = {"test": np.sort(perm[:n_test]), "val": np.sort(perm[n_test:n_test + n_val]),
              "train": np.sort(perm[n_test + n_val:])}
    digest = hashlib.sha256(np.ascontiguousarray(q.q_fwd).tobytes() + repr(materials).encode()).hexdigest()[:16]
    return TinyDataset(tuple(materials), wl, r, t, ci.astype(np.int64), si.astype(np.int64), q.q_fwd, q.q_back,
                       (5.0, 80.0), (5.0, 80.0), splits, digest)
