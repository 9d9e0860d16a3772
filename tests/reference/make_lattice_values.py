"""Regenerate tests/lattice/reference_values.json (by hand, from the repository root:
``python -m tests.reference.make_lattice_values``; about 20 s).

Every number comes from tests/reference/lattice_mpmath.py at 40 significant digits,
evaluated at the unreduced tau (no kerker code involved); gradients by mpmath.diff.
"""

import json
import pathlib

import mpmath as mp

from tests.reference.lattice_mpmath import (
    mp_eisenstein,
    mp_epstein4,
    mp_g2star,
    mp_kronecker,
    mp_s4m2,
    mp_wirtinger,
)

OUT = pathlib.Path(__file__).resolve().parents[1] / "lattice" / "reference_values.json"
POINTS = [100.2 + 0.02j, 0.499 + 0.02j, 7.3 + 0.05j, -63.41 + 0.37j]


def s(z):
    z = mp.mpc(z)
    return [mp.nstr(z.real, 30), mp.nstr(z.imag, 30)]


def main():
    mp.mp.dps = 40
    out = {"_origin": __doc__, "points": []}
    for t in POINTS:
        entry = {"tau": [t.real, t.imag]}
        for k in (2, 4, 6, 10, 14):
            entry[f"E{k}"] = s(mp_eisenstein(k, t))
            entry[f"dE{k}"] = s(mp_eisenstein(k, t, derivative=True))
        for name, f in (("S(4,0)", mp_epstein4), ("S(2,0)", mp_kronecker), ("S(2,-2)", mp_g2star)):
            d, db = mp_wirtinger(f, t)
            entry[name] = {"value": s(f(t)), "d": s(d), "dbar": s(db)}
        entry["S(4,-2)"] = {"value": s(mp_s4m2(t))}
        out["points"].append(entry)
        print(t, flush=True)
    OUT.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
