"""WGAN-GP generators of L-layer designs: decoding, the random training designs, a tiny run, fidelity."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import kerker
from kerker.dataset import LayerDesigns
from kerker.models import (
    CriticConfig,
    Generator,
    GeneratorConfig,
    WGANTrainConfig,
    evaluate_wgan,
    layer_fidelity_metrics,
    pair_robustness,
    train_wgan,
)

from test_wgan import one_thread, quiet  # noqa: E402, F401 (one_thread: the autouse fixture)

MATERIALS = ("Si", "SiO2", "Au")
G3 = GeneratorConfig(latent_dim=8, hidden=(32, 32), n_materials=3, n_layers=3)
C3 = CriticConfig(hidden=(32, 32), n_materials=3, n_layers=3)


def make3(seed=0, r_range=(1.0, 100.0), t_range=(2.0, 50.0)) -> Generator:
    torch.manual_seed(seed)
    return Generator(G3, materials=MATERIALS, r_range=r_range, t_range=t_range)


def test_layer_decoding_shapes_ranges_and_gradients():
    gen = make3()
    z = gen.sample_latent(400, seed=1)
    assert gen(z).shape == (400, 3 * (1 + 3))
    index, thickness = gen.decode_layers(z)
    assert index.shape == thickness.shape == (400, 3) and index.dtype.kind == "i"
    assert ((thickness[:, 0] >= 1.0) & (thickness[:, 0] <= 100.0)).all()  # core radius in r_range
    assert ((thickness[:, 1:] >= 2.0) & (thickness[:, 1:] <= 50.0)).all()  # the other layers in t_range
    p, t_soft = gen.decode_layers(z.clone().requires_grad_(True), hard=False)
    assert p.shape == (400, 3, 3) and torch.allclose(p.sum(-1), torch.ones(400, 3, dtype=torch.float64))
    assert np.array_equal(p.argmax(-1).numpy(), index) and np.allclose(t_soft.detach().numpy(), thickness)
    zz = z.clone().requires_grad_(True)
    p, t_soft = gen.decode_layers(zz, hard=False)
    (p[:, 1, 0].sum() + t_soft[:, 2].sum()).backward()
    assert zz.grad is not None and zz.grad.abs().sum() > 0


def test_encode_layers_is_the_inverse_of_the_size_map():
    gen = make3()
    thickness = np.array([[1.0, 2.0, 50.0], [100.0, 26.0, 2.0]])
    vec = gen.encode_layers(np.array([[0, 1, 2], [2, 2, 0]]), thickness)
    assert vec[:, :3].tolist() == [[-1.0, -1.0, 1.0], [1.0, 0.0, -1.0]]
    assert vec[0, 3:].tolist() == [1, 0, 0, 0, 1, 0, 0, 0, 1]
    with pytest.raises(ValueError, match=r"shape \(N, 3\)"):
        gen.encode_layers(np.zeros((2, 2), dtype=int), np.ones((2, 2)))
    with pytest.raises(ValueError, match="material indices 0..2"):
        gen.encode_layers(np.full((1, 3), 3), np.ones((1, 3)))


def test_core_shell_generators_decode_the_same_through_both_paths():
    gen = kerker.load_generator()
    assert gen.n_layers == 2
    z = gen.sample_latent(3000, seed=4)
    d = gen.decode(z)
    index, thickness = gen.decode_layers(z)
    assert np.array_equal(index, np.stack([d.core_index, d.shell_index], axis=1))
    assert np.abs(thickness - np.stack([d.r_core, d.t_shell], axis=1)).max() < 1e-12
    assert np.abs(gen.encode_layers(index, thickness) - gen.encoder.transform(d)).max() < 1e-14


def test_fixed_layers_and_core_shell_only_methods():
    gen = make3()
    z = gen.sample_latent(200, seed=2)
    index, _ = gen.decode_layers(z, fix=["Au", None, 1])
    assert (index[:, 0] == 2).all() and (index[:, 2] == 1).all() and len(set(index[:, 1])) > 1
    with pytest.raises(ValueError, match=r"one entry per layer \(3\)"):
        gen.decode_layers(z, fix=["Au", None])
    with pytest.raises(ValueError, match="use fix=\\[...\\]"):
        gen(z, fix_core="Si")
    with pytest.raises(ValueError, match="use Generator.decode_layers"):
        gen.decode(z)
    with pytest.raises(ValueError, match="use Generator.sample_layers"):
        gen.sample(4)


def test_layer_designs_are_seeded_and_uniform():
    d = LayerDesigns(MATERIALS, n_layers=3, r_range=(1.0, 100.0), t_range=(5.0, 20.0), n_designs=30_000, seed=7)
    index, thickness = d.layer_designs()
    again = LayerDesigns(MATERIALS, n_layers=3, r_range=(1.0, 100.0), t_range=(5.0, 20.0), n_designs=30_000, seed=7)
    assert np.array_equal(index, again.layer_designs()[0]) and d.fingerprint == again.fingerprint
    other = LayerDesigns(MATERIALS, n_layers=3, n_designs=30_000, seed=8)
    assert d.fingerprint != other.fingerprint
    freq = np.stack([np.bincount(index[:, l], minlength=3) / 30_000 for l in range(3)])
    assert np.abs(freq - 1 / 3).max() < 0.01
    assert thickness[:, 0].min() >= 1.0 and thickness[:, 0].max() <= 100.0
    assert thickness[:, 1:].min() >= 5.0 and thickness[:, 1:].max() <= 20.0
    seq = np.bincount(np.ravel_multi_index(index.T, (3, 3, 3)), minlength=27)
    assert seq.min() > 0.85 * 30_000 / 27 and seq.max() < 1.15 * 30_000 / 27
    sub = d.indices("all", n=100, seed=1)
    i2, t2 = d.layer_designs(sub)
    assert np.array_equal(i2, index[sub]) and np.array_equal(t2, thickness[sub])
    with pytest.raises(ValueError, match="no 'train' split"):
        d.indices("train")
    with pytest.raises(ValueError, match="t_range"):
        LayerDesigns(MATERIALS, t_range=(5.0, 5.0))
    with pytest.raises(ValueError, match="distinct"):
        LayerDesigns(("Si", "Si"))


def test_tiny_layer_run_learns_a_three_layer_generator(tmp_path):
    designs = LayerDesigns(MATERIALS, n_layers=3, n_designs=2048, seed=0)
    cfg = WGANTrainConfig(epochs=3, batch_size=64, monitor_samples=500, seed=2, lr_generator=1e-3, lr_critic=1e-3,
                          pair_balance=1.0, pair_batch=256)
    result = train_wgan(designs, cfg, tmp_path, generator_config=G3, critic_config=C3, log=quiet)
    last = result.history[-1]
    assert {"coverage_0", "coverage_1", "coverage_2", "sequences_present", "pair_imbalance"} <= set(last)
    assert all(np.isfinite(h["pair_imbalance"]) and h["pair_imbalance"] >= 0 for h in result.history)
    gen = Generator.from_checkpoint(tmp_path / "best.pt")
    assert gen.n_layers == 3 and gen.info["dataset"]["layer_designs"] == designs.to_dict()
    again = train_wgan(designs, cfg, tmp_path / "again", generator_config=G3, critic_config=C3, log=quiet)
    assert [h["critic_loss"] for h in again.history] == [h["critic_loss"] for h in result.history]
    # the layer-pair criterion of the evaluation, and a core-shell dataset is refused as its reference
    report = evaluate_wgan(gen, n_samples=600, n_lines=4, n_steps=10)
    m = report["metrics"]
    assert m["n_layers"] == 3 and len(m["generated"]["sizes"]) == 3
    assert m["pair_robustness"]["n_seeds"] == 20 and "all_met" in m["targets"]
    with pytest.raises(ValueError, match="no reference"):
        evaluate_wgan(gen, object(), n_samples=10)


def test_layer_fidelity_metrics_count_by_hand():
    index = np.array([[0, 0, 1], [0, 1, 1], [1, 1, 1], [0, 0, 1]])
    thickness = np.array([[1.5, 2.5, 3.5], [1.2, 2.2, 3.2], [9.9, 2.9, 3.9], [1.1, 2.1, 3.1]])
    m = layer_fidelity_metrics(index, thickness, n_materials=2, ranges=[(1, 11), (2, 4), (3, 5)])
    assert m["materials"]["frequencies"][0] == [0.75, 0.25]
    assert m["materials"]["max_abs_deviation_pp"] == pytest.approx(50.0)  # layer 3 is all material 1
    assert m["pairs"]["counts"]["0-1"] == [[2, 1], [0, 1]]
    assert m["pairs"]["present"] == 2  # layers 2-3 and 1-3 show 2 of the 4 pairs
    assert m["sequences"] == {"total": 8, "present": 3, "expected_count": 0.5, "min_count": 0, "max_count": 2}
    assert m["sizes"][0]["coverage_1nm"] == pytest.approx(2 / 10) and m["sizes"][1]["coverage_1nm"] == 0.5


def test_pair_robustness_of_layers_takes_the_worst_pair_of_layers():
    gen = make3()
    r = pair_robustness(gen, n_seeds=2, n_samples=900)
    index, _ = gen.sample_layers(900, seed=1)
    counts = [np.bincount(index[:, i] * 3 + index[:, j], minlength=9) for i, j in ((0, 1), (0, 2), (1, 2))]
    assert r["per_seed"][1]["present"] == min(int((c > 0).sum()) for c in counts)
    assert np.isclose(r["per_seed"][1]["ratio_max"], max(c.max() for c in counts) / 100.0)
    assert np.isclose(r["per_seed"][1]["ratio_min"], min(c.min() for c in counts) / 100.0)
