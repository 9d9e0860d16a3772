"""``kerker dataset build`` (exact-Mie core-shell dataset, resumable) and ``kerker dataset info``."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from kerker.cli._io import (
    add_executor_options,
    add_extrapolate,
    check_wavelengths,
    count,
    input_file,
    is_yaml_path,
    open_executor,
    output_file,
    real,
)

_DESCRIPTION = (
    "Compute Q_fwd, Q_back, Q_ext, Q_sca and Q_abs of core-shell particles with exact Mie theory and "
    "store them in a chunked HDF5 file. Units: radii, thicknesses and wavelengths in nm (vacuum "
    "wavelengths). The default (--config paper) is the paper's set: 7 core x 7 shell materials x 50 core "
    "radii x 50 shell thicknesses (1-100 nm, linspace) = 122,500 particles at 64 wavelengths, 400-800 nm, "
    "in vacuum, TiO2 held at its 430 nm value below 430 nm, split 108,000/12,000/2,500. The build writes "
    "OUT.partial and renames it when complete; an interrupted build (Ctrl-C, kill) resumes when the same "
    "command is run again, with bit-identical results. Options given explicitly override the preset.\n\n"
    "Wavelengths outside a material's data are refused (--extrapolate error), as in every kerker command, "
    "except for a preset's own materials and wavelengths: the presets hold the end values there (hold: the "
    "paper's TiO2 below 430 nm). Give --materials, --wl-min or --wl-max and the default is error again; "
    "--extrapolate says it explicitly. The build first checks that the file and its particle table fit on the "
    "disk and in memory."
)


def register(subparsers) -> None:
    """Add the ``dataset`` command group (``build``, ``info``)."""
    from kerker.dataset import PRESETS

    group = subparsers.add_parser(
        "dataset", help="build or inspect the core-shell Mie dataset (sizes and wavelengths in nm)"
    )
    sub = group.add_subparsers(dest="dataset_command", metavar="SUBCOMMAND")  # without one: the group's help

    build = sub.add_parser(
        "build",
        help="compute a core-shell efficiency dataset with exact Mie theory (resumable)",
        description=_DESCRIPTION,
        epilog=(
            "examples:\n"
            "  kerker dataset build                                   # the paper's set -> data/coreshell.h5\n"
            "  kerker dataset build --config offgrid --out data/offgrid.h5\n"
            "  kerker dataset build --materials Si SiO2 --n-r-core 20 --n-t-shell 20 --out data/si.h5\n"
            "  kerker dataset build --sampling random --n-particles 10000 --seed 3 --out data/random.h5\n"
            "  kerker dataset build --workers 4                       # the same file, chunks on 4 Dask workers\n"
            "  kerker dataset build --scheduler tcp://10.0.0.5:8786   # ... on a running Dask cluster"
        ),
    )
    build.add_argument(
        "--out", type=Path, default=Path("data/coreshell.h5"), help="output HDF5 file"
    )
    build.add_argument(
        "--config",
        choices=sorted(PRESETS),
        default="paper",
        help="preset: paper (default; 122,500 particles), offgrid (2,500 random off-grid particles, all in the test "
        "split, seed 1), tiny (a seconds-long smoke set)",
    )
    build.add_argument(
        "--materials", nargs="+", metavar="NAME", help="shipped material names (default: the preset's)"
    )
    build.add_argument("--sampling", choices=("grid", "random"), help="full grid or uniform random (off-grid) sizes")
    build.add_argument("--n-r-core", type=count(1), help="grid points of the core radius")
    build.add_argument("--n-t-shell", type=count(1), help="grid points of the shell thickness")
    build.add_argument("--r-core-min", type=real(), help="smallest core radius in nm (> 0)")
    build.add_argument("--r-core-max", type=real(), help="largest core radius in nm")
    build.add_argument("--t-shell-min", type=real(), help="smallest shell thickness in nm (>= 0)")
    build.add_argument("--t-shell-max", type=real(), help="largest shell thickness in nm")
    build.add_argument("--n-particles", type=count(1), help="number of particles (random sampling only)")
    build.add_argument("--wl-min", type=real(above=0), help="first wavelength in nm")
    build.add_argument("--wl-max", type=real(above=0), help="last wavelength in nm")
    build.add_argument("--n-wl", type=count(1), help="number of wavelengths (linspace)")
    build.add_argument("--env", type=real(), help="refractive index of the medium (paper: 1, vacuum)")
    add_extrapolate(
        build, default=None, extra="; default: the preset's (hold) for its own materials and wavelengths, else error"
    )
    build.add_argument(
        "--split", type=count(0), nargs=3, metavar=("TRAIN", "VAL", "TEST"), help="split sizes (must add up to N)"
    )
    build.add_argument("--seed", type=count(0), help="seed of the split (and of random particles)")
    build.add_argument(
        "--chunk-size", type=count(1), help="particles per chunk, the unit of resumption (default: 4096)"
    )
    build.add_argument(
        "--dtype", choices=("float32", "float64"), help="storage type of the efficiencies (default: float32)"
    )
    build.add_argument("--quiet", action="store_true", help="no progress output")
    add_executor_options(build, "chunks")
    build.set_defaults(func=_run_build, _fields=_FIELD_OPTIONS)

    info = sub.add_parser("info", help="summary of a dataset file: config, sizes, provenance, fingerprint")
    info.add_argument("path", type=Path, help="HDF5 dataset file")
    info.add_argument("--json", action="store_true", help="print the full metadata as JSON")
    info.set_defaults(func=_run_info)

    verify = sub.add_parser(
        "verify",
        help="check every chunk of a dataset file against the SHA-256 recorded when it was written",
        description=(
            "Read the whole dataset file (a complete one, or an unfinished OUT.partial: its finished chunks) and "
            "compare the header and every chunk of every array with the SHA-256 recorded when it was written. "
            "Prints each damaged array and chunk with its particle range. Exit status: 0 intact, 1 damaged, "
            "2 not a readable kerker dataset."
        ),
    )
    verify.add_argument("path", type=Path, help="HDF5 dataset file")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(func=_run_verify)


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


# DatasetConfig field -> the option(s) that set it, for messages (kerker.cli.main)
_FIELD_OPTIONS = {
    **{field: "--" + arg.replace("_", "-") for arg, field in _OVERRIDES.items()},
    "r_core_range": "--r-core-min/--r-core-max",
    "t_shell_range": "--t-shell-min/--t-shell-max",
}


def _materials(args, preset) -> tuple[str, ...]:
    """The shipped materials of the build (``--materials`` or the preset's); other names refused with the fix."""
    from kerker.materials import available, material

    if args.materials is None:
        return preset.materials
    known = {name.lower() for name in available()}
    for name in args.materials:
        if is_yaml_path(name):
            raise ValueError(
                f"--materials {name}: a dataset records its materials by name, so it takes shipped materials only "
                f"({', '.join(available())}); YAML files are accepted by `kerker mie` and `kerker materials --plot`"
            )
        if name.strip().lower() not in known:
            raise ValueError(
                f"--materials: unknown material {name!r}; shipped materials are {', '.join(available())} "
                "(see `kerker materials`)"
            )
    return tuple(material(name).name for name in args.materials)


def config_from_args(args):
    """The DatasetConfig of a ``dataset build`` command line: the preset with the options given.

    ``--extrapolate`` defaults to the preset's policy (hold) only while the preset's
    materials and wavelength range are kept; otherwise to error, as in every command.
    Wavelengths outside a material's data under error are refused here, naming the options.
    """
    from kerker.dataset import PRESETS, DatasetConfig
    from kerker.materials import material

    preset = PRESETS[args.config]
    overrides = {name: getattr(args, arg) for arg, name in _OVERRIDES.items() if getattr(args, arg) is not None}
    for axis in ("r_core", "t_shell"):
        lo, hi = getattr(args, f"{axis}_min"), getattr(args, f"{axis}_max")
        if lo is not None or hi is not None:
            overrides[f"{axis}_range"] = (lo, hi)  # an end left None keeps the preset's
    materials = _materials(args, preset)
    sampling = args.sampling or preset.sampling
    if sampling == "grid" and args.n_particles is not None:
        raise ValueError(
            f"--n-particles {args.n_particles} applies to random sampling; a grid has materials^2 x --n-r-core x "
            "--n-t-shell particles. Drop --n-particles or add --sampling random"
        )
    if args.extrapolate is None:
        own_data = args.materials is None and args.wl_min is None and args.wl_max is None
        overrides["extrapolation"] = preset.extrapolation if own_data else "error"
    if "materials" in overrides:
        overrides["materials"] = materials
    wl_min = preset.wavelength_min if args.wl_min is None else args.wl_min
    wl_max = preset.wavelength_max if args.wl_max is None else args.wl_max
    if overrides.get("extrapolation", preset.extrapolation) == "error":
        for name in materials:
            check_wavelengths(material(name), "--materials", wl_min, wl_max, what="--wl-min/--wl-max")
    return DatasetConfig.from_preset(args.config, **overrides)


def _size(n_bytes: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB", "TB", "PB"):
        if n_bytes < 1000 or unit == "PB":
            return f"{n_bytes:.3g} {unit}" if unit != "bytes" else f"{n_bytes:.0f} bytes"
        n_bytes /= 1000


# Memory of the particle table while building, per particle: core/shell indices and sizes
# (int64/float64, with the grid's temporaries and the int8/float64 copies written to the
# file) and the split permutation.
_TABLE_BYTES_PER_PARTICLE = 96


def _check_fits(config, out: Path) -> None:
    """Refuse, before anything is allocated, a file larger than the free disk or a particle table larger than memory."""
    n, w = config.size, config.n_wavelengths
    itemsize = 4 if config.dtype == "float32" else 8
    # r_core, t_shell (float64), two int8 indices, a split index (int64), five targets
    file_bytes = n * (8 + 8 + 1 + 1 + 8 + 5 * w * itemsize)
    table_bytes = n * _TABLE_BYTES_PER_PARTICLE
    folder = out.absolute().parent
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    started = out.exists() or out.with_name(out.name + ".partial").exists()  # its space is taken already
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not on this platform: no memory check
        memory = None
    problems = []
    if not started and file_bytes > free:
        problems.append(f"about {_size(file_bytes)} on disk, but {folder} has {_size(free)} free")
    if memory is not None and table_bytes > memory:
        problems.append(f"about {_size(table_bytes)} of memory for its particle table, but this machine has "
                        f"{_size(memory)}")
    if problems:
        raise ValueError(
            f"the requested dataset has {n:,} particles x {w} wavelengths: it needs {' and '.join(problems)}; ask "
            "for fewer particles (--n-r-core, --n-t-shell, --materials, --n-particles) or wavelengths (--n-wl)"
        )


def _run_build(args) -> int:
    from kerker.dataset import build_dataset

    out = output_file(args.out)
    config = config_from_args(args)
    _check_fits(config, out)
    if not args.quiet:
        print(
            f"kerker dataset build: {config.size:,} particles ({config.sampling}) x {config.n_wavelengths} wavelengths "
            f"({config.wavelength_min:g}-{config.wavelength_max:g} nm), {len(config.materials)} materials, "
            f"{config.n_chunks} chunks of {config.chunk_size} -> {out}",
            file=sys.stderr,
            flush=True,
        )
        if config.extrapolation == "hold":
            _print_held(config)
    with open_executor(args) as executor:
        build_dataset(out, config, progress=not args.quiet, executor=executor)
    return 0


def _print_held(config) -> None:
    """Say on stderr which materials are held at an end value (``dataset info`` lists them from the file)."""
    from kerker.materials import material

    wl = config.wavelength()
    for name in config.materials:
        lo, hi = material(name).wavelength_range
        held = wl[(wl < lo) | (wl > hi)]
        if held.size:
            print(
                f"  --extrapolate hold: {name} (data {lo:g}-{hi:g} nm) is held at its end value for {held.size} of "
                f"{wl.size} wavelengths ({held.min():g}-{held.max():g} nm)",
                file=sys.stderr,
            )


def _run_info(args) -> int:
    from kerker.dataset import open_dataset

    ds = open_dataset(input_file(args.path, "", what="dataset file", must_exist=False))
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


def _run_verify(args) -> int:
    from kerker.dataset import verify_dataset

    result = verify_dataset(args.path)
    damaged = result["damaged"]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        done = f"{result['chunks_done']}/{result['n_chunks']}"
        state = "complete" if result["complete"] else f"unfinished, {done} chunks done"
        for record in damaged:
            print(f"damaged  {record['where']}")
        verdict = f"{len(damaged)} damaged" if damaged else "intact"
        print(f"{args.path}: {verdict} ({state}; {result['blocks_checked']} blocks of header and "
              f"{len(result['arrays']) - 1} arrays checked against their SHA-256)")
    if damaged:
        from kerker.dataset import TARGETS

        healable = not result["complete"] and all(record["array"] in TARGETS for record in damaged)
        fix = ("run the same `kerker dataset build` command again: it recomputes them" if healable
               else "delete it and build it again")
        print(f"kerker dataset verify: {args.path} is damaged ({len(damaged)} blocks); {fix}", file=sys.stderr)
        return 1
    return 0
