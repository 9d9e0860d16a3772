"""Dataset builds on Dask (issue 18): in-process vs a LocalCluster, and an estimate for 10^8 spectra.

One run, wall seconds on this machine (``kerker dataset build`` and ``--workers N`` do the same):

1. the full paper dataset (122,500 particles x 64 wavelengths): in-process vs 2 workers,
   and whether the two files hold the same arrays;
2. a 10^6-spectrum build (the paper's materials and wavelengths, random sampling,
   ``n_particles = 10**6``, chunks of 4,096): in-process, 1 worker and 2 workers;
3. the measured costs behind an estimate: one chunk's Mie computation on one thread (what
   a worker does per task), the writer's time per chunk (``write_chunk``, flush, fsync,
   ``done`` flag: what the one writing process does per task), and the time to create the
   file (particle table, split, digests);
4. the estimate for 10^8 spectra on 64 workers from those figures: the workers compute
   ``K * t_chunk / 64`` and the writer writes ``K * t_write`` (K chunks) at the same time,
   so the build takes about the larger of the two, plus creating the file (scaled
   linearly from the 10^6 file); and the network bandwidth into the writer that this
   pace needs (each chunk's float32 results, 5.2 MB). Not measured: the network, a disk
   other than this one, a file larger than the page cache.

A LocalCluster's start-up (worker processes importing PyTorch) is part of its wall time, as
for a user of ``--workers``. This machine has 2 cores, shared: 2 workers cannot be more
than twice one, and the in-process build already uses both cores (PyTorch's threads).
Writes ``results/bench/distributed.json`` and ``results/bench/distributed.md``.
Run: ``python benchmarks/bench_distributed.py`` (or ``make bench``); ``--quick`` replaces
10^6 by 10^5 spectra and skips the paper set (a check of the script; it writes
``distributed-quick.*`` instead).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from kerker import open_executor
from kerker.dataset import DatasetConfig, build_dataset, open_dataset
from kerker.dataset._generate import _chunk_efficiencies, _chunk_rows, dataset_particles, dataset_split
from kerker.dataset._store import create_partial, fsync, open_partial, write_chunk
from kerker.materials import permittivity_table

OUT = Path(__file__).resolve().parent.parent / "results" / "bench"
TARGET_SPECTRA, TARGET_WORKERS = 10**8, 64


def _load() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


def _build(path: Path, config: DatasetConfig, workers: int | None) -> dict:
    """Wall seconds of one build (in-process, or on a fresh LocalCluster of ``workers``, its start-up included).

    Also when the first chunk was written (a fresh worker process imports kerker and PyTorch
    and compiles or loads the Mie kernel before its first chunk) and the rate after it.
    """
    written = []
    t0 = time.perf_counter()
    with open_executor(workers=workers) as ex:
        started = time.perf_counter() - t0
        build_dataset(path, config, progress=lambda k, n, rate, eta: written.append(time.perf_counter() - t0),
                      executor=None if workers is None else ex)
    wall = time.perf_counter() - t0
    steady = (config.n_chunks - 1) * config.chunk_size / (written[-1] - written[0]) if len(written) > 1 else None
    return {"workers": workers, "wall_s": wall, "cluster_start_s": started if workers else 0.0,
            "first_chunk_s": written[0], "spectra_per_s": config.size / wall,
            "spectra_per_s_after_first_chunk": steady, "load_after": _load()}


def _same_arrays(a: Path, b: Path) -> bool:
    x, y = open_dataset(a), open_dataset(b)
    names = ("r_core", "t_shell", "core_index", "shell_index", "q_fwd", "q_back", "q_ext", "q_sca", "q_abs")
    return x.fingerprint == y.fingerprint and all(np.array_equal(getattr(x, n), getattr(y, n)) for n in names)


def _chunk_cost(config: DatasetConfig, n: int) -> dict:
    """Seconds of one chunk's efficiencies on one thread (a worker's task), over ``n`` chunks spread over the set."""
    particles = dataset_particles(config)
    eps = permittivity_table(config.materials, config.wavelength(), extrapolation=config.extrapolation)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _chunk_efficiencies(config, eps, _chunk_rows(config, particles, 0))  # warm-up
        times = []
        for k in np.linspace(0, config.n_chunks - 2, n).astype(int):  # full chunks only
            t0 = time.perf_counter()
            _chunk_efficiencies(config, eps, _chunk_rows(config, particles, k))
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(threads)
    return {"chunks": n, "mean_s": float(np.mean(times)), "min_s": float(np.min(times)),
            "max_s": float(np.max(times))}


def _writer_cost(config: DatasetConfig, folder: Path, n: int) -> dict:
    """Seconds per chunk of the writer (write_chunk, flush, fsync, done flag) and of creating the file."""
    path = folder / "writer.h5.partial"
    t0 = time.perf_counter()
    create_partial(path, config, dataset_particles(config), dataset_split(config))
    create = time.perf_counter() - t0
    particles = dataset_particles(config)
    eps = permittivity_table(config.materials, config.wavelength(), extrapolation=config.extrapolation)
    q = _chunk_efficiencies(config, eps, _chunk_rows(config, particles, 0))
    with open_partial(path, config) as f:
        t0 = time.perf_counter()
        n = min(n, config.n_chunks - 1)  # full chunks
        for k in range(n):  # the body of kerker.dataset._generate._compute, with one chunk's values
            write_chunk(f, config, k, q)
            f.flush()
            fsync(path)
            f["done"][k] = 1
            f.flush()
        per_chunk = (time.perf_counter() - t0) / n
    path.unlink()
    return {"chunks": n, "per_chunk_s": per_chunk, "spectra_per_s": config.chunk_size / per_chunk,
            "create_s": create, "create_particles": config.size}


def _estimate(chunk: dict, writer: dict, chunk_size: int) -> dict:
    k = math.ceil(TARGET_SPECTRA / chunk_size)
    compute = k * chunk["mean_s"] / TARGET_WORKERS
    write = k * writer["per_chunk_s"]
    create = writer["create_s"] * TARGET_SPECTRA / writer["create_particles"]  # linear in the particles
    total = max(compute, write) + create
    itemsize = 4  # float32 efficiencies
    returned = chunk_size * 64 * 5 * itemsize  # bytes a worker sends the writer per chunk
    return {
        "spectra": TARGET_SPECTRA, "workers": TARGET_WORKERS, "chunks": k,
        "workers_compute_s": compute, "writer_s": write, "create_file_s": create, "total_s": total,
        "bound_by": "writer" if write > compute else "workers",
        "workers_for_the_writer_to_keep_up": math.ceil(chunk["mean_s"] / writer["per_chunk_s"]),
        "bytes_per_chunk_to_the_writer": returned,
        "writer_inbound_mb_per_s": k * returned / max(compute, write) / 1e6,
        "file_gb": TARGET_SPECTRA * (8 + 8 + 1 + 1 + 8 + 5 * 64 * itemsize) / 1e9,
        "writer_memory_gb": TARGET_SPECTRA * 96 / 1e9,  # the particle table, as kerker dataset build estimates it
    }


def _markdown(r: dict) -> str:
    lines = [f"# Dataset builds on Dask ({r['machine']})", "",
             f"load average at the start {r['load_start']}, at the end {r['load_end']}", "",
             "| build | spectra | where | wall (s) | cluster start (s) | first chunk written (s) | spectra/s | "
             "spectra/s after the first chunk |", "|---|---|---|---|---|---|---|---|"]
    for label, runs in r["builds"].items():
        for run in runs:
            where = "in-process" if run["workers"] is None else f"{run['workers']} workers"
            lines.append(f"| {label} | {r['sizes'][label]:,} | {where} | {run['wall_s']:.1f} | "
                         f"{run['cluster_start_s']:.1f} | {run['first_chunk_s']:.1f} | {run['spectra_per_s']:,.0f} | "
                         f"{run['spectra_per_s_after_first_chunk']:,.0f} |")
    c, w, e = r["chunk_cost"], r["writer"], r["estimate"]
    lines += ["", f"paper set, 2 workers vs in-process: same arrays and fingerprint: {r.get('paper_identical')}", "",
              f"per chunk (4,096 spectra, one thread): {c['mean_s'] * 1e3:.0f} ms (min {c['min_s'] * 1e3:.0f}, "
              f"max {c['max_s'] * 1e3:.0f}, {c['chunks']} chunks)",
              f"writer per chunk (write, flush, fsync, done flag): {w['per_chunk_s'] * 1e3:.1f} ms = "
              f"{w['spectra_per_s']:,.0f} spectra/s; creating a {w['create_particles']:,}-particle file: "
              f"{w['create_s']:.2f} s", "",
              f"estimate, {e['spectra']:.0e} spectra on {e['workers']} workers ({e['chunks']:,} chunks): workers "
              f"{e['workers_compute_s'] / 60:.1f} min, writer {e['writer_s'] / 60:.1f} min (at the same time), "
              f"creating the file {e['create_file_s'] / 60:.1f} min: about {e['total_s'] / 3600:.2f} h, bound by the "
              f"{e['bound_by']} (the writer keeps up with at most {e['workers_for_the_writer_to_keep_up']} workers); "
              f"file {e['file_gb']:.0f} GB, particle table {e['writer_memory_gb']:.1f} GB in the writer's memory; the "
              f"results reach the writer at {e['writer_inbound_mb_per_s']:,.0f} MB/s "
              f"({e['bytes_per_chunk_to_the_writer'] / 1e6:.1f} MB per chunk)"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10^5 instead of 10^6 spectra, no paper set")
    args = parser.parse_args()
    n_big = 10**5 if args.quick else 10**6
    big = DatasetConfig(sampling="random", n_particles=n_big, seed=2)
    result = {"machine": f"{os.cpu_count()} logical CPUs, {platform.machine()}, torch {torch.__version__} "
                         f"({torch.get_num_threads()} threads in-process)",
              "load_start": _load(), "builds": {}, "sizes": {}}
    print(f"machine: {result['machine']}, load average {result['load_start']}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.quick:
            paper = DatasetConfig()
            result["sizes"]["paper"] = paper.size
            runs = []
            for workers in (None, 2):
                runs.append(_build(tmp / f"paper-{workers}.h5", paper, workers))
                print(f"paper set, {workers or 'in-process'}: {runs[-1]['wall_s']:.1f} s", flush=True)
            result["builds"]["paper"] = runs
            result["paper_identical"] = _same_arrays(tmp / "paper-None.h5", tmp / "paper-2.h5")
            for workers in (None, 2):
                (tmp / f"paper-{workers}.h5").unlink()
        label = f"random 1e{round(math.log10(n_big))}"
        result["sizes"][label] = big.size
        runs = []
        for workers in (None, 1, 2):
            path = tmp / f"big-{workers}.h5"
            runs.append(_build(path, big, workers))
            print(f"{label}, {workers or 'in-process'}: {runs[-1]['wall_s']:.1f} s", flush=True)
            path.unlink()
        result["builds"][label] = runs
        result["chunk_cost"] = _chunk_cost(big, 8)
        result["writer"] = _writer_cost(big, tmp, 32)
    result["estimate"] = _estimate(result["chunk_cost"], result["writer"], big.chunk_size)
    result["load_end"] = _load()
    OUT.mkdir(parents=True, exist_ok=True)
    name = "distributed-quick" if args.quick else "distributed"  # a check of the script keeps the real figures
    (OUT / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    text = _markdown(result)
    (OUT / f"{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
