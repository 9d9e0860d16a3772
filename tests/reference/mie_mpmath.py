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

Spheres of L concentric layers (``layered_coefficients``, ``layered_efficiencies``,
``layered_spectrum``) are computed by a separate transfer-matrix formulation, described
where it is defined below; for L = 2 it reproduces the closed forms above.
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
        return _efficiencies_from_mp(a, b, mpmath.mpf(float(x_shell)))


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


# --------------------------------------------------------------------------------------
# L-layer spheres: a transfer-matrix reference, independent of any recurrence for ratios
#
# Formulation: the boundary-value problem of Bohren & Huffman section 8.1 (coated sphere),
# generalised from two layers to L and solved interface by interface with 2x2 transfer
# matrices (not Yang's 2003 log-derivative recursion, which kerker uses): in layer j
# (between radii r_{j-1} and r_j, relative index m_j; the medium is layer L + 1 with
# m = 1) the radial function of order n is
#
#     f_j(z) = c_j psi_n(z) + d_j chi_n(z),    z = m_j k r,
#
# with (c_1, d_1) = (1, 0) (regular at the centre).  Debye potentials u = r pi give the
# tangential fields: TM (electric, a_n) H_t ~ f_j and E_t ~ f'_j / m_j; TE (magnetic,
# b_n) E_t ~ f_j and H_t ~ m_j f'_j.  Continuity at x_j = k r_j is, for each mode,
#
#     M_j(x_j) (c_j, d_j)^T = M_{j+1}(x_j) (c_{j+1}, d_{j+1})^T,
#     M_j(x) = [[alpha_j psi_n(m_j x), alpha_j chi_n(m_j x)],
#               [beta_j psi'_n(m_j x), beta_j chi'_n(m_j x)]],
#
# with (alpha_j, beta_j) = (m_j, 1) for TM and (1, m_j) for TE (only beta / alpha = 1/m_j
# resp. m_j matters: a common factor rescales (c_j, d_j)).  Outside,
# f = c psi_n(x) + d chi_n(x) must be proportional to psi_n(x) - a xi_n(x), xi = psi - i chi,
# so a_n (TM) and b_n (TE) are both d / (d + i c).  For L = 1 this is B&H's (4.53) and for
# L = 2 their A_n, B_n and (8.1); ``tests/mie/test_layered_references.py`` checks both.
#
# The 2x2 solves are done literally, without logarithmic derivatives psi'/psi (singular
# where a lossless layer's psi_n(m x) vanishes, e.g. m k r = k pi for n = 0) and without
# ratio recurrences: at 50 digits the cancellations of thin metal layers (psi, chi ~
# e^{|Im m x|}) and of tiny cores (psi_n ~ z^{n+1}, chi_n ~ z^{-n}, mpmath's exponent range
# is unbounded) leave >= 30 digits.  ``layered_coefficients(..., dps=100)`` agrees with
# dps = 50 to far below 1e-30 on the hard cases (checked in the tests).
#
# Riccati-Bessel functions for all orders come from mpmath's Bessel functions of
# half-integer order at the two top orders only: psi_n by downward recurrence (stable: psi
# is the minimal solution going up), chi_n by upward recurrence from cos z and
# cos z / z + sin z (stable: chi is dominant going up).  ``_riccati_fast`` is checked against
# ``riccati_bessel`` (every order directly from mpmath) in the tests, and checks itself:
# its psi_0 must equal sin z.


