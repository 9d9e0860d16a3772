"""Inverse-design loops (issue 14): latent optimisation through the generator and the paper's DE.

One run, side by side, wall seconds on this machine:
- 500 latent vectors x 100 Adam iterations through the shipped generator + ResNet surrogate
  (the paper: ~9 s on an RTX 4090), and through the generator + exact Mie theory at the
  64 dataset wavelengths (SpectrumMatch of one test particle);
- the same latent problem on exact Mie at one wavelength (the Kerker study's shape);
- Differential Evolution (nevergrad, population 100 x 250 generations, exact Mie at 64
  wavelengths) for one target, the paper's baseline budget.
Early stopping is off (patience 0) so every loop runs its full length.
Run: ``python benchmarks/bench_design.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import platform
import time

import torch

import kerker
from kerker.design import FULL_WAVELENGTH, Directional, SpectrumMatch, inverse_design


def _timed(label: str, **kwargs) -> float:
    t0 = time.perf_counter()
    res = inverse_design(patience=0, **kwargs)
    wall = time.perf_counter() - t0
    print(f"{label:<58s} {wall:8.2f} s   best {res.best}")
    return wall


def main() -> None:
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    q = kerker.efficiencies("Si", "SiO2", 45.0, 25.0, FULL_WAVELENGTH)
    match = SpectrumMatch(FULL_WAVELENGTH, q_fwd=q.q_fwd[0], q_back=q.q_back[0])
    rows = {
        "latent + surrogate, 500 x 100, 64 wavelengths": _timed(
            "latent + surrogate, 500 x 100, 64 wavelengths", objective=match, method="latent", physics="surrogate",
            starts=500, iterations=100),
        "latent + exact, 500 x 100, 64 wavelengths": _timed(
            "latent + exact, 500 x 100, 64 wavelengths", objective=match, method="latent", physics="exact",
            starts=500, iterations=100),
        "latent + exact, 500 x 100, 1 wavelength (Kerker, Si core)": _timed(
            "latent + exact, 500 x 100, 1 wavelength (Kerker, Si core)", objective=Directional(705.0),
            method="latent", physics="exact", starts=500, iterations=100, fix_core="Si"),
        "de, 100 x 250, exact, 64 wavelengths (one target)": _timed(
            "de, 100 x 250, exact, 64 wavelengths (one target)", objective=match, method="de", physics="exact",
            starts=100, iterations=250),
    }
    target = 9.0
    print(f"\nissue 14 target: <= {target:g} s for each 500 x 100 latent loop (the paper's RTX 4090 time)")
    for label, wall in rows.items():
        if label.startswith("latent"):
            print(f"  {label}: {wall:.2f} s = {wall / target:.2f} x the target")
    print(f"  DE per target: {rows['de, 100 x 250, exact, 64 wavelengths (one target)']:.2f} s")


if __name__ == "__main__":
    main()
