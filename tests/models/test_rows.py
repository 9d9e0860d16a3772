"""Frozen networks give every row the same numbers alone or in any batch (kerker.models._rows)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kerker.models import load_generator, load_surrogate
from kerker.models._rows import ROWS_PER_CALL, in_fixed_row_calls

MATERIALS = ("Au", "Ag", "Si", "SiO2", "Si3N4", "ZrO2", "TiO2")


def _designs(rng, n):
    return (list(rng.choice(MATERIALS, n)), list(rng.choice(MATERIALS, n)),
            torch.tensor(rng.uniform(1, 100, n), requires_grad=True), torch.tensor(rng.uniform(1, 100, n)))


@pytest.mark.parametrize("name", ["resnet", "mlp"])
def test_surrogate_prediction_and_gradient_do_not_depend_on_the_batch(rng, name):
    surrogate = load_surrogate(name)
    core, shell, r, t = _designs(rng, 300)
    q_fwd, q_back = surrogate.predict(core, shell, r, t)
    (q_fwd.sum() + q_back.sum()).backward()
    for i in (0, 7, 127, 128, 299):
        r_i = r.detach()[i : i + 1].clone().requires_grad_()
        f_i, b_i = surrogate.predict(core[i : i + 1], shell[i : i + 1], r_i, t[i : i + 1])
        assert torch.equal(f_i[0], q_fwd[i]) and torch.equal(b_i[0], q_back[i])
        (f_i.sum() + b_i.sum()).backward()
        assert torch.equal(r_i.grad[0], r.grad[i])


def test_generator_designs_do_not_depend_on_the_batch():
    generator = load_generator()
    z = generator.sample_latent(300, seed=4)
    with torch.no_grad():
        full = generator(z)
        for i in (0, 5, 200, 299):
            assert torch.equal(generator(z[i : i + 1])[0], full[i])
            assert torch.equal(generator(z[i : i + 6])[0], full[i])


def test_fixed_row_calls_pad_and_keep_gradients():
    seen = []

    def fn(block):
        seen.append(block.shape[0])
        return 2.0 * block

    x = torch.arange(2 * ROWS_PER_CALL + 5, dtype=torch.float64).reshape(-1, 1).requires_grad_()
    y = in_fixed_row_calls(fn, x)
    assert seen == [ROWS_PER_CALL] * 3 and y.shape == x.shape
    np.testing.assert_array_equal(y.detach().numpy(), 2.0 * x.detach().numpy())
    y.sum().backward()
    assert torch.equal(x.grad, torch.full_like(x, 2.0))