def _riccati_fast(n_max: int, z):
    """``psi_n, psi'_n, chi_n, chi'_n`` for ``n = 0..n_max`` (see the note above)."""
    n_top = n_max + 1
    pref = mpmath.sqrt(mpmath.pi * z / 2)
    half = mpmath.mpf(1) / 2
    psi = [mpmath.mpc(0)] * (n_top + 1)
    psi[n_top] = pref * mpmath.besselj(n_top + half, z)
    psi[n_top - 1] = pref * mpmath.besselj(n_top - 1 + half, z)
    for n in range(n_top - 1, 0, -1):
        psi[n - 1] = (2 * n + 1) / z * psi[n] - psi[n + 1]
    sin_z, cos_z = mpmath.sin(z), mpmath.cos(z)
    tol = mpmath.mpf(10) ** (-mpmath.mp.dps + 15)
    if abs(psi[0] - sin_z) > tol * max(abs(sin_z), abs(psi[1]), 1):
        raise ArithmeticError(f"psi recurrence lost its digits at z={z}, n_max={n_max}")
    psi[0] = sin_z
    chi = [cos_z, cos_z / z + sin_z]
    for n in range(1, n_max):
        chi.append((2 * n + 1) / z * chi[n] - chi[n - 1])
    psi = psi[: n_max + 1]
    dpsi = [cos_z] + [psi[n - 1] - n * psi[n] / z for n in range(1, n_max + 1)]
    dchi = [-sin_z] + [chi[n - 1] - n * chi[n] / z for n in range(1, n_max + 1)]
    return psi, dpsi, chi, dchi


def _layered_upto(m, x, n_max, riccati):
    """mpmath ``a_n, b_n`` (n = 1..n_max) for layers ``m[j]``, outer size parameters ``x[j]``."""
    n_layers = len(m)
    m_all = list(m) + [mpmath.mpc(1)]
    # Riccati-Bessel functions on both sides of every interface j: m_j x_j and m_{j+1} x_j
    inner = [riccati(n_max, m_all[j] * x[j]) for j in range(n_layers)]
    outer = [riccati(n_max, m_all[j + 1] * x[j]) for j in range(n_layers)]
    a_list, b_list = [], []
    for n in range(1, n_max + 1):
        coeffs = []
        for tm in (True, False):
            c, d = mpmath.mpc(1), mpmath.mpc(0)
            for j in range(n_layers):
                mj, mk = m_all[j], m_all[j + 1]
                al_j, be_j = (mj, 1) if tm else (1, mj)
                al_k, be_k = (mk, 1) if tm else (1, mk)
                psi, dpsi, chi, dchi = inner[j]
                f = al_j * (c * psi[n] + d * chi[n])  # alpha_j f_j(x_j)
                g = be_j * (c * dpsi[n] + d * dchi[n])  # beta_j f'_j(x_j)
                psi, dpsi, chi, dchi = outer[j]
                # solve [[al_k psi, al_k chi], [be_k psi', be_k chi']] (c, d) = (f, g)
                p11, p12 = al_k * psi[n], al_k * chi[n]
                p21, p22 = be_k * dpsi[n], be_k * dchi[n]
                det = p11 * p22 - p12 * p21
                c, d = (f * p22 - p12 * g) / det, (p11 * g - p21 * f) / det
            coeffs.append(d / (d + 1j * c))
        a_list.append(coeffs[0])
        b_list.append(coeffs[1])
    return a_list, b_list


def _layered_mp(m_list, x_list, n_max, dps, direct=False):
    with mpmath.workdps(dps):
        m_all = [_to_mpc(v) for v in m_list]
        x_all = [mpmath.mpf(float(v)) for v in x_list]
        if len(m_all) != len(x_all) or not m_all:
            raise ValueError(f"need as many indices as size parameters (>= 1), got {len(m_all)} and {len(x_all)}")
        if any(x_all[j] < x_all[j - 1] for j in range(1, len(x_all))) or x_all[0] < 0 or not x_all[-1] > 0:
            raise ValueError(f"need 0 <= x_1 <= ... <= x_L, x_L > 0, got {list(x_list)}")
        # a zero-thickness layer (x_j == x_{j-1}, x_0 = 0) has no volume: drop it (exact)
        keep = [j for j in range(len(x_all)) if x_all[j] > (x_all[j - 1] if j else 0)]
        m_all = [m_all[j] for j in keep]
        x_all = [x_all[j] for j in keep]
        riccati = riccati_bessel if direct else _riccati_fast
        auto = n_max is None
        n_top = _wiscombe(float(x_list[-1])) + 8 if auto else int(n_max)
        while True:
            a, b = _layered_upto(m_all, x_all, n_top, riccati)
            if not auto:
                return a, b
            big = max(max(abs(v) for v in a), max(abs(v) for v in b))
            if all(abs(v) <= _SERIES_TOL * big for v in (a[-1], b[-1], a[-2], b[-2])):
                return a, b
            n_top += 8


