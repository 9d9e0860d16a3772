"""Shared pieces of the Dask tests: tiny datasets and the file comparison that "bit-identical" means.

Two builds of one config differ only in when they ran: the root attributes
``created_utc``/``completed_utc``, the ``created_utc`` inside ``metadata`` and the
``header_sha256`` over them. Everything else (every array, byte for byte with its dtype
and chunk layout, every other attribute) must be equal.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from kerker.dataset import DatasetConfig

# 3 x 3 materials (TiO2 held below 430 nm) x 4 x 4 sizes = 144 particles, 12 wavelengths, 18 chunks
SMALL = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=4, n_t_shell=4, n_wavelengths=12, chunk_size=8)

_WHEN = {"created_utc", "completed_utc", "header_sha256"}


def _attrs(obj) -> dict:
    out = {}
    for key, value in obj.attrs.items():
        if key in _WHEN:
            continue
        if key == "metadata":
            value = {k: v for k, v in json.loads(value).items() if k != "created_utc"}
        out[key] = value
    return out


def same_dataset(a, b) -> None:
    """Assert that the dataset files ``a`` and ``b`` hold the same bytes apart from their timestamps."""
    with h5py.File(a, "r") as f, h5py.File(b, "r") as g:
        names_f, names_g = [], []
        f.visit(names_f.append)
        g.visit(names_g.append)
        assert names_f == names_g
        assert _attrs(f) == _attrs(g)
        for name in names_f:
            x, y = f[name], g[name]
            assert type(x) is type(y), name
            if isinstance(x, h5py.Dataset):
                assert (x.dtype, x.shape, x.chunks) == (y.dtype, y.shape, y.chunks), name
                assert np.array_equal(x[...], y[...]), name
                assert x.dtype.kind in "OSU" or x[...].tobytes() == y[...].tobytes(), name
            assert _attrs(x) == _attrs(y), name
        assert bool(f.attrs["complete"]) and bool(g.attrs["complete"])


@pytest.fixture(scope="session")
def small():
    """:data:`SMALL`, the config of the tiny test dataset."""
    return SMALL


@pytest.fixture(scope="session")
def clean_small(tmp_path_factory):
    """The in-process build of SMALL, the reference every other build must equal."""
    from kerker.dataset import build_dataset

    return build_dataset(tmp_path_factory.mktemp("clean") / "small.h5", SMALL, progress=False)


@pytest.fixture
def assert_same_dataset():
    """:func:`same_dataset`, for the test modules."""
    return same_dataset


@pytest.fixture(scope="session")
def dask2():
    """One Dask LocalCluster of 2 worker processes for the library-level tests (started once, closed at the end)."""
    from kerker import open_executor

    with open_executor(workers=2) as executor:
        yield executor
