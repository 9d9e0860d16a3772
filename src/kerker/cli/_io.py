"""What a ``kerker`` command reads and writes: option values, materials, paths, messages.

Every check here runs before a command computes or prints anything, and its error names
the option, the rule and the value received. The argparse types (:func:`count`,
:func:`real`, :func:`complex_number`) are refused by argparse itself (``argument --x:
...``, exit 2); the other checks raise ``ValueError``, which :func:`kerker.cli.main` prints
as one line (exit 2). Numbers are checked with the validators of :mod:`kerker._config`,
the ones every config uses.

Output convention of every command: data (tables, JSON, results) go to stdout, messages
(progress, notices, ``wrote PATH``) to stderr, so ``kerker ... --json > out.json`` and
``kerker ... | head`` see only data.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

from kerker._config import integer, number

__all__ = [
    "add_executor_options",
    "add_extrapolate",
    "check_wavelengths",
    "complex_number",
    "count",
    "input_file",
    "is_yaml_path",
    "log_line",
    "material_arg",
    "open_executor",
    "output_dir",
    "output_file",
    "parse_ints",
    "parse_numbers",
    "real",
    "wrote",
]

_YAML_SUFFIXES = (".yml", ".yaml")


# -- option types (argparse) ---------------------------------------------------------


def _rule(err: Exception) -> str:
    """The rule of a kerker._config message about "value" (argparse prefixes the option)."""
    return str(err).removeprefix("value ")


def count(minimum: int = 1, maximum: int | None = None):
    """argparse type: an int in ``[minimum, maximum]`` (seeds: ``count(0)``)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer; received {text!r}") from None
        try:
            return integer("value", value, minimum=minimum, maximum=maximum)
        except ValueError as err:
            raise argparse.ArgumentTypeError(_rule(err)) from None

    parse.__name__ = "integer"
    return parse


def real(**bounds):
    """argparse type: a finite float (NaN and inf refused) within ``bounds`` (see :func:`kerker._config.number`)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number; received {text!r}") from None
        try:
            return number("value", value, **bounds)
        except ValueError as err:
            raise argparse.ArgumentTypeError(_rule(err)) from None

    parse.__name__ = "number"
    return parse


def complex_number(text: str) -> complex:
    """argparse type: a finite complex number, ``0.3+1.1j``, ``-0.3+1.1i`` or ``1.1j``."""
    try:
        value = complex(text.replace(" ", "").replace("i", "j"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a complex number like 0.3+1.1j; received {text!r}") from None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise argparse.ArgumentTypeError(f"must be a finite complex number; received {text!r}")
    return value


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


# -- materials ----------------------------------------------------------------------


def add_extrapolate(parser: argparse.ArgumentParser, default: str | None = "error", extra: str = "") -> None:
    """The ``--extrapolate`` option: one wording and one default (error) in every command."""
    parser.add_argument(
        "--extrapolate",
        choices=("error", "hold"),
        default=default,
        help="outside a material's data range: refuse (error; the default of every command) or hold n and k at "
        "the end values (hold; the paper's TiO2 below 430 nm)" + (extra or ""),
    )


def is_yaml_path(spec: str) -> bool:
    """True if ``spec`` names a refractiveindex.info YAML file rather than a shipped material."""
    return spec.lower().endswith(_YAML_SUFFIXES)


def material_arg(spec: str, option: str, extrapolate: str = "error"):
    """The material of a command-line value: a shipped name (any case) or a refractiveindex.info YAML file.

    Parameters
    ----------
    spec : str
        ``Si``, ``tio2``, or a path ending in ``.yml``/``.yaml`` (loaded with
        :func:`kerker.materials.load_refractiveindex_yaml`; named after the file).
    option : str
        The option, for messages (``"--core"``).
    extrapolate : {"error", "hold"}
        The policy outside the data range (``--extrapolate``).
    """
    from kerker.materials import available, load_refractiveindex_yaml, material

    if is_yaml_path(spec):
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"{option} {spec}: no such refractiveindex.info YAML file")
        mat = load_refractiveindex_yaml(path)
    elif spec.strip().lower() in {name.lower() for name in available()}:
        mat = material(spec)
    else:
        raise ValueError(
            f"{option}: unknown material {spec!r}; give a shipped material ({', '.join(available())}; see "
            "`kerker materials`) or a refractiveindex.info YAML file (*.yml, *.yaml)"
        )
    return mat.with_extrapolation(extrapolate)


def check_wavelengths(mat, option: str, lo: float, hi: float, *, what: str = "--wl-min/--wl-max") -> None:
    """Refuse wavelengths ``lo..hi`` (nm) outside ``mat``'s data unless it holds, with the command-line fix.

    The library's own message suggests a Python call; here the options are named instead.
    """
    if mat.extrapolate == "hold":
        return
    d_lo, d_hi = mat.wavelength_range
    if lo >= d_lo and hi <= d_hi:
        return
    reach = f"{lo:g}-{hi:g}" if lo != hi else f"{lo:g}"
    raise ValueError(
        f"{option} {mat.name}: its data cover {d_lo:g}-{d_hi:g} nm, but the wavelengths ({what}) are "
        f"{reach} nm; choose wavelengths inside the data, or add --extrapolate hold to hold n and k at their "
        "end values outside it"
    )


# -- paths ---------------------------------------------------------------------------


def _existing_ancestor(path: Path) -> Path:
    probe = path.absolute()
    while not probe.exists():
        probe = probe.parent
    return probe


def _check_creatable(target: Path, option: str, path: Path) -> None:
    """``target`` (a directory) exists or can be created, and can be written in."""
    probe = _existing_ancestor(target)
    if not probe.is_dir():
        raise ValueError(f"{option} {path}: {probe} is a file, not a directory, so nothing can be written under it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: cannot write in {probe} (read-only file system or no permission)")


def output_dir(path, option: str = "--out") -> Path:
    """``path`` as a directory that exists or can be created and written in; checked before any work."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{option} {path} is a file; give a directory (it is created if missing)")
    _check_creatable(path, option, path)
    return path


