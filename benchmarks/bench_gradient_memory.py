"""Peak memory of a gradient through kerker.efficiencies, per particle x wavelength point.

Issue 13, item 11.  Workload: ``POINTS`` seeded random core-shell particles of the paper's
domain (all 49 pairs of the seven materials, core radius and shell thickness uniform in
1-100 nm) at one wavelength (600 nm), permittivities given as (P, 1) arrays, radii as
float64 tensors with ``requires_grad``; the measured call is the forward pass plus the
gradient of ``sum(Q_fwd)`` w.r.t. both radii; the forward pass alone (no gradients) is
measured too, for comparison, and both for kerker's fused kernel (the default with Numba:
it keeps a 30-double Jacobian per point) and for its torch path (``KERKER_MIE_KERNEL=torch``:
autograd's graphs within a 1 GiB budget, the other blocks recomputed in the backward pass).

Each size runs in a fresh Python process, which reports ``ru_maxrss`` (the peak resident
set size, which is what the kernel's OOM killer sees and what torch's allocator returns
to the system only lazily) once after the inputs are built (and one small call has loaded
the kernel) and once after the backward pass; the difference divided by the number of
points is the peak memory per point.
``tracemalloc`` cannot see torch's allocations, hence the process-level figure.

Run: ``python benchmarks/bench_gradient_memory.py [POINTS ...]`` (default 100000 and
1000000; ``make bench`` runs the default). The fused kernel's first call in each process
loads it from Numba's cache (compiled beforehand by a warm-up process, not measured).
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

DEFAULT_POINTS = (100_000, 1_000_000)
WAVELENGTH_NM = 600.0
SEED = 20261121

_CHILD = r"""
import json, resource, sys, time
import numpy as np, torch
sys.path.insert(0, {root!r})  # the repository root, for tests.reference
from tests.reference import mie_particles as rp
import kerker

points = {points}
cfg = rp.random_configurations(points, seed={seed}, wavelength=np.array([{wavelength}]))
eps_c = torch.as_tensor(cfg.eps_core)
eps_s = torch.as_tensor(cfg.eps_shell)
wl = torch.tensor([{wavelength}], dtype=torch.float64)
grad = {grad}
r_core = torch.tensor(cfg.r_core, dtype=torch.float64, requires_grad=grad)
t_shell = torch.tensor(cfg.t_shell, dtype=torch.float64, requires_grad=grad)
del cfg
kerker.efficiencies("Si", "SiO2", 50.0, 10.0, [600.0])  # loads the kernel (Numba, LLVM) before the baseline
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
q_fwd = kerker.efficiencies(eps_c, eps_s, r_core, t_shell, wl).q_fwd
if grad:
    q_fwd.sum().backward()
seconds = time.perf_counter() - t0
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = (r_core.grad, t_shell.grad) if grad else (q_fwd,)
finite = all(bool(torch.isfinite(t).all()) for t in out)
print(json.dumps({{"before_kib": before, "after_kib": after, "seconds": seconds, "finite": finite}}))
"""


def measure(points: int, grad: bool = True, kernel: str = "auto") -> dict:
    """Run one fresh process for ``points`` points; returns its JSON report (sizes in KiB)."""
    root = str(pathlib.Path(__file__).resolve().parents[1])
    code = _CHILD.format(root=root, points=points, seed=SEED, wavelength=WAVELENGTH_NM, grad=grad)
    env = {**os.environ, "KERKER_MIE_KERNEL": kernel}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    sizes = [int(float(a)) for a in sys.argv[1:]] or list(DEFAULT_POINTS)
    import torch

    print("Peak memory of d/d(r_core, t_shell) sum(Q_fwd) through kerker.efficiencies")
    print(f"workload: seeded random particles (seed {SEED}), all 49 pairs, radii 1-100 nm, "
          f"1 wavelength ({WAVELENGTH_NM:g} nm); one fresh process per size, peak RSS (ru_maxrss)")
    print(f"torch {torch.__version__}, {os.cpu_count()} logical CPUs")
    measure(10, True, "fused")  # compiles the fused kernel into Numba's cache if needed
    print()
    print(f"{'kernel':>7s} {'mode':>9s} {'points':>10s} {'inputs (MB)':>12s} {'peak (MB)':>10s} {'call (MB)':>10s} "
          f"{'per point':>10s} {'seconds':>8s} {'finite':>7s}")
    for kernel in ("fused", "torch"):
        for grad in (False, True):
            mode = "fwd+bwd" if grad else "forward"
            for points in sizes:
                t0 = time.perf_counter()
                rep = measure(points, grad, kernel)
                if "error" in rep:
                    print(f"{kernel:>7s} {mode:>9s} {points:10d} failed after {time.perf_counter() - t0:.0f} s: {rep['error']}")
                    continue
                call_kib = rep["after_kib"] - rep["before_kib"]
                per_point = call_kib * 1024 / points
                print(f"{kernel:>7s} {mode:>9s} {points:10d} {rep['before_kib'] / 1024:12.0f} {rep['after_kib'] / 1024:10.0f} "
                      f"{call_kib / 1024:10.0f} {per_point:8.0f} B {rep['seconds']:8.1f} {str(rep['finite']):>7s}")
    print("\n'call' = peak RSS after the backward pass minus peak RSS with the inputs built;")
    print("'per point' = call / points (bytes per particle x wavelength point).")


if __name__ == "__main__":
    main()
