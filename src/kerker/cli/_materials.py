"""``kerker materials``: list the shipped materials, or plot n and k of one of them."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

from kerker.cli._io import add_extrapolate, check_wavelengths, count, material_arg, output_file, real, wrote

_DESCRIPTION = """\
List the shipped materials with their valid wavelength ranges (nm), data type and
reference, or plot the refractive index n and extinction coefficient k of one material:
a shipped one or any refractiveindex.info YAML file (--plot path/to/file.yml).
All wavelengths are vacuum wavelengths in nanometres (nm). Tabulated data are
interpolated by PCHIP; wavelengths outside a material's data range are refused unless
--extrapolate hold is given (n and k are then held at the end values).

examples:
  kerker materials
  kerker materials --json
  kerker materials --plot TiO2 --range 400 800 --extrapolate hold --out tio2.png
  kerker materials --plot data/Au_Johnson.yml --out au.png
"""


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``materials`` command to the ``kerker`` sub-command parsers."""
    parser = subparsers.add_parser(
        "materials",
        help="list shipped materials and their wavelength ranges (nm); plot n, k of one",
        description=_DESCRIPTION,
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    parser.add_argument(
        "--plot", metavar="NAME", help="material to plot: a shipped name (case-insensitive, e.g. Si) or a "
        "refractiveindex.info YAML file (*.yml)"
    )
    parser.add_argument("--out", metavar="FILE.png", help="image file for --plot (format from the suffix)")
    parser.add_argument(
        "--range",
        nargs=2,
        type=real(above=0),
        metavar=("LO", "HI"),
        help="wavelength range of the plot in nm (default: the material's full data range)",
    )
    parser.add_argument(
        "--points", type=count(2, 1_000_000), default=400, metavar="N", help="number of wavelengths in the plot"
    )
    add_extrapolate(parser)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Execute ``kerker materials``; return the exit code."""
    from kerker.materials import available, material

    if args.plot is None:
        if args.out is not None or args.range is not None:
            raise ValueError("--out and --range apply to a plot; add --plot NAME (e.g. --plot Si)")
        records = [material(name).describe() for name in available()]
        if args.json:
            print(json.dumps(records, indent=2))
        else:
            _print_table(records)
        return 0

    if args.out is None:
        raise ValueError(f"--plot {args.plot} needs --out FILE.png to say where the figure goes")
    out = output_file(args.out)
    mat = material_arg(args.plot, "--plot", args.extrapolate)
    lo, hi = args.range if args.range is not None else mat.wavelength_range
    if not (lo < hi and math.isfinite(hi)):
        raise ValueError(f"--range LO HI must satisfy 0 < LO < HI < inf (nm); received {lo:g} {hi:g}")
    check_wavelengths(mat, "--plot", lo, hi, what="--range")
    wavelength_nm = np.linspace(lo, hi, args.points)
    index = mat.refractive_index(wavelength_nm)

    from kerker.report import plot_refractive_index

    title = f"{mat.name}: refractive index n + ik ({Path(mat.source).name}, extrapolate={mat.extrapolate!r})"
    plot_refractive_index(wavelength_nm, index, title=title, out=out)
    if args.json:
        print(json.dumps({"material": mat.describe(), "range_nm": [lo, hi], "out": str(out)}, indent=2))
    wrote(f"{out}: n and k of {mat.name} over {lo:g}–{hi:g} nm")
    return 0


def _print_table(records: list[dict]) -> None:
    header = f"{'name':<6} {'from (nm)':>9} {'to (nm)':>9}  {'data':<13} reference"
    print(header)
    print("-" * len(header))
    for record in records:
        lo, hi = record["wavelength_range_nm"]
        data = ", ".join(record["data_types"])
        print(f"{record['name']:<6} {lo:>9g} {hi:>9g}  {data:<13} {record['reference']}")
