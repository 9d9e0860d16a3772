"""Accuracy sweep of issue 5's done-when: random tau with Im tau down to 0.02, |Re tau| up to 100.

Run ``pytest -m slow tests/lattice/test_lattice_accuracy.py -s`` to print the measured maxima.
References: tests/reference/lattice_mpmath.py at 30 digits, at the unreduced tau.
"""

import mpmath as mp
import numpy as np
import pytest

from kerker.lattice import eisenstein, lattice_sum, objective
from tests.reference.lattice_mpmath import (
    mp_eisenstein,
    mp_epstein4_with_gradient,
    mp_g2star,
    mp_kronecker,
    mp_row_sum,
    mp_s4m2_fast,
    mp_wirtinger,
    rel_err,
)


def _points(rng, count):
    x = np.concatenate([rng.uniform(-100, 100, count // 2), rng.uniform(-1, 1, count - count // 2)])
    y = 10 ** rng.uniform(np.log10(0.02), np.log10(3.0), count)
    y[:2] = 0.02
    x[0] = 100.2
    return x + 1j * y


def _sweep(taus):
    worst = {}

    def note(name, err):
        worst[name] = max(worst.get(name, 0.0), err)

    for t in taus:
        for k in (2, 4, 6, 12):
            r = eisenstein(k, t)
            note(f"E{k} value", rel_err(r.value, mp_eisenstein(k, t)))
            note(f"E{k} d/dtau", rel_err(r.d, mp_eisenstein(k, t, derivative=True)))
        f, fx, fy = mp_epstein4_with_gradient(t)
        r = lattice_sum(4, 0, t)
        note("S(4,0) value", rel_err(r.value, f))
        note("S(4,0) d", rel_err(r.d, (fx - 1j * fy) / 2))
        note("S(4,0) dbar", rel_err(r.dbar, (fx + 1j * fy) / 2))
        r = lattice_sum(4, -2, t)
        note("S(4,-2) value", rel_err(r.value, mp_s4m2_fast(t)))
        d, db = mp_wirtinger(mp_s4m2_fast, t)
        note("S(4,-2) d", rel_err(r.d, d))
        note("S(4,-2) dbar", rel_err(r.dbar, db))
        for name, fn, nl in (
            ("S(2,0)", mp_kronecker, (2, 0)),
            ("S(2,-2)", mp_g2star, (2, -2)),
            ("S(4,-6)", lambda u: mp_row_sum(4, -6, u), (4, -6)),
        ):
            r = lattice_sum(*nl, t)
            d, db = mp_wirtinger(fn, t)
            note(f"{name} value", rel_err(r.value, fn(t)))
            note(f"{name} d", rel_err(r.d, d))
            note(f"{name} dbar", rel_err(r.dbar, db))
        tt = mp.mpc(t)
        j_ref = tt.imag * abs(mp_g2star(tt)) - tt.imag**2 * f
        dg, dbg = mp_wirtinger(mp_g2star, t)
        g = mp_g2star(t)
        # dJ = -(i/2)|G| + y/(2|G|)[conj(G) dG + G conj(dbar G)] - (y^2 dF - i y F) (docs/lattice-math.md §7.2, computed in mpmath)
        dj = (
            -0.5j * abs(g)
            + tt.imag / (2 * abs(g)) * (mp.conj(g) * dg + g * mp.conj(dbg))
            - (tt.imag**2 * (fx - 1j * fy) / 2 - 1j * tt.imag * f)
        )
        r = objective(t)
        note("J value", rel_err(r.value, j_ref))
        note("J grad", max(rel_err(r.grad[0], 2 * mp.re(dj)), rel_err(r.grad[1], -2 * mp.im(dj))))
    return worst


@pytest.mark.slow
def test_accuracy_sweep(rng):
    old = mp.mp.dps
    mp.mp.dps = 30
    try:
        worst = _sweep(_points(rng, 40))
    finally:
        mp.mp.dps = old
    print("\nmax relative error (floor 1) over 40 random tau, Im tau in [0.02, 3], |Re tau| <= 100:")
    for name, err in sorted(worst.items()):
        print(f"  {name:<16} {err:.2e}")
    print(f"  overall max      {max(worst.values()):.2e}")
    assert max(worst.values()) <= 1e-13
