"""The Kerker study (Soun et al., Sec. III.B, Fig. 7, S5-S7): a fixed core, every shell.

N concurrent optimizations of the directional loss ``L = -Q_fwd + w Q_back`` at one
wavelength with the core material fixed (:func:`kerker.inverse_design` with
``fix_core``). Every final design is a local optimum; the best one of each shell material
is checked against the global optimum of that shell found independently (a fine
``(r_core, t_shell)`` grid on exact Mie theory, refined by L-BFGS-B) and against size
polydispersity.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

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


def _search(kw: dict, wavelength: float, weight: float, lr, starts: int, keep: str) -> dict:
    """One search of the study (a task): ``starts`` optimizations of ``L_dir`` at ``weight`` and ``lr``.

    ``keep`` says what the study needs of it: ``"main"`` every optimum, ``"weight"`` the
    best design of each shell, ``"lr"`` the loss history.
    """
    t0 = time.perf_counter()
    r = inverse_design(Directional(wavelength=wavelength, weight=weight), lr=lr, **{**kw, "starts": starts})
    out = {"best": str(r.best), "wall": time.perf_counter() - t0}
    if keep == "main":
        out.update(materials=list(r.materials), lr=r.meta["config"]["lr"], evaluations=int(r.evaluations),
                   best_per_shell=_best_per_shell(r),
                   optima={"shell": np.asarray(r.shell), "r_core": r.r_core, "t_shell": r.t_shell, "loss": r.loss,
                           "q_fwd": r.q_fwd[:, 0], "q_back": r.q_back[:, 0], "search_loss": r.search_loss})
    elif keep == "weight":
        out["best_per_shell"] = _best_per_shell(r)
    else:
        h = np.asarray(r.history)
        out.update(iterations=int(h.shape[0]), final_best_exact=float(r.loss[0]),
                   lr_study={"best": h.min(1).tolist(), "median": np.median(h, 1).tolist(),
                             "final_best_exact": float(r.loss[0])})
    return out


def _shell_checks(materials, ci: int, wavelength: float, si: int, weight: float, grid: int, spread: float,
                  r_core: float, t_shell: float) -> dict:
    """One shell's checks (a task): its grid optimum and the polydispersity of its best design."""
    out = {}
    if grid:
        out["grid_optimum"] = grid_optimum(materials, ci, si, wavelength, weight, grid=grid)
    if spread:
        out["polydispersity"] = polydispersity(materials, ci, si, r_core, t_shell, wavelength, weight, spread=spread)
    return out


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
    executor=None,
    resume=None,
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
    executor : optional
        Where the independent parts run: None (default) in this process, or an executor of
        :func:`kerker.open_executor` (a Dask cluster, ``docs/distributed.md``). The tasks
        are the searches (the main one, one per weight, one per learning rate), then the
        checks of each shell (grid optimum, polydispersity); each is the computation the
        in-process study does, so the results are identical. A search's starts are not
        split: its random starts and batched Mie evaluations depend on how many run together.
    resume : path, optional
        A JSON-lines file that receives each finished task's result (appended, synced) and
        from which a rerun with the same arguments takes them instead of computing them
        again (``kerker study kerker`` uses ``OUT/tasks.jsonl``). None: nothing is kept.
    """
    if method not in ("latent", "enumerate"):
        raise ValueError(f"method must be 'latent' or 'enumerate' for the Kerker study, got {method!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 0 or grid == 1:
        raise ValueError(f"grid must be 0 (skip) or an integer >= 2, got {grid!r}")
    if not (isinstance(spread, (int, float)) and 0 <= spread < 1):
        raise ValueError(f"spread must be a fraction in [0, 1), got {spread!r}")
    from kerker._executor import check_executor

    executor = check_executor(executor, "run_kerker_study")
    log = log or (lambda line: None)
    store = _TaskStore(resume, custom_models=surrogate is not None or generator is not None)
    kw = dict(method=method, physics=physics, starts=starts, iterations=iterations, seed=seed, fix_core=core,
              surrogate=surrogate, generator=generator)
    if method == "latent" and surrogate is None:
        from kerker.models import load_generator, load_surrogate

        kw["surrogate"], kw["generator"] = load_surrogate(), load_generator()
    common = {"core": core, "wavelength": wavelength, "iterations": iterations, "physics": physics,
              "method": method, "seed": seed}
    log(f"{starts} concurrent optimizations ({method}, {physics}) of L = -Q_fwd + {weight:g} Q_back at "
        f"{wavelength:g} nm, {core} core" + (f", {executor.describe()}" if executor.distributed else ""))
    searches = [("main", weight, lr, starts), *(("weight", float(w), lr, starts) for w in weights),
                *(("lr", weight, float(rate), min(starts, 1000)) for rate in lrs)]
    tasks = [({"task": "search", "keep": keep, "weight": w, "lr": rate, "starts": n, **common}, (w, rate, n, keep))
             for keep, w, rate, n in searches]
    found = store.run(executor, _search, tasks, shared=(kw, wavelength), name="search", log=_log_search(log))
    main = found[0]
    wall = main["wall"]
    materials = tuple(main["materials"])
    ci = materials.index(core)
    best = main["best_per_shell"]
    checks = [({"task": "shell", "shell": shell, "weight": weight, "grid": grid, "spread": spread,
                "r_core": b["r_core"], "t_shell": b["t_shell"], **common},
               (materials.index(shell), weight, grid, spread, b["r_core"], b["t_shell"]))
              for shell, b in best.items()] if grid or spread else []
    done = store.run(executor, _shell_checks, checks, shared=(materials, ci, wavelength), name="shell")
    for (shell, b), extra in zip(best.items(), done):
        b.update(extra)
        if grid:
            b["gap_pct"] = float(100 * (b["loss"] - b["grid_optimum"]["loss"]) / abs(b["grid_optimum"]["loss"]))
        gap = f", grid optimum {b['grid_optimum']['loss']:.4f} (gap {b['gap_pct']:.3f} %)" if grid else ""
        log(f"  {shell:6s} shell: r_core {b['r_core']:6.2f} nm, t_shell {b['t_shell']:6.2f} nm, "
            f"L {b['loss']:.4f}{gap}")
    # The search's permittivities (held constant outside a material's data, as the dataset and surrogate).
    from kerker.materials import material

    held = {name: material(name).with_extrapolation("hold") for name in dict.fromkeys([core, *best])}
    spectra = {shell: particle_spectra(held[core], held[shell], b["r_core"], b["t_shell"],
                                       np.linspace(*_SPECTRUM_GRID), pattern_wavelength=wavelength)
               for shell, b in best.items()}
    sweep = [{"weight": float(w), "best_per_shell": r["best_per_shell"]}
             for w, r in zip(weights, found[1 : 1 + len(weights)])]
    lr_study = {f"{float(rate):g}": r["lr_study"] for rate, r in zip(lrs, found[1 + len(weights) :])}
    config = {"core": core, "wavelength": wavelength, "weight": weight, "starts": starts, "iterations": iterations,
              "lr": main["lr"], "physics": physics, "method": method, "seed": seed, "grid": grid,
              "spread": spread, "weights": [float(w) for w in weights], "lrs": [float(x) for x in lrs],
              "evaluations": main["evaluations"]}
    return KerkerStudy(config, main["optima"], best, sweep, lr_study, wall, spectra)


def _log_search(log):
    """The progress line of each finished search."""

    def show(key: dict, r: dict) -> None:
        if key["keep"] == "main":
            log(f"done in {r['wall']:.1f} s: {r['best']}")
        elif key["keep"] == "weight":
            log(f"weight {key['weight']:g}: {r['best']}")
        else:
            log(f"lr {key['lr']:g}: {r['iterations']} iterations, best exact L {r['final_best_exact']:.4f}")

    return show


class _TaskStore:
    """Each finished task's result, kept in a JSON-lines file (``resume``) so that a rerun skips it.

    A task is identified by its key (every argument it depends on, and the kerker version);
    results hold NumPy arrays, stored with their dtype so that they read back identical.
    With models passed by the caller (not the shipped ones) nothing is reused or kept.
    """

    def __init__(self, path, *, custom_models: bool):
        from kerker import __version__

        self.path = None if path is None else Path(path)
        self.version = __version__
        self.reuse = not custom_models
        self.kept = {}
        if self.path is not None and self.path.is_file():
            from kerker.design._benchmark import _drop_cut_line

            _drop_cut_line(self.path)  # so that the next result starts a line of its own
        if self.path is not None and self.path.is_file() and self.reuse:
            for line in self.path.read_text().splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:  # a line cut by an interrupt: that task runs again
                    continue
                self.kept[record["key"]] = _decode(record["result"])

    def _id(self, key: dict) -> str:
        return json.dumps({**key, "kerker_version": self.version}, sort_keys=True)

    def run(self, executor, fn, tasks, *, shared, name, log=None) -> list:
        """The results of ``tasks`` (``(key, args)``), in order: kept ones, the others computed on ``executor``.

        ``log(key, result)`` is called for each, kept ones first, the others as they finish.
        """
        results = [self.kept.get(self._id(key)) for key, _ in tasks]
        for (key, _), result in zip(tasks, results):
            if result is not None and log is not None:
                log(key, result)
        todo = ((i, args) for i, ((_, args), result) in enumerate(zip(tasks, results)) if result is None)
        with closing(executor.map(fn, todo, shared=shared, name=name)) as finished:
            for i, result in finished:
                results[i] = result
                if self.path is not None and self.reuse:  # custom models' results are not kept under the shipped keys
                    self._append(tasks[i][0], result)
                if log is not None:
                    log(tasks[i][0], result)
        return results

    def _append(self, key: dict, result) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"key": self._id(key), "result": _encode(result)}) + "\n"
        with open(self.path, "a") as handle:  # one write of a whole line, synced: a kill cuts at most that line
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())


def _encode(value):
    if isinstance(value, np.ndarray):
        return {"__ndarray__": value.tolist(), "dtype": value.dtype.str}
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            return np.asarray(value["__ndarray__"], dtype=np.dtype(value["dtype"]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


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
