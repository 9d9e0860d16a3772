"""Training the WGAN-GP on a dataset's design parameters: its step function for the shared loop.

``train_wgan`` builds generator and critic, encodes the real designs with the generator's
own :class:`~kerker.dataset.scalers.DesignEncoder` (one encoder for real and generated
designs), and hands :func:`kerker.models.training.run_training` a
step that makes ``n_critic`` critic updates (Gulrajani et al. 2017, Algorithm 1) and one
generator update per mini-batch of real designs. Each epoch ends with a quick fidelity
check of a fixed set of latent vectors (material frequencies, pairs, size coverage) so
the history shows how the generator approaches the data.
"""

from __future__ import annotations

import math

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from kerker.dataset import LayerDesigns
from kerker.models.checkpoint import load_checkpoint, resume_payload, save_checkpoint
from kerker.models.training import run_training
from kerker.models.wgan._config import CriticConfig, GeneratorConfig, WGANTrainConfig
from kerker.models.wgan._critic import Critic, gradient_penalty
from kerker.models.wgan._fidelity import fidelity_metrics, layer_fidelity_metrics, layer_pairs
from kerker.models.wgan._generator import CHECKPOINT_KIND, Generator

__all__ = ["export_generator", "train_wgan"]


def _dataset_info(dataset, idx: np.ndarray, split: str) -> dict:
    info = {
        "fingerprint": str(dataset.fingerprint),
        "materials": [str(m) for m in dataset.materials],
        "r_range": [float(v) for v in dataset.r_range],
        "t_range": [float(v) for v in dataset.t_range],
        "split": split,
        "n_designs": int(idx.size),
    }
    if isinstance(dataset, LayerDesigns):
        info["n_layers"] = dataset.n_layers
        info["layer_designs"] = dataset.to_dict()
    return info


