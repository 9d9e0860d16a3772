"""``kerker materials``: list the shipped materials, or plot n and k of one of them."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

_DESCRIPTION = """\
List the shipped materials with their valid wavelength ranges (nm), data type and
reference, or plot the refractive index n and extinction coefficient k of one material.
All wavelengths are vacuum wavelengths in nanometres (nm). Tabulated data are
interpolated by PCHIP; wavelengths outside a material's data range are refused unless
--extrapolate hold is given (n and k are then held at the end values).

examples:
  kerker materials
  kerker materials --json
  kerker materials --plot TiO2 --range 400 800 --extrapolate hold --out tio2.png
"""


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``materials`` command to the ``kerker`` sub-command parsers."""
    parser = subparsers.add_parser(
        "materials",
        help="list shipped materials and their wavelength ranges (nm); plot n, k of one",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    parser.add_argument("--plot", metavar="NAME", help="material to plot (case-insensitive), e.g. Si")
    parser.add_argument("--out", metavar="FILE.png", help="image file for --plot (format from the suffix)")
    parser.add_argument(
        "--range",
        nargs=2,
        type=float,
        metavar=("LO", "HI"),
        help="wavelength range of the plot in nm (default: the material's full data range)",
    )
    parser.add_argument(
        "--points", type=int, default=400, metavar="N", help="number of wavelengths in the plot (default 400)"
    )
    parser.add_argument(
        "--extrapolate",
        choices=("error", "hold"),
        default="error",
        help="outside the data range: refuse (error, default) or hold n, k at the end values",
    )
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
    if args.points < 2:
        raise ValueError(f"--points must be at least 2; received {args.points}")
    mat = material(args.plot).with_extrapolation(args.extrapolate)
    lo, hi = args.range if args.range is not None else mat.wavelength_range
    if not (0 < lo < hi and math.isfinite(hi)):
        raise ValueError(f"--range LO HI must satisfy 0 < LO < HI < inf (nm); received {lo} {hi}")
    wavelength_nm = np.linspace(lo, hi, args.points)
    index = mat.refractive_index(wavelength_nm)  # raises, naming the range, if outside the data

    from kerker.report import plot_refractive_index

    title = f"{mat.name}: refractive index n + ik ({Path(mat.source).name}, extrapolate={mat.extrapolate!r})"
    plot_refractive_index(wavelength_nm, index, title=title, out=args.out)
    if args.json:
        print(json.dumps({"material": mat.describe(), "range_nm": [lo, hi], "out": str(args.out)}, indent=2))
    else:
        print(f"wrote {args.out}: n and k of {mat.name} over {lo:g}–{hi:g} nm")
    return 0


def _print_table(records: list[dict]) -> None:
    header = f"{'name':<6} {'from (nm)':>9} {'to (nm)':>9}  {'data':<13} reference"
    print(header)
    print("-" * len(header))
    for record in records:
        lo, hi = record["wavelength_range_nm"]
        data = ", ".join(record["data_types"])
        print(f"{record['name']:<6} {lo:>9g} {hi:>9g}  {data:<13} {record['reference']}")
