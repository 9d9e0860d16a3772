"""Command groups shared by several CLI modules: ``kerker train <target>``, ``kerker evaluate <target>``.

Any module's ``register(subparsers)`` may call :func:`command_group` to get the group's
sub-command set (created on first use) and add its own target to it, e.g.
``command_group(sub, "train").add_parser("wgan", ...)``; registration order does not matter.
"""

from __future__ import annotations

__all__ = ["command_group", "log_line", "parse_ints", "parse_numbers"]

_GROUPS = {
    "train": "train a model with the project's settings (checkpoints, progress, resumable)",
    "evaluate": "measure a trained model against exact physics (JSON + figures)",
}


def command_group(subparsers, name: str):
    """Return the sub-command set of top-level group ``name`` ("train" or "evaluate").

    Parameters
    ----------
    subparsers
        The top-level ``add_subparsers()`` action of the ``kerker`` parser.
    name : str
        Group name, one of ``_GROUPS``.
    """
    if name not in _GROUPS:
        raise ValueError(f"unknown command group {name!r}; known: {sorted(_GROUPS)}")
    parser = subparsers.choices.get(name)
    if parser is None:
        parser = subparsers.add_parser(name, help=_GROUPS[name], description=_GROUPS[name].capitalize() + ".")
        targets = parser.add_subparsers(dest="target", metavar="TARGET")
        targets.required = True
        parser.set_defaults(_targets=targets)
    return parser.get_default("_targets")


def parse_ints(text: str, option: str) -> tuple[int, ...]:
    """``"64,48,32"`` -> ``(64, 48, 32)``; a clear error naming ``option`` otherwise."""
    try:
        return tuple(int(v) for v in text.split(","))
    except ValueError as err:
        raise ValueError(f"{option} must be comma-separated integers, got {text!r}") from err


def parse_numbers(text: str, option: str) -> tuple[float, ...]:
    """``"0.0,0.9"`` -> ``(0.0, 0.9)``; a clear error naming ``option`` otherwise."""
    try:
        return tuple(float(v) for v in text.split(","))
    except ValueError as err:
        raise ValueError(f"{option} must be comma-separated numbers, got {text!r}") from err


def log_line(line: str) -> None:
    """Progress printer for training commands (flushed, so logs under nohup stay current)."""
    print(line, flush=True)
