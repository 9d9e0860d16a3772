"""Dataset.indices (a split or a seeded subset of it) and Dataset.designs on a real (tiny) HDF5 dataset."""

import numpy as np
import pytest

from kerker.dataset import PRESETS, Designs, build_dataset, open_dataset


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return open_dataset(build_dataset(tmp_path_factory.mktemp("ds") / "tiny.h5", PRESETS["tiny"], progress=False))


def test_whole_splits_and_all(ds):
    assert np.array_equal(ds.indices("all"), np.arange(len(ds)))
    for name in ("train", "val", "test"):
        idx = ds.indices(name)
        assert idx.dtype == np.int64 and np.array_equal(idx, ds.split(name))


@pytest.mark.parametrize("split", ["all", "train", "val", "test"])
def test_subsets_are_seeded_sorted_distinct_and_inside_the_split(ds, split):
    whole = ds.indices(split)
    n = max(1, whole.size // 3)
    a = ds.indices(split, n=n, seed=4)
    assert a.shape == (n,) and a.dtype == np.int64
    assert np.all(np.diff(a) > 0)  # sorted, no repeats
    assert np.isin(a, whole).all()  # never leaves the split
    assert np.array_equal(a, ds.indices(split, n=n, seed=4))  # deterministic
    assert np.array_equal(ds.indices(split, n=whole.size, seed=9), whole)  # n = size: the whole split


def test_subset_is_random_not_the_head(ds):
    # the file is ordered by material: a subset must not be the first n particles, and seeds must matter
    a, b = ds.indices("train", n=40, seed=0), ds.indices("train", n=40, seed=1)
    assert not np.array_equal(a, ds.split("train")[:40]) and not np.array_equal(a, b)
    assert set(np.unique(ds.core_index[a])) == {0, 1}
    # pinned to the documented draw (numpy's default_rng(seed).choice without replacement, sorted), so the
    # max_train / max_samples subsets of earlier runs stay reproducible
    train = ds.split("train")
    expected = np.sort(train[np.random.default_rng(0).choice(train.size, 40, replace=False)])
    assert np.array_equal(a, expected)


def test_indices_refusals(ds):
    n_test = len(ds.split("test"))
    with pytest.raises(ValueError, match=rf"n = {n_test + 1} is more than the {n_test} particles of split 'test'; "
                                         rf"ask for at most {n_test} \(n=None takes the whole split\)"):
        ds.indices("test", n=n_test + 1)
    with pytest.raises(ValueError, match=r"split must be one of \('all', 'train', 'val', 'test'\); received 'valid'"):
        ds.indices("valid")
    with pytest.raises(ValueError, match="Dataset.indices: n must be a positive int; received 0"):
        ds.indices("train", n=0)
    with pytest.raises(TypeError, match=r"Dataset.indices: n must be a positive int; received 2.5 \(float\)"):
        ds.indices("train", n=2.5)
    with pytest.raises(ValueError, match="Dataset.indices: seed must be an int >= 0; received -1"):
        ds.indices("train", n=3, seed=-1)


def test_designs_are_the_stored_particles(ds):
    idx = ds.indices("val", n=10, seed=2)[::-1]  # any order is kept
    d = ds.designs(idx)
    assert isinstance(d, Designs) and not d.is_soft and d.materials == ds.materials and len(d) == 10
    assert np.array_equal(d.core_index, ds.core_index[idx]) and np.array_equal(d.shell_index, ds.shell_index[idx])
    assert np.array_equal(d.r_core, ds.r_core[idx]) and np.array_equal(d.t_shell, ds.t_shell[idx])
    assert d.r_core.dtype == np.float64 and d.core_index.dtype == np.int64
    everything = ds.designs()
    assert len(everything) == len(ds) and np.array_equal(everything.t_shell, ds.t_shell)
    with pytest.raises(TypeError, match="indices must be integer particle indices; received dtype float64"):
        ds.designs([0.0, 1.0])