def layered_coefficients(m_list, x_list, n_max: int | None = None, dps: int = DPS, direct: bool = False):
    """Mie coefficients ``a_n, b_n`` of an L-layer sphere (transfer matrices, see above).

    Parameters
    ----------
    m_list : sequence of complex, length L
        Refractive indices relative to the medium, innermost first (Im > 0 is loss).
    x_list : sequence of float, length L
        Size parameters ``k r_j`` of each layer's outer radius, non-decreasing, ``x_1 >= 0``,
        ``x_L > 0``; layers of zero thickness are dropped (they have no volume).
    n_max : int, optional
        Highest order; by default orders are added (8 at a time from Wiscombe + 8) until
        the last two orders of both series are below 1e-20 of the largest coefficient.
    dps : int
        mpmath decimal precision.
    direct : bool
        Take every order's Riccati-Bessel functions from mpmath's Bessel functions
        (``riccati_bessel``; slow) instead of the recurrences of ``_riccati_fast``.

    Returns
    -------
    a, b : list of complex
        Coefficients for ``n = 1..n_max`` rounded to complex128.
    """
    a_mp, b_mp = _layered_mp(m_list, x_list, n_max, dps, direct)
    return [complex(v) for v in a_mp], [complex(v) for v in b_mp]


def _efficiencies_from_mp(a, b, y) -> dict:
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


def layered_efficiencies(m_list, x_list, n_max: int | None = None, dps: int = DPS) -> dict:
    """The five efficiencies of one L-layer sphere at one wavelength.

    Parameters are as in :func:`layered_coefficients`; efficiencies are over
    ``pi r_L^2`` (the outer radius) and ``q_abs = Q_ext - Q_sca`` is formed at full
    precision (exactly 0 for lossless layers).  Returns a dict of Python floats.
    """
    with mpmath.workdps(dps):
        a, b = _layered_mp(m_list, x_list, n_max, dps)
        return _efficiencies_from_mp(a, b, mpmath.mpf(float(x_list[-1])))


def layered_spectrum(n_layers, radii, wavelength, n_env: float = 1.0, dps: int = DPS) -> dict:
    """Efficiencies of one L-layer particle over a wavelength grid.

    Parameters
    ----------
    n_layers : array_like of complex, shape (L, W)
        Absolute refractive index of each layer (innermost first) at each wavelength.
    radii : sequence of float, length L
        Outer radius of each layer in nm, non-decreasing (zero-thickness layers allowed).
    wavelength : sequence of float, length W
        Vacuum wavelengths in nm.
    n_env : float
        Real refractive index of the medium.

    Returns
    -------
    dict
        Each of ``q_ext, q_sca, q_abs, q_fwd, q_back`` as a list of W floats.  The size
        parameters ``k r_j`` (``k = 2 pi n_env / lambda``) and relative indices ``n / n_env``
        are formed in float64, as a float64 solver would, then converted exactly.
    """
    n_layers = [[complex(v) for v in row] for row in n_layers]
    out = {k: [] for k in ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")}
    for w, wl in enumerate(wavelength):
        k = 2 * math.pi * n_env / float(wl)
        m = [row[w] / n_env for row in n_layers]
        x = [k * float(r) for r in radii]
        q = layered_efficiencies(m, x, dps=dps)
        for key in out:
            out[key].append(q[key])
    return out
