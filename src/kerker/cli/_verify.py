"""``kerker lattice verify``: full-wave check of lattices with treams (optional extra).

Parse arguments, build a :class:`kerker.verify.VerifyConfig`, call the library, write the
JSON and the figures; no physics here. Registers itself under the ``lattice`` command
group (:func:`kerker.cli._groups.command_group`).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from kerker.cli._groups import command_group
from kerker.cli._io import complex_number, count, log_line, output_dir, real, wrote

_NAMED_TAUS = ("square", "tau_star", "hexagonal", "rectangular")

_DESCRIPTION = (
    "Solve a monolayer of identical dielectric spheres in vacuum on the lattice a(1, tau) at fixed cell area "
    "with the T-matrix solver treams (optional extra: pip install 'kerker[verify]'). For each lattice: "
    "reflectance R and transmittance T of x/y (s/p) polarized plane waves over wavelength (nm) and angle of "
    "incidence (deg), the anisotropy contrast maps |R_x - R_y| and |T_x - T_y|, the check R + T = 1, and the "
    "convergence in multipole order lmax and in the kept diffraction orders. Then the bridge: the long-wavelength "
    "normal-incidence polarization splitting over 16 lattices at equal area against the quasi-static y|G2*(tau)| "
    "of kerker.lattice, with Pearson and Spearman correlations. Writes verify.json (config, provenance, data) and "
    "verify_contrast_maps.png, verify_spectra.png, verify_bridge.png. Defaults: n = 3.5, radius 100 nm, area "
    "400^2 nm^2, 500-1500 nm in 101 steps, 0-40 deg in 9 steps, lmax 3; lattices i, tau*, exp(i pi/3), 1.5i."
)


def _tau(text: str):
    if text in _NAMED_TAUS:
        return text
    return complex_number(text)


def _angles(text: str) -> tuple:
    try:
        start, stop, num = text.split(":")
        start, stop, num = float(start), float(stop), int(num)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected START:STOP:N in degrees, e.g. 0:40:9; received {text!r}") from None
    if not (np.isfinite(start) and np.isfinite(stop) and num >= 1):
        raise argparse.ArgumentTypeError(
            f"START:STOP:N needs finite angles in degrees and N >= 1, e.g. 0:40:9; received {text!r}"
        )
    return tuple(float(v) for v in np.linspace(start, stop, num))


def register(subparsers) -> None:
    """Add ``verify`` to the ``lattice`` command group of ``subparsers``."""
    p = command_group(subparsers, "lattice").add_parser(
        "verify",
        help="full-wave check with treams: R/T maps, |R_x - R_y| contrast, splitting vs y|G2*| (optional extra)",
        description=_DESCRIPTION,
    )
    p.add_argument("--out", default="results/verify", help="folder for verify.json")
    p.add_argument("--figures", default=None, help="folder for the PNGs (default: the --out folder)")
    p.add_argument("--radius", type=real(), default=100.0, help="sphere radius in nm")
    p.add_argument("--index", type=real(), default=3.5, help="sphere refractive index, lossless")
    p.add_argument(
        "--area",
        type=real(),
        default=160000.0,
        help="cell area in nm^2, equal for every tau (default: 160000 = 400^2; must keep spheres apart)",
    )
    p.add_argument("--wl-min", type=real(), default=500.0, help="shortest wavelength of the maps in nm")
    p.add_argument("--wl-max", type=real(), default=1500.0, help="longest wavelength of the maps in nm")
    p.add_argument("--n-wl", type=count(1), default=101, help="number of wavelengths (--quick: 11)")
    p.add_argument(
        "--angles",
        type=_angles,
        default=_angles("0:40:9"),
        help="angles of incidence START:STOP:N in degrees (default: 0:40:9; --quick: 0, 20, 40)",
    )
    p.add_argument("--lmax", type=count(1), default=3, help="multipole order of the sphere T-matrix")
    p.add_argument(
        "--tau",
        type=_tau,
        action="append",
        default=None,
        help="lattice of the maps (repeatable): a complex number like 0.5+1.2j or one of "
        + ", ".join(_NAMED_TAUS)
        + " (default: all four named ones)",
    )
    p.add_argument(
        "--bridge-wavelength", type=real(), default=3000.0, help="headline wavelength of the bridge in nm"
    )
    p.add_argument(
        "--workers", type=count(1), default=1, help="processes for the maps (default: 1; 2 on a 2-core machine)"
    )
    p.add_argument(
        "--skip",
        choices=("maps", "bridge", "convergence"),
        action="append",
        default=[],
        help="leave out one part (repeatable)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke-test settings: 11 wavelengths, 3 angles, bridge at 3000 nm only, lmax 2-3 convergence",
    )
    p.set_defaults(func=_cmd_verify)


def _config(args):
    from kerker.verify import DEFAULT_LATTICES, MonolayerConfig, VerifyConfig

    named = dict(DEFAULT_LATTICES)
    if args.tau:
        lattices = tuple((t, named[t]) if isinstance(t, str) else (f"tau={t.real:g}{t.imag:+g}i", t) for t in args.tau)
    else:
        lattices = DEFAULT_LATTICES
    extra = {}
    if args.quick:
        extra = {
            "n_wl": 11,
            "angles_deg": (0.0, 20.0, 40.0),
            "bridge_wavelengths": (args.bridge_wavelength,),
            "convergence_wavelengths": (600.0,),
            "convergence_lmax": (2, 3),
        }
    bridge_wl = VerifyConfig.bridge_wavelengths
    if args.bridge_wavelength not in bridge_wl:
        bridge_wl = tuple(sorted((*bridge_wl, args.bridge_wavelength)))
    kw = {
        "monolayer": MonolayerConfig(radius=args.radius, index=args.index, area=args.area, lmax=args.lmax),
        "lattices": lattices,
        "wl_min": args.wl_min,
        "wl_max": args.wl_max,
        "n_wl": args.n_wl,
        "angles_deg": args.angles,
        "bridge_wavelengths": bridge_wl,
        "bridge_wavelength": args.bridge_wavelength,
        "workers": args.workers,
        "skip": tuple(args.skip),
    }
    kw.update(extra)
    return VerifyConfig(**kw)


def _print_summary(payload) -> None:
    for name, s in payload.get("summary", {}).items():
        print(
            f"{name:<22} max|R_x-R_y| s-family {s['s']['max_contrast_R']:.3e}  p-family {s['p']['max_contrast_R']:.3e}  "
            f"at normal incidence {s['s']['max_contrast_R_normal_incidence']:.3e}  max|R+T-1| {s['energy_error']:.1e}"
        )
    if "bridge" in payload:
        b = payload["bridge"]
        print("bridge: wavelength  Pearson(|t1-t2|, y|G2*|)  Spearman  Pearson(D, y^1.5|S32|)  slope(D vs y^1.5|S32|)")
        for c1, c2 in zip(b["correlation_t_split_vs_rod"], b["correlation_dipole_measured_vs_dipole"]):
            print(
                f"        {c1['wavelength']:8.0f}  {c1['pearson']:22.5f}  {c1['spearman']:8.4f}  {c2['pearson']:20.7f}  "
                f"{c2['slope']:10.4f}"
            )
    for c in payload.get("convergence", []):
        lm = ", ".join(f"{r['lmax']}: {r['max_abs_diff']:.1e}" for r in c["lmax"])
        dr = ", ".join(
            f"{r['diffraction_radius']:g}: {r['max_abs_diff']:.1e} ({r['energy_error']:.0e})" for r in c["diffraction"]
        )
        print(f"convergence tau={c['tau'][0]:g}{c['tau'][1]:+.4f}i  max|dR|,|dT| vs lmax {{{lm}}}  vs orders {{{dr}}}")


def _cmd_verify(args) -> int:
    from kerker.verify import require_treams

    try:
        require_treams()
    except ModuleNotFoundError as err:
        print(f"kerker lattice verify: error: {err}", file=sys.stderr)
        return 2
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.report import plot_verification
    from kerker.verify import figure_data, run_verification, treams_version

    out = output_dir(args.out)
    figures = output_dir(args.figures, "--figures") if args.figures else out
    config = _config(args)
    t0 = time.perf_counter()
    payload, objects = run_verification(config, progress=log_line)
    wall = time.perf_counter() - t0
    payload["meta"] = provenance(payload["config"])
    payload["meta"].update({"treams": treams_version(), "wall_time_s": wall, "command": " ".join(sys.argv)})
    path = write_json_atomic(out / "verify.json", payload)
    files = plot_verification(figure_data(payload, objects), figures)
    _print_summary(payload)
    print(f"wall time {wall:.1f} s (computation; figures excluded)")
    wrote(path, *files)
    return 0