def train_wgan(
    dataset,
    config: WGANTrainConfig,
    out_dir: str | Path,
    *,
    generator_config: GeneratorConfig | None = None,
    critic_config: CriticConfig | None = None,
    resume: bool = False,
    command: dict | None = None,
    log: Callable[[str], None] = print,
):
    """Train a WGAN-GP on the design parameters of ``dataset``.

    Parameters
    ----------
    dataset
        Opened core-shell dataset (``kerker.dataset.open_dataset``): ``materials``,
        ``r_range``, ``t_range``, ``indices()``, ``designs()``, ``fingerprint``. Spectra
        are not read. Or :class:`kerker.dataset.LayerDesigns`: seeded random designs of
        L layers, for a generator of L-layer particles.
    config : WGANTrainConfig
        Schedule, optimizer and penalty settings, seed.
    out_dir : path
        Receives ``last.pt`` (resumable) after every epoch, ``best.pt`` whenever the
        fidelity monitor improves (a WGAN has no validation loss; its losses do not rank
        generators) and ``history.json`` at the end (written by the training loop).
    generator_config, critic_config : optional
        Architectures; default their defaults with the dataset's number of materials.
    resume : bool
        Continue from ``out_dir/last.pt``; run settings and dataset must match.
    command : dict, optional
        How the run was started (stored in the checkpoints).
    log : callable
        Receives progress lines.

    Returns
    -------
    TrainingResult
        The loop's history (per epoch: ``critic_loss``, ``generator_loss``,
        ``wasserstein``, ``gradient_penalty`` and the fidelity monitor).

    Raises
    ------
    ValueError
        A resume against a different run or dataset.
    """
    from kerker import __version__

    out = Path(out_dir)
    if config.num_threads is not None:
        torch.set_num_threads(config.num_threads)
    n_mat = len(dataset.materials)
    n_layers = dataset.n_layers if isinstance(dataset, LayerDesigns) else 2
    generator_config = dataclasses.replace(generator_config or GeneratorConfig(), n_materials=n_mat, n_layers=n_layers)
    critic_config = dataclasses.replace(critic_config or CriticConfig(), n_materials=n_mat, n_layers=n_layers)
    idx = dataset.indices(config.split, n=config.max_samples, seed=config.seed)
    info = _dataset_info(dataset, idx, config.split)

    resume_from = resume_payload(out, log) if resume else None
    if resume_from is not None:
        _check_resume(resume_from, config, generator_config, critic_config, info)

    if idx.size < config.batch_size:
        raise ValueError(f"batch_size {config.batch_size} exceeds the {idx.size} designs to learn from")
    if config.batch_size % critic_config.pack:
        raise ValueError(f"batch_size {config.batch_size} must be a multiple of the critic's pack {critic_config.pack}")

    # Initialise from the seed without disturbing (or depending on) torch's global RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        gen = Generator(generator_config, materials=dataset.materials, r_range=dataset.r_range, t_range=dataset.t_range)
        critic = Critic(critic_config)
    gen, critic = gen.float(), critic.float()
    if isinstance(dataset, LayerDesigns):
        real = gen.encode_layers(*dataset.layer_designs(idx))
    else:
        real = gen.encoder.transform(dataset.designs(idx))
    real_all = torch.from_numpy(real).to(torch.float32)
    opt_g = torch.optim.Adam(gen.parameters(), lr=config.lr_generator, betas=config.betas)
    opt_c = torch.optim.Adam(critic.parameters(), lr=config.lr_critic, betas=config.betas)
    n_gen = sum(p.numel() for p in gen.parameters())
    n_critic_params = sum(p.numel() for p in critic.parameters())
    n_batches = idx.size // config.batch_size
    log(
        f"training WGAN-GP on {idx.size:,} designs ({config.split}): generator {n_gen:,} / critic "
        f"{n_critic_params:,} parameters, {n_batches} generator x {config.n_critic} critic steps per epoch, "
        f"torch threads {torch.get_num_threads()}"
    )
    lam, n_critic, fresh = float(config.gp_weight), config.n_critic, config.critic_batches == "fresh"
    critic_params = list(critic.parameters())
    n_mat = len(gen.materials)
    log_pairs = math.log(n_mat * n_mat)

    def pair_imbalance(generator: torch.Generator) -> torch.Tensor:
        """KL(uniform || mean soft joint of two layers' materials) over fresh latent draws, averaged over
        every pair of layers (core-shell: the one pair); 0 when uniform."""
        v = gen(torch.randn(config.pair_batch, gen.latent_dim, generator=generator))
        p = v[:, n_layers:].reshape(len(v), n_layers, n_mat)
        kl = []
        for i, j in layer_pairs(n_layers):
            joint = (p[:, i].unsqueeze(2) * p[:, j].unsqueeze(1)).mean(0)
            kl.append(-torch.log(joint.clamp_min(1e-12)).mean() - log_pairs)
        return kl[0] if len(kl) == 1 else torch.stack(kl).mean()

    def step(batch: torch.Tensor, generator: torch.Generator) -> dict[str, float]:
        real = critic.pack(real_all[batch])
        n = len(batch)
        c_loss = w_est = gp_sum = 0.0
        for k in range(n_critic):
            if k and fresh:
                real = critic.pack(real_all[torch.randint(len(real_all), (n,), generator=generator)])
            with torch.no_grad():
                fake = critic.pack(gen(torch.randn(n, gen.latent_dim, generator=generator)))
            wasserstein = critic(real).mean() - critic(fake).mean()
            gp = gradient_penalty(critic, real, fake, generator=generator)
            loss = -wasserstein + lam * gp
            opt_c.zero_grad(set_to_none=True)
            loss.backward()
            opt_c.step()
            c_loss, w_est, gp_sum = c_loss + loss.item(), w_est + wasserstein.item(), gp_sum + gp.item()
        for p in critic_params:  # the generator step needs no critic gradients
            p.requires_grad_(False)
        g_loss = -critic(critic.pack(gen(torch.randn(n, gen.latent_dim, generator=generator)))).mean()
        imbalance = pair_imbalance(generator) if config.pair_balance > 0 else None
        total = g_loss if imbalance is None else g_loss + config.pair_balance * imbalance
        opt_g.zero_grad(set_to_none=True)
        total.backward()
        opt_g.step()
        for p in critic_params:
            p.requires_grad_(True)
        out = {
            "critic_loss": c_loss / n_critic,
            "wasserstein": w_est / n_critic,
            "gradient_penalty": gp_sum / n_critic,
            "generator_loss": g_loss.item(),
        }
        if imbalance is not None:
            out["pair_imbalance"] = imbalance.item()
        return out

    monitor_z = gen.sample_latent(config.monitor_samples, seed=config.seed + 1)

    def validate() -> dict[str, float]:
        if n_layers == 2:
            m = fidelity_metrics(gen.decode(monitor_z, hard=True), r_range=gen.r_range, t_range=gen.t_range)
            cov = (m["sizes"]["r_core"]["coverage_1nm"], m["sizes"]["t_shell"]["coverage_1nm"])
        else:
            index, thickness = gen.decode_layers(monitor_z, hard=True)
            m = layer_fidelity_metrics(index, thickness, n_materials=n_mat, ranges=gen.layer_ranges().tolist())
            cov = tuple(s["coverage_1nm"] for s in m["sizes"])
        dev = m["materials"]["max_abs_deviation_pp"]
        missing = m["pairs"]["total"] - m["pairs"]["present"]
        expected = m["pairs"]["expected_count"]
        spread = max(1.0 - m["pairs"]["min_count"] / expected, m["pairs"]["max_count"] / expected - 1.0)
        out = {
            "max_material_dev_pp": dev,
            "pairs_present": float(m["pairs"]["present"]),
            "pair_ratio_min": m["pairs"]["min_count"] / expected,
            "pair_ratio_max": m["pairs"]["max_count"] / expected,
        }
        if n_layers == 2:
            out.update(coverage_r=cov[0], coverage_t=cov[1])
        else:
            out.update({f"coverage_{l}": c for l, c in enumerate(cov)})
            if "sequences" in m:
                out["sequences_present"] = float(m["sequences"]["present"])
        # lexicographic in practice: a missing pair outweighs any frequency or coverage
        # gain; a pair frequency outside 0.5-1.5x uniform costs its excess
        out["fidelity_gap"] = missing + dev / 100.0 + (1.0 - min(cov)) + max(0.0, spread - 0.5)
        return out

    def extra() -> dict:
        return {
            "kind": CHECKPOINT_KIND,
            "generator_spec": gen.spec(),
            "critic": critic_config.to_dict(),
            "train_config": config.to_dict(),
            "dataset": info,
            "command": command or {},
            "kerker_version": __version__,
            "torch_version": str(torch.__version__),
        }

    return run_training(
        modules={"generator": gen, "critic": critic},
        optimizers={"generator": opt_g, "critic": opt_c},
        step=step,
        n_samples=idx.size,
        epochs=config.epochs,
        batch_size=lambda epoch: config.batch_size,
        seed=config.seed,
        validate=validate,
        monitor="fidelity_gap",
        out_dir=out,
        extra=extra,
        resume_from=resume_from,
        drop_last=True,
        log=log,
    )


