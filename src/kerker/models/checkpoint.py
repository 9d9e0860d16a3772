"""The one checkpoint format of kerker's models: atomic save, checked load, the run to resume.

Checkpoints are ``torch.save`` dicts of tensors and plain Python values (no pickled
classes), loadable with ``torch.load(..., weights_only=True)``. Each records a ``kind``
string (``"kerker.surrogate"``, ``"kerker.wgan_gp"``) that the loaders check, its module
state dicts under ``"modules"`` and, for a training run, the loop's state (see
:func:`kerker.models.training.run_training`). Inference needs only this module; the
training loop is not imported to load a model.

Integrity. :func:`save_checkpoint` adds an entry ``"content_sha256"``: for every other
top-level entry, the SHA-256 of its content (every tensor's dtype, shape and bytes,
every plain value, in order; :func:`content_sha256`), and :func:`load_checkpoint`
recomputes them and refuses a file whose content differs, naming the entries. The digests
live inside the file, written in the same atomic step as what they cover, so they cannot
go missing or out of step as a sidecar file could, and the file stays one plain
``torch.save`` dict that ``torch.load`` reads as before. They cover what a model is built
from, independently of how torch lays the dict out in its zip container (which does not
check its own CRCs on load: a flipped bit in a weight loads silently). Checkpoints written
before this entry existed load unverified; the shipped ones are checked against the
manifest ``weights/SHA256SUMS`` instead (:func:`load_checkpoint` with ``sha256=``).
"""

from __future__ import annotations

import hashlib
import io
import numbers
from collections.abc import Callable
from pathlib import Path

import torch

from kerker._artifacts import atomic_path

__all__ = ["DIGEST_KEY", "content_sha256", "load_checkpoint", "resume_payload", "save_checkpoint"]

#: The entry of a saved checkpoint holding the SHA-256 of each other entry.
DIGEST_KEY = "content_sha256"


def save_checkpoint(path: str | Path, payload: dict) -> Path:
    """``torch.save`` through the one artifact writer (:func:`kerker._artifacts.atomic_path`).

    A run killed while writing leaves the previous checkpoint intact; the file follows
    the umask like every other result file. The SHA-256 of each entry's content is stored
    beside it, under :data:`DIGEST_KEY` (``payload`` itself is not modified).

    Raises
    ------
    TypeError
        ``payload`` is not a dict, or holds something other than tensors and plain values
        (dict, list, tuple, str, bytes, numbers, bool, None, torch dtypes/devices), which
        ``torch.load(weights_only=True)`` could not read back.
    """
    if not isinstance(payload, dict):
        raise TypeError(f"save_checkpoint payload must be a dict; received {type(payload).__name__}")
    body = {key: value for key, value in payload.items() if key != DIGEST_KEY}
    record = {**body, DIGEST_KEY: {str(key): content_sha256(value, where=repr(key)) for key, value in body.items()}}
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(record, tmp)
    return path


