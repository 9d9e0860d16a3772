"""The checkpoints shipped in kerker/models/weights reproduce their recorded test accuracy.

The recorded numbers were computed at training time against the dataset's stored
(float32) exact spectra; here the first 32 test particles are recomputed with exact Mie
(float64) from their designs, so the check needs no dataset file.
"""

from pathlib import Path

import numpy as np
import pytest

import kerker.models
from kerker.dataset import Designs
from kerker.models import SHIPPED_SURROGATES, exact_spectra, load_surrogate, rmae

WEIGHTS = Path(kerker.models.__file__).parent / "weights"


def shipped(name):
    # The weights are package data: a missing file is a packaging error, not a skip.
    assert (WEIGHTS / SHIPPED_SURROGATES[name]).is_file(), f"shipped {name} checkpoint missing from {WEIGHTS}"
    return load_surrogate(name)


@pytest.mark.parametrize("name", sorted(SHIPPED_SURROGATES))
def test_shipped_reproduces_recorded_test_rmae(name):
    model = shipped(name)
    assert model.arch == name
    assert model.wavelength.shape == (64,) and len(model.materials) == 7
    sub = model.info["metrics"]["test"]["subset"]
    designs = Designs.broadcast(sub["core"], sub["shell"], np.array(sub["r_core"]), np.array(sub["t_shell"]),
                                materials=model.materials)
    exact_fwd, exact_back = exact_spectra(designs, model.wavelength, extrapolate="hold")
    q_fwd, q_back = model.predict(designs)
    # rtol: float32 storage of the dataset's exact spectra (1e-7 relative) and float32 network
    # arithmetic in different batch sizes move each rMAE by far less than 1e-3 of itself
    np.testing.assert_allclose(rmae(q_fwd, exact_fwd), sub["rmae_q_fwd"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(rmae(q_back, exact_back), sub["rmae_q_back"], rtol=1e-3, atol=1e-6)


@pytest.mark.parametrize("name", sorted(SHIPPED_SURROGATES))
def test_shipped_records_provenance(name):
    model = shipped(name)
    for key in ("arch_config", "train_config", "preprocessing", "dataset", "kerker_version", "metrics"):
        assert key in model.info
    test = model.info["metrics"]["test"]
    assert test["n"] == 2500 and 0 < test["q_fwd"]["mean"] < 1 and 0 < test["q_back"]["mean"] < 1
    size = (WEIGHTS / SHIPPED_SURROGATES[name]).stat().st_size
    assert size < 8e6, f"shipped checkpoint should stay a few MB, is {size / 1e6:.1f} MB"


def test_unknown_name():
    with pytest.raises(ValueError, match=r"unknown shipped surrogate 'gan'; available: \['mlp', 'resnet'\]"):
        load_surrogate("gan")
