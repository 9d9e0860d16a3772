"""Seeded end-to-end surrogate training on the tiny dataset: loss falls, resume is exact, mismatches refused."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from kerker.models import (
    MLPConfig,
    ResNet1D,
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
    # the loop writes history.json (the loss-curve plot is drawn by the CLI, report stage)
    recorded = json.loads((out / "history.json").read_text())
    assert recorded["history"] == json.loads(json.dumps(history)) and recorded["stop_reason"] == "max_epochs"
    # weights are float32 and there is no optimizer state in the best checkpoint
    assert all(v.dtype in (torch.float32, torch.int64) for v in payload["modules"]["network"].values())
    assert "optimizers" not in payload


def test_rmae_weights_on_a_hand_computed_case():
    """weighted_mse weights each point by its share of its spectrum's rMAE: q / mean_W(q)."""
    from types import SimpleNamespace

    from kerker.models.surrogate._fit import _rmae_weights

    # spectrum means: Q_fwd [1, 1, 2] -> 4/3, Q_back [0, 1, 3] -> 4/3; second particle Q_fwd [2, 2, 2] -> 2,
    # Q_back [1, 0, 5] -> 2
    data = SimpleNamespace(q_fwd=np.array([[1.0, 1.0, 2.0], [2.0, 2.0, 2.0]]),
                           q_back=np.array([[0.0, 1.0, 3.0], [1.0, 0.0, 5.0]]))
    w = _rmae_weights(data, np.array([0, 1])).numpy()
    assert w.shape == (2, 2, 3) and w.dtype == np.float32
    np.testing.assert_allclose(w[0, 0], [0.75, 0.75, 1.5], rtol=1e-7)
    np.testing.assert_allclose(w[0, 1], [0.0, 0.75, 2.25], rtol=1e-7)
    np.testing.assert_allclose(w[1, 0], [1.0, 1.0, 1.0], rtol=1e-7)
    np.testing.assert_allclose(w[1, 1], [0.5, 0.0, 2.5], rtol=1e-7)
    # the rows are picked by index, in the order given
    np.testing.assert_array_equal(_rmae_weights(data, np.array([1]))[0].numpy(), w[1])


def test_weighted_loss_run(tiny_dataset, tmp_path):
    """A run with the weighted loss still learns, and the checkpoint records the loss."""
    cfg = SurrogateTrainConfig(arch="resnet", epochs=10, loss="weighted_mse", **FAST)
    arch = dataclasses.replace(SMALL_RESNET, stem_hidden=(16,), activation="silu")
    best = train_surrogate(tiny_dataset, cfg, tmp_path, arch_config=arch, log=quiet)
    history = load_checkpoint(best)["history"]
    assert history[-1]["train_loss"] < 0.5 * history[0]["train_loss"]
    assert load_checkpoint(best)["train_config"]["loss"] == "weighted_mse"


def test_rmae_loss_is_the_metric(trained, tiny_dataset):
    """The 'rmae' loss of decoded predictions equals the evaluation module's NumPy rMAE."""
    from kerker.models import rmae
    from kerker.models.surrogate._fit import _loss, _loss_targets

    model = Surrogate.from_checkpoint(trained[1])
    idx = np.asarray(tiny_dataset.split("val"))
    q = _loss_targets("rmae", model.preprocessing, tiny_dataset, idx)
    z = model.eval()(torch.from_numpy(model.preprocessing.design_matrix(tiny_dataset.designs(idx)))).detach()
    per_spectrum = _loss("rmae", model.preprocessing, z, q, None).numpy()
    pred = model.preprocessing.decode_targets(z).numpy()
    for k, name in enumerate(("q_fwd", "q_back")):
        exact = np.asarray(getattr(tiny_dataset, name))[idx]
        np.testing.assert_allclose(per_spectrum[:, k], rmae(pred[:, k], exact), rtol=1e-5)


@pytest.mark.parametrize("loss", ["weighted_mse", "rmae"])
def test_losses_dividing_by_the_spectrum_refuse_a_zero_one(tiny_dataset, tmp_path, loss):
    idx = int(np.asarray(tiny_dataset.split("train"))[3])
    q_back = np.array(tiny_dataset.q_back, copy=True)
    q_back[idx] = 0.0
    bad = dataclasses.replace(tiny_dataset, q_back=q_back)
    cfg = SurrogateTrainConfig(arch="resnet", epochs=1, loss=loss, **FAST)
    with pytest.raises(ValueError, match=f"loss '{loss}' divides by each spectrum's sum; particle {idx} has an all-zero"):
        train_surrogate(bad, cfg, tmp_path, arch_config=SMALL_RESNET, log=quiet)


def test_max_train_is_a_seeded_subset_of_the_train_split(tiny_dataset, tmp_path):
    lines = []
    cfg = SurrogateTrainConfig(arch="resnet", epochs=1, max_train=40, seed=2, **FAST)
    train_surrogate(tiny_dataset, cfg, tmp_path, arch_config=SMALL_RESNET, log=lines.append)
    assert any(" on 40 particles" in line for line in lines)
    n_train = len(tiny_dataset.split("train"))
    with pytest.raises(ValueError, match=f"n = 1000 is more than the {n_train} particles of split 'train'"):
        train_surrogate(tiny_dataset, SurrogateTrainConfig(arch="resnet", epochs=1, max_train=1000, **FAST), tmp_path,
                        arch_config=SMALL_RESNET, log=quiet)


