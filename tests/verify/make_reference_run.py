"""Regenerate ``reference_run.json``: a small frozen treams run that the fast tests compare against.

Run from the repository root: ``.venv/bin/python tests/verify/make_reference_run.py``.
Only rerun when the physics or the defaults change on purpose; the file records the treams
version that produced it.
"""

import json
import math
from pathlib import Path

from kerker.lattice import TAU_STAR
from kerker.verify import MonolayerConfig, solve_monolayer, treams_version

POINTS = [(tau, wl, theta) for tau in (1j, TAU_STAR) for wl in (600.0, 1000.0) for theta in (0.0, 25.0)]


def main() -> None:
    cfg = MonolayerConfig()
    rows = []
    for tau, wl, theta in POINTS:
        res = solve_monolayer(tau, wl, math.radians(theta), config=cfg)
        rows.append(
            {
                "tau": [tau.real, tau.imag],
                "wavelength_nm": wl,
                "theta_deg": theta,
                "R": {f"{p}_{s}": v for (p, s), v in sorted(res.reflectance.items())},
                "T": {f"{p}_{s}": v for (p, s), v in sorted(res.transmittance.items())},
            }
        )
    payload = {
        "source": "kerker.verify.solve_monolayer with treams, MonolayerConfig() defaults",
        "treams": treams_version(),
        "config": cfg.to_dict(),
        "points": rows,
    }
    out = Path(__file__).with_name("reference_run.json")
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {out} ({len(rows)} points)")


if __name__ == "__main__":
    main()
