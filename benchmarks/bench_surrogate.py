"""Surrogate inference vs exact Mie, and the time to build the paper's dataset (issue 3).

One run, side by side: spectra/s of the shipped ResNet and MLP surrogates (batches of
1,000 and 10,000 random grid-range particles, 64 wavelengths) against kerker's exact
solver on the same particles, then the wall time of ``build_dataset`` for the full
122,500 x 64 paper set into a temporary folder (skipped with ``--no-build``).
Run: ``python benchmarks/bench_surrogate.py`` (or ``make bench``).
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

import kerker
from kerker.dataset import DatasetConfig, build_dataset
from kerker.materials import PAPER_MATERIALS, permittivity_table


def _best_of(fn, repeats: int = 3) -> float:
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _particles(n: int, seed: int):
    rng = np.random.default_rng(seed)
    core = rng.integers(0, len(PAPER_MATERIALS), n)
    shell = rng.integers(0, len(PAPER_MATERIALS), n)
    return core, shell, rng.uniform(1, 100, n), rng.uniform(1, 100, n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--no-build", action="store_true", help="skip the full dataset build timing")
    args = parser.parse_args()
    print("Surrogate inference vs exact Mie (spectra/s; 1 spectrum = 64 wavelengths, 400-800 nm)")
    print(f"machine: {os.cpu_count()} logical CPUs, {platform.machine()}, torch {torch.__version__} "
          f"(threads {torch.get_num_threads()}), load average {os.getloadavg()[0]:.2f}")
    models = {}
    for name in ("resnet", "mlp"):
        try:
            models[name] = kerker.load_surrogate(name)
        except FileNotFoundError as err:
            print(f"  {name}: skipped ({err})")
    wl = np.linspace(400, 800, 64)
    eps = permittivity_table(PAPER_MATERIALS, wl, extrapolation="hold")
    print(f"\n{'batch':>7} {'code':24s} {'spectra/s':>11} {'vs exact Mie':>13}")
    for batch in (1_000, 10_000):
        core, shell, r, t = _particles(batch, seed=batch)
        names_c = [PAPER_MATERIALS[i] for i in core]
        names_s = [PAPER_MATERIALS[i] for i in shell]
        t_exact = _best_of(lambda: kerker.efficiencies(eps[core], eps[shell], r, t, wl))
        print(f"{batch:7d} {'exact Mie (kerker)':24s} {batch / t_exact:11.0f} {1.0:12.2f}x")
        for name, model in models.items():
            with torch.no_grad():
                t_model = _best_of(lambda m=model: m.predict(names_c, names_s, r, t))
            print(f"{batch:7d} {name + ' surrogate':24s} {batch / t_model:11.0f} {t_exact / t_model:12.2f}x")
    if args.no_build:
        return
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_dataset(Path(tmp) / "paper.h5", DatasetConfig(), progress=False)
        wall = time.perf_counter() - t0
    print(f"\nfull paper dataset (122,500 particles x 64 wavelengths, 5 efficiencies): {wall:.1f} s wall "
          f"({122_500 / wall:.0f} spectra/s including HDF5 writes)")


if __name__ == "__main__":
    main()