def load_checkpoint(path: str | Path, *, sha256: str | None = None) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` (tensors and plain values only).

    Parameters
    ----------
    path : str or Path
        The checkpoint file.
    sha256 : str, optional
        SHA-256 (hex) that the file's bytes must have, e.g. from the manifest of the
        shipped weights; the bytes checked are the bytes loaded.

    Returns
    -------
    dict
        The payload as saved, without the :data:`DIGEST_KEY` entry (verified, then removed).

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a readable kerker checkpoint, its bytes differ from ``sha256``, or
        an entry's content differs from the SHA-256 recorded when it was saved (the
        message names the entries).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    source: str | Path | io.BytesIO = path
    if sha256 is not None:
        data = path.read_bytes()
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256.lower():
            raise ValueError(
                f"{path} is damaged or not the expected file: its SHA-256 is {actual}, expected {sha256.lower()}"
            )
        source = io.BytesIO(data)
    try:
        payload = torch.load(source, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - torch raises many types for corrupt files
        raise ValueError(f"{path} is not a readable kerker checkpoint ({type(err).__name__}: {err})") from err
    if not isinstance(payload, dict) or "modules" not in payload:
        raise ValueError(f"{path} is not a kerker checkpoint (no 'modules' entry)")
    recorded = payload.pop(DIGEST_KEY, None)
    if recorded is not None:
        _check_digests(path, payload, recorded)
    return payload


def _check_digests(path: Path, payload: dict, recorded) -> None:
    if not isinstance(recorded, dict):
        raise ValueError(f"{path} is damaged: its '{DIGEST_KEY}' entry is a {type(recorded).__name__}, not a dict")
    keys = {str(key): key for key in payload}
    bad = [f"{name!r} (missing)" for name in recorded if name not in keys]
    bad += [f"{name!r} (not covered by a recorded SHA-256)" for name in keys if name not in recorded]
    bad += [
        repr(name)
        for name, key in keys.items()
        if name in recorded and content_sha256(payload[key], where=repr(key)) != recorded[name]
    ]
    if bad:
        raise ValueError(
            f"{path} is damaged: entries {', '.join(bad)} do not match the SHA-256 recorded when it was saved; "
            "restore it from a copy or train again"
        )


def content_sha256(value, *, where: str = "payload") -> str:
    """SHA-256 (hex) of a checkpoint entry: tensors by dtype, shape and bytes; plain values exactly.

    Equal for a value and its ``torch.save``/``torch.load`` round trip, different for any
    changed bit of a tensor or number, string, key or structure.

    Raises
    ------
    TypeError
        For anything other than tensors and plain values (``where`` names the entry).
    """
    h = hashlib.sha256()
    _feed(h, value, where)
    return h.hexdigest()


def _feed(h, value, where: str) -> None:
    # every item starts with a type tag and carries its length, so no two values share an encoding
    if isinstance(value, torch.Tensor):
        t = value.detach().to("cpu").contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy())
    elif isinstance(value, dict):
        h.update(f"D{len(value)}:".encode())
        for key, item in value.items():
            _feed(h, key, where)
            _feed(h, item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        h.update(f"{'L' if isinstance(value, list) else 'U'}{len(value)}:".encode())
        for i, item in enumerate(value):
            _feed(h, item, f"{where}[{i}]")
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        h.update(f"S{len(data)}:".encode() + data)
    elif isinstance(value, (bytes, bytearray)):
        h.update(f"B{len(value)}:".encode() + bytes(value))
    elif value is None or isinstance(value, bool):
        h.update(f"N{value}:".encode())
    elif isinstance(value, numbers.Integral):
        h.update(f"I{int(value)}:".encode())
    elif isinstance(value, numbers.Real):
        h.update(f"F{float(value).hex()}:".encode())
    elif isinstance(value, numbers.Complex):
        h.update(f"C{complex(value).real.hex()},{complex(value).imag.hex()}:".encode())
    elif isinstance(value, (torch.dtype, torch.device)):
        h.update(f"Y{value}:".encode())
    else:
        raise TypeError(
            f"checkpoint entry {where} holds a {type(value).__name__}; a checkpoint holds tensors and plain values "
            "only (dict, list, tuple, str, bytes, numbers, bool, None)"
        )


def resume_payload(out_dir: str | Path, log: Callable[[str], None] = print) -> dict | None:
    """The ``last.pt`` of ``out_dir`` to resume from, or None (with a note) if there is none."""
    last = Path(out_dir) / "last.pt"
    if not last.is_file():
        log(f"no checkpoint at {last}; starting a new run")
        return None
    return load_checkpoint(last)


def require_entries(payload: dict, entries, *, modules=(), what: str, where: str) -> None:
    """Refuse a checkpoint of the right ``kind`` that lacks an entry its loader reads.

    Parameters
    ----------
    payload : dict
        A loaded checkpoint.
    entries : sequence of str
        Top-level entries the loader needs.
    modules : sequence of str
        Entries of ``payload["modules"]`` the loader needs.
    what, where : str
        "a surrogate" / "a WGAN-GP" and the file (or "the checkpoint"), for the message.

    Raises
    ------
    ValueError
        Naming every missing entry.
    """
    missing = [e for e in entries if e not in payload]
    mods = payload.get("modules") if isinstance(payload.get("modules"), dict) else {}
    missing += [f"modules/{m}" for m in modules if m not in mods]
    if missing:
        raise ValueError(f"{where} is not a complete {what} checkpoint: no {', '.join(repr(m) for m in missing)} entry")