def output_file(path, option: str = "--out") -> Path:
    """``path`` as a file that can be written (its folder exists or can be created); checked before any work."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a directory; give a file name inside it")
    _check_creatable(path.parent, option, path)
    return path


def input_file(path, option: str, *, what: str = "file", must_exist: bool = True) -> Path:
    """``path`` as a readable regular file (``option`` names it in messages; "" for a positional).

    With ``must_exist=False`` a missing file passes, for readers whose own message says
    how to make one (``no dataset at X; build one with ...``).
    """
    path = Path(path)
    label = f"{option} {path}" if option else str(path)
    if path.is_dir():
        raise ValueError(f"{label} is a directory, not a {what}")
    if not path.exists():
        if not must_exist:
            return path
        raise ValueError(f"{label}: no such {what}")
    if not os.access(path, os.R_OK):
        raise ValueError(f"{label}: cannot read the {what} (no permission)")
    return path


# -- where the work runs (kerker._executor) -------------------------------------------


def _scheduler_address(text: str) -> str:
    """argparse type of ``--scheduler``: a Dask scheduler address, PROTOCOL://HOST:PORT."""
    from kerker._executor import check_address

    try:
        return check_address(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err).removeprefix("scheduler ")) from None


_scheduler_address.__name__ = "address"


def add_executor_options(parser: argparse.ArgumentParser, what: str) -> None:
    """``--workers N`` | ``--scheduler ADDR`` (and ``--scheduler-timeout``): where ``what`` run (Dask)."""
    group = parser.add_argument_group(
        "where the work runs", f"default: in this process; with Dask ({_DASK_EXTRA}) the {what} run as tasks on "
        "worker processes and this process writes the results; see docs/distributed.md"
    )
    where = group.add_mutually_exclusive_group()
    where.add_argument("--workers", type=count(1), metavar="N",
                       help=f"run the {what} on a local Dask cluster of N worker processes (one thread each)")
    where.add_argument("--scheduler", type=_scheduler_address, metavar="ADDR",
                       help=f"run the {what} on the running Dask cluster whose scheduler is at ADDR, e.g. "
                       "tcp://10.0.0.5:8786 (dask scheduler / dask worker, dask-jobqueue)")
    group.add_argument("--scheduler-timeout", type=real(above=0.0), default=10.0, metavar="S",
                       help="with --scheduler: seconds to wait for it to answer and to have a worker, and how long "
                            "a running job waits while the cluster has no worker")


_DASK_EXTRA = "pip install 'kerker[distributed]'"
# a library message about an argument of open_executor -> about its option
_EXECUTOR_ARGUMENT = re.compile(r"^(workers|scheduler|timeout)\b")
_EXECUTOR_OPTIONS = {"workers": "--workers", "scheduler": "--scheduler", "timeout": "--scheduler-timeout"}


@contextmanager
def open_executor(args):
    """The executor of ``args.workers`` / ``args.scheduler`` (:func:`kerker.open_executor`), closed at the end.

    Its refusals (Dask not installed, no scheduler answering) name the option.
    """
    from kerker._executor import open_executor as _open

    with ExitStack() as stack:
        try:
            executor = stack.enter_context(_open(args.workers, args.scheduler, timeout=args.scheduler_timeout))
        except ValueError as err:
            text = _EXECUTOR_ARGUMENT.sub(lambda m: _EXECUTOR_OPTIONS[m.group(1)], str(err))
            raise ValueError(text) from err
        yield executor


# -- messages ------------------------------------------------------------------------


def log_line(line: str) -> None:
    """Progress printer for long commands: stderr, flushed (so logs under nohup stay current)."""
    print(line, file=sys.stderr, flush=True)


def wrote(*paths) -> None:
    """Say on stderr which files a command wrote, one ``wrote PATH`` line each."""
    for path in paths:
        print(f"wrote {path}", file=sys.stderr)
