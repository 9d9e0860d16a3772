"""``kerker dataset build`` (exact-Mie core-shell dataset, resumable) and ``kerker dataset info``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

_DESCRIPTION = (
    "Compute Q_fwd, Q_back, Q_ext, Q_sca and Q_abs of core-shell particles with exact Mie theory and "
    "store them in a chunked HDF5 file. Units: radii, thicknesses and wavelengths in nm (vacuum "
    "wavelengths). The default (--config paper) is the paper's set: 7 core x 7 shell materials x 50 core "
    "radii x 50 shell thicknesses (1-100 nm, linspace) = 122,500 particles at 64 wavelengths, 400-800 nm, "
    "in vacuum, TiO2 held at its 430 nm value below 430 nm, split 108,000/12,000/2,500. The build writes "
    "OUT.partial and renames it when complete; an interrupted build (Ctrl-C, kill) resumes when the same "
    "command is run again, with bit-identical results. Options given explicitly override the preset."
)


def register(subparsers) -> None:
    """Add the ``dataset`` command group (``build``, ``info``)."""
    from kerker.dataset import PRESETS

    group = subparsers.add_parser(
        "dataset", help="build or inspect the core-shell Mie dataset (sizes and wavelengths in nm)"
    )
    sub = group.add_subparsers(dest="dataset_command", metavar="SUBCOMMAND")
    sub.required = True

    build = sub.add_parser(
        "build",
        help="compute a core-shell efficiency dataset with exact Mie theory (resumable)",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "examples:\n"
            "  kerker dataset build                                   # the paper's set -> data/coreshell.h5\n"
            "  kerker dataset build --config offgrid --out data/offgrid.h5\n"
            "  kerker dataset build --materials Si SiO2 --n-r-core 20 --n-t-shell 20 --out data/si.h5\n"
            "  kerker dataset build --sampling random --n-particles 10000 --seed 3 --out data/random.h5"
        ),
    )
    build.add_argument(
        "--out", type=Path, default=Path("data/coreshell.h5"), help="output HDF5 file (default data/coreshell.h5)"
    )
    build.add_argument(
        "--config",
        choices=sorted(PRESETS),
        default="paper",
        help="preset: paper (default; 122,500 particles), offgrid (2,500 random off-grid particles, all in the test "
        "split, seed 1), tiny (a seconds-long smoke set)",
    )
    build.add_argument("--materials", nargs="+", metavar="NAME", help="material names (default: the preset's)")
    build.add_argument("--sampling", choices=("grid", "random"), help="full grid or uniform random (off-grid) sizes")
    build.add_argument("--n-r-core", type=int, help="grid points of the core radius")
    build.add_argument("--n-t-shell", type=int, help="grid points of the shell thickness")
    build.add_argument("--r-core-min", type=float, help="smallest core radius in nm (> 0)")
    build.add_argument("--r-core-max", type=float, help="largest core radius in nm")
    build.add_argument("--t-shell-min", type=float, help="smallest shell thickness in nm (>= 0)")
    build.add_argument("--t-shell-max", type=float, help="largest shell thickness in nm")
    build.add_argument("--n-particles", type=int, help="number of particles (random sampling only)")
    build.add_argument("--wl-min", type=float, help="first wavelength in nm")
    build.add_argument("--wl-max", type=float, help="last wavelength in nm")
    build.add_argument("--n-wl", type=int, help="number of wavelengths (linspace)")
    build.add_argument("--env", type=float, help="refractive index of the medium (paper: 1, vacuum)")
    build.add_argument(
        "--extrapolate",
        choices=("hold", "error"),
        help="outside a material's data: hold the end value (default; the paper's TiO2 < 430 nm) or refuse",
    )
    build.add_argument(
        "--split", type=int, nargs=3, metavar=("TRAIN", "VAL", "TEST"), help="split sizes (must add up to N)"
    )
    build.add_argument("--seed", type=int, help="seed of the split (and of random particles)")
    build.add_argument("--chunk-size", type=int, help="particles per chunk, the unit of resumption (default 4096)")
    build.add_argument(
        "--dtype", choices=("float32", "float64"), help="storage type of the efficiencies (default float32)"
    )
    build.add_argument("--quiet", action="store_true", help="no progress output")
    build.set_defaults(func=_run_build)

    info = sub.add_parser("info", help="summary of a dataset file: config, sizes, provenance, fingerprint")
    info.add_argument("path", type=Path, help="HDF5 dataset file")
    info.add_argument("--json", action="store_true", help="print the full metadata as JSON")
    info.set_defaults(func=_run_info)


# option (argparse dest) -> DatasetConfig field
_OVERRIDES = {
    "materials": "materials",
    "sampling": "sampling",
    "n_r_core": "n_r_core",
    "n_t_shell": "n_t_shell",
    "n_particles": "n_particles",
    "wl_min": "wavelength_min",
    "wl_max": "wavelength_max",
    "n_wl": "n_wavelengths",
    "env": "env",
    "extrapolate": "extrapolation",
    "split": "split",
    "seed": "seed",
    "chunk_size": "chunk_size",
    "dtype": "dtype",
}


def config_from_args(args):
    """The DatasetConfig of a ``dataset build`` command line: the preset with the options given."""
    from kerker.dataset import DatasetConfig

    overrides = {name: getattr(args, arg) for arg, name in _OVERRIDES.items() if getattr(args, arg) is not None}
    for axis in ("r_core", "t_shell"):
        lo, hi = getattr(args, f"{axis}_min"), getattr(args, f"{axis}_max")
        if lo is not None or hi is not None:
            overrides[f"{axis}_range"] = (lo, hi)  # an end left None keeps the preset's
    return DatasetConfig.from_preset(args.config, **overrides)


def _run_build(args) -> int:
    from kerker.dataset import build_dataset

    config = config_from_args(args)
    if not args.quiet:
        print(
            f"kerker dataset build: {config.size:,} particles ({config.sampling}) x {config.n_wavelengths} wavelengths "
            f"({config.wavelength_min:g}-{config.wavelength_max:g} nm), {len(config.materials)} materials, "
            f"{config.n_chunks} chunks of {config.chunk_size} -> {args.out}",
            flush=True,
        )
    build_dataset(args.out, config, progress=not args.quiet)
    return 0


def _run_info(args) -> int:
    from kerker.dataset import open_dataset

    ds = open_dataset(args.path)
    if args.json:
        print(json.dumps(ds.metadata, indent=2))
        return 0
    cfg = ds.config
    print(repr(ds))
    print(f"fingerprint   {ds.fingerprint}")
    print(
        f"created       {ds.metadata.get('created_utc')}  completed {ds.metadata.get('completed_utc')}  "
        f"kerker {ds.metadata.get('kerker_version')}"
    )
    print(f"wavelengths   {ds.wavelength[0]:g}-{ds.wavelength[-1]:g} nm, {ds.wavelength.size} points")
    print(
        f"r_core        {ds.r_range[0]:g}-{ds.r_range[1]:g} nm   t_shell {ds.t_range[0]:g}-{ds.t_range[1]:g} nm   "
        f"sampling {cfg.sampling}   seed {cfg.seed}"
    )
    for name, entry in ds.metadata["extrapolation"]["materials"].items():
        held = entry["held_wavelengths_nm"]
        print(f"extrapolated  {name}: '{entry['policy']}' at {len(held)} wavelengths ({min(held):g}-{max(held):g} nm)")
    for rec in ds.metadata["materials"]:
        print(f"material      {rec['name']:6s} sha256 {str(rec['sha256'])[:12]}  {rec['source']}")
    print("config        " + json.dumps(cfg.to_dict()))
    return 0
