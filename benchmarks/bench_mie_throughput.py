"""Throughput of core-shell Mie spectra: kerker vs pymiecs, pymiediff and scattnlay.

Issue 2, item 7.  Workload: the seeded 2,000 random configurations of the accuracy
tests (all 49 pairs of the paper's seven materials, core radius and shell thickness
uniform in 1-100 nm) x 64 wavelengths 400-800 nm; a "spectrum" is one particle at all
64 wavelengths, so spectra/s = 2000 / (seconds per pass).  Every code gets the same
complex permittivities (from ``kerker.material``; TiO2 held below 430 nm as in the
paper) and computes the five efficiencies Q_ext, Q_sca, Q_abs, Q_fwd, Q_back; the
material lookup is not timed.  Modes:

* forward: the five efficiencies;
* fwd+bwd: forward, then the gradient of sum(Q_fwd) w.r.t. core radius and shell
  thickness (float64 tensors with requires_grad) -- torch codes only.

Each row is the best of ``REPEATS`` timed passes after one warm-up pass; the passes are
taken round-robin over all rows, so that load from other processes on a shared machine
falls on every code alike (the load average is printed before and after).  The last
column is each code's largest deviation from kerker (Q_fwd, relative to each spectrum's
maximum), showing all rows compute the same thing.  Peers that are not installed are
skipped with a note.  Run: ``python benchmarks/bench_mie_throughput.py`` (or
``make bench``).
"""

from __future__ import annotations

import importlib.util
import os
import pathlib
import platform
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repository root, for tests.reference

import kerker  # noqa: E402
from tests.reference import mie_codes as rc  # noqa: E402
from tests.reference import mie_particles as rp  # noqa: E402

N_CONFIGS = 2000
REPEATS = 3


def _best_of_round_robin(runs: dict, repeats: int = REPEATS) -> dict:
    """{label: (best seconds, result)} with one warm-up call each, then ``repeats`` rounds."""
    results = {label: run() for label, run in runs.items()}
    best = {label: float("inf") for label in runs}
    for _ in range(repeats):
        for label, run in runs.items():
            t0 = time.perf_counter()
            results[label] = run()
            best[label] = min(best[label], time.perf_counter() - t0)
    return {label: (best[label], results[label]) for label in runs}


def _cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


def _fmt_load(load) -> str:
    return ", ".join(f"{v:.2f}" for v in load)


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ----------------------------------------------------------------------------- kerker


def kerker_forward_numpy(cfg):
    def run():
        res = kerker.efficiencies(cfg.eps_core, cfg.eps_shell, cfg.r_core, cfg.t_shell, cfg.wavelength)
        return np.asarray(res.q_fwd)

    return run


def kerker_forward_torch(cfg):
    eps_c, eps_s = torch.as_tensor(cfg.eps_core), torch.as_tensor(cfg.eps_shell)
    r_core, t_shell, wl = torch.as_tensor(cfg.r_core), torch.as_tensor(cfg.t_shell), torch.as_tensor(cfg.wavelength)

    def run():
        with torch.no_grad():
            return kerker.efficiencies(eps_c, eps_s, r_core, t_shell, wl).q_fwd.numpy()

    return run


def kerker_forward_backward(cfg):
    eps_c, eps_s = torch.as_tensor(cfg.eps_core), torch.as_tensor(cfg.eps_shell)
    wl = torch.as_tensor(cfg.wavelength)

    def run():
        r_core = torch.tensor(cfg.r_core, dtype=torch.float64, requires_grad=True)
        t_shell = torch.tensor(cfg.t_shell, dtype=torch.float64, requires_grad=True)
        q_fwd = kerker.efficiencies(eps_c, eps_s, r_core, t_shell, wl).q_fwd
        q_fwd.sum().backward()
        return q_fwd.detach().numpy()

    return run


# -------------------------------------------------------------------------- pymiediff


def _pymiediff_efficiencies(a, b, k, r_outer) -> dict:
    """The five efficiencies from pymiediff's (N, P, W) coefficients, in torch."""
    n = torch.arange(1, a.shape[0] + 1, dtype=torch.float64)[:, None, None]
    w = 2 * n + 1
    x2 = (k * r_outer[:, None]) ** 2
    q_ext = 2 / x2 * torch.sum(w * (a + b).real, 0)
    q_sca = 2 / x2 * torch.sum(w * (a.abs() ** 2 + b.abs() ** 2), 0)
    return {
        "q_ext": q_ext,
        "q_sca": q_sca,
        "q_abs": q_ext - q_sca,
        "q_fwd": torch.sum(w * (a + b), 0).abs() ** 2 / x2,
        "q_back": torch.sum(w * (-1) ** n * (a - b), 0).abs() ** 2 / x2,
    }


