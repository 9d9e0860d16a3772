"""Accuracy of kerker's core-shell Mie solver: the numbers quoted in issue 2's closing note.

Not a test (``tests/mie/test_references.py`` asserts the same bars); this script measures
and prints, per efficiency, the maximum deviation relative to each spectrum's maximum:

1. kerker vs treams, scattnlay and pymiecs on the seeded 2,000 random configurations x
   64 wavelengths (400-800 nm, all 49 material pairs, radii 1-100 nm);
2. treams vs the 50-digit mpmath reference on a subset, showing the bar measures kerker;
3. kerker (and, for comparison, treams and scattnlay) vs mpmath on the hard cases (all
   64 wavelengths) and on lossless layers at sin zeros.

Q_abs of lossless particles is compared with the exact 0 on the Q_ext scale (see
``tests/reference/mie_particles.py::deviations``).  Run: ``python benchmarks/mie_accuracy.py``
(about 3 minutes on 2 cores).
"""

from __future__ import annotations

import importlib.util
import math
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # the repository root, for tests.reference

import kerker  # noqa: E402
from tests.reference import mie_codes as rc  # noqa: E402
from tests.reference import mie_mpmath as ref_mp  # noqa: E402
from tests.reference import mie_particles as rp  # noqa: E402
from tests.reference.mie_hard_cases import HARD_CASES, SIN_ZERO_CASES  # noqa: E402

KEYS = rp.KEYS
N_CONFIGS = 2000
N_MPMATH_RANDOM = 49  # one configuration per material pair
MPMATH_WAVELENGTH_STEP = 9  # 8 of the 64 wavelengths for the random mpmath subset


