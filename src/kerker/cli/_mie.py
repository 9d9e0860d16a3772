"""``kerker mie`` (one particle: spectra, multipoles, radiation pattern) and ``kerker demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from kerker.cli._io import add_extrapolate, check_wavelengths, count, material_arg, output_dir, real, wrote

_UNITS = (
    "Units: radii, thicknesses and wavelengths in nm (vacuum wavelength); the medium is given by its "
    "real refractive index. Efficiencies are cross sections over pi*r_outer^2; Q_fwd and Q_back are the "
    "differential efficiencies at 0 and 180 degrees, |sum (2n+1)(a_n+b_n)|^2/x^2 and "
    "|sum (2n+1)(-1)^n (a_n-b_n)|^2/x^2."
)


def register(subparsers) -> None:
    """Add the ``mie`` and ``demo`` commands."""
    mie = subparsers.add_parser(
        "mie",
        help="efficiency spectra and radiation pattern of one core-shell particle (sizes in nm)",
        description="Exact Mie theory of one core-shell sphere over a wavelength grid. " + _UNITS,
        epilog=(
            "examples:\n"
            "  kerker mie --core Si --shell SiO2 --r-core 86 --t-shell 36 --pattern-wavelength 705 --out out/\n"
            "  kerker mie --core data/Au_Johnson.yml --shell SiO2 --r-core 40 --t-shell 10 --json > au.json"
        ),
    )
    mie.add_argument(
        "--core", required=True, help="core material: a shipped name (see `kerker materials`) or a "
        "refractiveindex.info YAML file (*.yml)"
    )
    mie.add_argument("--shell", required=True, help="shell material, as --core")
    mie.add_argument("--r-core", type=real(), required=True, help="core radius in nm (> 0)")
    mie.add_argument("--t-shell", type=real(), required=True, help="shell thickness in nm (>= 0)")
    _wavelength_arguments(mie)
    mie.add_argument("--env", type=real(), default=1.0, help="refractive index of the medium (1: vacuum)")
    add_extrapolate(mie)
    mie.add_argument("--pattern-wavelength", type=real(above=0), help="wavelength (nm) of the radiation-pattern plot")
    mie.add_argument("--json", action="store_true", help="print the spectra as JSON instead of a table")
    mie.add_argument("--out", type=Path, help="directory for spectrum.png, pattern.png and mie.json")
    mie.set_defaults(func=_run_mie)

    demo = subparsers.add_parser(
        "demo",
        help="Kerker-condition demo: gradient descent on exact Mie theory for a Si-core/SiO2-shell particle",
        description=(
            "Finds the Si-core/SiO2-shell particle (core radius and shell thickness in 1-100 nm) that minimises "
            "-Q_fwd + w*Q_back at the design wavelength by batched multi-start gradient descent through the "
            "exact, differentiable Mie solver; prints the best design and writes its spectra, radiation "
            "pattern and a JSON record. " + _UNITS
        ),
    )
    demo.add_argument("--wavelength", type=real(above=0), default=705.0, help="design wavelength in nm (the paper's)")
    demo.add_argument("--weight", type=real(), default=1.0, help="backscattering weight w")
    demo.add_argument("--starts", type=count(1), default=64, help="number of random starts")
    demo.add_argument("--steps", type=count(1), default=150, help="Adam steps")
    demo.add_argument("--seed", type=count(0), default=0, help="seed of the random starts (>= 0)")
    demo.add_argument("--out", type=Path, default=Path("results/demo"), help="output directory")
    demo.set_defaults(func=_run_demo)


#: Longest wavelength grid of ``kerker mie`` (a one-particle table; the Python API has no limit).
MAX_WAVELENGTHS = 100_000


def _wavelength_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wl-min", type=real(above=0), default=400.0, help="first wavelength in nm")
    parser.add_argument("--wl-max", type=real(above=0), default=800.0, help="last wavelength in nm, >= --wl-min")
    parser.add_argument(
        "--n-wl", type=count(1, MAX_WAVELENGTHS), default=201, help=f"number of wavelengths (1 to {MAX_WAVELENGTHS:,})"
    )


def _run_mie(args) -> int:
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.design import particle_spectra
    from kerker.report import plot_particle

    if not args.wl_min <= args.wl_max:
        raise ValueError(f"--wl-min must not exceed --wl-max; received {args.wl_min:g} and {args.wl_max:g} nm")
    out = None if args.out is None else output_dir(args.out)
    core = material_arg(args.core, "--core", args.extrapolate)
    shell = material_arg(args.shell, "--shell", args.extrapolate)
    wavelength = np.linspace(args.wl_min, args.wl_max, args.n_wl)
    lo, hi = args.wl_min, args.wl_max
    if args.pattern_wavelength is not None:
        lo, hi = min(lo, args.pattern_wavelength), max(hi, args.pattern_wavelength)
    for option, mat in (("--core", core), ("--shell", shell)):
        check_wavelengths(mat, option, lo, hi, what="--wl-min/--wl-max/--pattern-wavelength")
    spectra = particle_spectra(
        core, shell, args.r_core, args.t_shell, wavelength, args.env, pattern_wavelength=args.pattern_wavelength
    )
    result = spectra.to_dict()
    if args.json:
        print(json.dumps({k: np.asarray(v).tolist() for k, v in result.items()}))
    else:
        _print_table(result)
    if out is not None:
        title = f"{core.name} core r = {args.r_core:g} nm, {shell.name} shell t = {args.t_shell:g} nm"
        files = plot_particle(spectra, out, title=title)
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if not k.startswith("_")
                  and k != "func"}
        meta = provenance(config, materials=[core.describe(), shell.describe()])
        record = write_json_atomic(out / "mie.json", {"provenance": meta, "result": result})
        wrote(*files.values(), record)
    return 0


def _print_table(result: dict, every: int = 1) -> None:
    cols = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")
    print(f"{'wavelength_nm':>13} " + " ".join(f"{c:>10}" for c in cols))
    for i in range(0, len(result["wavelength_nm"]), every):
        print(f"{result['wavelength_nm'][i]:13.2f} " + " ".join(f"{result[c][i]:10.5f}" for c in cols))


def _run_demo(args) -> int:
    from kerker.design import run_directional_study
    from kerker.materials import material
    from kerker.report import plot_particle

    core, shell = "Si", "SiO2"
    out = output_dir(args.out)
    ranges = [material(name).wavelength_range for name in (core, shell)]
    lo, hi = max(r[0] for r in ranges), min(r[1] for r in ranges)
    if not lo <= args.wavelength <= hi:
        raise ValueError(
            f"--wavelength must lie in {lo:g}-{hi:g} nm, where the data of both {core} and {shell} exist; received "
            f"{args.wavelength:g}"
        )
    print(
        f"kerker demo: minimising -Q_fwd + {args.weight:g} Q_back at {args.wavelength:g} nm for a {core} core in a "
        f"{shell} shell\n  {args.starts} random starts x {args.steps} Adam steps, gradients through exact Mie theory",
        file=sys.stderr,
        flush=True,
    )
    study = run_directional_study(
        core,
        shell,
        args.wavelength,
        weight=args.weight,
        n_starts=args.starts,
        steps=args.steps,
        seed=args.seed,
        out=out,
    )
    res, r_core, t_shell = study.optimum, study.r_core, study.t_shell
    print(
        f"best design: r_core = {r_core:.2f} nm, t_shell = {t_shell:.2f} nm -> "
        f"Q_fwd = {res.q_fwd[0]:.4f}, Q_back = {res.q_back[0]:.4f}, "
        f"Q_fwd/Q_back = {res.q_fwd[0] / res.q_back[0]:.2f}, loss = {res.loss[0]:.4f}"
    )
    print(f"{study.n_distinct} distinct local optima (rounded to 1 nm) among {args.starts} starts")
    title = f"{core} core r = {r_core:.1f} nm, {shell} shell t = {t_shell:.1f} nm"
    files = plot_particle(study.spectra, out, title=title)
    _print_table(study.spectra.to_dict(), every=25)
    wrote(*files.values(), study.record)
    return 0
