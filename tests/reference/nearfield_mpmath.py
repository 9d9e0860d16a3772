"""Independent high-precision near fields of layered spheres in mpmath (test-only; no kerker code).

Plane wave ``E_inc = x_hat exp(i k z)`` (time dependence exp(-i omega t)); the magnetic field
is returned as ``h = Z_env H`` (``h_inc = y_hat exp(i k z)``). Everything is in size-parameter
units: ``m`` relative indices (innermost first), ``x`` the size parameters ``k r_l`` of the
outer radii, points ``k (x, y, z)``.

Method (Bohren & Huffman 1983, §4.4 and §8.1, generalised to L layers): in layer ``l`` the
radial functions are ``R = P psi_n(m_l k r) + Q zeta_n(m_l k r)``, with mpmath's Bessel
functions ``psi_n(z) = sqrt(pi z / 2) J_{n+1/2}(z)``, ``zeta_n(z) = sqrt(pi z / 2) H^(1)_{n+1/2}(z)``.
Tangential E and H are continuous when ``(R/m, R')`` (TE) and ``(R, R'/m)`` (TM) are; the
2 x 2 interface matrices are solved by the Wronskian ``psi zeta' - psi' zeta = i`` from the
core (``Q = 0``) outward, and every layer is divided by the incident amplitude ``P`` of the
surrounding medium (so ``-Q/P`` there is ``b_n`` (TE) or ``a_n`` (TM)). At ``mp.dps = 50`` the
direction and conditioning of the recursion do not matter for the float64 comparison.

Fields (BH eq. 4.50 vector harmonics, ``E_n = i^n (2n+1) / (n(n+1))``):
``E = sum E_n [M_o1n(R_TE) - i N_e1n(R_TM)]``, ``h = -m sum E_n [M_e1n(R_TM) + i N_o1n(R_TE)]``.
Outside, the incident wave is added in closed form and only the scattered series is summed.
"""

from __future__ import annotations

import mpmath

DPS = 50


def _riccati(z, n_max):
    """``[(psi_n, psi_n', zeta_n, zeta_n') for n = 1..n_max]`` at complex ``z`` (mpmath)."""
    c = mpmath.sqrt(mpmath.pi * z / 2)
    psi = [c * mpmath.besselj(n + mpmath.mpf(1) / 2, z) for n in range(n_max + 1)]
    zeta = [c * mpmath.hankel1(n + mpmath.mpf(1) / 2, z) for n in range(n_max + 1)]
    return [
        (psi[n], psi[n - 1] - n * psi[n] / z, zeta[n], zeta[n - 1] - n * zeta[n] / z) for n in range(1, n_max + 1)
    ]


def layer_coefficients(m, x, n_max):
    """``coef[l][n-1][mode] = (P, Q)`` for layers ``l = 0..L`` (L: the medium), mode 0 TE, 1 TM."""
    m = [mpmath.mpc(v) for v in m] + [mpmath.mpc(1)]
    x = [mpmath.mpf(v) for v in x]
    coef = [[[(mpmath.mpc(1), mpmath.mpc(0))] * 2 for _ in range(n_max)]]
    for l, xl in enumerate(x):
        inner = _riccati(m[l] * xl, n_max)
        outer = _riccati(m[l + 1] * xl, n_max)
        nxt = []
        for n in range(n_max):
            pi_, dpi, zi, dzi = inner[n]
            po, dpo, zo, dzo = outer[n]
            row = []
            for mode in range(2):
                p, q = coef[l][n][mode]
                r, dr = p * pi_ + q * zi, p * dpi + q * dzi
                if mode == 0:
                    r = r * m[l + 1] / m[l]
                else:
                    dr = dr * m[l + 1] / m[l]
                row.append((-1j * (r * dzo - dr * zo), 1j * (r * dpo - dr * po)))
            nxt.append(row)
        coef.append(nxt)
    for n in range(n_max):  # unit incident amplitude
        for mode in range(2):
            p_out = coef[-1][n][mode][0]
            for lay in coef:
                lay[n][mode] = (lay[n][mode][0] / p_out, lay[n][mode][1] / p_out)
    return coef


