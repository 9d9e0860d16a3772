"""Run every ``benchmarks/bench_*.py`` in turn (``make bench``) and keep each report.

Each benchmark prints its own table of side-by-side timings and ratios; the text is
also written to ``results/bench/<name>.txt`` so numbers can be quoted from a file.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys


def main() -> int:
    here = pathlib.Path(__file__).resolve().parent
    out_dir = here.parent / "results" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    selected = sys.argv[1:]
    status = 0
    for script in sorted(here.glob("bench_*.py")):
        if selected and script.stem not in selected:
            continue
        print(f"\n=== {script.stem} ===", flush=True)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        sys.stdout.write(proc.stdout)
        sys.stderr.write(proc.stderr)
        (out_dir / f"{script.stem}.txt").write_text(proc.stdout)
        status = status or proc.returncode
    return status


if __name__ == "__main__":
    sys.exit(main())
