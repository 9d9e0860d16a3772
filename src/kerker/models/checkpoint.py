"""The one checkpoint format of kerker's models: atomic save, checked load, the run to resume.

Checkpoints are ``torch.save`` dicts of tensors and plain Python values (no pickled
classes), loadable with ``torch.load(..., weights_only=True)``. Each records a ``kind``
string (``"kerker.surrogate"``, ``"kerker.wgan_gp"``) that the loaders check, its module
state dicts under ``"modules"`` and, for a training run, the loop's state (see
:func:`kerker.models.training.run_training`). Inference needs only this module; the
training loop is not imported to load a model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from kerker._artifacts import atomic_path

__all__ = ["load_checkpoint", "resume_payload", "save_checkpoint"]


def save_checkpoint(path: str | Path, payload: dict) -> Path:
    """``torch.save`` through the one artifact writer (:func:`kerker._artifacts.atomic_path`).

    A run killed while writing leaves the previous checkpoint intact; the file follows
    the umask like every other result file.
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return path


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors and plain values only).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a readable kerker checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch raises many types for corrupt files
        raise ValueError(f"{path} is not a readable kerker checkpoint ({type(err).__name__}: {err})") from err
    if not isinstance(payload, dict) or "modules" not in payload:
        raise ValueError(f"{path} is not a kerker checkpoint (no 'modules' entry)")
    return payload


def resume_payload(out_dir: str | Path, log: Callable[[str], None] = print) -> dict | None:
    """The ``last.pt`` of ``out_dir`` to resume from, or None (with a note) if there is none."""
    last = Path(out_dir) / "last.pt"
    if not last.is_file():
        log(f"no checkpoint at {last}; starting a new run")
        return None
    return load_checkpoint(last)