def fields(m, x, points, n_max):
    """E and h (complex, 3 each, as Python complex) at ``points`` (k-scaled Cartesian, each away from the origin)."""
    with mpmath.workdps(DPS):
        coef = layer_coefficients(m, x, n_max)
        out = []
        for px, py, pz in points:
            px, py, pz = mpmath.mpf(px), mpmath.mpf(py), mpmath.mpf(pz)
            kr = mpmath.sqrt(px**2 + py**2 + pz**2)
            layer = next((l for l, xl in enumerate(x) if kr <= xl), len(x))
            ml = mpmath.mpc(m[layer]) if layer < len(x) else mpmath.mpc(1)
            rho = ml * kr
            ct, st = pz / kr, mpmath.sqrt(px**2 + py**2) / kr
            rxy = mpmath.sqrt(px**2 + py**2)
            cp, sp = (px / rxy, py / rxy) if rxy > 0 else (mpmath.mpf(1), mpmath.mpf(0))
            funcs = _riccati(rho, n_max)
            pis, taus = [mpmath.mpf(0), mpmath.mpf(1)], []
            for n in range(2, n_max + 1):
                pis.append(((2 * n - 1) * ct * pis[-1] - n * pis[-2]) / (n - 1))
            pis = pis[1:]
            for n in range(1, n_max + 1):
                taus.append(n * ct * pis[n - 1] - (n + 1) * (pis[n - 2] if n > 1 else 0))
            e = [mpmath.mpc(0)] * 3  # r, theta, phi
            h = [mpmath.mpc(0)] * 3
            for n in range(1, n_max + 1):
                psi, dpsi, zeta, dzeta = funcs[n - 1]
                (p_te, q_te), (p_tm, q_tm) = coef[layer][n - 1]
                if layer == len(x):  # scattered part only; the incident wave is added below
                    p_te = p_tm = 0
                te, dte = p_te * psi + q_te * zeta, p_te * dpsi + q_te * dzeta
                tm, dtm = p_tm * psi + q_tm * zeta, p_tm * dpsi + q_tm * dzeta
                en = (1j) ** n * mpmath.mpf(2 * n + 1) / (n * (n + 1))
                pi_n, tau_n = pis[n - 1], taus[n - 1]
                # M_o1n(R) = cos(phi) pi z e_theta - sin(phi) tau z e_phi, z = R / rho
                # N_e1n(R) = cos(phi) n(n+1) sin(theta) pi R/rho^2 e_r + cos(phi) tau R'/rho e_theta - sin(phi) pi R'/rho e_phi
                # M_e1n(R) = -sin(phi) pi z e_theta - cos(phi) tau z e_phi
                # N_o1n(R) = sin(phi) n(n+1) sin(theta) pi R/rho^2 e_r + sin(phi) tau R'/rho e_theta + cos(phi) pi R'/rho e_phi
                m_o = (0, cp * pi_n * te / rho, -sp * tau_n * te / rho)
                n_e = (cp * n * (n + 1) * st * pi_n * tm / rho**2, cp * tau_n * dtm / rho, -sp * pi_n * dtm / rho)
                m_e = (0, -sp * pi_n * tm / rho, -cp * tau_n * tm / rho)
                n_o = (sp * n * (n + 1) * st * pi_n * te / rho**2, sp * tau_n * dte / rho, cp * pi_n * dte / rho)
                for i in range(3):
                    e[i] += en * (m_o[i] - 1j * n_e[i])
                    h[i] += -ml * en * (m_e[i] + 1j * n_o[i])
            cart = []
            for f in (e, h):
                cart.append([
                    f[0] * st * cp + f[1] * ct * cp - f[2] * sp,
                    f[0] * st * sp + f[1] * ct * sp + f[2] * cp,
                    f[0] * ct - f[1] * st,
                ])
            if layer == len(x):
                wave = mpmath.exp(1j * pz)
                cart[0][0] += wave
                cart[1][1] += wave
            out.append(tuple([complex(v) for v in c] for c in cart))
        return out
