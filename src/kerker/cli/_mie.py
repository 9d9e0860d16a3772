"""``kerker mie`` (one particle: spectra, multipoles, radiation pattern) and ``kerker demo``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

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
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="example:\n  kerker mie --core Si --shell SiO2 --r-core 86 --t-shell 36 --pattern-wavelength 705 --out out/",
    )
    mie.add_argument("--core", required=True, help="core material name (see `kerker materials`)")
    mie.add_argument("--shell", required=True, help="shell material name")
    mie.add_argument("--r-core", type=float, required=True, help="core radius in nm (> 0)")
    mie.add_argument("--t-shell", type=float, required=True, help="shell thickness in nm (>= 0)")
    _wavelength_arguments(mie)
    mie.add_argument("--env", type=float, default=1.0, help="refractive index of the medium (default 1, vacuum)")
    mie.add_argument(
        "--extrapolate",
        choices=("error", "hold"),
        default="error",
        help="outside a material's data range: refuse (default) or hold the end value (the paper's TiO2 < 430 nm)",
    )
    mie.add_argument("--pattern-wavelength", type=float, help="wavelength (nm) of the radiation-pattern plot")
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
    demo.add_argument("--wavelength", type=float, default=705.0, help="design wavelength in nm (default 705, as in the paper)")
    demo.add_argument("--weight", type=float, default=1.0, help="backscattering weight w (default 1)")
    demo.add_argument("--starts", type=int, default=64, help="number of random starts (default 64)")
    demo.add_argument("--steps", type=int, default=150, help="Adam steps (default 150)")
    demo.add_argument("--seed", type=int, default=0, help="seed of the random starts")
    demo.add_argument("--out", type=Path, default=Path("results/demo"), help="output directory")
    demo.set_defaults(func=_run_demo)


def _wavelength_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--wl-min", type=float, default=400.0, help="first wavelength in nm (default 400)")
    parser.add_argument("--wl-max", type=float, default=800.0, help="last wavelength in nm (default 800)")
    parser.add_argument("--n-wl", type=int, default=201, help="number of wavelengths (default 201)")


def _particle_report(core, shell, r_core, t_shell, wavelength, pattern_wavelength, env, out, title):
    """Compute spectra, multipoles and pattern of one particle; write plots and JSON to ``out``."""
    from kerker.mie import efficiencies, multipoles, scattering_pattern
    from kerker.report import plot_radiation_pattern, plot_spectra, provenance, write_json_atomic

    q = efficiencies(core, shell, r_core, t_shell, wavelength, env)
    mp = multipoles(core, shell, r_core, t_shell, wavelength, env)
    spectra = {name: getattr(q, name)[0] for name in ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")}
    result = {
        "wavelength_nm": wavelength,
        **spectra,
        "q_sca_ED": mp.electric[0, :, 0],
        "q_sca_MD": mp.magnetic[0, :, 0],
        "q_sca_EQ": mp.electric[0, :, 1],
        "q_sca_MQ": mp.magnetic[0, :, 1],
    }
    if out is None:
        return result, None
    files = {
        "spectrum": plot_spectra(
            wavelength,
            {"Q_fwd": spectra["q_fwd"], "Q_back": spectra["q_back"], "Q_sca": spectra["q_sca"]},
            out / "spectrum.png",
            title=title,
            marker_wavelength=pattern_wavelength,
        )
    }
    if pattern_wavelength is not None:
        theta = np.linspace(0.0, np.pi, 361)
        s1, s2, q_diff = scattering_pattern(core, shell, r_core, t_shell, [pattern_wavelength], theta, env)
        x2 = (2 * np.pi * env * (r_core + t_shell) / pattern_wavelength) ** 2
        files["pattern"] = plot_radiation_pattern(
            theta,
            {
                "unpolarised": q_diff[0, 0],
                "perpendicular |S1|^2": 4 * np.abs(s1[0, 0]) ** 2 / x2,
                "parallel |S2|^2": 4 * np.abs(s2[0, 0]) ** 2 / x2,
            },
            out / "pattern.png",
            title=f"{title}\nλ = {pattern_wavelength:g} nm (differential efficiency)",
        )
    return result, files


def _material_provenance(*names, extrapolate="error"):
    from kerker.materials import material

    return [material(n).with_extrapolation(extrapolate).describe() for n in dict.fromkeys(names)]


def _run_mie(args) -> int:
    from kerker.materials import material
    from kerker.report import provenance, write_json_atomic

    wavelength = np.linspace(args.wl_min, args.wl_max, args.n_wl)
    core = material(args.core).with_extrapolation(args.extrapolate)
    shell = material(args.shell).with_extrapolation(args.extrapolate)
    title = f"{core.name} core r = {args.r_core:g} nm, {shell.name} shell t = {args.t_shell:g} nm"
    result, files = _particle_report(
        core, shell, args.r_core, args.t_shell, wavelength, args.pattern_wavelength, args.env, args.out, title
    )
    if args.json:
        print(json.dumps({k: np.asarray(v).tolist() for k, v in result.items()}))
    else:
        _print_table(result)
    if args.out is not None:
        config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"}
        meta = provenance(config, materials=[core.describe(), shell.describe()])
        write_json_atomic(args.out / "mie.json", {"provenance": meta, "result": result})
        for path in files.values():
            print(f"wrote {path}")
    return 0


def _print_table(result: dict, every: int = 1) -> None:
    cols = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")
    print(f"{'wavelength_nm':>13} " + " ".join(f"{c:>10}" for c in cols))
    for i in range(0, len(result["wavelength_nm"]), every):
        print(f"{result['wavelength_nm'][i]:13.2f} " + " ".join(f"{result[c][i]:10.5f}" for c in cols))


def _run_demo(args) -> int:
    from kerker.design import optimize_directional
    from kerker.report import provenance, write_json_atomic

    core, shell = "Si", "SiO2"
    print(
        f"kerker demo: minimising -Q_fwd + {args.weight:g} Q_back at {args.wavelength:g} nm for a {core} core in a "
        f"{shell} shell\n  {args.starts} random starts x {args.steps} Adam steps, gradients through exact Mie theory"
    )
    res = optimize_directional(
        core, shell, args.wavelength, weight=args.weight, n_starts=args.starts, steps=args.steps, seed=args.seed
    )
    r_core, t_shell = float(res.r_core[0]), float(res.t_shell[0])
    print(
        f"best design: r_core = {r_core:.2f} nm, t_shell = {t_shell:.2f} nm -> "
        f"Q_fwd = {res.q_fwd[0]:.4f}, Q_back = {res.q_back[0]:.4f}, "
        f"Q_fwd/Q_back = {res.q_fwd[0] / res.q_back[0]:.2f}, loss = {res.loss[0]:.4f}"
    )
    distinct = np.unique(np.round(np.stack([res.r_core, res.t_shell], 1), 0), axis=0)
    print(f"{len(distinct)} distinct local optima (rounded to 1 nm) among {args.starts} starts")
    wavelength = np.linspace(400.0, 800.0, 201)
    title = f"{core} core r = {r_core:.1f} nm, {shell} shell t = {t_shell:.1f} nm"
    result, files = _particle_report(core, shell, r_core, t_shell, wavelength, args.wavelength, 1.0, args.out, title)
    _print_table(result, every=25)
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "func"}
    meta = provenance(config, seed=args.seed, materials=_material_provenance(core, shell))
    payload = {
        "provenance": meta,
        "best": {"core": core, "shell": shell, "r_core_nm": r_core, "t_shell_nm": t_shell,
                 "q_fwd": float(res.q_fwd[0]), "q_back": float(res.q_back[0]), "loss": float(res.loss[0])},
        "all_starts": {"r_core_nm": res.r_core, "t_shell_nm": res.t_shell, "loss": res.loss},
        "spectra": result,
    }
    write_json_atomic(args.out / "demo.json", payload)
    for path in (*files.values(), args.out / "demo.json"):
        print(f"wrote {path}")
    return 0
