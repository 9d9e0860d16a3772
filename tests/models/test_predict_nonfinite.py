"""NaN soft weights into ``Surrogate.predict``: a ValueError naming the argument, where, and the value.

Both forms of ``predict`` (a Designs batch and the ``efficiencies``-style short form),
NumPy and torch (a generator's softmax of NaN logits is the usual source), and the
shipped MLP's ``wavelength`` argument.
"""

import numpy as np
import pytest
import torch

from kerker.dataset import Designs
from kerker.models import load_surrogate


@pytest.fixture(scope="module")
def model():
    return load_surrogate("resnet")


def _weights(model, bad):
    w = np.full((2, len(model.materials)), 1.0 / len(model.materials))
    w[1, 3] = bad
    return w


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_short_form_with_nan_core_weights(model, bad):
    match = rf"p_core \(the core material weights\) must be finite and >= 0; row 1, column 3 \({model.materials[3]}\)"
    with pytest.raises(ValueError, match=match):
        model.predict(_weights(model, bad), "SiO2", [30.0, 40.0], [10.0, 10.0])


def test_torch_softmax_of_nan_logits(model):
    logits = torch.zeros(2, len(model.materials), dtype=torch.float64, requires_grad=True)
    p_shell = torch.softmax(logits * torch.tensor(float("nan")), dim=-1)
    with pytest.raises(ValueError, match=r"p_shell \(the shell material weights\) must be finite and >= 0; row 0, "
                                         r"column 0 \(Au\) holds nan"):
        model.predict("Si", p_shell, torch.tensor([30.0, 40.0]), torch.tensor([10.0, 10.0]))


def test_designs_form(model):
    with pytest.raises(ValueError, match=r"p_core .* holds nan"):
        model.predict(Designs(model.materials, p_core=_weights(model, np.nan), p_shell=_weights(model, 0.0) * 0
                              + np.eye(len(model.materials))[[0, 1]], r_core=[30.0, 40.0], t_shell=[10.0, 10.0]))


def test_nan_wavelength_of_the_mlp():
    mlp = load_surrogate("mlp")
    with pytest.raises(ValueError, match=r"wavelength must lie in the surrogate's training range \[400, 800\] nm, "
                                         r"got \[nan\]"):
        mlp.predict("Si", "SiO2", 50.0, 20.0, wavelength=[np.nan, 500.0])