def export_generator(checkpoint, path: str | Path, *, metrics: dict | None = None, note: dict | None = None) -> Path:
    """Write a small generator-only checkpoint (float32; no critic, no optimizer state).

    Parameters
    ----------
    checkpoint : path or dict
        A training checkpoint of :func:`train_wgan`.
    path : path
        Output file (written atomically), e.g. ``kerker/models/weights/wgan.pt``.
    metrics : dict, optional
        Fidelity numbers to store beside the weights (``Generator.info["metrics"]``).
    note : dict, optional
        Anything else to keep (e.g. wall time), stored under ``"export"``.
    """
    payload = load_checkpoint(checkpoint) if isinstance(checkpoint, (str, Path)) else checkpoint
    Generator.from_checkpoint(payload)  # refuses anything that is not a loadable WGAN-GP checkpoint
    history = payload.get("history", [])
    small = {
        "kind": CHECKPOINT_KIND,
        "modules": {"generator": {k: v.to(torch.float32) for k, v in payload["modules"]["generator"].items()}},
        "generator_spec": payload["generator_spec"],
        "critic": payload.get("critic"),
        "train_config": payload.get("train_config"),
        "dataset": payload.get("dataset"),
        "command": payload.get("command", {}),
        "history": history,
        "epoch": payload.get("epoch"),
        "metrics": metrics or {},
        "export": note or {},
        "kerker_version": payload.get("kerker_version"),
        "torch_version": payload.get("torch_version"),
    }
    return save_checkpoint(path, small)


def _check_resume(payload: dict, config: WGANTrainConfig, gcfg: GeneratorConfig, ccfg: CriticConfig, info: dict):
    if payload.get("kind") != CHECKPOINT_KIND:
        raise ValueError(f"cannot resume: last.pt is not a WGAN-GP checkpoint (kind {payload.get('kind')!r})")
    saved = WGANTrainConfig.from_dict(payload["train_config"])
    ignore = {"num_threads", "epochs"}  # may change between sessions without changing the run
    diffs = {
        f.name: (getattr(saved, f.name), getattr(config, f.name))
        for f in dataclasses.fields(config)
        if f.name not in ignore and getattr(saved, f.name) != getattr(config, f.name)
    }
    saved_g = GeneratorConfig.from_dict(payload["generator_spec"]["config"])
    if saved_g != gcfg:
        diffs["generator"] = (saved_g.to_dict(), gcfg.to_dict())
    saved_c = CriticConfig.from_dict(payload["critic"])
    if saved_c != ccfg:
        diffs["critic"] = (saved_c.to_dict(), ccfg.to_dict())
    if diffs:
        raise ValueError(f"cannot resume: the checkpoint's run differs in {diffs} (saved, requested); use a new --out")
    saved_info = payload["dataset"]
    if saved_info["fingerprint"] != info["fingerprint"] or saved_info["materials"] != info["materials"]:
        raise ValueError(
            f"cannot resume: the checkpoint was trained on dataset {saved_info['fingerprint']!r} with materials "
            f"{saved_info['materials']}; this dataset is {info['fingerprint']!r} with {info['materials']}"
        )
