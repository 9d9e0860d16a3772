"""``kerker design`` (one inverse design), ``kerker benchmark inverse`` (the test-set study) and
``kerker study kerker`` (the Kerker study)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kerker.cli._io import add_executor_options, count, input_file, log_line, open_executor, output_dir, real, wrote

_METHODS = ("latent", "enumerate", "de", "cma")


def register(subparsers) -> None:
    """Add the ``design`` and ``benchmark`` commands."""
    design = subparsers.add_parser(
        "design",
        help="inverse design of a core-shell particle of discrete materials (latent space, enumeration, DE, CMA)",
        description=(
            "Search the core-shell particle (materials from the shipped list, sizes in nm) that minimises an "
            "objective: match a target spectrum read from CSV (columns wavelength,q_fwd,q_back; nm and "
            "differential efficiencies) or the directional loss -Q_fwd + w Q_back at one wavelength. Every final "
            "design is re-scored with exact Mie theory; writes design.json and the spectra and radiation pattern "
            "of the best designs."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  kerker design --directional 705 --fix-core Si --method enumerate --physics exact --out out/\n"
        "  kerker design --target target.csv --method latent --physics surrogate --out out/\n"
        "  kerker design --directional 705 --layers 3 --method enumerate --physics exact --out out/",
    )
    target = design.add_mutually_exclusive_group(required=True)
    target.add_argument("--target", type=Path, help="CSV file with columns wavelength,q_fwd,q_back (nm; efficiencies)")
    target.add_argument("--directional", type=real(above=0.0), metavar="NM", help="design wavelength (nm) of -Q_fwd + w Q_back")
    design.add_argument("--weight", type=real(at_least=0.0), default=1.0, help="backscattering weight w of --directional (default 1)")
    design.add_argument("--method", choices=_METHODS, default="latent", help="search method (default latent)")
    design.add_argument("--physics", choices=("surrogate", "exact"), default="surrogate",
                        help="what scores designs during the search (default surrogate; final scores are exact)")
    design.add_argument("--starts", type=count(1), default=500, help="concurrent starts / population (default 500)")
    design.add_argument("--iterations", type=count(1), default=100, help="iterations / generations (default 100)")
    design.add_argument("--lr", type=real(above=0.0), help="Adam learning rate (default: latent 0.01, enumerate 0.05)")
    design.add_argument("--seed", type=count(0), default=0, help="seed of the starts (default 0)")
    design.add_argument("--fix-core", help="fix the core material (e.g. Si)")
    design.add_argument("--fix-shell", help="fix the shell material")
    design.add_argument("--materials", nargs="+", metavar="NAME", help="allowed materials (default all)")
    design.add_argument("--r-range", type=real(above=0.0), nargs=2, default=(1.0, 100.0), metavar=("LO", "HI"),
                        help="core radius range in nm (default 1 100)")
    design.add_argument("--t-range", type=real(above=0.0), nargs=2, default=(1.0, 100.0), metavar=("LO", "HI"),
                        help="shell thickness range in nm (default 1 100)")
    design.add_argument("--layers", type=count(1, 8), default=2,
                        help="layers of the particle (default 2: core-shell); other counts search on exact Mie theory "
                        "with --method enumerate, de, cma or latent (a generator for 3 layers is shipped; others: "
                        "--generator)")
    design.add_argument("--generator", help="--method latent: a checkpoint of `kerker train wgan` (for --layers L, "
                        "one trained with --layers L) instead of the shipped generator")
    design.add_argument("--fix", nargs="+", metavar="MAT", help="with --layers L: L entries, innermost first, each a "
                        "material or - (free), e.g. --fix Ag - Si")
    design.add_argument("--thickness-range", type=real(above=0.0), nargs=2, default=(1.0, 100.0), metavar=("LO", "HI"),
                        help="with --layers L != 2: the range of every layer's thickness in nm (default 1 100)")
    design.add_argument("--plots", type=count(0), default=3, help="plot the spectra of the best N designs (default 3)")
    design.add_argument("--out", type=Path, required=True, help="output directory")
    design.set_defaults(func=_run_design)

    _register_study(subparsers)
    bench = subparsers.add_parser(
        "benchmark",
        help="studies that compare methods (inverse: the test-set inverse-design study of Soun et al. Fig. 5-6)",
    )
    targets = bench.add_subparsers(dest="target", metavar="STUDY")
    targets.required = True
    inv = targets.add_parser(
        "inverse",
        help="find test-set particles from their exact spectra with several methods; rMAE, time, recovery",
        description=(
            "For M target particles of a dataset split (and optionally M off-grid particles) each method "
            "searches the design whose exact spectra match the target; the found design is re-scored with exact "
            "Mie theory and compared by the rMAE of Q_fwd and Q_back. Per-target results are appended to "
            "OUT/results.jsonl as they finish, so an interrupted run resumes; writes summary.json and histograms."
        ),
    )
    inv.add_argument("--data", type=Path, required=True, help="dataset (kerker dataset build) with the targets")
    inv.add_argument("--off-grid", type=Path, help="an off-grid dataset (kerker dataset build --config offgrid)")
    inv.add_argument("--targets", type=count(1), default=2500, help="targets per set (default 2500, the test split)")
    inv.add_argument("--methods", default="latent-surrogate,latent-exact,enumerate,de,cma",
                     help="comma-separated: latent-surrogate, latent-exact, enumerate, de, cma")
    inv.add_argument("--starts", type=count(1), default=100, help="starts per target of gradient methods (default 100)")
    inv.add_argument("--iterations", type=count(1), default=100, help="Adam iterations (default 100)")
    inv.add_argument("--population", type=count(1), default=100, help="de/cma population (default 100, the paper's)")
    inv.add_argument("--generations", type=count(1), default=250, help="de/cma generations (default 250, the paper's)")
    inv.add_argument("--screen", type=count(1), default=1, help="latent screening factor (default 1: random starts)")
    inv.add_argument("--stratify", action="store_true",
                     help="with --screen > 1: keep the screened latent starts spread over the material pairs "
                          "(each pair's best, then each pair's second best, ...) instead of the best by loss alone")
    inv.add_argument("--batch", type=count(1), default=25, help="targets per batch of the gradient methods")
    inv.add_argument("--relative", action="store_true",
                     help="match with the scale-free relative MSE (each spectrum's MSE over its target's mean square)")
    inv.add_argument("--sample", type=count(1), metavar="K",
                     help="run the methods on a seeded random K of the targets only (a costly method such as de "
                          "at the paper's budget); each row equals that target's row in the full run")
    inv.add_argument("--seed", type=count(0), default=0, help="seed of the target draw and of the starts")
    inv.add_argument("--out", type=Path, required=True, help="output directory")
    add_executor_options(inv, "batches of targets")
    inv.set_defaults(func=_run_benchmark_inverse)


def _floats(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values or any(not (v > 0 and v < float("inf")) for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated positive finite numbers, got {text!r}")
    return values


def _register_study(subparsers) -> None:
    study = subparsers.add_parser(
        "study", help="application studies (kerker: the Kerker study of Soun et al. Fig. 7, S5-S7)")
    targets = study.add_subparsers(dest="target", metavar="STUDY")
    targets.required = True
    k = targets.add_parser(
        "kerker",
        help="N concurrent optimizations of -Q_fwd + w Q_back with a fixed core: the best shell of each material",
        description=(
            "Soun et al.'s Kerker study: N concurrent optimizations of L = -Q_fwd + w Q_back at one wavelength with "
            "the core material fixed. Every local optimum is re-scored with exact Mie theory; for each shell "
            "material the best design is compared with the global optimum of a fine (r_core, t_shell) grid on "
            "exact Mie refined by L-BFGS-B, and with its loss under size polydispersity. Writes study.json and "
            "the figures (local optima per shell, spectra, multipoles, radiation patterns). Each finished search and "
            "shell check is kept in OUT/tasks.jsonl: a rerun with the same arguments takes it from there (delete the "
            "file to compute everything again)."
        ),
    )
    k.add_argument("--core", default="Si", help="fixed core material (default Si)")
    k.add_argument("--wavelength", type=real(above=0.0), default=705.0, help="design wavelength in nm (default 705)")
    k.add_argument("--weight", type=real(at_least=0.0), default=1.0, help="backscattering weight w (default 1)")
    k.add_argument("--starts", type=count(1), default=5000, help="concurrent optimizations (default 5000, the paper's)")
    k.add_argument("--iterations", type=count(1), default=100, help="Adam iterations (default 100)")
    k.add_argument("--lr", type=real(above=0.0), help="Adam learning rate (default: latent 0.01, enumerate 0.05)")
    k.add_argument("--physics", choices=("exact", "surrogate"), default="exact", help="search physics (default exact)")
    k.add_argument("--method", choices=("latent", "enumerate"), default="latent", help="search method (default latent)")
    k.add_argument("--seed", type=count(0), default=0, help="seed of the starts (default 0)")
    k.add_argument("--grid", type=count(0), default=181,
                   help="side of each shell's brute-force exact grid (default 181; 0 skips the check)")
    k.add_argument("--spread", type=real(at_least=0.0, below=1.0), default=0.05,
                   help="relative size polydispersity of the robustness check (default 0.05)")
    k.add_argument("--weights", type=_floats, default=[], metavar="W,W,...",
                   help="weight sweep (Fig. S5), e.g. 0.25,0.5,1,2,4")
    k.add_argument("--lrs", type=_floats, default=[], metavar="LR,LR,...",
                   help="learning-rate study (Fig. S7), e.g. 0.001,0.01,0.1")
    k.add_argument("--out", type=Path, required=True, help="output directory")
    add_executor_options(k, "searches and each shell's checks")
    k.set_defaults(func=_run_study_kerker)


def _run_study_kerker(args) -> int:
    from kerker.design import run_kerker_study, write_kerker_study
    from kerker.report import plot_kerker_study

    out = output_dir(args.out)
    with open_executor(args) as executor:
        study = run_kerker_study(
            args.core, args.wavelength, weight=args.weight, starts=args.starts, iterations=args.iterations,
            lr=args.lr, physics=args.physics, method=args.method, seed=args.seed, grid=args.grid, spread=args.spread,
            weights=args.weights, lrs=args.lrs, log=log_line, executor=executor, resume=out / "tasks.jsonl",
        )
    files = [write_kerker_study(study, out / "study.json", command=["kerker", *sys.argv[1:]])]
    files += plot_kerker_study(study.to_dict(), out).values()
    print("shell  r_core_nm  t_shell_nm   q_fwd   q_back     loss  grid_optimum  gap_%  poly_mean_%")
    for shell, b in study.best_per_shell.items():
        g = b.get("grid_optimum", {}).get("loss", float("nan"))
        print(f"{shell:6s} {b['r_core']:9.2f} {b['t_shell']:11.2f} {b['q_fwd']:7.3f} {b['q_back']:8.4f} "
              f"{b['loss']:8.4f} {g:13.4f} {b.get('gap_pct', float('nan')):6.3f} "
              f"{b.get('polydispersity', {}).get('mean_degradation_pct', float('nan')):10.2f}")
    wrote(*files)
    return 0


def _progress(prefix: str):
    def show(it: int, total: int, best: float) -> None:
        if it == 1 or it == total or it % 10 == 0:
            log_line(f"{prefix}: iteration {it}/{total}, best loss {best:.6g}")

    return show


def _run_design(args) -> int:
    from kerker.design import Directional, inverse_design, read_target_csv, write_design_json
    from kerker.report import plot_design

    out = output_dir(args.out)
    target = input_file(args.target, "--target", what="target CSV file") if args.target else None
    objective = read_target_csv(target) if target else Directional(args.directional, args.weight)
    fix = None if args.fix is None else [None if f == "-" else f for f in args.fix]
    if args.layers == 2 and fix is not None:
        raise ValueError("--fix describes --layers L != 2; a core-shell design takes --fix-core and --fix-shell")
    generator = None
    if args.generator is not None:
        from kerker.models import Generator

        if args.method != "latent":
            raise ValueError(f"--generator is used by --method latent only, not --method {args.method}")
        path = input_file(args.generator, "--generator", what="generator checkpoint")
        try:
            generator = Generator.from_checkpoint(path)
        except ValueError as err:
            raise ValueError(f"--generator {path}: {err}") from None
    result = inverse_design(
        objective, args.method, args.physics, starts=args.starts, iterations=args.iterations, lr=args.lr,
        seed=args.seed, fix_core=args.fix_core, fix_shell=args.fix_shell, materials=args.materials,
        r_range=tuple(args.r_range), t_range=tuple(args.t_range), progress=_progress(f"{args.method}/{args.physics}"),
        layers=args.layers, fix=fix, thickness_range=tuple(args.thickness_range), generator=generator,
    )
    files = [write_design_json(result, out / "design.json", command=["kerker", *sys.argv[1:]])]
    files += plot_design(result, out, plots=args.plots)
    print(f"best: {result.best}")
    print(f"q_fwd = {result.best.q_fwd.round(4).tolist()}, q_back = {result.best.q_back.round(4).tolist()} "
          f"at {objective.wavelength.tolist()} nm")
    print(f"{len(result)} designs, {result.evaluations:,} evaluations, {result.wall_time:.1f} s")
    wrote(*files)
    return 0


def _run_benchmark_inverse(args) -> int:
    from kerker.design import run_inverse_study
    from kerker.report import plot_inverse_study

    out = output_dir(args.out)
    data = input_file(args.data, "--data", what="dataset file")
    off_grid = input_file(args.off_grid, "--off-grid", what="dataset file") if args.off_grid else None
    with open_executor(args) as executor:
        run_inverse_study(
            data, out, off_grid=off_grid, targets=args.targets, methods=tuple(args.methods.split(",")),
            starts=args.starts, iterations=args.iterations, population=args.population,
            generations=args.generations, screen=args.screen, batch=args.batch, relative=args.relative,
            stratify=args.stratify,
            seed=args.seed, sample=args.sample, command=["kerker", *sys.argv[1:]], log=log_line, executor=executor,
        )
    files = plot_inverse_study(out)
    print(files["table"].read_text(), end="")
    wrote(*files.values())
    return 0