def _have(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _row(label: str, dev: dict) -> str:
    return f"{label:44s}" + "".join(f"{dev[k].max():>11.2e}" for k in KEYS)


def _header() -> str:
    return f"{'comparison (max |dQ| / max |Q_ref|)':44s}" + "".join(f"{k:>11s}" for k in KEYS)


def _kerker(cfg: rp.Configurations) -> dict:
    res = kerker.efficiencies(cfg.eps_core, cfg.eps_shell, cfg.r_core, cfg.t_shell, cfg.wavelength)
    return {k: np.asarray(getattr(res, k)) for k in KEYS}


def _mpmath(n_core, n_shell, r_core, r_outer, wavelength) -> dict:
    out = {k: np.empty(np.shape(n_core)) for k in KEYS}
    for p in range(len(r_core)):
        q = ref_mp.spectrum(n_core[p], n_shell[p], float(r_core[p]), float(r_outer[p]), wavelength)
        for k in KEYS:
            out[k][p] = q[k]
    return out


def _worst(dev: dict, cfg: rp.Configurations) -> str:
    lines = []
    for k in KEYS:
        i = int(np.argmax(dev[k]))
        lines.append(
            f"    worst {k:7s} {dev[k][i]:.2e}: {cfg.core[i]}/{cfg.shell[i]} "
            f"r_core={cfg.r_core[i]:.3f} nm t_shell={cfg.t_shell[i]:.3f} nm"
        )
    return "\n".join(lines)


def random_sweep() -> None:
    t0 = time.perf_counter()
    cfg = rp.random_configurations(N_CONFIGS, seed=rp.SEED)
    lossless = rp.lossless(cfg.n_core, cfg.n_shell)
    ours = _kerker(cfg)
    print(
        f"\n[1] {N_CONFIGS} random configurations x {len(cfg.wavelength)} wavelengths "
        f"(seed {rp.SEED}; {int(lossless.sum())} lossless)"
    )
    print(_header())
    peers = [
        ("treams", rc.treams_efficiencies),
        ("scattnlay", rc.scattnlay_efficiencies),
        ("pymiecs", rc.pymiecs_efficiencies),
    ]
    for name, fn in peers:
        if not _have(name):
            print(f"kerker vs {name:35s} skipped: {name} not installed")
            continue
        ref = fn(cfg.n_core, cfg.n_shell, cfg.r_core, cfg.r_outer, cfg.wavelength)
        dev = rp.deviations(ours, ref, lossless)
        print(_row(f"kerker vs {name}", dev))
        if name == "treams":
            treams_dev = dev
    if _have("treams"):
        print("  kerker vs treams, worst configuration per efficiency:")
        print(_worst(treams_dev, cfg))
    print(f"  ({time.perf_counter() - t0:.0f} s)")


def treams_vs_mpmath() -> None:
    if not _have("treams"):
        print("\n[2] treams vs mpmath skipped: treams not installed")
        return
    t0 = time.perf_counter()
    cfg = rp.random_configurations(N_CONFIGS, seed=rp.SEED).subset(slice(0, N_MPMATH_RANDOM))
    wl = cfg.wavelength[::MPMATH_WAVELENGTH_STEP]
    n_core, n_shell = cfg.n_core[:, ::MPMATH_WAVELENGTH_STEP], cfg.n_shell[:, ::MPMATH_WAVELENGTH_STEP]
    lossless = rp.lossless(n_core, n_shell)
    ref = _mpmath(n_core, n_shell, cfg.r_core, cfg.r_outer, wl)
    print(f"\n[2] the first {N_MPMATH_RANDOM} of those configurations x {len(wl)} wavelengths vs mpmath ({ref_mp.DPS} digits)")
    print(_header())
    tre = rc.treams_efficiencies(n_core, n_shell, cfg.r_core, cfg.r_outer, wl)
    print(_row("treams vs mpmath", rp.deviations(tre, ref, lossless)))
    res = kerker.efficiencies(cfg.eps_core[:, ::MPMATH_WAVELENGTH_STEP], cfg.eps_shell[:, ::MPMATH_WAVELENGTH_STEP],
                              cfg.r_core, cfg.t_shell, wl)
    ours = {k: np.asarray(getattr(res, k)) for k in KEYS}
    print(_row("kerker vs mpmath", rp.deviations(ours, ref, lossless)))
    print(f"  ({time.perf_counter() - t0:.0f} s)")


def hard_cases() -> None:
    t0 = time.perf_counter()
    wl = rp.WAVELENGTH
    print(f"\n[3] hard cases, {len(wl)} wavelengths 400-800 nm, vs mpmath ({ref_mp.DPS} digits)")
    print(_header())
    total = {k: np.zeros(1) for k in KEYS}
    total_peers = {name: {k: np.zeros(1) for k in KEYS} for name in ("treams", "scattnlay")}
    for label, core, shell, r_core, t_shell in HARD_CASES:
        n_core = rp.material(core).refractive_index(wl)[None]
        n_shell = rp.material(shell).refractive_index(wl)[None]
        lossless = rp.lossless(n_core, n_shell)
        ref = _mpmath(n_core, n_shell, [r_core], [r_core + t_shell], wl)
        res = kerker.efficiencies(rp.material(core), rp.material(shell), np.array([r_core]), np.array([t_shell]), wl)
        dev = rp.deviations({k: np.asarray(getattr(res, k)) for k in KEYS}, ref, lossless)
        print(_row(f"kerker, {label}", dev))
        total = {k: np.maximum(total[k], dev[k]) for k in KEYS}
        for name, fn in (("treams", rc.treams_efficiencies), ("scattnlay", rc.scattnlay_efficiencies)):
            if _have(name):
                d = rp.deviations(fn(n_core, n_shell, [r_core], [r_core + t_shell], wl), ref, lossless)
                total_peers[name] = {k: np.maximum(total_peers[name][k], d[k]) for k in KEYS}
    print(_row("kerker, all hard cases", total))
    for name, d in total_peers.items():
        if _have(name):
            print(_row(f"{name}, all hard cases", d))

    print(f"\n    lossless layers at sin zeros (one wavelength, 500 nm; each value relative to itself)")
    print(_header())
    total = {k: np.zeros(1) for k in KEYS}
    total_sn = {k: np.zeros(1) for k in KEYS}
    wl1 = np.array([500.0])
    k0 = 2 * math.pi / wl1[0]
    for label, m_core, m_shell, x_core, x_shell in SIN_ZERO_CASES:
        r_core, r_outer = x_core / k0, x_shell / k0
        n_core, n_shell = np.array([[m_core]], complex), np.array([[m_shell]], complex)
        lossless = rp.lossless(n_core, n_shell)
        ref = _mpmath(n_core, n_shell, [r_core], [r_outer], wl1)
        res = kerker.efficiencies(n_core[0] ** 2, n_shell[0] ** 2, np.array([r_core]), np.array([r_outer - r_core]), wl1)
        dev = rp.deviations({k: np.asarray(getattr(res, k)) for k in KEYS}, ref, lossless)
        print(_row(f"kerker, {label}", dev))
        total = {k: np.maximum(total[k], dev[k]) for k in KEYS}
        if _have("scattnlay"):
            d = rp.deviations(rc.scattnlay_efficiencies(n_core, n_shell, [r_core], [r_outer], wl1), ref, lossless)
            total_sn = {k: np.maximum(total_sn[k], d[k]) for k in KEYS}
    print(_row("kerker, all sin-zero cases", total))
    if _have("scattnlay"):
        print(_row("scattnlay, all sin-zero cases", total_sn))
    print(f"  ({time.perf_counter() - t0:.0f} s)")


def main() -> None:
    import platform

    import torch

    print("kerker Mie accuracy: max deviation relative to each spectrum's maximum")
    print(f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
          f"torch threads {torch.get_num_threads()}")
    for name in ("treams", "scattnlay", "pymiecs", "miepython", "mpmath"):
        if _have(name):
            from importlib.metadata import version

            print(f"  {name} {version(name)}")
        else:
            print(f"  {name}: not installed")
    random_sweep()
    treams_vs_mpmath()
    hard_cases()


if __name__ == "__main__":
    main()
