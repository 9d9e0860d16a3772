"""High-precision mpmath references for the lattice tests, all at the UNREDUCED tau.

Nothing here uses kerker: every reference is an independent algorithm.

* ``mp_eisenstein``: Lambert q-series of E_k summed directly at tau (no reduction), with
  its term-wise tau-derivative (exact, not Ramanujan).
* ``mp_row_sum``: S(n, l) for l <= -n (beta <= 0) by Mittag-Leffler/Lipschitz row sums:
  expand conj(w)^b binomially and use sum_m (m + z)^-s = (-2 pi i)^s/(s-1)! sum d^(s-1) e^(2 pi i d z).
  For n = 2 this is the row-ordered G2 (and its raised sums), not the disk-summed one.
* ``mp_epstein4``: S(4, 0) by Chowla-Selberg with mpmath.besselk (no q-series).
* ``mp_s4m2``: S(4, -2) = F + i y dF with dF from mpmath.diff of the Chowla-Selberg sum
  (the ladder relation of docs/lattice-math.md §5.2).
* ``mp_kronecker``: S_reg(2, 0) = (2 pi/y)[gamma - log 2 - log(y |eta|^2)] with eta as a product.
* ``mp_wirtinger``: (d f, dbar f) by mpmath.diff in x and y at working precision.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath as mp


def rel_err(ours, ref) -> float:
    """``|ours - ref| / max(|ref|, 1)`` (issue 5's relative error with floor 1)."""
    ref = mp.mpc(ref)
    return float(abs(mp.mpc(complex(ours)) - ref) / max(abs(ref), 1))


def _stop(dps):
    return mp.mpf(10) ** (-(dps + 8))


def mp_eisenstein(k, tau, derivative=False):
    """E_k(tau) (or dE_k/dtau) by the Lambert series at tau itself."""
    tau = mp.mpc(tau)
    q = mp.exp(2j * mp.pi * tau)
    ck = -2 * k / mp.bernoulli(k)
    s = mp.mpc(0)
    m = 0
    qm = mp.mpc(1)
    r = abs(q)
    while True:
        m += 1
        qm *= q
        if derivative:
            t = mp.mpf(m) ** k * qm / (1 - qm) ** 2
        else:
            t = mp.mpf(m) ** (k - 1) * qm / (1 - qm)
        s += t
        if m > 5 and mp.mpf(m) ** k * r**m / (1 - r) ** 3 < _stop(mp.mp.dps) * (1 + abs(s)):
            break
    if derivative:
        return ck * 2j * mp.pi * s
    return 1 + ck * s


@lru_cache(maxsize=None)
def _sigma_table(nmax, power):
    sig = [mp.mpf(0)] * (nmax + 1)
    for dv in range(1, nmax + 1):
        p = mp.mpf(dv) ** power
        for mult in range(dv, nmax + 1, dv):
            sig[mult] += p
    return sig


def mp_row_sum(n, l, tau):
    """S(n, l) for l <= -n by row sums (rows along the period 1 first)."""
    tau = mp.mpc(tau)
    alpha, beta = (n - l) // 2, (n + l) // 2
    b = -beta
    assert b >= 0
    y = tau.imag
    total = 2 * mp.zeta(n)
    # terms with n d <= kmax: exp(-2 pi y kmax) is below 10^-(dps+12)
    kmax = int(((mp.mp.dps + 12) * mp.log(10) + 40) / (2 * mp.pi * y)) + 2
    for row in range(1, kmax + 1):
        z = row * tau
        qz = mp.exp(2j * mp.pi * z)
        rowsum = mp.mpc(0)
        for t in range(b + 1):
            s = alpha - t
            pref = mp.binomial(b, t) * (-2j * row * y) ** (b - t) * (-2j * mp.pi) ** s / mp.factorial(s - 1)
            acc = mp.mpc(0)
            qd = mp.mpc(1)
            for dd in range(1, kmax // row + 2):
                qd *= qz
                acc += mp.mpf(dd) ** (s - 1) * qd
            rowsum += pref * acc
        total += 2 * rowsum
    return total


def mp_epstein4(tau):
    """S(4, 0) = F_2 by Chowla-Selberg (docs/lattice-math.md §4e) with besselk."""
    tau = mp.mpc(tau)
    x, y = tau.real, tau.imag
    s = 2
    nmax = int(((mp.mp.dps + 12) * mp.log(10) + 40) / (2 * mp.pi * y)) + 2
    sig = _sigma_table(nmax, 1 - 2 * s)
    total = 2 * mp.zeta(2 * s) + 2 * mp.sqrt(mp.pi) * mp.gamma(s - mp.mpf(1) / 2) * mp.zeta(2 * s - 1) / (
        mp.gamma(s) * y ** (2 * s - 1)
    )
    acc = mp.mpf(0)
    for nn in range(1, nmax + 1):
        acc += (
            mp.mpf(nn) ** (s - mp.mpf(1) / 2)
            * sig[nn]
            * mp.besselk(s - mp.mpf(1) / 2, 2 * mp.pi * nn * y)
            * mp.cos(2 * mp.pi * nn * x)
        )
    return total + 8 * mp.pi**s / mp.gamma(s) * y ** (mp.mpf(1) / 2 - s) * acc


def mp_wirtinger(f, tau):
    """(d f, dbar f) at tau for any mpmath function f of a complex argument."""
    tau = mp.mpc(tau)
    x, y = tau.real, tau.imag
    fx = mp.diff(lambda u: f(mp.mpc(u, y)), x)
    fy = mp.diff(lambda v: f(mp.mpc(x, v)), y)
    return (fx - 1j * fy) / 2, (fx + 1j * fy) / 2


def mp_s4m2(tau):
    """S(4, -2) = F + i y dF, F = S(4, 0) (docs/lattice-math.md §5.2, s = 2)."""
    tau = mp.mpc(tau)
    d, _ = mp_wirtinger(mp_epstein4, tau)
    return mp_epstein4(tau) + 1j * tau.imag * d


def mp_kronecker(tau):
    """Kronecker-regularised S_reg(2, 0) via the Dedekind eta product."""
    tau = mp.mpc(tau)
    y = tau.imag
    q = mp.exp(2j * mp.pi * tau)
    log_eta2 = -mp.pi * y / 6
    qn = mp.mpc(1)
    nn = 0
    while True:
        nn += 1
        qn *= q
        log_eta2 += 2 * mp.re(mp.log(1 - qn))
        if abs(qn) < _stop(mp.mp.dps):
            break
    return 2 * mp.pi / y * (mp.euler - mp.log(2) - mp.log(y) - log_eta2)


def mp_g2star(tau):
    """G2* = (pi^2/3)(E2 - 3/(pi y)) from the unreduced q-series of E2."""
    tau = mp.mpc(tau)
    return mp.pi**2 / 3 * (mp_eisenstein(2, tau) - 3 / (mp.pi * tau.imag))


def mp_epstein4_with_gradient(tau):
    """(F, F_x, F_y) for F = S(4, 0) by term-wise differentiation of Chowla-Selberg.

    Uses K'_nu(z) = -(K_{nu-1}(z) + K_{nu+1}(z))/2; independent of any q-series.
    """
    tau = mp.mpc(tau)
    x, y = tau.real, tau.imag
    nmax = int(((mp.mp.dps + 12) * mp.log(10) + 40) / (2 * mp.pi * y)) + 2
    sig = _sigma_table(nmax, -3)
    half = mp.mpf(1) / 2
    c = 8 * mp.pi**2
    b = 2 * mp.sqrt(mp.pi) * mp.gamma(2 - half) * mp.zeta(3)
    f, fx, fy = 2 * mp.zeta(4) + b / y**3, mp.mpf(0), -3 * b / y**4
    for nn in range(1, nmax + 1):
        z = 2 * mp.pi * nn * y
        a = mp.mpf(nn) ** (2 - half) * sig[nn]
        k = mp.besselk(1.5, z)
        dk = -(mp.besselk(0.5, z) + mp.besselk(2.5, z)) / 2 * 2 * mp.pi * nn
        co, si = mp.cos(2 * mp.pi * nn * x), mp.sin(2 * mp.pi * nn * x)
        f += c * y ** (-1.5) * a * k * co
        fx += c * y ** (-1.5) * a * k * (-2 * mp.pi * nn * si)
        fy += c * a * co * (-1.5 * y ** (-2.5) * k + y ** (-1.5) * dk)
    return f, fx, fy


def mp_s4m2_fast(tau):
    """S(4, -2) = F + i y dF with dF = (F_x - i F_y)/2 from the term-wise gradient."""
    tau = mp.mpc(tau)
    f, fx, fy = mp_epstein4_with_gradient(tau)
    return f + 1j * tau.imag * (fx - 1j * fy) / 2
