"""The one training loop of kerker, shared by the surrogate and the WGAN-GP.

What differs between models is only *what happens to one batch* (``step``) and *how a
finished epoch is scored* (``validate``); everything else lives here once: seeded
shuffling with a ``torch.Generator``, step-wise batch sizes, learning-rate schedule,
progress lines, early stopping on a monitored metric, atomic checkpoints (``last.pt``
every epoch for resuming, ``best.pt`` whenever the monitored metric improves) and an
exact resume (modules, optimizers, generator state, history and patience counter are all
restored, so an interrupted run continues as if it had never stopped) and the run's
``history.json``. The checkpoint format lives in :mod:`kerker.models.checkpoint`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from kerker._artifacts import write_json_atomic
from kerker.models.checkpoint import save_checkpoint

__all__ = ["TrainingResult", "run_training"]

StepFn = Callable[[torch.Tensor, torch.Generator], dict[str, float]]


@dataclass
class TrainingResult:
    """Outcome of :func:`run_training`.

    Attributes
    ----------
    history : list of dict
        One record per completed epoch: ``epoch`` (1-based), the averaged step logs, the
        validation metrics, ``lr``, ``batch_size`` and ``time_s``.
    best_epoch : int or None
        1-based epoch of the best monitored metric (None without a monitor).
    best_metric : float
        Best value of the monitored metric (``inf`` without a monitor).
    stop_reason : str
        ``"max_epochs"``, ``"early_stopping"`` or ``"already_finished"``.
    wall_time_s : float
        Wall time of this call (this session, if the run was resumed), in s.
    """

    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_metric: float = math.inf
    stop_reason: str = "max_epochs"
    wall_time_s: float = 0.0

    @property
    def train_time_s(self) -> float:
        """Training time of all epochs in the history (every session of a resumed run), in s."""
        return float(sum(record.get("time_s", 0.0) for record in self.history))

    def to_dict(self) -> dict:
        """What ``history.json`` holds: history, stop reason, training and wall time."""
        return {
            "history": self.history,
            "stop_reason": self.stop_reason,
            "train_time_s": self.train_time_s,
            "wall_time_this_session_s": self.wall_time_s,
        }


def _state_dicts(objects: dict) -> dict:
    return {name: obj.state_dict() for name, obj in objects.items()}


def run_training(
    *,
    modules: dict[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    step: StepFn,
    n_samples: int,
    epochs: int,
    batch_size: Callable[[int], int],
    seed: int,
    lr_factor: Callable[[int], float] = lambda epoch: 1.0,
    validate: Callable[[], dict[str, float]] | None = None,
    monitor: str | None = None,
    patience: int | None = None,
    out_dir: str | Path | None = None,
    extra: Callable[[], dict] | dict | None = None,
    resume_from: dict | None = None,
    drop_last: bool = False,
    on_epoch_start: Callable[[int], None] | None = None,
    log: Callable[[str], None] = print,
    progress_every_s: float = 120.0,
) -> TrainingResult:
    """Train ``modules`` for up to ``epochs`` epochs of shuffled mini-batches.

    Parameters
    ----------
    modules : dict of str -> nn.Module
        Everything with trainable state; put in ``train()`` mode for the epoch and in
        ``eval()`` mode for ``validate``.
    optimizers : dict of str -> Optimizer
        Their learning rates are set each epoch to ``initial_lr * lr_factor(epoch)``.
    step : callable (indices, generator) -> dict of float
        Processes one mini-batch of sample indices (LongTensor, shape (B,)): forward,
        backward, optimizer step(s). Any randomness it needs must come from ``generator``
        (the loop's), so that resuming reproduces the run. Returns the batch's losses.
    n_samples : int
        Number of training samples; each epoch visits a fresh permutation of them.
    epochs : int
        Maximum number of epochs.
    batch_size : callable epoch -> int
        Batch size of each (0-based) epoch, e.g. a step-wise increasing schedule.
    seed : int
        Seed of the loop's ``torch.Generator`` (shuffling and whatever ``step`` draws).
    lr_factor : callable epoch -> float
        Learning-rate multiplier of each (0-based) epoch.
    validate : callable () -> dict of float, optional
        Called after every epoch with the modules in eval mode.
    monitor : str, optional
        Key of ``validate``'s output to minimise: early stopping and ``best.pt``. Without
        it, ``best.pt`` is the latest epoch.
    patience : int, optional
        Stop after this many epochs without improvement of ``monitor``.
    out_dir : path, optional
        Where ``last.pt`` and ``best.pt`` are written (atomically) after every epoch, and
        ``history.json`` (:meth:`TrainingResult.to_dict`) when the call returns.
    extra : dict or callable () -> dict, optional
        Stored in every checkpoint beside the loop's state (configs, preprocessing,
        dataset fingerprint, ...). A callable is evaluated at each save.
    resume_from : dict, optional
        A ``last.pt`` payload (:func:`kerker.models.checkpoint.resume_payload`) to continue from.
    drop_last : bool
        Drop the last incomplete batch of each epoch.
    on_epoch_start : callable epoch -> None, optional
        Called with the 0-based epoch after the modules were put in ``train()`` mode and
        before its first step (e.g. to keep some layers in eval mode from some epoch on).
    log : callable str -> None
        Receives the progress lines.
    progress_every_s : float
        Also log a line inside long epochs at most this often (seconds).

    Returns
    -------
    TrainingResult
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if patience is not None and monitor is None:
        raise ValueError("patience needs a monitor (the validation metric to watch)")
    t_start = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else None
    generator = torch.Generator().manual_seed(int(seed))
    base_lr = {name: [g["lr"] for g in opt.param_groups] for name, opt in optimizers.items()}
    result = TrainingResult()
    start_epoch, bad_epochs = 0, 0
    if resume_from is not None:
        for name, module in modules.items():
            module.load_state_dict(resume_from["modules"][name])
        for name, opt in optimizers.items():
            opt.load_state_dict(resume_from["optimizers"][name])
        generator.set_state(resume_from["generator"])
        base_lr = {name: list(v) for name, v in resume_from["base_lr"].items()}
        start_epoch = int(resume_from["epoch"])
        bad_epochs = int(resume_from["bad_epochs"])
        result.history = list(resume_from["history"])
        result.best_epoch = resume_from["best_epoch"]
        result.best_metric = float(resume_from["best_metric"])
        if resume_from.get("stop_reason") == "early_stopping" or start_epoch >= epochs:
            result.stop_reason = "already_finished"
            log(f"run already finished at epoch {start_epoch} ({resume_from['stop_reason']}); nothing to do")
            return _finish(result, out, t_start)
        log(f"resuming after epoch {start_epoch} (best {monitor} = {result.best_metric:.4g} at epoch {result.best_epoch})")

    def payload(epoch: int, stop_reason: str | None) -> dict:
        data = dict(extra() if callable(extra) else (extra or {}))
        data.update(
            modules=_state_dicts(modules),
            optimizers=_state_dicts(optimizers),
            generator=generator.get_state(),
            base_lr=base_lr,
            epoch=epoch,
            bad_epochs=bad_epochs,
            history=result.history,
            best_epoch=result.best_epoch,
            best_metric=result.best_metric,
            stop_reason=stop_reason,
        )
        return data

    for epoch in range(start_epoch, epochs):
        t0 = time.perf_counter()
        factor = float(lr_factor(epoch))
        for name, opt in optimizers.items():
            for group, lr0 in zip(opt.param_groups, base_lr[name]):
                group["lr"] = lr0 * factor
        bs = int(batch_size(epoch))
        for module in modules.values():
            module.train()
        if on_epoch_start is not None:
            on_epoch_start(epoch)
        perm = torch.randperm(n_samples, generator=generator)
        sums: dict[str, float] = {}
        seen = 0
        n_batches = n_samples // bs if drop_last else math.ceil(n_samples / bs)
        last_note = t0
        for b in range(n_batches):
            idx = perm[b * bs : (b + 1) * bs]
            logs = step(idx, generator)
            for key, value in logs.items():
                sums[key] = sums.get(key, 0.0) + float(value) * len(idx)
            seen += len(idx)
            now = time.perf_counter()
            if now - last_note > progress_every_s:
                last_note = now
                shown = " ".join(f"{k} {v / seen:.4g}" for k, v in sums.items())
                log(f"  epoch {epoch + 1}: {100 * (b + 1) / n_batches:.0f}% {shown} ({now - t0:.0f} s)")
        record = {"epoch": epoch + 1, **{k: v / max(seen, 1) for k, v in sums.items()}}
        for module in modules.values():
            module.eval()
        if validate is not None:
            record.update({k: float(v) for k, v in validate().items()})
        first_lr = next(iter(base_lr.values()))[0] if base_lr else 0.0
        record.update(lr=factor * first_lr, batch_size=bs)
        record["time_s"] = time.perf_counter() - t0
        result.history.append(record)

        improved = monitor is None
        if monitor is not None:
            if monitor not in record:
                raise ValueError(f"monitor {monitor!r} is not among the logged metrics {sorted(record)}")
            if record[monitor] < result.best_metric:
                result.best_metric, result.best_epoch, bad_epochs, improved = record[monitor], epoch + 1, 0, True
            else:
                bad_epochs += 1
        stop = None
        if patience is not None and bad_epochs >= patience:
            stop = "early_stopping"
        elif epoch + 1 == epochs:
            stop = "max_epochs"
        shown = " ".join(
            f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in record.items() if k != "epoch"
        )
        log(f"epoch {epoch + 1}/{epochs} {shown}" + (" *" if improved and monitor else ""))
        if out is not None:
            state = payload(epoch + 1, stop)
            if improved:
                best = {k: v for k, v in state.items() if k not in ("optimizers", "generator")}
                save_checkpoint(out / "best.pt", best)
            save_checkpoint(out / "last.pt", state)
        if stop is not None:
            result.stop_reason = stop
            if stop == "early_stopping":
                log(f"early stopping: no improvement of {monitor} for {patience} epochs (best at epoch {result.best_epoch})")
            break
    return _finish(result, out, t_start)


def _finish(result: TrainingResult, out: Path | None, t_start: float) -> TrainingResult:
    """Record the session's wall time and write ``history.json`` (if there is an ``out_dir``)."""
    result.wall_time_s = time.perf_counter() - t_start
    if out is not None:
        write_json_atomic(out / "history.json", result.to_dict())
    return result
