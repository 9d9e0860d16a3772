"""The Kerker study (Soun et al., Sec. III.B, Fig. 7, S5-S7): a fixed core, every shell.

N concurrent optimizations of the directional loss ``L = -Q_fwd + w Q_back`` at one
wavelength with the core material fixed (:func:`kerker.inverse_design` with
``fix_core``). Every final design is a local optimum; the best one of each shell material
is checked against the global optimum of that shell found independently (a fine
``(r_core, t_shell)`` grid on exact Mie theory, refined by L-BFGS-B) and against size
polydispersity.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from kerker.design._inverse import inverse_design
from kerker.design._objectives import Directional
from kerker.design._particle import particle_spectra
from kerker.design._physics import ExactPhysics, exact_spectra

__all__ = ["PAPER_KERKER", "KerkerStudy", "grid_optimum", "polydispersity", "run_kerker_study", "write_kerker_study"]

# Spectra of each shell's best design: 400-800 nm in 2-nm steps.
_SPECTRUM_GRID = (400.0, 800.0, 201)

#: Soun et al., Sec. III.B and Fig. 7 (Si core, 705 nm, w = 1): what the paper reports.
PAPER_KERKER = {
    "plasmonic_shells": "Au and Ag shells thinner than 10 nm; Ag thinner than Au",
    "dielectric_shells": "thick low-index dielectric shells",
    "starts": 5000,
}


def _directional(q_fwd, q_back, weight):
    return -np.asarray(q_fwd) + weight * np.asarray(q_back)


def grid_optimum(materials, core: int, shell: int, wavelength: float, weight: float, *, grid: int = 181,
                 r_range=(1.0, 100.0), t_range=(1.0, 100.0), refine: int = 5) -> dict:
    """Global optimum of ``L_dir`` for one material pair: a ``grid x grid`` scan, then L-BFGS-B.

    The scan evaluates exact Mie theory at every grid point; the ``refine`` best grid points
    (in distinct cells) start a bounded L-BFGS-B on exact Mie gradients. Returns the best
    design ``{r_core, t_shell, q_fwd, q_back, loss}`` and the best grid value ``grid_loss``.
    """
    from scipy.optimize import minimize

    r = np.linspace(*r_range, grid)
    t = np.linspace(*t_range, grid)
    rr, tt = (a.ravel() for a in np.meshgrid(r, t, indexing="ij"))
    n = rr.size
    qf, qb = exact_spectra(materials, np.full(n, core), np.full(n, shell), rr, tt, [wavelength])
    loss = _directional(qf[:, 0], qb[:, 0], weight)
    physics = ExactPhysics(materials, [wavelength])
    m = len(materials)
    pc = torch.eye(m, dtype=torch.float64)[[core]]
    ps = torch.eye(m, dtype=torch.float64)[[shell]]

    def fun(x):
        xr = torch.tensor(x, dtype=torch.float64, requires_grad=True)
        f, b = physics.soft(pc, ps, xr[:1], xr[1:])
        value = (-f + weight * b).sum()
        value.backward()
        return float(value.detach()), xr.grad.numpy().copy()

    best = {"loss": np.inf}
    for i in np.argsort(loss)[:refine]:
        res = minimize(fun, [rr[i], tt[i]], jac=True, method="L-BFGS-B", bounds=[r_range, t_range])
        if res.fun < best["loss"]:
            best = {"r_core": float(res.x[0]), "t_shell": float(res.x[1]), "loss": float(res.fun)}
    f, b = exact_spectra(materials, [core], [shell], [best["r_core"]], [best["t_shell"]], [wavelength])
    return {**best, "q_fwd": float(f[0, 0]), "q_back": float(b[0, 0]), "grid_loss": float(loss.min()),
            "grid": int(grid)}


def polydispersity(materials, core: int, shell: int, r_core: float, t_shell: float, wavelength: float,
                   weight: float, *, spread: float = 0.05, points: int = 11) -> dict:
    """``L_dir`` of a design whose core radius and shell thickness each vary by ``±spread``.

    Evaluates a ``points x points`` grid of relative size errors in ``[-spread, spread]``
    (independent in ``r_core`` and ``t_shell``). Returns the mean loss over the grid (a
    uniform size distribution), the worst one, and both as degradation in percent of
    ``|L|`` of the nominal design.
    """
    d = np.linspace(-spread, spread, points)
    dr, dt = (a.ravel() for a in np.meshgrid(d, d, indexing="ij"))
    n = dr.size
    qf, qb = exact_spectra(materials, np.full(n, core), np.full(n, shell), r_core * (1 + dr), t_shell * (1 + dt),
                           [wavelength])
    loss = _directional(qf[:, 0], qb[:, 0], weight)
    nominal = loss[n // 2]
    return {"spread": spread, "nominal_loss": float(nominal), "mean_loss": float(loss.mean()),
            "worst_loss": float(loss.max()),
            "mean_degradation_pct": float(100 * (loss.mean() - nominal) / abs(nominal)),
            "worst_degradation_pct": float(100 * (loss.max() - nominal) / abs(nominal))}


@dataclass(frozen=True)
class KerkerStudy:
    """Outcome of :func:`run_kerker_study` (sizes in nm, losses ``L_dir`` on exact Mie theory).

    Attributes
    ----------
    config : dict
        The study's arguments.
    optima : dict of str -> ndarray
        Every local optimum: ``shell`` (names), ``r_core``, ``t_shell``, ``loss``, ``q_fwd``,
        ``q_back`` (exact) and ``search_loss`` (what the search physics predicted).
    best_per_shell : dict
        Shell material -> best design of the study, its grid optimum, the optimality gap
        (percent of ``|L|``) and its polydispersity figures.
    weight_sweep : list of dict
        Per weight: the best design of each shell (empty unless asked for).
    lr_study : dict
        Learning rate -> per-iteration best and median loss of the search (empty unless asked for).
    wall_time : float
        Seconds of the main optimization.
    """

    config: dict
    optima: dict
    best_per_shell: dict
    weight_sweep: list = field(default_factory=list)
    lr_study: dict = field(default_factory=dict)
    wall_time: float = 0.0
    spectra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON-ready: config, ``best_per_shell``, every optimum, the sweeps and the best designs' spectra."""
        spectra = {}
        for k, sp in self.spectra.items():
            spectra[k] = {n: np.asarray(v).tolist() for n, v in sp.to_dict().items()}
            if sp.pattern is not None:
                spectra[k]["pattern"] = {n: np.asarray(getattr(sp.pattern, n)).tolist()
                                         for n in ("wavelength", "theta", "unpolarized", "perpendicular", "parallel")}
        return {"config": self.config, "best_per_shell": self.best_per_shell, "spectra": spectra,
                "optima": {k: np.asarray(v).tolist() for k, v in self.optima.items()},
                "weight_sweep": self.weight_sweep, "lr_study": self.lr_study, "wall_time_s": self.wall_time}


