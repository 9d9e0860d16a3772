"""Core-shell efficiency datasets (exact Mie theory, HDF5) and their preprocessing.

Build the paper's set (7 x 7 materials, 50 x 50 sizes in 1-100 nm, 64 wavelengths in
400-800 nm, 122,500 particles) with ``kerker dataset build`` or :func:`build_dataset`,
read it with :func:`open_dataset`, check it with :func:`verify_dataset` (``kerker dataset
verify``). A batch of designs, from the dataset or anywhere else,
is a :class:`Designs` (``Dataset.designs(Dataset.indices("train", n=1000))``). The fitted,
invertible transformers that map designs and spectra to network inputs and targets live
in :mod:`kerker.dataset.scalers`. Format, resume semantics and provenance:
``docs/dataset.md``.

Modules: ``_config.py`` (DatasetConfig, presets), ``_designs.py`` (Designs),
``_layer_designs.py`` (LayerDesigns: seeded random L-layer designs for L-layer generators),
``_generate.py`` (the resumable build), ``_store.py`` (the HDF5 layout),
``_dataset.py`` (open_dataset, Dataset), ``scalers/`` (the fitted transformers).

Examples
--------
>>> from kerker.dataset import DatasetConfig, build_dataset, open_dataset
>>> build_dataset("data/coreshell.h5", DatasetConfig())   # doctest: +SKIP
>>> ds = open_dataset("data/coreshell.h5")                # doctest: +SKIP
>>> ds.q_back[ds.split("train")].shape                    # doctest: +SKIP
(108000, 64)
"""

from kerker.dataset._config import PRESETS, DatasetConfig
from kerker.dataset._dataset import Dataset, open_dataset, verify_dataset
from kerker.dataset._designs import Designs
from kerker.dataset._generate import build_dataset, dataset_particles, dataset_split
from kerker.dataset._layer_designs import LayerDesigns
from kerker.dataset._store import TARGETS
from kerker.dataset.scalers import DesignEncoder, Log1pMinMaxScaler, MinMaxScaler, OneHotEncoder

__all__ = [
    "PRESETS",
    "TARGETS",
    "Dataset",
    "DatasetConfig",
    "DesignEncoder",
    "Designs",
    "LayerDesigns",
    "Log1pMinMaxScaler",
    "MinMaxScaler",
    "OneHotEncoder",
    "build_dataset",
    "dataset_particles",
    "dataset_split",
    "open_dataset",
    "verify_dataset",
]
