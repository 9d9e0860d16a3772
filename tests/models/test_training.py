"""Seeded end-to-end surrogate training on the tiny dataset: loss falls, resume is exact, mismatches refused."""

import dataclasses

import numpy as np
import pytest
import torch

from kerker.models import (
    MLPConfig,
    ResNetConfig,
    Surrogate,
    SurrogateTrainConfig,
    load_checkpoint,
    run_training,
    train_surrogate,
)

from surrogate_fixtures import make_tiny_dataset

SMALL_RESNET = ResNetConfig(channels=(8, 8, 8), blocks_per_group=1)
FAST = dict(lr=3e-3, batch_schedule=((0, 16), (2, 32)), patience=50, num_threads=1)


def quiet(_line):
    pass


@pytest.fixture(scope="module")
def trained(tiny_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("resnet")
    cfg = SurrogateTrainConfig(arch="resnet", epochs=15, **FAST)
    best = train_surrogate(tiny_dataset, cfg, out, arch_config=SMALL_RESNET, log=quiet)
    return out, best


def test_loss_falls_and_checkpoint_complete(trained, tiny_dataset):
    out, best = trained
    payload = load_checkpoint(best)
    history = payload["history"]
    assert len(history) == 15
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert min(h["val_loss"] for h in history) < 0.5 * history[0]["val_loss"]
    for key in ("arch_config", "train_config", "preprocessing", "dataset", "kerker_version", "metrics"):
        assert key in payload
    assert payload["dataset"]["fingerprint"] == tiny_dataset.fingerprint
    assert payload["metrics"]["test"]["n"] == len(tiny_dataset.split("test"))
    assert (out / "history.json").stat().st_size > 0  # the loss-curve plot is drawn by the CLI (report stage)
    # weights are float32 and there is no optimizer state in the best checkpoint
    assert all(v.dtype in (torch.float32, torch.int64) for v in payload["modules"]["network"].values())
    assert "optimizers" not in payload


def test_weighted_loss_run_and_weights(tiny_dataset, tmp_path):
    """weighted_mse: weights are each point's share of its spectrum's rMAE; a run with it still learns."""
    from kerker.models._fit_surrogate import _rmae_weights

    idx = np.asarray(tiny_dataset.split("train"))[:5]
    w = _rmae_weights(tiny_dataset, idx).numpy()
    assert w.shape == (5, 2, np.asarray(tiny_dataset.wavelength).size)
    np.testing.assert_allclose(w.mean(axis=2), 1.0, rtol=1e-6)
    q_back = np.asarray(tiny_dataset.q_back)[idx]
    np.testing.assert_allclose(w[:, 1], q_back / q_back.mean(axis=1, keepdims=True), rtol=1e-6)
    cfg = SurrogateTrainConfig(arch="resnet", epochs=10, loss="weighted_mse", **FAST)
    arch = dataclasses.replace(SMALL_RESNET, stem_hidden=(16,), activation="silu")
    best = train_surrogate(tiny_dataset, cfg, tmp_path, arch_config=arch, log=quiet)
    history = load_checkpoint(best)["history"]
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert load_checkpoint(best)["train_config"]["loss"] == "weighted_mse"


def test_resume_continues_identically(tiny_dataset, tmp_path):
    cfg = SurrogateTrainConfig(arch="resnet", epochs=4, **FAST)
    train_surrogate(tiny_dataset, cfg, tmp_path / "full", arch_config=SMALL_RESNET, log=quiet)
    # the same run interrupted after 2 epochs, then resumed
    train_surrogate(tiny_dataset, dataclasses.replace(cfg, epochs=2), tmp_path / "cut", arch_config=SMALL_RESNET,
                    log=quiet)
    lines = []
    train_surrogate(tiny_dataset, cfg, tmp_path / "cut", arch_config=SMALL_RESNET, resume=True, log=lines.append)
    assert any("resuming after epoch 2" in line for line in lines)
    full, cut = load_checkpoint(tmp_path / "full" / "last.pt"), load_checkpoint(tmp_path / "cut" / "last.pt")
    for name, tensor in full["modules"]["network"].items():
        torch.testing.assert_close(cut["modules"]["network"][name], tensor, rtol=0, atol=0)
    strip = [{k: v for k, v in h.items() if k != "time_s"} for h in full["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "time_s"} for h in cut["history"]]


def test_resume_refuses_other_run(trained, tiny_dataset):
    out, _ = trained
    cfg = SurrogateTrainConfig(arch="resnet", epochs=8, **{**FAST, "lr": 1e-4})
    with pytest.raises(ValueError, match="cannot resume.*lr"):
        train_surrogate(tiny_dataset, cfg, out, arch_config=SMALL_RESNET, resume=True, log=quiet)
    other = dataclasses.replace(tiny_dataset, fingerprint="another")
    cfg = SurrogateTrainConfig(arch="resnet", epochs=8, **FAST)
    with pytest.raises(ValueError, match="cannot resume.*another"):
        train_surrogate(other, cfg, out, arch_config=SMALL_RESNET, resume=True, log=quiet)


def test_checkpoint_against_other_dataset(trained):
    _, best = trained
    other_materials = make_tiny_dataset(materials=("Si", "TiO2", "Au"), sizes=2)
    with pytest.raises(ValueError, match="material list mismatch.*'SiO2'.*'TiO2'"):
        Surrogate.from_checkpoint(best, dataset=other_materials)
    other_grid = make_tiny_dataset(n_wl=32, sizes=2)
    with pytest.raises(ValueError, match="wavelength grid mismatch: .* 64 points .* 32 points"):
        Surrogate.from_checkpoint(best, dataset=other_grid)


def test_resnet_grid_must_match_dataset(tiny_dataset, tmp_path):
    cfg = SurrogateTrainConfig(arch="resnet", epochs=1, **FAST)
    with pytest.raises(ValueError, match="outputs .* 32 wavelengths but the dataset has 64"):
        train_surrogate(tiny_dataset, cfg, tmp_path, arch_config=ResNetConfig(channels=(8, 8)), log=quiet)


def test_mlp_trains_with_wavelength_sampling(tiny_dataset, tmp_path):
    cfg = SurrogateTrainConfig(arch="mlp", epochs=15, wavelengths_per_particle=8, **FAST)
    best = train_surrogate(tiny_dataset, cfg, tmp_path, arch_config=MLPConfig(hidden=(32, 32)), log=quiet)
    history = load_checkpoint(best)["history"]
    assert min(h["val_loss"] for h in history) < 0.5 * history[0]["val_loss"]


def test_loop_without_validation_is_reusable():
    """The generic loop on a toy regression, as the WGAN-GP uses it: no monitor, custom step."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(idx, generator):
        loss = torch.nn.functional.mse_loss(model(x[idx]).squeeze(1), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.item()}

    result = run_training(modules={"m": model}, optimizers={"sgd": opt}, step=step, n_samples=200, epochs=5,
                          batch_size=lambda e: 20, seed=1, log=quiet)
    assert result.history[-1]["loss"] < 1e-2 * result.history[0]["loss"]
    assert result.best_epoch is None and result.stop_reason == "max_epochs"
    with pytest.raises(ValueError, match="patience needs a monitor"):
        run_training(modules={"m": model}, optimizers={"sgd": opt}, step=step, n_samples=200, epochs=1,
                     batch_size=lambda e: 20, seed=1, patience=3, log=quiet)
    np.testing.assert_allclose(model.weight.detach().numpy()[0], [1.0, -2.0, 0.5], atol=0.05)
