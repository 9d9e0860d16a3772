"""Writing result files atomically, with the provenance every artifact must carry.

Foundational (imported by every stage, imports none of them) so that upstream stages
such as `dataset` can record provenance without importing `report`.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["provenance", "write_json_atomic"]


def provenance(config: dict, *, seed: int | None = None, materials: list[dict] | None = None) -> dict:
    """Metadata block for a result file: config, seed, package versions, data provenance."""
    import numpy
    import torch

    from kerker import __version__

    return {
        "kerker_version": __version__,
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": config,
        "seed": seed,
        "materials": materials or [],
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "platform": platform.platform(),
    }


def write_json_atomic(path: str | Path, payload: dict) -> Path:
    """Write ``payload`` as JSON to ``path`` via a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, default=_jsonable)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, complex):
        return {"re": value.real, "im": value.imag}
    raise TypeError(f"cannot serialise {type(value).__name__} to JSON")
