"""Training a surrogate on a core-shell dataset: the surrogate's step function for the shared loop.

``train_surrogate`` fits the preprocessing on the training split (or takes it, with the
network weights, from the checkpoint a fine-tuning run starts from), builds the network,
and hands a step (the configured loss, one Adam update) and a validation function to
:func:`kerker.models.training.run_training` (which also writes ``history.json``). At the
end the best checkpoint is scored on the test split and the metrics are written into it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from kerker.models.checkpoint import load_checkpoint, resume_payload, save_checkpoint
from kerker.models.surrogate._config import MLPConfig, ResNetConfig, SurrogateTrainConfig
from kerker.models.surrogate._evaluation import test_split_metrics
from kerker.models.surrogate._inference import CHECKPOINT_KIND, Surrogate, arch_config_from_dict, build_network
from kerker.models.surrogate._preprocessing import SurrogatePreprocessing
from kerker.models.training import run_training

__all__ = ["train_surrogate"]


def _dataset_info(dataset) -> dict:
    return {
        "fingerprint": str(dataset.fingerprint),
        "materials": [str(m) for m in dataset.materials],
        "wavelength": np.asarray(dataset.wavelength, dtype=np.float64).tolist(),
        "r_range": [float(v) for v in dataset.r_range],
        "t_range": [float(v) for v in dataset.t_range],
        "n_particles": int(np.asarray(dataset.r_core).shape[0]),
    }


def _default_arch(arch: str, n_materials: int) -> ResNetConfig | MLPConfig:
    return ResNetConfig(n_materials=n_materials) if arch == "resnet" else MLPConfig(n_materials=n_materials)


def train_surrogate(
    dataset,
    config: SurrogateTrainConfig,
    out_dir: str | Path,
    *,
    arch_config: ResNetConfig | MLPConfig | None = None,
    resume: bool = False,
    log: Callable[[str], None] = print,
) -> Path:
    """Train a surrogate; return the path of the best checkpoint (``out_dir/best.pt``).

    Parameters
    ----------
    dataset
        Opened core-shell dataset (``kerker.dataset.open_dataset``): ``materials``,
        ``wavelength``, ``r_range``, ``t_range``, ``designs()``, ``indices()``, ``q_fwd``,
        ``q_back``, ``fingerprint``.
    config : SurrogateTrainConfig
        Schedule, seed, preprocessing choice.
    out_dir : path
        Receives ``last.pt`` (resumable), ``best.pt`` and ``history.json`` (written by the
        training loop; the CLI plots it).
    arch_config : ResNetConfig or MLPConfig, optional
        Network size; default the config's defaults with the dataset's number of materials.
    resume : bool
        Continue from ``out_dir/last.pt``; the run's configs and dataset must be the same.

    Raises
    ------
    ValueError
        Network output grid does not match the dataset's wavelengths, a resume against a
        different config or dataset, or a ``config.init_from`` checkpoint of another
        architecture or dataset.
    """
    from kerker import __version__

    out = Path(out_dir)
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    n_mat = len(dataset.materials)
    info = _dataset_info(dataset)
    init = _init_checkpoint(config, arch_config, info) if config.init_from is not None else None
    if init is not None:
        arch_config = arch_config_from_dict(init["arch"], init["arch_config"])
    arch_config = arch_config or _default_arch(config.arch, n_mat)
    arch_config = dataclasses.replace(arch_config, n_materials=n_mat)
    n_wl = np.asarray(dataset.wavelength).size
    if config.arch == "resnet" and arch_config.n_wavelength != n_wl:
        raise ValueError(
            f"the ResNet outputs seq_len * 2**len(channels) = {arch_config.n_wavelength} wavelengths but the dataset "
            f"has {n_wl}; choose seq_len and the number of groups to match"
        )

    resume_from = resume_payload(out, log) if resume else None
    if resume_from is not None:
        _check_resume(resume_from, config, config.arch, arch_config, info)

    train_idx = dataset.indices("train", n=config.max_train, seed=config.seed)
    val_idx = dataset.indices("val")
    if resume_from is not None or init is not None:
        prep = SurrogatePreprocessing.from_state_dict((resume_from or init)["preprocessing"])
    else:
        prep = SurrogatePreprocessing(dataset.materials, dataset.wavelength, dataset.r_range, dataset.t_range, config.q_floor)
        prep.fit(dataset, train_idx)
    x_train = torch.from_numpy(prep.design_matrix(dataset.designs(train_idx)))
    y_train = _loss_targets(config.loss, prep, dataset, train_idx)
    x_val = torch.from_numpy(prep.design_matrix(dataset.designs(val_idx)))
    y_val = _loss_targets(config.loss, prep, dataset, val_idx)
    wl_scaled = prep.scale_wavelength(dataset.wavelength)
    weighted = config.loss == "weighted_mse"
    w_train = _rmae_weights(dataset, train_idx) if weighted else None
    w_val = _rmae_weights(dataset, val_idx) if weighted else None

    def loss_fn(z: torch.Tensor, y: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor:
        return _loss(config.loss, prep, z, y, w)

    # Initialise from the seed without disturbing (or depending on) torch's global RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        network = build_network(config.arch, arch_config)
    if init is not None and resume_from is None:  # a resumed run loads its own last weights
        network.load_state_dict(init["modules"]["network"])
        log(f"starting from the weights of {config.init_from} (epoch {init.get('best_epoch')} of that run)")
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    n_params = sum(p.numel() for p in network.parameters())
    log(
        f"training {config.arch} ({n_params:,} parameters) on {len(train_idx):,} particles x {n_wl} wavelengths, "
        f"validation {len(val_idx):,}; torch threads {torch.get_num_threads()}"
    )

    def step(idx: torch.Tensor, generator: torch.Generator) -> dict[str, float]:
        x, y = x_train[idx], y_train[idx]
        w = w_train[idx] if weighted else None
        if config.arch == "resnet":
            pred = network(x)
        else:
            k = config.wavelengths_per_particle
            if k is None or k >= n_wl:
                pred = network(x, wl_scaled)
            else:
                cols = torch.rand(len(idx), n_wl, generator=generator).argsort(dim=1)[:, :k]
                pred = network(x, wl_scaled[cols])
                y = torch.gather(y, 2, cols[:, None, :].expand(-1, y.shape[1], -1))
                if weighted:
                    w = torch.gather(w, 2, cols[:, None, :].expand(-1, w.shape[1], -1))
        loss = loss_fn(pred, y, w).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return {"train_loss": loss.item()}

    chunk = 4096 if config.arch == "resnet" else 512

    def validate() -> dict[str, float]:
        with torch.no_grad():
            total = 0.0
            for i in range(0, len(x_val), chunk):
                pred = network(x_val[i : i + chunk]) if config.arch == "resnet" else network(x_val[i : i + chunk], wl_scaled)
                total += loss_fn(pred, y_val[i : i + chunk], w_val[i : i + chunk] if weighted else None).sum().item()
        return {"val_loss": total / (y_val.shape[0] * y_val.shape[1])}

    def on_epoch_start(epoch: int) -> None:
        if config.freeze_bn_after is not None and epoch >= config.freeze_bn_after:
            for module in network.modules():
                if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                    module.eval()

    extra = {
        "kind": CHECKPOINT_KIND,
        "arch": config.arch,
        "arch_config": arch_config.to_dict(),
        "train_config": config.to_dict(),
        "preprocessing": prep.state_dict(),
        "dataset": info,
        "kerker_version": __version__,
        "torch_version": str(torch.__version__),
    }
    if init is not None:
        extra["init_from"] = {
            "path": config.init_from,
            "train_config": init.get("train_config"),
            "best_epoch": init.get("best_epoch"),
            "history": init.get("history"),
            "metrics": init.get("metrics"),
            "init_from": init.get("init_from"),
        }
    result = run_training(
        modules={"network": network},
        optimizers={"adam": optimizer},
        step=step,
        n_samples=len(train_idx),
        epochs=config.epochs,
        batch_size=config.batch_size,
        lr_factor=config.lr_factor,
        seed=config.seed,
        validate=validate,
        monitor="val_loss",
        patience=config.patience,
        out_dir=out,
        extra=extra,
        resume_from=resume_from,
        on_epoch_start=on_epoch_start,
        log=log,
    )

    best_path = out / "best.pt"
    best = load_checkpoint(best_path)
    model = Surrogate.from_checkpoint(best)
    metrics = {
        "best_epoch": result.best_epoch,
        "best_val_loss": result.best_metric,
        "epochs_run": len(result.history),
        "stop_reason": result.stop_reason,
        "train_time_s": result.train_time_s,
        "n_parameters": n_params,
        "test": test_split_metrics(model, dataset),
    }
    best["metrics"] = metrics
    save_checkpoint(best_path, best)
    t = metrics["test"]
    log(
        f"best epoch {result.best_epoch} (val_loss {result.best_metric:.4g}); test rMAE mean/median: "
        f"Q_fwd {100 * t['q_fwd']['mean']:.3f} % / {100 * t['q_fwd']['median']:.3f} %, "
        f"Q_back {100 * t['q_back']['mean']:.3f} % / {100 * t['q_back']['median']:.3f} % "
        f"({t['n']} test particles); training time {metrics['train_time_s']:.0f} s"
    )
    return best_path


def _physical_targets(dataset, indices, loss: str) -> np.ndarray:
    """(n, 2, W) float64 Q_fwd and Q_back of particles ``indices``, as stored in the dataset.

    Both losses built on them divide by a spectrum's sum, so an all-zero spectrum is refused.
    """
    q = np.stack([np.asarray(dataset.q_fwd, dtype=np.float64)[indices],
                  np.asarray(dataset.q_back, dtype=np.float64)[indices]], axis=1)
    bad = ~(q.sum(axis=2) > 0)
    if bad.any():
        n = int(np.flatnonzero(bad.any(axis=1))[0])
        raise ValueError(
            f"loss {loss!r} divides by each spectrum's sum; particle {int(np.asarray(indices)[n])} has an all-zero "
            "(or non-positive) Q_fwd or Q_back spectrum"
        )
    return q


def _rmae_weights(dataset, indices) -> torch.Tensor:
    """(n, 2, W) float32 weights ``q / mean_W(q)`` of Q_fwd and Q_back: each point's share in its rMAE."""
    q = _physical_targets(dataset, indices, "weighted_mse")
    mean = q.mean(axis=2, keepdims=True)
    return torch.from_numpy((q / mean).astype(np.float32))


