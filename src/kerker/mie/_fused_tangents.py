"""Per-order core-shell coefficients ``a_n, b_n`` of the fused kernel, and their tangents.

Scalar Numba code called by :mod:`kerker.mie._fused_kernel` once per order. The formulas
are those of :func:`kerker.mie.coreshell.coefficients_orders_first` (projective form, the
same scale factors and exponent handling), written for one element; the tangent version
also returns ``d a_n / d(m_core, m_shell, x_core, x_shell)`` (and the same for ``b_n``) by
forward-mode differentiation of those formulas. Tangents of the scaled Riccati-Bessel
functions come from the Riccati-Bessel equation, as in ``special._ScaledRiccati``:
``d/dz (f e^{i alpha z}) = (f' + i alpha f) e^{i alpha z}`` and
``d/dz (f' e^{i alpha z}) = ((n(n+1)/z^2 - 1) f + i alpha f') e^{i alpha z}`` (alpha = s for
psi, -1 for zeta), so the recurrences are not differentiated. Exponents are piecewise
constant: tangents scale like their values.

Arguments per order (rotated basis, see ``_fused_kernel``): ``v`` is the tuple of the 14
mantissas ``(P, P')`` at ``z0 = m_core x_core, z1 = m_shell x_core, z2 = m_shell x_shell``,
``x = x_shell`` and ``(U, U')`` at ``z1, z2, x``; ``left`` and ``right`` are the exact powers of two
that bring the shell's two kinds of terms to one exponent (1 on the plain path); ``c`` is
the element's constants ``(e_shift, e_out, t_a, w_a, t_b, w_b)``.
"""

from __future__ import annotations

import hashlib
import pathlib

import numba


def jit(fn=None, *, inline: bool = False):
    """``numba.njit`` for the kernel: no GIL (threads run ranges in parallel), NumPy's error
    model (division by zero gives inf, no exception checks), not cached on its own (see
    :func:`jit_cached`).

    ``inline=True`` inlines the function at Numba's IR level into its callers: for the
    small per-order helpers this removes call overhead and reference counting (measured
    -25 % per element), while the per-element loops stay separate functions so that the
    first compilation takes ~30 s rather than ~2 min.
    """
    if fn is None:
        return lambda f: jit(f, inline=inline)
    return numba.njit(nogil=True, error_model="numpy", inline="always" if inline else "never")(fn)


def source_digest(files) -> str:
    """SHA-256 of the given source files' contents (see :func:`jit_cached`)."""
    return hashlib.sha256(b"".join(pathlib.Path(f).read_bytes() for f in files)).hexdigest()


def jit_cached(fn):
    """``numba.njit`` with the kernel's options, cached on disk where a cache directory is
    writable (a read-only install without a user cache compiles once per process).

    Numba keys its cache to the source file of the cached function only, while the kernel
    is compiled from several modules; its entry point is therefore a closure over
    :func:`source_digest` of all of them (Numba's cache key includes a hash of the closure
    cells), so that editing any of them recompiles.
    """
    options = {"nogil": True, "error_model": "numpy"}
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return numba.njit(**options)(fn)


@jit(inline=True)
def scaled(z, f):
    """``z f`` for a real ``f`` (exact for powers of two), without a complex product."""
    return complex(z.real * f, z.imag * f)


@jit(inline=True)
def times_i(z):
    """``i z``, exactly (a complex product by ``1j`` would round ``0 * x`` terms)."""
    return complex(-z.imag, z.real)


@jit(inline=True)
def reciprocal(b):
    """``1 / b``: ``conj(b) / |b|^2`` (one division, ~8 % of the kernel's time saved over Numba's
    three-division Smith algorithm) where ``|b|^2`` cannot leave the float64 range; Smith's
    algorithm (Numba's complex division) elsewhere. Both are accurate to a few ulp."""
    s = abs(b.real) + abs(b.imag)
    if 1e-150 < s < 1e150:
        inv = 1.0 / (b.real * b.real + b.imag * b.imag)
        return complex(b.real * inv, -b.imag * inv)
    return 1.0 / b


@jit(inline=True)
def divide(a, b):
    """``a / b`` as :func:`reciprocal` computes ``1 / b``."""
    s = abs(b.real) + abs(b.imag)
    if 1e-150 < s < 1e150:
        inv = 1.0 / (b.real * b.real + b.imag * b.imag)
        return complex((a.real * b.real + a.imag * b.imag) * inv, (a.imag * b.real - a.real * b.imag) * inv)
    return a / b


