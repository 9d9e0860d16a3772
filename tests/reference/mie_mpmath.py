"""Independent high-precision core-shell Mie reference in mpmath (test-only; no kerker code).

The coated-sphere coefficients are the closed forms of Bohren & Huffman, *Absorption and
Scattering of Light by Small Particles* (Wiley, 1983), section 8.1, eqs. for ``a_n``,
``b_n``, ``A_n``, ``B_n``, evaluated literally -- no logarithmic derivatives, no
recurrences -- with Riccati-Bessel functions built from mpmath's Bessel functions of
complex argument,

    psi_n(z) = sqrt(pi z / 2) J_{n+1/2}(z),   chi_n(z) = -sqrt(pi z / 2) Y_{n+1/2}(z),
    xi_n(z)  = psi_n(z) - i chi_n(z) = z h_n^(1)(z),

and derivatives ``f'_n(z) = f_{n-1}(z) - n f_n(z) / z``.  The direct formulas cancel badly
in float64 (absorbing metals, thin shells, large cores) and the logarithmic derivative
``psi'_n / psi_n`` is singular where ``psi_n`` vanishes (lossless layers whose ``m x``
hits a multiple of pi); at ``mp.dps = 50`` neither matters: mpmath's hypergeometric
evaluation raises its working precision on cancellation, and the closed forms have no
removable singularities at ``psi_n = 0``.

Conventions are those of the solver under test: time dependence exp(-i omega t), so a
lossy medium has Im m > 0; ``m`` are refractive indices relative to the medium, ``x`` are
size parameters ``k r`` with ``k = 2 pi n_env / lambda``, ``x_shell`` is the outer size
parameter.  Efficiencies are cross sections over pi r_outer^2:

    Q_ext  = 2/x^2 sum (2n+1) Re(a_n + b_n)
    Q_sca  = 2/x^2 sum (2n+1) (|a_n|^2 + |b_n|^2)
    Q_abs  = Q_ext - Q_sca
    Q_fwd  = |sum (2n+1) (a_n + b_n)|^2 / x^2            (differential, theta = 0)
    Q_back = |sum (2n+1) (-1)^n (a_n - b_n)|^2 / x^2     (differential, theta = pi)

The float64 inputs are converted to mpmath numbers exactly, so the reference is the
exact answer for the very float64 numbers the solver under test receives.
"""

from __future__ import annotations

import math

import mpmath

#: Working precision in decimal digits; float64 carries ~16, so ~34 digits of slack.
DPS = 50

#: Series stop: orders are added (8 at a time, from Wiscombe + 8) until both |a_n| and
#: |b_n| of the last order fall below this fraction of the largest coefficient; the
#: neglected tail is then ~1e-4 of a float64 ulp of the result.
_SERIES_TOL = mpmath.mpf(10) ** -20


def _to_mpc(value) -> mpmath.mpc:
    """Exact conversion of a Python/NumPy number to an mpmath complex."""
    c = complex(value)
    return mpmath.mpc(mpmath.mpf(c.real), mpmath.mpf(c.imag))


def riccati_bessel(n_max: int, z) -> tuple[list, list, list, list]:
    """Riccati-Bessel ``psi_n, chi_n`` and their derivatives for ``n = 0..n_max``.

    Parameters
    ----------
    n_max : int
        Highest order.
    z : mpmath.mpc
        Complex argument (nonzero).

    Returns
    -------
    psi, dpsi, chi, dchi : list of mpmath.mpc, each of length ``n_max + 1``
        ``psi_n(z) = z j_n(z)``, ``chi_n(z) = -z y_n(z)`` (Bohren & Huffman sign) and
        their z-derivatives; the n = 0 derivatives come from the closed forms
        ``psi_0 = sin z``, ``chi_0 = cos z``.
    """
    pref = mpmath.sqrt(mpmath.pi * z / 2)
    psi = [pref * mpmath.besselj(n + mpmath.mpf(1) / 2, z) for n in range(n_max + 1)]
    chi = [-pref * mpmath.bessely(n + mpmath.mpf(1) / 2, z) for n in range(n_max + 1)]
    dpsi = [mpmath.cos(z)] + [psi[n - 1] - n * psi[n] / z for n in range(1, n_max + 1)]
    dchi = [-mpmath.sin(z)] + [chi[n - 1] - n * chi[n] / z for n in range(1, n_max + 1)]
    return psi, dpsi, chi, dchi


def _wiscombe(x: float) -> int:
    """Wiscombe (1980) truncation estimate for outer size parameter ``x``."""
    return int(round(x + 4.05 * x ** (1.0 / 3.0) + 2.0))


def mie_coefficients(m_core, m_shell, x_core, x_shell, n_max: int | None = None, dps: int = DPS):
    """Core-shell Mie coefficients ``a_n, b_n`` (Bohren & Huffman section 8.1), exact.

    Parameters
    ----------
    m_core, m_shell : complex
        Refractive indices relative to the medium (Im > 0 is loss).
    x_core, x_shell : float
        Size parameters ``k r_core`` and ``k r_outer`` (``x_core <= x_shell``).
    n_max : int, optional
        Highest order; by default orders are added until the last one is below 1e-20
        of the largest coefficient (never fewer than the Wiscombe estimate + 8).
    dps : int
        mpmath decimal precision.

    Returns
    -------
    a, b : list of complex
        Coefficients for ``n = 1..n_max`` rounded to complex128.
    """
    a_mp, b_mp = _coefficients_mp(m_core, m_shell, x_core, x_shell, n_max, dps)
    return [complex(v) for v in a_mp], [complex(v) for v in b_mp]