def _loss_targets(kind: str, prep: SurrogatePreprocessing, dataset, indices) -> torch.Tensor:
    """(n, 2, W) float32 targets of the loss: physical Q for ``"rmae"``, else the preprocessed ones."""
    if kind == "rmae":
        q = _physical_targets(dataset, indices, "rmae")
        return torch.from_numpy(q.astype(np.float32))
    return torch.from_numpy(prep.target_array(dataset, indices))


def _loss(kind: str, prep: SurrogatePreprocessing, pred: torch.Tensor, target: torch.Tensor,
          weight: torch.Tensor | None) -> torch.Tensor:
    """Per-spectrum loss, shape (n, 2), of network output ``pred`` (n, 2, W) against ``target``.

    ``"mse"`` / ``"weighted_mse"``: mean over wavelengths of the (weighted) squared error
    in preprocessed units; ``"rmae"``: ``sum_W |decode(pred) - q| / sum_W q`` in physical units.
    """
    if kind == "rmae":
        return (prep.decode_targets(pred) - target).abs().sum(dim=2) / target.sum(dim=2)
    sq = (pred - target) ** 2
    return (sq if weight is None else sq * weight).mean(dim=2)


def _init_checkpoint(config: SurrogateTrainConfig, arch_config, info: dict) -> dict:
    """The checkpoint a fine-tuning run starts from, checked against this run and dataset."""
    init = load_checkpoint(config.init_from)
    if init.get("kind") != CHECKPOINT_KIND:
        raise ValueError(f"init_from {config.init_from!r} is not a surrogate checkpoint (kind {init.get('kind')!r})")
    if init["arch"] != config.arch:
        raise ValueError(f"init_from {config.init_from!r} holds a {init['arch']!r} network, this run trains {config.arch!r}")
    saved = arch_config_from_dict(init["arch"], init["arch_config"])
    if arch_config is not None and dataclasses.replace(arch_config, n_materials=saved.n_materials) != saved:
        raise ValueError(
            f"init_from {config.init_from!r} has architecture {saved.to_dict()}, which differs from the requested "
            f"{arch_config.to_dict()}; leave the architecture options out to take the checkpoint's"
        )
    if float(init["preprocessing"]["q_floor"]) != float(config.q_floor):
        raise ValueError(
            f"init_from {config.init_from!r} scales its targets with q_floor = {init['preprocessing']['q_floor']!r}, "
            f"this run asks for q_floor = {config.q_floor!r}; the network's outputs only make sense in its own scaling"
        )
    if init["dataset"]["fingerprint"] != info["fingerprint"]:
        raise ValueError(
            f"init_from {config.init_from!r} was trained on dataset {init['dataset']['fingerprint']!r}, this dataset is "
            f"{info['fingerprint']!r}; fine-tune on the same dataset, whose test split that run has not seen"
        )
    return init


def _check_resume(payload: dict, config: SurrogateTrainConfig, arch: str, arch_config, info: dict) -> None:
    saved = SurrogateTrainConfig.from_dict(payload["train_config"])
    ignore = {"num_threads", "patience"}  # may change between sessions without changing the run
    if config.lr_schedule == "halve":
        ignore.add("epochs")  # the cosine schedule depends on it
    diffs = {
        f.name: (getattr(saved, f.name), getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in ignore and getattr(saved, f.name) != getattr(config, f.name)
    }
    if payload["arch"] != arch or arch_config_from_dict(payload["arch"], payload["arch_config"]) != arch_config:
        diffs["arch_config"] = (payload["arch_config"], arch_config.to_dict())
    if diffs:
        raise ValueError(f"cannot resume: the checkpoint's run differs in {diffs} (saved, requested); use a new --out")
    if payload["dataset"]["fingerprint"] != info["fingerprint"]:
        raise ValueError(
            f"cannot resume: the checkpoint was trained on dataset {payload['dataset']['fingerprint']!r}, "
            f"this dataset is {info['fingerprint']!r}"
        )