def _best_per_shell(result) -> dict:
    best = {}
    for i in range(len(result)):  # ranked best first: the first row of a shell is its best
        s = str(result.shell[i])
        if s not in best:
            best[s] = {"r_core": float(result.r_core[i]), "t_shell": float(result.t_shell[i]),
                       "q_fwd": float(result.q_fwd[i, 0]), "q_back": float(result.q_back[i, 0]),
                       "loss": float(result.loss[i]), "search_loss": float(result.search_loss[i]), "row": i}
    return best


def run_kerker_study(
    core: str = "Si",
    wavelength: float = 705.0,
    *,
    weight: float = 1.0,
    starts: int = 5000,
    iterations: int = 100,
    lr: float | None = None,
    physics: str = "exact",
    method: str = "latent",
    seed: int = 0,
    grid: int = 181,
    spread: float = 0.05,
    weights=(),
    lrs=(),
    surrogate=None,
    generator=None,
    log: Callable[[str], None] | None = None,
) -> KerkerStudy:
    """Soun et al.'s Kerker study: ``starts`` concurrent optimizations of ``L_dir`` with a fixed core.

    Parameters
    ----------
    core : str
        The fixed core material (the paper: Si).
    wavelength, weight : float
        Design wavelength (nm) and backscattering weight ``w`` of ``L = -Q_fwd + w Q_back``.
    starts, iterations, lr, physics, method, seed
        As :func:`kerker.inverse_design` (``method`` ``"latent"`` or ``"enumerate"``).
    grid : int
        Side of the exact-Mie ``(r_core, t_shell)`` grid of each shell's global optimum
        (0: skip the check).
    spread : float
        Relative size error of the polydispersity check (0.05: ±5 %).
    weights : sequence of float
        Weight sweep (paper Fig. S5): the study repeated at each weight (same starts).
    lrs : sequence of float
        Learning-rate study (paper Fig. S7): the search repeated at each learning rate.
    log : callable, optional
        Progress lines.
    """
    if method not in ("latent", "enumerate"):
        raise ValueError(f"method must be 'latent' or 'enumerate' for the Kerker study, got {method!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 0 or grid == 1:
        raise ValueError(f"grid must be 0 (skip) or an integer >= 2, got {grid!r}")
    if not (isinstance(spread, (int, float)) and 0 <= spread < 1):
        raise ValueError(f"spread must be a fraction in [0, 1), got {spread!r}")
    log = log or (lambda line: None)
    kw = dict(method=method, physics=physics, starts=starts, iterations=iterations, seed=seed, fix_core=core,
              surrogate=surrogate, generator=generator)
    if method == "latent" and surrogate is None:
        from kerker.models import load_generator, load_surrogate

        kw["surrogate"], kw["generator"] = load_surrogate(), load_generator()
    objective = Directional(wavelength=wavelength, weight=weight)
    log(f"{starts} concurrent optimizations ({method}, {physics}) of L = -Q_fwd + {weight:g} Q_back at "
        f"{wavelength:g} nm, {core} core")
    t0 = time.perf_counter()
    result = inverse_design(objective, lr=lr, **kw)
    wall = time.perf_counter() - t0
    log(f"done in {wall:.1f} s: {result.best}")
    materials = result.materials
    ci = materials.index(core)
    best = _best_per_shell(result)
    for shell, b in best.items():
        si = materials.index(shell)
        if grid:
            g = grid_optimum(materials, ci, si, wavelength, weight, grid=grid)
            b["grid_optimum"] = g
            b["gap_pct"] = float(100 * (b["loss"] - g["loss"]) / abs(g["loss"]))
        if spread:
            b["polydispersity"] = polydispersity(materials, ci, si, b["r_core"], b["t_shell"], wavelength, weight,
                                                 spread=spread)
        gap = f", grid optimum {b['grid_optimum']['loss']:.4f} (gap {b['gap_pct']:.3f} %)" if grid else ""
        log(f"  {shell:6s} shell: r_core {b['r_core']:6.2f} nm, t_shell {b['t_shell']:6.2f} nm, "
            f"L {b['loss']:.4f}{gap}")
    # The search's permittivities (held constant outside a material's data, as the dataset and surrogate).
    from kerker.materials import material

    held = {name: material(name).with_extrapolation("hold") for name in dict.fromkeys([core, *best])}
    spectra = {shell: particle_spectra(held[core], held[shell], b["r_core"], b["t_shell"],
                                       np.linspace(*_SPECTRUM_GRID), pattern_wavelength=wavelength)
               for shell, b in best.items()}
    optima = {"shell": np.asarray(result.shell), "r_core": result.r_core, "t_shell": result.t_shell,
              "loss": result.loss, "q_fwd": result.q_fwd[:, 0], "q_back": result.q_back[:, 0],
              "search_loss": result.search_loss}
    sweep = []
    for w in weights:
        r = inverse_design(Directional(wavelength=wavelength, weight=float(w)), lr=lr, **kw)
        sweep.append({"weight": float(w), "best_per_shell": _best_per_shell(r)})
        log(f"weight {w:g}: {r.best}")
    lr_study = {}
    for rate in lrs:
        r = inverse_design(objective, lr=float(rate), **{**kw, "starts": min(starts, 1000)})
        h = np.asarray(r.history)
        lr_study[f"{float(rate):g}"] = {"best": h.min(1).tolist(), "median": np.median(h, 1).tolist(),
                                        "final_best_exact": float(r.loss[0])}
        log(f"lr {rate:g}: {h.shape[0]} iterations, best exact L {r.loss[0]:.4f}")
    config = {"core": core, "wavelength": wavelength, "weight": weight, "starts": starts, "iterations": iterations,
              "lr": result.meta["config"]["lr"], "physics": physics, "method": method, "seed": seed, "grid": grid,
              "spread": spread, "weights": [float(w) for w in weights], "lrs": [float(x) for x in lrs],
              "evaluations": int(result.evaluations)}
    return KerkerStudy(config, optima, best, sweep, lr_study, wall, spectra)


def write_kerker_study(study: KerkerStudy, path, *, command=None):
    """Write ``study.json``: the study (:meth:`KerkerStudy.to_dict`), the paper's findings, provenance."""
    from kerker._artifacts import provenance, write_json_atomic
    from kerker.materials import material

    names = dict.fromkeys([study.config["core"], *study.best_per_shell])
    payload = {**study.to_dict(), "paper": PAPER_KERKER,
               "provenance": {**provenance(study.config, seed=study.config["seed"],
                                           materials=[material(n).describe() for n in names]),
                              "command": list(command) if command else None}}
    return write_json_atomic(path, payload)
