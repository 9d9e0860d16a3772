"""``kerker mie`` (one particle: spectra, multipoles, radiation pattern) and ``kerker demo``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from kerker.cli._io import add_extrapolate, check_wavelengths, count, log_line, material_arg, output_dir, real, wrote

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
        help="efficiency spectra and radiation pattern of one core-shell or multilayer particle (sizes in nm)",
        description="Exact Mie theory of one core-shell (--core/--shell/--r-core/--t-shell) or multilayer (--layers) "
        "sphere over a wavelength grid. " + _UNITS,
        epilog=(
            "examples:\n"
            "  kerker mie --core Si --shell SiO2 --r-core 86 --t-shell 36 --pattern-wavelength 705 --out out/\n"
            "  kerker mie --core data/Au_Johnson.yml --shell SiO2 --r-core 40 --t-shell 10 --json > au.json\n"
            "  kerker mie --layers Ag:20,SiO2:35,Si:80 --wl-min 450 --csv > spectra.csv"
        ),
    )
    mie.add_argument(
        "--core", help="core material: a shipped name (see `kerker materials`) or a "
        "refractiveindex.info YAML file (*.yml)"
    )
    mie.add_argument("--shell", help="shell material, as --core")
    mie.add_argument("--r-core", type=real(), help="core radius in nm (> 0)")
    mie.add_argument("--t-shell", type=real(), help="shell thickness in nm (>= 0)")
    mie.add_argument(
        "--layers", help="a multilayer sphere instead of --core/--shell/--r-core/--t-shell: MATERIAL:RADIUS,... "
        "innermost first, each RADIUS the layer's outer radius in nm (non-decreasing), e.g. Ag:20,SiO2:35,Si:80"
    )
    _wavelength_arguments(mie)
    mie.add_argument("--env", type=real(), default=1.0, help="refractive index of the medium (1: vacuum)")
    add_extrapolate(mie)
    mie.add_argument("--pattern-wavelength", type=real(above=0), help="wavelength (nm) of the radiation-pattern plot")
    mie.add_argument("--near-field", type=real(above=0), metavar="WAVELENGTH",
                     help="wavelength (nm) of a |E|^2 map in the xz plane (x: incident polarisation, z: propagation), "
                     "written to OUT/near_field.png; needs --out")
    mie.add_argument("--near-field-points", type=count(11, 2001), default=201,
                     help="grid points per axis of the near-field map (11 to 2001)")
    mie.add_argument("--json", action="store_true", help="print the spectra (and the pattern's angular data) as JSON "
                     "instead of a table")
    mie.add_argument("--csv", action="store_true", help="print the spectra as CSV instead of a table (every column: "
                     "efficiencies, cross sections in nm^2, g, Q_pr, multipole terms)")
    mie.add_argument("--out", type=Path, help="directory for spectrum.png, pattern.png, spectra.csv and mie.json")
    mie.set_defaults(func=_run_mie)

    demo = subparsers.add_parser(
        "demo",
        help="the end-to-end demo: Mie spectrum, Kerker study, inverse design, lattice; one HTML report",
        description=(
            "Runs the package end to end on its shipped defaults and writes one self-contained HTML report, "
            "OUT/report.html, with the raw results beside it: a Mie spectrum of one particle, the Kerker study "
            "(concurrent latent-space optimizations of -Q_fwd + w*Q_back with a Si core on exact Mie theory, "
            "checked against each shell's brute-force optimum), the test-set inverse-design comparison on a few "
            "targets, and the lattice optimization with exact gradients. A few minutes on two CPU cores. " + _UNITS
        ),
    )
    demo.add_argument("--wavelength", type=real(at_least=400.0, at_most=800.0), default=705.0,
                      help="design wavelength of the Kerker study in nm, 400-800 (the paper's)")
    demo.add_argument("--weight", type=real(at_least=0.0), default=1.0, help="backscattering weight w")
    demo.add_argument("--starts", type=count(1), help="concurrent optimizations of the Kerker study (1000; quick 24)")
    demo.add_argument("--targets", type=count(1), help="targets of the inverse-design comparison (4; quick 1)")
    demo.add_argument("--generations", type=count(1),
                      help="generations of Differential Evolution (population 100) in the comparison (40; quick 2)")
    demo.add_argument("--quick", action="store_true", help="tiny searches (seconds): a first look, or a test")
    demo.add_argument("--seed", type=count(0), default=0, help="seed of every random draw (>= 0)")
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
    from kerker._artifacts import json_default, provenance, write_bytes_atomic, write_json_atomic
    from kerker.design import layered_particle_spectra, particle_spectra
    from kerker.report import plot_particle

    if not args.wl_min <= args.wl_max:
        raise ValueError(f"--wl-min must not exceed --wl-max; received {args.wl_min:g} and {args.wl_max:g} nm")
    if args.json and args.csv:
        raise ValueError("--json and --csv both print the spectra: give one of them")
    if args.near_field is not None and args.out is None:
        raise ValueError("--near-field writes OUT/near_field.png: give --out")
    out = None if args.out is None else output_dir(args.out)
    layers = _particle(args)
    wavelength = np.linspace(args.wl_min, args.wl_max, args.n_wl)
    lo, hi = args.wl_min, args.wl_max
    for extra in (args.pattern_wavelength, args.near_field):
        if extra is not None:
            lo, hi = min(lo, extra), max(hi, extra)
    for option, mat, _ in layers:
        check_wavelengths(mat, option, lo, hi, what="--wl-min/--wl-max/--pattern-wavelength/--near-field")
    mats = [mat for _, mat, _ in layers]
    if args.layers is None:
        spectra = particle_spectra(mats[0], mats[1], args.r_core, args.t_shell, wavelength, args.env,
                                   pattern_wavelength=args.pattern_wavelength)
        title = f"{mats[0].name} core r = {args.r_core:g} nm, {mats[1].name} shell t = {args.t_shell:g} nm"
    else:
        spectra = layered_particle_spectra(mats, [r for _, _, r in layers], wavelength, args.env,
                                           pattern_wavelength=args.pattern_wavelength)
        title = " / ".join(f"{mat.name} to {r:g} nm" for _, mat, r in layers)
    result = spectra.to_dict()
    if spectra.pattern is not None:
        result["pattern"] = spectra.pattern.to_dict()
    if args.json:
        print(json.dumps(result, default=json_default))
    elif args.csv:
        sys.stdout.write(spectra.to_csv())
    else:
        _print_table(result)
    if out is not None:
        files = plot_particle(spectra, out, title=title)
        if args.near_field is not None:
            files["near_field"] = _near_field_map(mats, [r for _, r in spectra.layers], args, out)
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if not k.startswith("_")
                  and k != "func"}
        meta = provenance(config, materials=[mat.describe() for mat in mats])
        table = write_bytes_atomic(out / "spectra.csv", spectra.to_csv().encode())
        record = write_json_atomic(out / "mie.json", {"provenance": meta, "result": result})
        wrote(*files.values(), table, record)
    return 0


def _near_field_map(mats, radii, args, out):
    from kerker.mie import near_field_xz
    from kerker.report import plot_near_field_xz

    grid = near_field_xz(mats, [radii], args.near_field, points_per_axis=args.near_field_points, env=args.env)
    names = [mat.name for mat in mats]
    plot_near_field_xz(grid.x, grid.z, grid.intensity[0, 0], radii, materials=names, wavelength=args.near_field,
                       out=out / "near_field.png")
    return out / "near_field.png"


def _particle(args) -> list[tuple[str, object, float | None]]:
    """(option, material, outer radius or None) per layer, from --layers or --core/--shell/--r-core/--t-shell."""
    core_shell = {"--core": args.core, "--shell": args.shell, "--r-core": args.r_core, "--t-shell": args.t_shell}
    given = [k for k, v in core_shell.items() if v is not None]
    if args.layers is not None:
        if given:
            raise ValueError(f"--layers describes the whole particle: drop {', '.join(given)}")
        layers = []
        for k, item in enumerate(args.layers.split(",")):
            name, sep, radius = item.strip().rpartition(":")
            try:
                r = float(radius)
            except ValueError:
                r = float("nan")
            if not sep or not name or not np.isfinite(r):
                raise ValueError(f"--layers: entry {k + 1} must be MATERIAL:RADIUS with a finite radius in nm "
                                 f"(e.g. Ag:20,SiO2:35,Si:80); received {item!r}")
            layers.append((f"--layers entry {k + 1} ({name})", material_arg(name, f"--layers entry {k + 1}",
                                                                            args.extrapolate), r))
        return layers  # the radii's rules are the library's (kerker.efficiencies_layered names them)
    missing = [k for k, v in core_shell.items() if v is None]
    if missing:
        raise ValueError(f"--core, --shell, --r-core and --t-shell are required unless --layers gives the particle; missing {', '.join(missing)}")
    return [("--core", material_arg(args.core, "--core", args.extrapolate), None),
            ("--shell", material_arg(args.shell, "--shell", args.extrapolate), None)]


def _print_table(result: dict, every: int = 1) -> None:
    cols = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")
    print(f"{'wavelength_nm':>13} " + " ".join(f"{c:>10}" for c in cols))
    for i in range(0, len(result["wavelength_nm"]), every):
        print(f"{result['wavelength_nm'][i]:13.2f} " + " ".join(f"{result[c][i]:10.5f}" for c in cols))


def _run_demo(args) -> int:
    from kerker.report import DemoConfig, run_demo

    given = dict(kerker_starts=args.starts, targets=args.targets, generations=args.generations)
    options = dict(wavelength=args.wavelength, weight=args.weight, seed=args.seed,
                   **{k: v for k, v in given.items() if v is not None})
    config = DemoConfig.quick(**options) if args.quick else DemoConfig(**options)
    out = output_dir(args.out)
    print(f"kerker demo: Mie spectrum, Kerker study ({config.kerker_starts} starts), inverse design "
          f"({config.targets} targets), lattice optimization -> {out / 'report.html'}", file=sys.stderr, flush=True)
    run = run_demo(out, config, log=log_line)
    best = run.results["Kerker study"]
    print(f"Kerker study: best shell {best['best_shell']}, r_core = {best['r_core']:.2f} nm, "
          f"t_shell = {best['t_shell']:.2f} nm -> Q_fwd = {best['q_fwd']:.4f}, Q_back = {best['q_back']:.4f}, "
          f"loss = {best['loss']:.4f}")
    for row in run.results["inverse design"]["table"]:
        print(f"inverse design: {row['method']:16s} rMAE {row['rMAE mean (%)']:.3f} % over {row['targets']} targets, "
              f"{row['s / target']:.1f} s/target")
    print("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in run.timings.items()))
    wrote(run.report)
    return 0
