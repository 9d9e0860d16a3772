"""The pair-balance term of the WGAN-GP generator loss and the 20-seed pair criterion."""

import numpy as np
import pytest
import torch

import kerker
from kerker.models import WGANTrainConfig, pair_robustness, train_wgan

from test_wgan import TINY_C, TINY_G, TINY_RUN, grid_designs, make_generator, quiet  # noqa: E402


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_pair_balance_is_logged_and_evens_out_the_pairs(tmp_path):
    base = {**TINY_RUN.to_dict(), "epochs": 3}
    plain = train_wgan(grid_designs(), WGANTrainConfig(**base), tmp_path / "plain", generator_config=TINY_G,
                       critic_config=TINY_C, log=quiet)
    balanced = train_wgan(grid_designs(), WGANTrainConfig(**{**base, "pair_balance": 5.0, "pair_batch": 256}),
                          tmp_path / "balanced", generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    assert "pair_imbalance" not in plain.history[-1]
    imbalance = [h["pair_imbalance"] for h in balanced.history]
    assert all(np.isfinite(v) and v >= 0 for v in imbalance)  # a KL divergence
    # with the term the worst pair of the 3 x 3 monitor is closer to its uniform share
    spread = lambda h: max(1 - h["pair_ratio_min"], h["pair_ratio_max"] - 1)  # noqa: E731
    assert spread(balanced.history[-1]) < spread(plain.history[-1])


def test_pair_balance_must_be_non_negative():
    with pytest.raises(ValueError, match="pair_balance"):
        WGANTrainConfig(pair_balance=-1.0)
    with pytest.raises(ValueError, match="pair_batch"):
        WGANTrainConfig(pair_batch=0)


def test_pair_robustness_counts_pairs_per_seed():
    gen = make_generator()
    r = pair_robustness(gen, n_seeds=3, n_samples=900)
    assert [row["seed"] for row in r["per_seed"]] == [0, 1, 2]
    d = gen.sample(900, seed=1)
    counts = np.bincount(d.core_index * 3 + d.shell_index, minlength=9)
    assert r["per_seed"][1]["present"] == int((counts > 0).sum())
    assert np.isclose(r["per_seed"][1]["ratio_max"], counts.max() / 100.0)


def test_shipped_generator_covers_every_pair_on_twenty_seeds():
    # issue 14 item 3: 20 latent seeds x 10,000 samples, every pair within 0.5-1.5x uniform
    r = pair_robustness(kerker.load_generator(), n_seeds=20, n_samples=10_000)
    assert r["all_pairs_on_every_seed"]
    assert 0.5 <= r["ratio_min"] and r["ratio_max"] <= 1.5