def test_fine_tune_from_checkpoint(trained, tiny_dataset, tmp_path):
    """init_from + rmae loss + frozen batch norm + cosine: starts from the weights, keeps the BN statistics,
    validates on the split's rMAE and records where it started."""
    from kerker.models import test_split_metrics

    _, best = trained
    init = load_checkpoint(best)
    cfg = SurrogateTrainConfig(arch="resnet", epochs=4, loss="rmae", freeze_bn_after=0, lr_schedule="cosine",
                               init_from=str(best), **{**FAST, "lr": 1e-4})
    lines = []
    out = train_surrogate(tiny_dataset, cfg, tmp_path, log=lines.append)
    assert any("starting from the weights of" in line for line in lines)
    tuned = load_checkpoint(out)
    assert tuned["arch_config"] == init["arch_config"] and tuned["preprocessing"] == init["preprocessing"]
    for name, tensor in init["modules"]["network"].items():
        if "running_" in name or "num_batches" in name:
            torch.testing.assert_close(tuned["modules"]["network"][name], tensor, rtol=0, atol=0)
    assert tuned["init_from"]["path"] == str(best)
    assert tuned["init_from"]["history"] == init["history"]
    assert [h["lr"] for h in tuned["history"]] == pytest.approx([1e-4 * cfg.lr_factor(e) for e in range(4)])
    # the validation loss of the best epoch is the mean validation rMAE of Q_fwd and Q_back
    val = test_split_metrics(Surrogate.from_checkpoint(out), tiny_dataset, split="val")
    expected = (val["q_fwd"]["mean"] + val["q_back"]["mean"]) / 2
    assert tuned["best_metric"] == pytest.approx(expected, rel=1e-4)


def test_batch_norm_frozen_from_the_given_epoch(tiny_dataset, tmp_path):
    cfg = SurrogateTrainConfig(arch="resnet", epochs=2, freeze_bn_after=1, **FAST)
    train_surrogate(tiny_dataset, cfg, tmp_path / "a", arch_config=SMALL_RESNET, log=quiet)
    after_1 = load_checkpoint(tmp_path / "a" / "last.pt")["modules"]["network"]
    first = dataclasses.replace(cfg, epochs=1)
    train_surrogate(tiny_dataset, first, tmp_path / "b", arch_config=SMALL_RESNET, log=quiet)
    epoch_1 = load_checkpoint(tmp_path / "b" / "last.pt")["modules"]["network"]
    stats = [k for k in epoch_1 if "running_mean" in k]
    assert stats
    init = ResNet1D(SMALL_RESNET).state_dict()
    assert any(not torch.equal(epoch_1[k], init[k]) for k in stats)  # epoch 0 updated them
    for k in stats:  # epoch 1 did not
        torch.testing.assert_close(after_1[k], epoch_1[k], rtol=0, atol=0)
    assert any(not torch.equal(after_1[k], epoch_1[k]) for k in epoch_1 if k.endswith(".weight"))


def test_fine_tune_refusals(trained, tiny_dataset, tmp_path):
    _, best = trained
    base = dict(arch="resnet", epochs=1, init_from=str(best), **FAST)
    other = dataclasses.replace(tiny_dataset, fingerprint="another")
    with pytest.raises(ValueError, match="init_from .* trained on dataset .* this dataset is 'another'"):
        train_surrogate(other, SurrogateTrainConfig(**base), tmp_path / "a", log=quiet)
    with pytest.raises(ValueError, match="init_from .* has architecture .* differs"):
        train_surrogate(tiny_dataset, SurrogateTrainConfig(**base), tmp_path / "b",
                        arch_config=dataclasses.replace(SMALL_RESNET, kernel_size=5), log=quiet)
    with pytest.raises(ValueError, match="init_from .* q_floor = 1e-06, this run asks for q_floor = 1.0"):
        train_surrogate(tiny_dataset, SurrogateTrainConfig(**base, q_floor=1.0), tmp_path / "q", log=quiet)
    with pytest.raises(ValueError, match="holds a 'resnet' network, this run trains 'mlp'"):
        train_surrogate(tiny_dataset, SurrogateTrainConfig(**{**base, "arch": "mlp"}), tmp_path / "c", log=quiet)
    # the same architecture given explicitly is accepted
    train_surrogate(tiny_dataset, SurrogateTrainConfig(**base), tmp_path / "d", arch_config=SMALL_RESNET, log=quiet)


def test_cosine_resume_needs_the_same_epochs(tiny_dataset, tmp_path):
    cfg = SurrogateTrainConfig(arch="resnet", epochs=2, lr_schedule="cosine", **FAST)
    train_surrogate(tiny_dataset, cfg, tmp_path, arch_config=SMALL_RESNET, log=quiet)
    with pytest.raises(ValueError, match="cannot resume.*epochs"):
        train_surrogate(tiny_dataset, dataclasses.replace(cfg, epochs=3), tmp_path, arch_config=SMALL_RESNET,
                        resume=True, log=quiet)


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