@jit(inline=True)
def _outer(t, w, d3_m, dp1_m, dp0, p1, p2, dp2, zr, dzr, psi_out, u_out, xi_out, v_out):
    """One coefficient (``t`` the index ratio, ``w`` the outer weight), as ``coreshell``'s ``outer``."""
    tn = t * dp0
    c_left = d3_m - tn
    c_right = dp1_m - tn * p1
    num = c_left * dp2 - c_right * dzr
    den = c_left * p2 - c_right * zr
    w_num = w * num
    return divide(w_num * psi_out - den * u_out, w_num * xi_out - den * v_out)


@jit(inline=True)
def _shared(v, c, left, right):
    """The order's values common to ``a_n`` and ``b_n`` (``coreshell``'s names)."""
    p2, dp2 = scaled(v[4], left), scaled(v[5], left)
    inv_zeta_z1 = reciprocal(v[8])
    inv_shifted = inv_zeta_z1 * c[0]
    zr = scaled(v[10] * inv_shifted, right)
    dzr = scaled(v[11] * inv_shifted, right)
    d3 = v[9] * inv_zeta_z1
    return p2, dp2, zr, dzr, d3, v[6] * c[1], v[7] * c[1], inv_shifted


@jit(inline=True)
def coefficient_pair(v, c, left, right):
    """``(a_n, b_n)`` in units of ``2^out_scale`` (applied by the caller)."""
    p2, dp2, zr, dzr, d3, psi_out, u_out, _ = _shared(v, c, left, right)
    d3_m = d3 * v[0]
    dp1_m = v[3] * v[0]
    a = _outer(c[2], c[3], d3_m, dp1_m, v[1], v[2], p2, dp2, zr, dzr, psi_out, u_out, v[12], v[13])
    b = _outer(c[4], c[5], d3_m, dp1_m, v[1], v[2], p2, dp2, zr, dzr, psi_out, u_out, v[12], v[13])
    return a, b


@jit(inline=True)
def _outer_tangents(t, w, dt_mc, dt_ms, dw_ms, sh, tg, inputs):
    """One coefficient and its derivatives w.r.t. (m_core, m_shell, x_core, x_shell).

    ``sh``: the order's shared values, ``tg`` their tangents (see
    :func:`coefficient_pair_tangents`); ``dt_*``, ``dw_ms``: derivatives of ``t`` and ``w``
    w.r.t. the indices; ``inputs = (m_core, m_shell, x_core, x_shell)``.

    With ``c = N / D``, ``N = w num psi_out - den u_out`` and ``D = w num xi_out - den v_out``,
    a change of ``(num, den)`` changes ``c`` by ``alpha dnum - beta dden`` with
    ``alpha = w (psi_out - c xi_out) / D`` and ``beta = (u_out - c v_out) / D``; with
    ``num = c_l psi'_2 - c_r zr'``, ``den = c_l psi_2 - c_r zr``, a change of ``(c_l, c_r)``
    then changes it by ``gamma_l dc_l - gamma_r dc_r`` (``gamma_l = alpha psi'_2 - beta psi_2``,
    ``gamma_r = alpha zr' - beta zr``).
    """
    p0, dp0, p1, dp1, p2, dp2, zr, dzr, psi_out, u_out, xi_out, v_out, d3 = sh
    tp0, tdp0, tp1, tdp1, tp2, tdp2, tzr2, tdzr2, tpo, tuo, txo, tvo, dd3, rot1 = tg
    mc, ms, xc, xs = inputs
    # the value by the very operations of _outer, so that it does not depend on want_jac
    tn = t * dp0
    c_left = d3 * p0 - tn
    c_right = dp1 * p0 - tn * p1
    num = c_left * dp2 - c_right * dzr
    den = c_left * p2 - c_right * zr
    w_num = w * num
    big_d = w_num * xi_out - den * v_out
    coef = divide(w_num * psi_out - den * u_out, big_d)
    inv_d = reciprocal(big_d)
    big_a = (psi_out - coef * xi_out) * inv_d
    beta = (u_out - coef * v_out) * inv_d
    alpha = w * big_a
    gamma_l = alpha * dp2 - beta * p2
    gamma_r = alpha * dzr - beta * zr
    # z0 = m_core x_core: the core pair enters c_l = d3 psi(z0) - t psi'(z0), c_r = psi'(z1) psi(z0) - t psi'(z0) psi(z1)
    t_dp0 = t * tdp0
    c_z0 = gamma_l * (d3 * tp0 - t_dp0) - gamma_r * (dp1 * tp0 - t_dp0 * p1)
    # z1 = m_shell x_core: psi(z1) in c_r, d3 = zeta'/zeta in c_l, and zr ~ 1 / zeta(z1)
    c_z1 = gamma_l * (dd3 * p0) - gamma_r * (tdp1 * p0 - tn * tp1 + c_right * rot1)
    # z2 = m_shell x_shell: psi(z2) and zeta(z2) e_shift
    c_z2 = c_left * (alpha * tdp2 - beta * tp2) - c_right * (alpha * tdzr2 - beta * tzr2)
    # the index ratio t enters through t psi'(z0); the weight w multiplies num
    c_t = dp0 * (gamma_r * p1 - gamma_l)
    c_w = num * big_a
    c_x = (w_num * (tpo - coef * txo) - den * (tuo - coef * tvo)) * inv_d
    # chain rule: z0 = mc xc, z1 = ms xc, z2 = ms xs, x = xs, t(mc, ms), w(ms)
    return (
        coef,
        scaled(c_z0, xc) + dt_mc * c_t,
        scaled(c_z1, xc) + scaled(c_z2, xs) + dt_ms * c_t + dw_ms * c_w,
        mc * c_z0 + ms * c_z1,
        ms * c_z2 + c_x,
    )


