"""``kerker lattice``: lattice sums, BFGS comparison and figures of the lattice engine.

Parse arguments, build a config, call :mod:`kerker.lattice`; no physics here.
"""

from __future__ import annotations

import json
import sys

from kerker.cli._groups import LATTICE_CONVENTIONS, command_group
from kerker.cli._io import complex_number, count, output_dir, real, wrote


def _fmt(z) -> str:
    z = complex(z)
    return f"{z.real:+.16e} {z.imag:+.16e}i"


def _cplx(z) -> list:
    z = complex(z)
    return [z.real, z.imag]


def _cmd_sums(args) -> int:
    from kerker.lattice import STANDARD_BASIS, basis, eisenstein

    tau = args.tau
    rows = []
    for k in (2, 4, 6):
        r = eisenstein(k, tau, tol=args.tol)
        rows.append((f"E{k}", r.value, r.d, 0j, r.error_bound))
    for (n, l), r in basis(tau, tol=args.tol, elements=STANDARD_BASIS).items():
        rows.append((f"S({n},{l})", r.value, r.d, r.dbar, r.error_bound))
    if args.json:
        print(
            json.dumps(
                {
                    "tau": _cplx(tau),
                    "tol": args.tol,
                    "sums": {
                        name: {"value": _cplx(v), "d": _cplx(d), "dbar": _cplx(db), "error_bound": float(e)}
                        for name, v, d, db, e in rows
                    },
                },
                indent=2,
            )
        )
        return 0
    print(f"tau = {tau.real:+.16g} {tau.imag:+.16g}i   (d = d/dtau Wirtinger; E_k holomorphic, dbar = 0)")
    print(f"{'sum':<9} {'value':>48} {'d':>48} {'dbar':>48} {'error bound':>11}")
    for name, v, d, db, e in rows:
        print(f"{name:<9} {_fmt(v):>48} {_fmt(d):>48} {_fmt(db):>48} {float(e):11.2e}")
    return 0


def _optimize_config(args):
    from kerker.lattice._optimize import OptimizeConfig

    return OptimizeConfig(
        kappa=args.kappa,
        n_starts=args.starts,
        seed=args.seed,
        gtol=args.gtol,
        polish_steps=args.polish,
        engine=getattr(args, "engine", "kerker"),
    )


def _print_report(report) -> None:
    from kerker.lattice import J_STAR, TAU_STAR

    print(
        f"BFGS ({report.config.engine} engine) maximising J, kappa={report.config.kappa:g}, "
        f"gtol={report.config.gtol:g}, seed={report.config.seed}; "
        f"tau* = {TAU_STAR.real:g}+{TAU_STAR.imag:.15f}i, J* = {J_STAR:.15f}"
    )
    print(
        f"{'gradient':<9} {'start':>22} {'iter':>5} {'evals':>6} {'wall ms':>8} {'final tau':>40} {'J':>20} {'|tau_F - tau*|':>14}"
    )
    for r in report.runs:
        print(
            f"{r.gradient:<9} {r.start.real:+.4f}{r.start.imag:+.4f}i {r.iterations:5d} {r.evaluations:6d} {1e3 * r.wall_time:8.2f} "
            f"{r.final_tau.real:+.15f}{r.final_tau.imag:+.15f}i {r.final_value:20.15f} {r.distance:14.2e}"
        )
    tot = report.totals()
    print("\ntotals over all starts (ratio = method / analytic; wall ms = sum over the starts, ms/start = its mean)")
    if report.cold_wall_time:
        cold = ", ".join(f"{g} {1e3 * t:.2f} ms" for g, t in report.cold_wall_time.items())
        print(f"(timed pass; an untimed first pass over the same starts, with the one-time set-up, took {cold})")
    print(
        f"{'gradient':<9} {'iter':>6} {'evals':>7} {'eval ratio':>10} {'wall ms':>9} {'ms/start':>9} {'wall ratio':>10}"
        f" {'max dist':>9} {'<=1e-8':>7}"
    )
    a = tot["analytic"] if "analytic" in tot else None
    for g, t in tot.items():
        er = t["evaluations"] / a["evaluations"] if a else float("nan")
        wr = t["wall_time"] / a["wall_time"] if a else float("nan")
        print(
            f"{g:<9} {t['iterations']:6d} {t['evaluations']:7d} {er:10.2f} {1e3 * t['wall_time']:9.2f} "
            f"{1e3 * t['wall_time_per_start']:9.3f} {wr:10.2f} {t['max_distance']:9.1e} "
            f"{t['n_within_1e-8']:4d}/{t['n_runs']}"
        )


def _meta(config) -> dict:
    from dataclasses import asdict

    from kerker._artifacts import provenance

    meta = provenance(asdict(config), seed=config.seed)
    meta["command"] = " ".join(sys.argv)
    return meta