def _coefficients_mp(m_core, m_shell, x_core, x_shell, n_max, dps):
    with mpmath.workdps(dps):
        m1, m2 = _to_mpc(m_core), _to_mpc(m_shell)
        x = mpmath.mpf(float(x_core))
        y = mpmath.mpf(float(x_shell))
        if not (0 < x <= y):
            raise ValueError(f"need 0 < x_core <= x_shell, got x_core={x_core}, x_shell={x_shell}")
        auto = n_max is None
        n_top = _wiscombe(float(x_shell)) + 8 if auto else int(n_max)
        while True:
            a, b = _coefficients_upto(m1, m2, x, y, n_top)
            if not auto:
                return a, b
            big = max(max(abs(v) for v in a), max(abs(v) for v in b))
            if abs(a[-1]) <= _SERIES_TOL * big and abs(b[-1]) <= _SERIES_TOL * big:
                return a, b
            n_top += 8


def _coefficients_upto(m1, m2, x, y, n_max):
    psi1x, dpsi1x, _, _ = riccati_bessel(n_max, m1 * x)
    psi2x, dpsi2x, chi2x, dchi2x = riccati_bessel(n_max, m2 * x)
    psi2y, dpsi2y, chi2y, dchi2y = riccati_bessel(n_max, m2 * y)
    psiy, dpsiy, chiy, dchiy = riccati_bessel(n_max, mpmath.mpc(y))
    a_list, b_list = [], []
    for n in range(1, n_max + 1):
        xiy = psiy[n] - 1j * chiy[n]
        dxiy = dpsiy[n] - 1j * dchiy[n]
        # B&H (8.1): A_n, B_n
        A = (m2 * psi2x[n] * dpsi1x[n] - m1 * dpsi2x[n] * psi1x[n]) / (
            m2 * chi2x[n] * dpsi1x[n] - m1 * dchi2x[n] * psi1x[n]
        )
        B = (m2 * psi1x[n] * dpsi2x[n] - m1 * psi2x[n] * dpsi1x[n]) / (
            m2 * dchi2x[n] * psi1x[n] - m1 * dpsi1x[n] * chi2x[n]
        )
        ua = dpsi2y[n] - A * dchi2y[n]
        va = psi2y[n] - A * chi2y[n]
        a = (psiy[n] * ua - m2 * dpsiy[n] * va) / (xiy * ua - m2 * dxiy * va)
        ub = dpsi2y[n] - B * dchi2y[n]
        vb = psi2y[n] - B * chi2y[n]
        b = (m2 * psiy[n] * ub - dpsiy[n] * vb) / (m2 * xiy * ub - dxiy * vb)
        a_list.append(a)
        b_list.append(b)
    return a_list, b_list


def efficiencies(m_core, m_shell, x_core, x_shell, n_max: int | None = None, dps: int = DPS) -> dict:
    """The five efficiencies of one core-shell configuration at one wavelength.

    Parameters are as in :func:`mie_coefficients`.

    Returns
    -------
    dict
        ``q_ext, q_sca, q_abs, q_fwd, q_back`` as Python floats; ``q_abs`` is formed as
        ``Q_ext - Q_sca`` at full mpmath precision, so it is exact (0 for lossless).
    """
    with mpmath.workdps(dps):
        a, b = _coefficients_mp(m_core, m_shell, x_core, x_shell, n_max, dps)
        y = mpmath.mpf(float(x_shell))
        ext = sca = mpmath.mpf(0)
        fwd = back = mpmath.mpc(0)
        for i, (an, bn) in enumerate(zip(a, b)):
            n = i + 1
            w = 2 * n + 1
            ext += w * mpmath.re(an + bn)
            sca += w * (abs(an) ** 2 + abs(bn) ** 2)
            fwd += w * (an + bn)
            back += w * (-1) ** n * (an - bn)
        q_ext = 2 * ext / y**2
        q_sca = 2 * sca / y**2
        return {
            "q_ext": float(q_ext),
            "q_sca": float(q_sca),
            "q_abs": float(q_ext - q_sca),
            "q_fwd": float(abs(fwd) ** 2 / y**2),
            "q_back": float(abs(back) ** 2 / y**2),
        }


def spectrum(n_core, n_shell, r_core, r_outer, wavelength, n_env: float = 1.0, dps: int = DPS) -> dict:
    """Efficiencies of one particle over a wavelength grid.

    Parameters
    ----------
    n_core, n_shell : sequence of complex, length W
        Absolute complex refractive indices at each wavelength.
    r_core, r_outer : float
        Core radius and outer radius in nm.
    wavelength : sequence of float, length W
        Vacuum wavelengths in nm.
    n_env : float
        Real refractive index of the medium.

    Returns
    -------
    dict
        Each of ``q_ext, q_sca, q_abs, q_fwd, q_back`` as a list of W floats.
    """
    out = {k: [] for k in ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")}
    for nc, ns, wl in zip(n_core, n_shell, wavelength):
        k = 2 * math.pi * n_env / float(wl)
        q = efficiencies(complex(nc) / n_env, complex(ns) / n_env, k * r_core, k * r_outer, dps=dps)
        for key in out:
            out[key].append(q[key])
    return out
