"""Throughput of L-layer Mie spectra (issue 17): kerker.efficiencies_layered vs scattnlay and
pymiediff's multilayer solver, for L = 2, 3 and 5 layers; at L = 2 also kerker.efficiencies.

Configurations: ``P`` seeded random L-layer particles of ``tests/reference/mie_particles.py``
(``random_layered``: the seven materials, neighbours distinct, outer radius uniform in
L-300 nm, ~1 layer in 5 exactly 1 nm thick) x 64 wavelengths 430-1450 nm, vacuum.  A
"spectrum" is one particle at all 64 wavelengths: spectra/s = P / seconds per pass.  Every
code gets the same complex permittivities (the material lookup is not timed) and yields the
five efficiencies (forward only):

* ``kerker.efficiencies_layered``, NumPy in and out (L = 2 runs the fused core-shell
  kernel, L >= 3 the torch path of the same recursion), and with torch tensors in;
* ``kerker.efficiencies`` (core-shell) at L = 2: the same numbers, for the overhead of the
  layered front end;
* scattnlay (Pena & Pal 2009), one call per particle and wavelength: its wrapper
  mishandles batches of different term counts (``tests/reference/mie_codes.py``);
* pymiediff's multilayer solver, ``pymiediff.multishell.mie_coefficients(...,
  backend="pena")`` (Pena/Yang recurrences in torch; its ``"torch"`` and ``"scipy"``
  backends take at most two layers), with the five efficiencies formed from its a_n, b_n,
  in calls of ``PYMIEDIFF_CHUNK`` particles.

Each row is the best of ``REPEATS`` interleaved passes after a warm-up (scattnlay: of
``PEER_REPEATS``), so that load from other processes falls on every code alike; only
ratios within one run mean anything on a shared machine.  "vs kerker" is that row's
throughput over ``kerker.efficiencies_layered`` (NumPy) at the same L, "vs pymiediff" over
pymiediff's, and "max dQ_fwd" the row's largest deviation from kerker's Q_fwd relative to
each spectrum's maximum.  Run ``python benchmarks/bench_layered.py`` (or ``make bench``);
``--particles N`` sets P (default 2000), ``--quick`` is P = 100 with 2 passes.
"""

from __future__ import annotations

import argparse
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

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # this folder: the timing helpers
from bench_mie_throughput import _best_of_round_robin, _cpu_model, _fmt_load, _pymiediff_efficiencies, _version  # noqa: E402,E501

REPEATS = 3
PEER_REPEATS = 1
PYMIEDIFF_CHUNK = 500
LAYERS = (2, 3, 5)


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


# ------------------------------------------------------------------------------ codes


def kerker_layered_run(cfg, torch_inputs: bool = False):
    eps = [cfg.eps_layers[:, j] for j in range(cfg.n_layer_count)]
    radii, wl = cfg.radii, cfg.wavelength
    if torch_inputs:
        eps = [torch.as_tensor(e) for e in eps]
        radii, wl = torch.as_tensor(radii), torch.as_tensor(wl)

    def run():
        q_fwd = kerker.efficiencies_layered(eps, radii, wl).q_fwd
        return q_fwd.numpy() if torch_inputs else q_fwd

    return run


def kerker_core_shell_run(cfg):
    eps_c, eps_s = cfg.eps_layers[:, 0], cfg.eps_layers[:, 1]
    r_core, t_shell = cfg.radii[:, 0], cfg.radii[:, 1] - cfg.radii[:, 0]

    def run():
        return kerker.efficiencies(eps_c, eps_s, r_core, t_shell, cfg.wavelength).q_fwd

    return run


def scattnlay_run(cfg):
    def run():
        return rc.scattnlay_layered_efficiencies(cfg.n_layers, cfg.radii, cfg.wavelength)["q_fwd"]

    return run


def pymiediff_run(cfg, chunk: int = PYMIEDIFF_CHUNK):
    import pymiediff

    k0 = torch.as_tensor(2 * np.pi / cfg.wavelength)
    radii = torch.as_tensor(cfg.radii)
    eps = torch.as_tensor(cfg.eps_layers)  # (P, L, W)

    def run():
        out = []
        for lo in range(0, len(cfg), chunk):
            sl = slice(lo, lo + chunk)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                coef = pymiediff.multishell.mie_coefficients(
                    k0=k0, r_layers=radii[sl], eps_layers=eps[sl], eps_env=1.0, backend="pena"
                )
            q = _pymiediff_efficiencies(coef["a_n"], coef["b_n"], k0, radii[sl, -1])
            out.append(q["q_fwd"].numpy())
        return np.concatenate(out)

    return run


