"""``kerker design`` (one inverse design) and ``kerker benchmark inverse`` (the test-set study)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
        "  kerker design --target target.csv --method latent --physics surrogate --out out/",
    )
    target = design.add_mutually_exclusive_group(required=True)
    target.add_argument("--target", type=Path, help="CSV file with columns wavelength,q_fwd,q_back (nm; efficiencies)")
    target.add_argument("--directional", type=float, metavar="NM", help="design wavelength (nm) of -Q_fwd + w Q_back")
    design.add_argument("--weight", type=float, default=1.0, help="backscattering weight w of --directional (default 1)")
    design.add_argument("--method", choices=_METHODS, default="latent", help="search method (default latent)")
    design.add_argument("--physics", choices=("surrogate", "exact"), default="surrogate",
                        help="what scores designs during the search (default surrogate; final scores are exact)")
    design.add_argument("--starts", type=int, default=500, help="concurrent starts / population (default 500)")
    design.add_argument("--iterations", type=int, default=100, help="iterations / generations (default 100)")
    design.add_argument("--lr", type=float, help="Adam learning rate (default: latent 0.01, enumerate 0.05)")
    design.add_argument("--seed", type=int, default=0, help="seed of the starts (default 0)")
    design.add_argument("--fix-core", help="fix the core material (e.g. Si)")
    design.add_argument("--fix-shell", help="fix the shell material")
    design.add_argument("--materials", nargs="+", metavar="NAME", help="allowed materials (default all)")
    design.add_argument("--r-range", type=float, nargs=2, default=(1.0, 100.0), metavar=("LO", "HI"),
                        help="core radius range in nm (default 1 100)")
    design.add_argument("--t-range", type=float, nargs=2, default=(1.0, 100.0), metavar=("LO", "HI"),
                        help="shell thickness range in nm (default 1 100)")
    design.add_argument("--plots", type=int, default=3, help="plot the spectra of the best N designs (default 3)")
    design.add_argument("--out", type=Path, required=True, help="output directory")
    design.set_defaults(func=_run_design)

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
    inv.add_argument("--targets", type=int, default=2500, help="targets per set (default 2500, the test split)")
    inv.add_argument("--methods", default="latent-surrogate,latent-exact,enumerate,de,cma",
                     help="comma-separated: latent-surrogate, latent-exact, enumerate, de, cma")
    inv.add_argument("--starts", type=int, default=100, help="starts per target of gradient methods (default 100)")
    inv.add_argument("--iterations", type=int, default=100, help="Adam iterations (default 100)")
    inv.add_argument("--population", type=int, default=100, help="de/cma population (default 100, the paper's)")
    inv.add_argument("--generations", type=int, default=250, help="de/cma generations (default 250, the paper's)")
    inv.add_argument("--screen", type=int, default=1, help="latent screening factor (default 1: random starts)")
    inv.add_argument("--batch", type=int, default=25, help="targets per batch of the gradient methods")
    inv.add_argument("--seed", type=int, default=0, help="seed of the target draw and of the starts")
    inv.add_argument("--out", type=Path, required=True, help="output directory")
    inv.set_defaults(func=_run_benchmark_inverse)


def _progress(prefix: str):
    def show(it: int, total: int, best: float) -> None:
        if it == 1 or it == total or it % 10 == 0:
            print(f"{prefix}: iteration {it}/{total}, best loss {best:.6g}", file=sys.stderr, flush=True)

    return show


def _run_design(args) -> int:
    from kerker.design import Directional, inverse_design, read_target_csv, write_design_json
    from kerker.report import plot_design

    objective = read_target_csv(args.target) if args.target else Directional(args.directional, args.weight)
    result = inverse_design(
        objective, args.method, args.physics, starts=args.starts, iterations=args.iterations, lr=args.lr,
        seed=args.seed, fix_core=args.fix_core, fix_shell=args.fix_shell, materials=args.materials,
        r_range=tuple(args.r_range), t_range=tuple(args.t_range), progress=_progress(f"{args.method}/{args.physics}"),
    )
    files = [write_design_json(result, args.out / "design.json", command=["kerker", *sys.argv[1:]])]
    files += plot_design(result, args.out, plots=args.plots)
    print(f"best: {result.best}")
    print(f"q_fwd = {result.best.q_fwd.round(4).tolist()}, q_back = {result.best.q_back.round(4).tolist()} "
          f"at {objective.wavelength.tolist()} nm")
    print(f"{len(result)} designs, {result.evaluations:,} evaluations, {result.wall_time:.1f} s")
    for path in files:
        print(f"wrote {path}", file=sys.stderr)
    return 0


def _run_benchmark_inverse(args) -> int:
    from kerker.design import run_inverse_study
    from kerker.report import plot_inverse_study

    run_inverse_study(
        args.data, args.out, off_grid=args.off_grid, targets=args.targets, methods=tuple(args.methods.split(",")),
        starts=args.starts, iterations=args.iterations, population=args.population, generations=args.generations,
        screen=args.screen, batch=args.batch, seed=args.seed, command=["kerker", *sys.argv[1:]],
        log=lambda line: print(line, file=sys.stderr, flush=True),
    )
    files = plot_inverse_study(args.out)
    print(files["table"].read_text(), end="")
    for path in files.values():
        print(f"wrote {path}", file=sys.stderr)
    return 0
