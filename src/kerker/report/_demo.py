"""``kerker demo``: the end-to-end run on shipped defaults, written as one self-contained HTML report.

Four parts, each computed by its own library function and recorded as raw results beside
the report: a Mie spectrum of one particle, the Kerker study (Soun et al. Fig. 7), the
test-set inverse-design comparison on a few targets (Fig. 5-6) and the lattice
optimization with exact gradients (the quasi-modular-forms paper).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from kerker._artifacts import exclusive_lock, provenance, write_json_atomic
from kerker.report._design_plots import plot_inverse_study
from kerker.report._html import FigureBlock, Paragraph, Preformatted, Section, TableBlock, write_html_report
from kerker.report._kerker_plots import plot_kerker_study
from kerker.report._lattice_plots import plot_lattice_figures
from kerker.report._mie_plots import plot_particle

__all__ = ["DemoConfig", "DemoRun", "run_demo"]


@dataclass(frozen=True)
class DemoConfig:
    """What ``kerker demo`` computes (defaults fit in a few minutes on two CPU cores).

    Attributes
    ----------
    particle : tuple
        ``(core, shell, r_core_nm, t_shell_nm)`` of the Mie-spectrum section.
    wavelength, weight : float
        Design wavelength (nm) and backscattering weight of the Kerker study.
    kerker_starts : int
        Concurrent optimizations of the Kerker study (the paper: 5,000; ``kerker study kerker``).
    kerker_grid : int
        Side of each shell's brute-force exact grid.
    weights, lrs : tuple of float
        Weight sweep and learning-rate study of the Kerker study.
    targets : int
        Test-split targets of the inverse-design comparison.
    methods : tuple of str
        Its methods (keys of :data:`kerker.design.STUDY_METHODS`).
    inverse_starts : int
        Starts per target of the gradient methods in the comparison.
    generations : int
        Generations of ``de`` (the paper's 250 cost about 100 s per target here).
    lattice_starts : int
        BFGS starts of the lattice optimization.
    seed : int
        Seed of every random draw.
    """

    particle: tuple = ("Si", "TiO2", 61.75, 55.91)
    wavelength: float = 705.0
    weight: float = 1.0
    kerker_starts: int = 1000
    kerker_grid: int = 121
    weights: tuple = (0.25, 1.0, 4.0)
    lrs: tuple = (0.001, 0.01, 0.1)
    targets: int = 4
    methods: tuple = ("latent-surrogate", "latent-exact", "enumerate", "de")
    generations: int = 40
    inverse_starts: int = 100
    lattice_starts: int = 8
    dataset: str = "paper"
    seed: int = 0

    @classmethod
    def quick(cls, **overrides) -> DemoConfig:
        """A run of seconds (tests, a first look): tiny searches, the 2,500-particle off-grid targets."""
        small = dict(kerker_starts=24, kerker_grid=11, weights=(), lrs=(), targets=1,
                     methods=("latent-surrogate", "enumerate"), generations=2, inverse_starts=16, lattice_starts=2,
                     dataset="offgrid")
        return cls(**{**small, **overrides})

    def __post_init__(self):
        from kerker._config import number

        number("wavelength", self.wavelength, at_least=400.0, at_most=800.0,
               what="design wavelength (nm; the paper's materials and surrogate cover 400-800 nm)")
        number("weight", self.weight, at_least=0.0)
        for name in ("kerker_starts", "targets", "generations", "inverse_starts", "lattice_starts"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if isinstance(self.kerker_grid, bool) or not isinstance(self.kerker_grid, int) or self.kerker_grid < 2:
            raise ValueError(f"kerker_grid must be an integer >= 2 (the report shows each shell's grid optimum), "
                             f"got {self.kerker_grid!r}")


def _particle_section(cfg: DemoConfig, out: Path) -> tuple[Section, dict]:
    from kerker.design import particle_spectra
    from kerker.materials import material

    core, shell, r, t = cfg.particle
    wl = np.linspace(400.0, 800.0, 201)
    spectra = particle_spectra(material(core).with_extrapolation("hold"), material(shell).with_extrapolation("hold"),
                               r, t, wl, pattern_wavelength=cfg.wavelength)
    title = f"{core} core r = {r:g} nm, {shell} shell t = {t:g} nm"
    files = plot_particle(spectra, out / "particle", title=title)
    raw = {k: np.asarray(v).tolist() for k, v in spectra.to_dict().items()}
    write_json_atomic(out / "particle" / "mie.json", {"particle": list(cfg.particle), "spectra": raw})
    i = int(np.argmin(np.abs(wl - cfg.wavelength)))
    blocks = [
        Paragraph(f"Exact Mie theory of one core-shell particle ({title}) over 400-800 nm, with the radiation "
                  f"pattern at {cfg.wavelength:g} nm. At {wl[i]:g} nm: Q_fwd = {spectra.q_fwd[i]:.4f}, "
                  f"Q_back = {spectra.q_back[i]:.4f}, Q_sca = {spectra.q_sca[i]:.4f}."),
        FigureBlock(files["spectrum"], "Forward, backward and total scattering efficiency."),
        FigureBlock(files["pattern"], f"Differential scattering efficiency at {cfg.wavelength:g} nm."),
    ]
    return Section("Mie spectrum of one particle", blocks), {"particle": list(cfg.particle)}


def _kerker_section(cfg: DemoConfig, out: Path, log) -> tuple[Section, dict]:
    from kerker.design import run_kerker_study, write_kerker_study

    study = run_kerker_study("Si", cfg.wavelength, weight=cfg.weight, starts=cfg.kerker_starts, physics="exact",
                             method="latent", seed=cfg.seed, grid=cfg.kerker_grid, weights=cfg.weights, lrs=cfg.lrs,
                             log=log)
    write_kerker_study(study, out / "kerker" / "study.json")
    data = study.to_dict()
    files = plot_kerker_study(data, out / "kerker")
    rows = []
    for shell, b in sorted(study.best_per_shell.items(), key=lambda kv: kv[1]["loss"]):
        rows.append({"shell": shell, "r_core (nm)": b["r_core"], "t_shell (nm)": b["t_shell"], "Q_fwd": b["q_fwd"],
                     "Q_back": b["q_back"], "L_dir": b["loss"], "grid optimum": b["grid_optimum"]["loss"],
                     "gap (%)": b["gap_pct"], "L_dir, ±5 % sizes (mean)": b["polydispersity"]["mean_loss"]})
    blocks = [
        Paragraph(f"{cfg.kerker_starts} concurrent latent-space optimizations of L = -Q_fwd + {cfg.weight:g} Q_back "
                  f"at {cfg.wavelength:g} nm with a Si core, gradients through exact Mie theory "
                  f"({study.wall_time:.1f} s). Each shell's best design is compared with the global optimum of a "
                  f"{cfg.kerker_grid} x {cfg.kerker_grid} exact grid refined by L-BFGS-B. The paper (Fig. 7) "
                  "finds thick low-index dielectric shells and plasmonic shells thinner than 10 nm, Ag thinner "
                  "than Au; the full study is `kerker study kerker --starts 5000`."),
        TableBlock(rows, "Best design per shell material (exact Mie)."),
    ]
    blocks += [FigureBlock(files["optima"], "Local optima per shell material, coloured by loss (Fig. 7a, S6).")]
    blocks += [FigureBlock(p, f"Best {k[5:]} shell: spectra, multipoles, radiation pattern (Fig. 7b).")
               for k, p in files.items() if k.startswith("best_")]
    for key, caption in (("weight_sweep", "Weight sweep (Fig. S5)."), ("lr_study", "Learning-rate study (Fig. S7).")):
        if key in files:
            blocks.append(FigureBlock(files[key], caption))
    best = min(study.best_per_shell.items(), key=lambda kv: kv[1]["loss"])
    return Section("Kerker study", blocks), {"best_shell": best[0], **best[1]}


def _inverse_section(cfg: DemoConfig, out: Path, log) -> tuple[Section, dict]:
    from kerker.dataset import DatasetConfig, build_dataset
    from kerker.design import PAPER_FIGURES, run_inverse_study

    data = build_dataset(out / "data" / f"{cfg.dataset}.h5", DatasetConfig.from_preset(cfg.dataset), progress=False)
    payload = run_inverse_study(data, out / "inverse", targets=cfg.targets, methods=cfg.methods, seed=cfg.seed,
                                starts=cfg.inverse_starts, generations=cfg.generations, screen=4, log=log)
    files = plot_inverse_study(out / "inverse")
    rows = []
    for method, by_label in payload["summary"].items():
        s = by_label["test"]
        rows.append({"method": method, "targets": s["targets"], "rMAE Q_fwd mean (%)": s["rmae_fwd_mean_pct"],
                     "rMAE Q_back mean (%)": s["rmae_back_mean_pct"], "rMAE mean (%)": s["rmae_mean_pct"],
                     "paper (%)": PAPER_FIGURES.get(method), "s / target": s["wall_time_per_target_s"],
                     "evaluations / target": s["evaluations_per_target"]})
    blocks = [
        Paragraph(f"{cfg.targets} targets drawn from the test split of the paper's dataset: each method searches the "
                  "design whose exact spectra match the target, and the found design is re-scored with exact Mie "
                  f"theory. DE runs {cfg.generations} generations of population 100 here (the paper: 250). A few "
                  "targets show the method, not its statistics: `kerker benchmark inverse --targets 500` is the study."),
        TableBlock(rows, "Inverse design on test-split targets (rMAE of the exact spectra of the found design)."),
    ]
    blocks += [FigureBlock(p, name.replace("_", " ")) for name, p in files.items() if Path(p).suffix == ".png"]
    return Section("Inverse design on test-set spectra", blocks), {"table": rows}


def _lattice_section(cfg: DemoConfig, out: Path) -> tuple[Section, dict]:
    from kerker.lattice import J_STAR, TAU_STAR, figure_data
    from kerker.lattice._optimize import OptimizeConfig, compare_gradients

    config = OptimizeConfig(n_starts=cfg.lattice_starts, seed=cfg.seed)
    report = compare_gradients(config)
    data = figure_data(config)
    files = plot_lattice_figures(data, out / "lattice")
    write_json_atomic(out / "lattice" / "lattice_optimize.json", {**report.to_dict(), "config": asdict(config)})
    rows = [{"gradient": g, "iterations": t["iterations"], "evaluations": t["evaluations"],
             "wall (ms)": 1e3 * t["wall_time"], "max |tau - tau*|": t["max_distance"],
             "within 1e-8": f"{t['n_within_1e-8']}/{t['n_runs']}"} for g, t in report.totals().items()]
    blocks = [
        Paragraph(f"BFGS maximising the lattice energy J(tau) from {cfg.lattice_starts} starts, with the analytic "
                  f"gradient from quasi-modular forms against finite differences; the optimum is tau* = "
                  f"{TAU_STAR.real:g}+{TAU_STAR.imag:.12f}i, J* = {J_STAR:.12f}."),
        TableBlock(rows, "Totals over all starts per gradient."),
    ]
    blocks += [FigureBlock(p, Path(p).stem.replace("_", " ")) for p in files]
    return Section("Lattice optimization with exact gradients", blocks), {"table": rows}


@dataclass(frozen=True)
class DemoRun:
    """What :func:`run_demo` wrote and found: the report, each part's key results, wall times (s)."""

    report: Path
    results: dict
    timings: dict


def run_demo(out: str | Path = "results/demo", config: DemoConfig | None = None, *,
             log: Callable[[str], None] | None = None) -> DemoRun:
    """Run the four parts of the demo and write ``out/report.html`` with the raw results beside it.

    Parameters
    ----------
    out : path
        Output folder (created); one demo writes it at a time (a lock beside it).
    config : DemoConfig, optional
        What to compute; the defaults are the shipped demo.
    log : callable, optional
        Progress lines.

    Returns
    -------
    DemoRun
    """
    cfg = config or DemoConfig()
    log = log or (lambda line: None)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    timings = {}
    with exclusive_lock(out / "report.html"):
        sections, results = [], {}
        steps = (("Mie spectrum", lambda: _particle_section(cfg, out)),
                 ("Kerker study", lambda: _kerker_section(cfg, out, log)),
                 ("inverse design", lambda: _inverse_section(cfg, out, log)),
                 ("lattice optimization", lambda: _lattice_section(cfg, out)))
        for k, (name, step) in enumerate(steps, 1):
            log(f"[{k}/{len(steps)}] {name} ...")
            t = time.perf_counter()
            section, results[name] = step()
            timings[name] = time.perf_counter() - t
            log(f"[{k}/{len(steps)}] {name}: {timings[name]:.1f} s")
            sections.append(section)
        timing_rows = [{"part": n, "wall time (s)": s} for n, s in timings.items()]
        sections.append(Section("Run", [TableBlock(timing_rows, f"Total {time.perf_counter() - t0:.1f} s."),
                                        Preformatted(json.dumps(asdict(cfg), indent=2))]))
        meta = provenance(asdict(cfg), seed=cfg.seed)
        write_json_atomic(out / "demo.json", {"config": asdict(cfg), "timings_s": timings, "provenance": meta})
        report = write_html_report(out / "report.html", title="kerker demo: inverse design of core-shell particles",
                                   sections=sections, provenance=meta)
    return DemoRun(report, results, timings)
