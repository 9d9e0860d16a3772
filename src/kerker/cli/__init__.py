"""Command-line entry point ``kerker``: parse arguments, build a config, call the library.

Each command group lives in its own private module and registers its sub-commands
through ``register(subparsers)``; nothing in the library imports this package.
"""

from __future__ import annotations

import argparse
import sys

from kerker import __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the full ``kerker`` argument parser with every command group registered."""
    from kerker.cli import _dataset, _design, _lattice, _materials, _mie, _surrogate, _verify, _wgan

    parser = argparse.ArgumentParser(
        prog="kerker",
        description=(
            "Gradient-based inverse design in nanophotonics. "
            "Units: lengths and wavelengths in nanometres (nm), angles in degrees on the command line."
        ),
    )
    parser.add_argument("--version", action="version", version=f"kerker {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (_materials, _mie, _lattice, _verify, _dataset, _surrogate, _wgan, _design):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``kerker`` command line; return the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, FileNotFoundError) as err:
        print(f"kerker {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kerker {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
