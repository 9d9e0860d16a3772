"""Command-line entry point ``kerker``: parse arguments, build a config, call the library.

Each command group lives in its own private module and registers its sub-commands
through ``register(subparsers)``; nothing in the library imports this package.

Conventions of every command (see :mod:`kerker.cli._io`): data on stdout, messages on
stderr. Bad input ends with one line ``kerker <command>: error: ...`` on stderr and exit
status 2, never a traceback: argparse's own errors, and any ``ValueError``, ``TypeError``,
``OSError`` or ``MemoryError`` the library raises (config fields in the message are given
with their option, ``--n-r-core (DatasetConfig.n_r_core)``). Ctrl-C exits with 130, a
closed output pipe (``kerker ... | head``) quietly with 141 (128 + SIGPIPE, as a process
the signal ended). ``kerker`` or a command group without its sub-command prints its help
on stderr and exits with 2. ``KERKER_DEBUG=1`` re-raises instead, showing the traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap

from kerker import __version__
from kerker._executor import WorkerLostError

# argparse treats a value that starts with "-" as an option unless it looks like -1 or -.5;
# this also lets through -1e-3, -inf and complex values such as -0.3+1.1j (for --tau).
_NUMBER = r"(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|nan)"
_NEGATIVE_NUMBER = re.compile(rf"^-{_NUMBER}(?:[-+]{_NUMBER})?[ij]?$")

# "DatasetConfig.n_r_core" in a library message -> the option that sets it
_CONFIG_FIELD = re.compile(r"\b([A-Z]\w*Config)\.(\w+)")


class _HelpFormatter(argparse.HelpFormatter):
    """One formatter for every command.

    Descriptions and epilogs: paragraphs (separated by blank lines) are wrapped to the
    terminal; indented lines (examples) are kept as written. Option help gets
    ``(default: X)`` unless it already speaks of its default or there is none to show.
    """

    def _fill_text(self, text, width, indent):
        blocks = []
        for block in re.split(r"\n[ \t]*\n", text.strip("\n")):
            lines, paragraph = [], []

            def flush():
                if paragraph:
                    lines.append(
                        textwrap.fill(
                            " ".join(paragraph), width, initial_indent=indent, subsequent_indent=indent,
                            break_on_hyphens=False,
                        )
                    )
                    paragraph.clear()

            for line in block.splitlines():
                if line[:1] in (" ", "\t"):
                    flush()
                    lines.append(indent + line)
                else:
                    paragraph.append(line.strip())
            flush()
            blocks.append("\n".join(lines))
        return "\n\n".join(blocks)

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        if (
            not action.option_strings
            or "default" in text.lower()
            or default is argparse.SUPPRESS
            or default is None
            or default is False
            or (isinstance(default, (list, tuple)) and not default)
        ):
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """The parser class of ``kerker`` and (by inheritance in ``add_subparsers``) of every sub-command."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER


def _subparsers(parser: argparse.ArgumentParser):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            yield from dict.fromkeys(action.choices.values())


def _mark(parser: argparse.ArgumentParser) -> None:
    """Record in every parser's defaults that it is the one reached (the deepest one wins)."""
    parser.set_defaults(_parser=parser)
    for child in _subparsers(parser):
        _mark(child)


def build_parser() -> argparse.ArgumentParser:
    """Return the full ``kerker`` argument parser with every command group registered."""
    from kerker.cli import _dataset, _design, _lattice, _materials, _mie, _surrogate, _verify, _wgan

    parser = _Parser(
        prog="kerker",
        description=(
            "Gradient-based inverse design in nanophotonics. "
            "Units: lengths and wavelengths in nanometres (nm), angles in degrees on the command line.\n\n"
            "Data go to stdout, messages to stderr; bad input exits with status 2 and a one-line message "
            "(KERKER_DEBUG=1 shows the Python traceback instead)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"kerker {__version__}")
    # Not required: a bare `kerker` prints this help (on stderr, exit 2) rather than an error.
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (_materials, _mie, _lattice, _verify, _dataset, _surrogate, _wgan, _design):
        module.register(sub)
    _mark(parser)
    return parser


def _option_names(text: str, parser: argparse.ArgumentParser, fields: dict) -> str:
    """Name the option next to each config field of a library message (``--lr (SurrogateTrainConfig.lr)``)."""
    options = {a.dest: max(a.option_strings, key=len) for a in parser._actions if a.option_strings}

    def replace(match):
        cls, field = match.groups()
        option = fields.get(f"{cls}.{field}") or fields.get(field) or options.get(field)
        return f"{option} ({cls}.{field})" if option else match.group(0)

    return _CONFIG_FIELD.sub(replace, text)


def _one_line(err: BaseException, args) -> str:
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        text = f"{err.filename}: {err.strerror}"
        if err.filename2 is not None:
            text += f" ({err.filename2})"
    elif isinstance(err, MemoryError):
        text = "out of memory" + (f" ({err})" if str(err) else "") + "; ask for less (particles, wavelengths, samples)"
    else:
        text = str(err) or type(err).__name__
    text = " ".join(text.split())
    return _option_names(text, args._parser, getattr(args, "_fields", {}))


def _detach_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not raise BrokenPipeError again (Python docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (e.g. under pytest's capture)
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the ``kerker`` command line; return the process exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        if exit_.code in (0, None):  # --help, --version
            raise
        return int(exit_.code)  # argparse printed the usage and its message on stderr
    here = args._parser
    func = getattr(args, "func", None)
    if func is None:  # `kerker` or a group without its sub-command: show what there is
        here.print_help(sys.stderr)
        return 2
    debug = os.environ.get("KERKER_DEBUG", "") not in ("", "0")
    try:
        code = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler, not at interpreter exit
        return code
    except BrokenPipeError:  # `kerker ... | head`: the reader has what it wanted
        _detach_stdout()
        return 141
    except KeyboardInterrupt:
        if debug:
            raise
        print(f"{here.prog}: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, MemoryError) as err:
        if debug:
            raise
        print(f"{here.prog}: error: {_one_line(err, args)}", file=sys.stderr)
        return 2
    except WorkerLostError as err:  # not the input's fault: exit 1, finished work kept
        if debug:
            raise
        print(f"{here.prog}: error: {_one_line(err, args)}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