# ------------------------------------------------------------------------------ report


def _runs(cfg) -> tuple[dict, list]:
    k_name = f"kerker {_version('kerker')}"
    runs = {
        (k_name, "efficiencies_layered, NumPy"): kerker_layered_run(cfg),
        (k_name, "efficiencies_layered, torch"): kerker_layered_run(cfg, torch_inputs=True),
    }
    if cfg.n_layer_count == 2:
        runs[(k_name, "efficiencies (core-shell)")] = kerker_core_shell_run(cfg)
    skipped = []
    if _have("pymiediff"):
        runs[(f"pymiediff {_version('pymiediff')}", f"multishell pena, {PYMIEDIFF_CHUNK}/call")] = pymiediff_run(cfg)
    else:
        skipped.append("pymiediff")
    if _have("scattnlay"):
        runs[(f"scattnlay {_version('scattnlay')}", "per particle x wavelength")] = scattnlay_run(cfg)
    else:
        skipped.append("scattnlay")
    return runs, skipped


def _report(cfg, timed: dict, skipped: list, load: tuple) -> list:
    n = len(cfg)
    print(f"\n--- L = {cfg.n_layer_count}: {n:,} particles x {len(cfg.wavelength)} wavelengths "
          f"(load average before {_fmt_load(load[0])}, after {_fmt_load(load[1])})")
    print(f"{'library':16s} {'variant':34s} {'spectra/s':>11s} {'vs kerker':>10s} {'vs pymiediff':>13s} {'max dQ_fwd':>11s}")
    labels = list(timed)
    k_ref = timed[labels[0]]
    pmd = next((timed[lab] for lab in labels if lab[0].startswith("pymiediff")), None)
    rows = []
    for (lib, variant), (seconds, q) in timed.items():
        vs_pmd = f"{pmd[0] / seconds:12.2f}x" if pmd else f"{'-':>13s}"
        dev = rp.spectrum_deviation(q, k_ref[1]).max()
        print(f"{lib:16s} {variant:34s} {n / seconds:11.0f} {k_ref[0] / seconds:9.3f}x {vs_pmd} {dev:11.1e}")
        rows.append((cfg.n_layer_count, lib, variant, n / seconds))
    for peer in skipped:
        print(f"{peer:16s} skipped: not installed")
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--particles", type=int, default=2000, help="particles per L (default 2000)")
    parser.add_argument("--quick", action="store_true", help="100 particles, 2 passes: a smoke run")
    args = parser.parse_args(argv)
    n_particles = 100 if args.quick else args.particles
    repeats = 2 if args.quick else REPEATS
    print("L-layer Mie throughput: spectra/s (1 spectrum = 1 particle at all its wavelengths), forward")
    print(f"machine: {_cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.machine()}")
    print(f"python {platform.python_version()}, torch {torch.__version__} (get_num_threads() = {torch.get_num_threads()}), "
          f"numpy {np.__version__}, numba {_version('numba')}, KERKER_MIE_KERNEL={os.environ.get('KERKER_MIE_KERNEL', 'auto')}")
    print(f"seeded random layered particles (seed {rp.SEED}), 64 wavelengths 430-1450 nm; best of {repeats} "
          f"interleaved passes after a warm-up ({PEER_REPEATS} for scattnlay)")
    load_start = os.getloadavg()
    for n_layers in LAYERS:
        cfg = rp.random_layered(n_particles, n_layers, seed=rp.SEED)
        runs, skipped = _runs(cfg)
        fewer = {label: PEER_REPEATS for label in runs if label[0].startswith("scattnlay")}
        load_before = os.getloadavg()
        timed = _best_of_round_robin(runs, repeats, fewer=fewer)
        _report(cfg, timed, skipped, (load_before, os.getloadavg()))
    print(f"\nload average (1, 5, 15 min) at the start: {_fmt_load(load_start)}, at the end: {_fmt_load(os.getloadavg())}")
    print("'vs kerker' / 'vs pymiediff' = this row's throughput over kerker.efficiencies_layered (NumPy) / "
          "pymiediff's at the same L;")
    print("'max dQ_fwd' = largest deviation from kerker's Q_fwd relative to each spectrum's maximum.")


if __name__ == "__main__":
    main()