@jit(inline=True)
def coefficient_pair_tangents(n, v, c, left, right, inv_z, sign, inputs):
    """``(a, da, b, db)``: :func:`coefficient_pair` and the derivatives, ``da = (da/dm_core,
    da/dm_shell, da/dx_core, da/dx_shell)`` (likewise ``db``), in units of ``2^out_scale``.

    ``inv_z``, ``sign``: tuples of ``1/z`` and ``s = sign Im z`` for ``z0, z1, z2, x``.
    """
    nn = n * (n + 1.0)
    p2, dp2, zr, dzr, d3, psi_out, u_out, inv_shifted = _shared(v, c, left, right)
    sh = (v[0], v[1], v[2], v[3], p2, dp2, zr, dzr, psi_out, u_out, v[12], v[13], d3)
    # d/dz (P, P') = (P' + i s P, (n(n+1)/z^2 - 1) P + i s P') for psi at z0, z1, z2
    k0 = nn * (inv_z[0] * inv_z[0]) - 1.0
    k1 = nn * (inv_z[1] * inv_z[1]) - 1.0
    k2 = nn * (inv_z[2] * inv_z[2]) - 1.0
    kx = nn * (inv_z[3] * inv_z[3]) - 1.0
    tp0 = v[1] + scaled(times_i(v[0]), sign[0])
    tdp0 = k0 * v[0] + scaled(times_i(v[1]), sign[0])
    tp1 = v[3] + scaled(times_i(v[2]), sign[1])
    tdp1 = k1 * v[2] + scaled(times_i(v[3]), sign[1])
    tp2 = dp2 + scaled(times_i(p2), sign[2])
    tdp2 = k2 * p2 + scaled(times_i(dp2), sign[2])
    # zeta(z2) e^{-i z2} e_shift, e_shift ~ e^{i (1 + s) z2}: alpha = s (the shell's sign)
    scale_z2 = scaled(inv_shifted, right)
    tzr2 = (v[11] + scaled(times_i(v[10]), sign[1])) * scale_z2
    tdzr2 = (k2 * v[10] + scaled(times_i(v[11]), sign[1])) * scale_z2
    # outer medium: psi(x) e^{isx} e^{-2ix} (alpha = s - 2), zeta(x) e^{-ix} (alpha = -1)
    rate = sign[3] - 2.0
    tpo = (v[7] + scaled(times_i(v[6]), rate)) * c[1]
    tuo = (kx * v[6] + scaled(times_i(v[7]), rate)) * c[1]
    txo = v[13] - times_i(v[12])
    tvo = kx * v[12] - times_i(v[13])
    # z1: d d3/dz = n(n+1)/z^2 - 1 - d3^2; 1/zeta(z1) e_shift ~ e^{-i (1 + s) z1}: -d3 - i s
    dd3 = k1 - d3 * d3
    rot1 = -d3 - complex(0.0, sign[1])
    tg = (tp0, tdp0, tp1, tdp1, tp2, tdp2, tzr2, tdzr2, tpo, tuo, txo, tvo, dd3, rot1)
    mc, ms = inputs[0], inputs[1]
    t_a, w_a, t_b, w_b = c[2], c[3], c[4], c[5]
    # t_a = m_shell / m_core, w_a = 1 / m_shell; t_b = m_core / m_shell, w_b = m_shell
    a = _outer_tangents(t_a, w_a, -t_a / mc, 1.0 / mc, -(w_a * w_a), sh, tg, inputs)
    b = _outer_tangents(t_b, w_b, 1.0 / ms, -t_b / ms, 1.0 + 0j, sh, tg, inputs)
    return a[0], (a[1], a[2], a[3], a[4]), b[0], (b[1], b[2], b[3], b[4])