def pymiediff_run(cfg, backend: str, backward: bool):
    import pymiediff

    k0 = torch.as_tensor(2 * np.pi / cfg.wavelength)
    eps_c, eps_s = torch.as_tensor(cfg.eps_core), torch.as_tensor(cfg.eps_shell)

    def run():
        r_core = torch.tensor(cfg.r_core, dtype=torch.float64, requires_grad=backward)
        t_shell = torch.tensor(cfg.t_shell, dtype=torch.float64, requires_grad=backward)
        with torch.set_grad_enabled(backward):
            r_outer = r_core + t_shell
            coef = pymiediff.multishell.mie_coefficients(
                k0=k0, r_c=r_core, eps_c=eps_c, r_s=r_outer, eps_s=eps_s, eps_env=1.0, backend=backend
            )
            q = _pymiediff_efficiencies(coef["a_n"], coef["b_n"], k0, r_outer)
            if backward:
                q["q_fwd"].sum().backward()
        return q["q_fwd"].detach().numpy()

    return run


# ------------------------------------------------------------------ pymiecs, scattnlay


def pymiecs_run(cfg):
    import pymiecs

    k0 = 2 * np.pi / cfg.wavelength

    def run():
        out = np.empty(cfg.n_core.shape)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            for p in range(len(cfg)):  # one call per configuration, as the paper's dataset
                q = pymiecs.Q(
                    k0, r_core=cfg.r_core[p], n_core=cfg.n_core[p], r_shell=cfg.r_outer[p], n_shell=cfg.n_shell[p]
                )
                out[p] = q["qfwd"]
        return out

    return run


def scattnlay_run(cfg):
    def run():
        return rc.scattnlay_efficiencies(cfg.n_core, cfg.n_shell, cfg.r_core, cfg.r_outer, cfg.wavelength)["q_fwd"]

    return run


def main() -> None:
    cfg = rp.random_configurations(N_CONFIGS, seed=rp.SEED)
    print("Core-shell Mie throughput: spectra/s (1 spectrum = 1 particle x 64 wavelengths, 400-800 nm)")
    print(f"workload: {N_CONFIGS} seeded random configurations (seed {rp.SEED}), all 49 material pairs, "
          f"radii 1-100 nm; best of {REPEATS} after a warm-up")
    print(f"machine: {_cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}")
    print(f"python {platform.python_version()}, torch {torch.__version__} "
          f"(get_num_threads() = {torch.get_num_threads()}), numpy {np.__version__}")

    runs = {}  # (library, mode) -> callable returning Q_fwd (P, W)
    skipped = []
    k_name = f"kerker {_version('kerker')}"
    runs[(k_name, "forward (torch)")] = kerker_forward_torch(cfg)
    runs[(k_name, "forward (numpy)")] = kerker_forward_numpy(cfg)
    runs[(k_name, "fwd+bwd")] = kerker_forward_backward(cfg)
    if _have("pymiediff"):
        name = f"pymiediff {_version('pymiediff')}"
        for backend in ("pena", "torch"):
            for backward in (False, True):
                mode = f"{'fwd+bwd' if backward else 'forward'} ({backend})"
                runs[(name, mode)] = pymiediff_run(cfg, backend, backward)
    else:
        skipped.append("pymiediff")
    if _have("scattnlay"):
        runs[(f"scattnlay {_version('scattnlay')}", "forward (per particle x wavelength)")] = scattnlay_run(cfg)
    else:
        skipped.append("scattnlay")
    if _have("pymiecs"):
        runs[(f"pymiecs {_version('pymiecs')}", "forward (per particle)")] = pymiecs_run(cfg)
    else:
        skipped.append("pymiecs")

    load_before = os.getloadavg()
    timed = _best_of_round_robin(runs)
    load_after = os.getloadavg()
    rows = [(lib, mode, t, q) for (lib, mode), (t, q) in timed.items()]
    rows += [(name, "-", None, "not installed") for name in skipped]
    q_ref = rows[0][3]
    t_ref = rows[0][2]
    print()
    print(f"{'library':18s} {'mode':36s} {'spectra/s':>11s} {'vs kerker fwd':>14s} {'max dQ_fwd':>11s}")
    for lib, mode, t, q in rows:
        if t is None:
            print(f"{lib:18s} {'skipped: ' + q}")
            continue
        dev = rp.spectrum_deviation(q, q_ref).max()
        print(f"{lib:18s} {mode:36s} {N_CONFIGS / t:11.0f} {t_ref / t:13.3f}x {dev:11.1e}")
    print(f"\nload average (1, 5, 15 min) before: {_fmt_load(load_before)}, after: {_fmt_load(load_after)}")
    print("'vs kerker fwd' = throughput / kerker forward (torch) throughput; 'max dQ_fwd' = largest deviation")
    print("from kerker's Q_fwd relative to each spectrum's maximum.")


if __name__ == "__main__":
    main()