def _cmd_optimize(args) -> int:
    from kerker._artifacts import write_json_atomic
    from kerker.lattice._optimize import compare_gradients

    out = None if args.out is None else output_dir(args.out)
    config = _optimize_config(args)
    report = compare_gradients(config)
    _print_report(report)
    if out is not None:
        data = report.to_dict()
        data["meta"] = _meta(config)
        wrote(write_json_atomic(out / "lattice_optimize.json", data))
    return 0


def _cmd_figures(args) -> int:
    from kerker._artifacts import write_json_atomic
    from kerker.lattice import figure_data
    from kerker.report import plot_lattice_figures

    out = output_dir(args.out)
    config = _optimize_config(args)
    data = figure_data(config)
    files = plot_lattice_figures(data, out)
    payload = {"files": [f.name for f in files], **data.to_dict(), "meta": _meta(config)}
    record = write_json_atomic(out / "lattice_figures.json", payload)
    wrote(*files, record)
    return 0


def _add_optimize_options(p) -> None:
    p.add_argument(
        "--kappa",
        type=real(),
        default=1.0,
        help="core-repulsion strength kappa >= 0 of J (default: 1; tau* is known for 1)",
    )
    p.add_argument(
        "--starts", type=count(1), default=8, help="number of seeded random starts (default: 8; never i or exp(i pi/3))"
    )
    p.add_argument("--seed", type=count(0), default=20260501, help="seed of the start generator (>= 0)")
    p.add_argument(
        "--gtol", type=real(), default=1e-5, help="scipy BFGS gradient tolerance (inf-norm of grad J)"
    )
    p.add_argument(
        "--polish",
        type=count(0),
        default=3,
        help="quasi-Newton polish steps accepted on decreasing |grad| after BFGS stops (default: 3; 0 = plain BFGS)",
    )
    p.add_argument(
        "--engine",
        choices=("kerker", "scipy"),
        default="kerker",
        help="who runs scipy's BFGS: its float port in kerker.lattice (default, ~20x less overhead) or scipy itself",
    )


def register(subparsers) -> None:
    """Add ``lattice`` with sub-commands ``sums``, ``optimize`` and ``figures``."""
    sub = command_group(subparsers, "lattice")

    p = sub.add_parser(
        "sums",
        help="print E2, E4, E6 and the basis S(n,l) with d, dbar and error bounds at one tau",
        description="Print E2, E4, E6 and the standard basis S(n,l) at tau with Wirtinger derivatives and "
        "absolute error bounds (series tails + float64 rounding). " + LATTICE_CONVENTIONS,
    )
    p.add_argument(
        "--tau", type=complex_number, required=True,
        help="modular parameter, e.g. 0.3+1.1j or -0.3+1.1j (Im > 0; dimensionless)",
    )
    p.add_argument(
        "--tol",
        type=real(),
        default=1e-16,
        help="truncation tolerance of the q-series at the reduced point",
    )
    p.add_argument("--json", action="store_true", help="print JSON ([re, im] pairs) instead of a table")
    p.set_defaults(func=_cmd_sums)

    p = sub.add_parser(
        "optimize",
        help="BFGS on J from several starts: analytic vs forward- vs central-difference gradients",
        description="Maximise J(tau) = y|G2*| - kappa y^2 S(4,0) with scipy's BFGS (run by its float port, or "
        "by scipy with --engine scipy) from seeded starts, once with the analytic gradient and once each with forward "
        "and central differences (steps sqrt(eps) and eps^(1/3), relative). Reports iterations, objective evaluations "
        "(value+gradient = 1 for analytic; FD gradients cost 2 or 4 extra values), wall time per start and in total "
        "(after an untimed first pass), final tau and J, and the distance of the reduced final tau to "
        "tau* = 1/2 + 1.2461758546i. " + LATTICE_CONVENTIONS,
    )
    _add_optimize_options(p)
    p.add_argument(
        "--out",
        default=None,
        help="folder for lattice_optimize.json (config, seed, runs with wall_time per start, totals)",
    )
    p.set_defaults(func=_cmd_optimize)

    p = sub.add_parser(
        "figures",
        help="write the three lattice figures (V-curve, convergence, trajectories) and their data JSON",
        description="Write lattice_gradient_error.png (FD error vs step h against the analytic gradient at "
        "tau = 0.2+1.3i), lattice_convergence.png (J* - J vs evaluations) and lattice_trajectories.png (BFGS paths "
        "over J with the fundamental domain and its images), plus lattice_figures.json. " + LATTICE_CONVENTIONS,
    )
    _add_optimize_options(p)
    p.add_argument("--out", required=True, help="output folder (e.g. docs/figures)")
    p.set_defaults(func=_cmd_figures)
