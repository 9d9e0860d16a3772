"""The fused scalar kernel of :func:`kerker.efficiencies`: one particle x wavelength at a time.

The same physics as the torch path (:mod:`kerker.mie.special`, :mod:`kerker.mie.coreshell`,
``kerker.mie._blocks.sums``), written as scalar complex arithmetic per element and compiled by
Numba: per element, Miller's backward recurrence for ``psi`` at the four arguments
``m_core x_core, m_shell x_core, m_shell x_shell, x_shell`` (each from its own start
order, :func:`kerker.mie.special.miller_start`), the forward recurrence for ``zeta`` at the
last three, the projective core-shell combination per order and the five sums, without
any (n_max, B) intermediate. Every element runs the same scalar code whatever else is in
the batch, so a result is bit-identical to the element computed alone.

Differences from the torch path, none of which changes the physics:

* Rows are kept in the rotated basis ``psi_n = i^n P_n``, ``zeta_n = i^n U_n`` of the
  recurrences (``P_n' = -i P_{n-1} - n P_n / z``); ``i^{3n}`` cancels in every ``a_n, b_n``.
* Range: the running pair of each recurrence is renormalised by an exact power of two
  only when it exceeds a per-argument limit (a compare per step), instead of a bound
  deciding the path in advance. An element whose rows all share one exponent and whose
  values lie within ``e^(+-_LOG_FAST_VALUES)`` (the torch path's criterion for its plain
  float64 path, here checked on the values themselves) is combined in plain float64;
  any other element is recomputed on the exponent-carrying path (mantissas in [0.5, 1)
  per row and integer exponents, combined as ``coreshell`` does). The decision uses only
  the element's own values.
* With ``want_jac`` the kernel also returns each element's Jacobian of the five
  efficiencies w.r.t. ``(m_core, m_shell, x_core, x_shell)``, by forward-mode propagation
  through the coefficient formulas (:mod:`kerker.mie._fused_tangents`), using
  ``d/dz P = P' + i s P`` and ``d/dz P' = (n(n+1)/z^2 - 1) P + i s P'`` for the scaled
  functions, so the recurrences themselves are not differentiated.
"""

from __future__ import annotations

import math

import numpy as np

from kerker.mie import _fused_tangents, _range, special
from kerker.mie._fused_tangents import coefficient_pair, coefficient_pair_tangents, jit, scaled, times_i
from kerker.mie._range import _LOG_FAST_VALUES
from kerker.mie.special import _HEADROOM_BITS, miller_start

# Values of the plain path must lie within e^(+-200), so products of three stay in range.
_VALUES_HI = math.exp(_LOG_FAST_VALUES)
_VALUES_LO = math.exp(-_LOG_FAST_VALUES)
# The running pair of a recurrence stays below 2^_LIMIT_BITS / (growth of one step), so
# neither (2k+1)(i/z) q nor the sum of two such terms can overflow float64 (2^1024).
_LIMIT_BITS = 1016
#: Doubles per element of the Jacobian: 5 efficiencies x (Re, Im of 2 dq/dm_core, Re, Im of
#: 2 dq/dm_shell, dq/dx_core, dq/dx_shell); see :func:`_jacobian`.
JAC_WIDTH = 30

# compiled from special.miller_start itself: one definition of the start order
_miller_start = jit(miller_start)


@jit(inline=True)
def _mag(z):
    """``max(|Re z|, |Im z|)``: the magnitude used for exponent bookkeeping."""
    return max(abs(z.real), abs(z.imag))


@jit(inline=True)
def _pow2(k):
    """``2.0 ** k`` for an integer ``k``: exact, 0 below 2^-1074 (as ``_range._pow2``)."""
    return math.ldexp(1.0, max(-1100, min(1023, k)))


@jit(inline=True)
def _ldexp(z, k):
    """``z 2^k`` by two exact factors, so ``|k|`` may exceed one factor's range (``_range._ldexp``)."""
    half = k // 2
    return scaled(scaled(z, _pow2(half)), _pow2(k - half))


@jit(inline=True)
def _exponent(m):
    """``e`` with ``m = f 2^e``, ``0.5 <= f < 1`` (0 for 0): ``_range._binary_exponent``."""
    return math.frexp(m)[1]


@jit(inline=True)
def _limit(growth):
    """Largest magnitude of a running pair whose steps multiply it by at most ``growth``."""
    return math.ldexp(1.0, _LIMIT_BITS - _exponent(growth + 1.0))


@jit(inline=True)
def _miller_step(q_next, q, i_inv_z, k, limit, e):
    """One step ``q_{k-1} = q_{k+1} + (2k+1)(i/z) q_k``; renormalises the pair above ``limit``."""
    q_prev = q_next + scaled(i_inv_z, 2.0 * k + 1.0) * q
    if _mag(q_prev) > limit:
        shift = _exponent(max(_mag(q_prev), _mag(q))) + _HEADROOM_BITS
        factor = _pow2(-shift)
        return scaled(q, factor), scaled(q_prev, factor), e + shift
    return q, q_prev, e


@jit
def _miller_rows(z, abs_z, inv_z, n_max, rows, row_exp):
    """Miller's unnormalised sequences ``q_k`` (``p_k = i^k q_k``) of the four arguments ``z``.

    Each from its own start order (:func:`kerker.mie.special.miller_start`), with
    ``q_start = 2^-20`` and zero above, down to order 0 by
    ``q_{k-1} = q_{k+1} + (2k+1)(i/z) q_k``; the four recurrences run in one loop so that
    their latency chains overlap. A pair is renormalised by an exact power of two when it
    exceeds :func:`_limit`; ``rows[j, k]`` (k <= n_max) holds ``q_k`` in units of
    ``2^row_exp[j, k]`` (up to one factor per argument).
    """
    s0, s1 = _miller_start(n_max, abs_z[0]), _miller_start(n_max, abs_z[1])
    s2, s3 = _miller_start(n_max, abs_z[2]), _miller_start(n_max, abs_z[3])
    i0, i1, i2, i3 = times_i(inv_z[0]), times_i(inv_z[1]), times_i(inv_z[2]), times_i(inv_z[3])
    l0 = _limit((2.0 * s0 + 3.0) / abs_z[0])
    l1 = _limit((2.0 * s1 + 3.0) / abs_z[1])
    l2 = _limit((2.0 * s2 + 3.0) / abs_z[2])
    l3 = _limit((2.0 * s3 + 3.0) / abs_z[3])
    seed = complex(_pow2(-_HEADROOM_BITS), 0.0)
    n0 = c0 = n1 = c1 = n2 = c2 = n3 = c3 = 0j
    e0 = e1 = e2 = e3 = 0
    for k in range(max(max(s0, s1), max(s2, s3)), 0, -1):
        if k <= s0:
            n0, c0, e0 = _miller_step(n0, seed if k == s0 else c0, i0, k, l0, e0)
        if k <= s1:
            n1, c1, e1 = _miller_step(n1, seed if k == s1 else c1, i1, k, l1, e1)
        if k <= s2:
            n2, c2, e2 = _miller_step(n2, seed if k == s2 else c2, i2, k, l2, e2)
        if k <= s3:
            n3, c3, e3 = _miller_step(n3, seed if k == s3 else c3, i3, k, l3, e3)
        if k - 1 <= n_max:
            rows[0, k - 1], rows[1, k - 1], rows[2, k - 1], rows[3, k - 1] = c0, c1, c2, c3
            row_exp[0, k - 1], row_exp[1, k - 1], row_exp[2, k - 1], row_exp[3, k - 1] = e0, e1, e2, e3


@jit
def _psi_normalisation(z, inv_z, p0, p1):
    """The factor mapping Miller's ``p_0, p_1`` onto ``psi_0 e^{isz}, psi_1 e^{isz}``.

    Scalar ``special._psi_normalisation``: a least-squares match to both ``sin z`` and
    ``sin z / z - cos z``, all scaled by ``e^{-|Im z|}`` (``s = sign Im z``, +1 on the axis);
    ``inv_z`` is ``1 / z``.
    """
    re, im = z.real, z.imag
    decay = math.expm1(-2.0 * abs(im))
    cosh_s = 1.0 + 0.5 * decay
    sinh_s = -0.5 * (1.0 if im > 0 else (-1.0 if im < 0 else 0.0)) * decay
    sin_x, cos_x = math.sin(re), math.cos(re)
    sin_s = complex(sin_x * cosh_s, cos_x * sinh_s)
    cos_s = complex(cos_x * cosh_s, -sin_x * sinh_s)
    psi1 = sin_s * inv_z - cos_s
    scale = max(abs(p0.real) + abs(p0.imag), abs(p1.real) + abs(p1.imag))
    p0s, p1s = scaled(p0, 1.0 / scale), scaled(p1, 1.0 / scale)
    weight = p0s.real**2 + p0s.imag**2 + p1s.real**2 + p1s.imag**2
    norm = scaled(p0s.conjugate() * sin_s + p1s.conjugate() * psi1, 1.0 / (weight * scale))
    return norm * complex(cos_x, sin_x if im >= 0 else -sin_x)


@jit
def _exact_norm(rows, row_exp, z, inv_z):
    """``(mantissa, exponent)`` of the normalisation of an exponent-carrying row set."""
    factor = _psi_normalisation(z, inv_z, rows[0], _ldexp(times_i(rows[1]), row_exp[1] - row_exp[0]))
    e = _exponent(_mag(factor))
    return _ldexp(factor, -e), e - row_exp[0]


@jit(inline=True)
def _normalised_pair(f, df, e):
    """``(m, dm, e')`` with ``f 2^e = m 2^e'``, ``df 2^e = dm 2^e'``, ``max(|m|, |dm|)`` in [0.5, 1)."""
    shift = _exponent(max(_mag(f), _mag(df)))
    return _ldexp(f, -shift), _ldexp(df, -shift), e + shift


@jit(inline=True)
def _exact_psi(rows, row_exp, factor, factor_exp, n, inv_z):
    """Order ``n`` of an exponent-carrying psi: ``(m, dm, e)`` with ``P_n = m 2^e``, ``P_n' = dm 2^e``."""
    cur = rows[n] * factor
    prev = _ldexp(rows[n - 1] * factor, row_exp[n - 1] - row_exp[n])  # in units of row n
    return _normalised_pair(cur, -times_i(prev) - scaled(inv_z, float(n)) * cur, row_exp[n] + factor_exp)


@jit(inline=True)
def _zeta_step(prev, cur, minus_i_inv_z, n):
    """``U_n = U_{n-2} + (2n-1)(-i/z) U_{n-1}`` from ``(U_{n-2}, U_{n-1})``: the new pair."""
    return cur, prev + scaled(minus_i_inv_z, 2.0 * n - 1.0) * cur


@jit(inline=True)
def _zeta_renormalised(prev, cur, e, limit):
    """The pair ``(U_{n-1}, U_n) 2^e``, renormalised by an exact power of two above ``limit``."""
    if _mag(cur) > limit:
        shift = _exponent(max(_mag(cur), _mag(prev))) + _HEADROOM_BITS
        return _ldexp(prev, -shift), _ldexp(cur, -shift), e + shift
    return prev, cur, e


@jit(inline=True)
def _derivative(prev, cur, inv_z, n):
    """``f_n' = -i f_{n-1} - n f_n / z`` in the rotated basis (``f_n = i^n F_n``)."""
    return -times_i(prev) - scaled(inv_z, float(n)) * cur


@jit(inline=True)
def _pair_max(f, df):
    return max(_mag(f), _mag(df))


@jit(inline=True)
def _accumulate(n, v, c, left, right, out_scale, inv_z, sign, inputs, want_jac, sums, tsum):
    """Add order ``n``'s terms to ``sums = (fwd, sca, back)`` (returned) and, with
    ``want_jac``, their derivatives to ``tsum`` (3, 4): per input, ``sum w (a' + b')``,
    ``sum w (conj(a) a' + conj(b) b')`` and ``sum w (-1)^n (a' - b')``."""
    w = 2.0 * n + 1.0
    w_alt = w if n % 2 == 0 else -w
    if want_jac:
        a, da, b, db = coefficient_pair_tangents(n, v, c, left, right, inv_z, sign, inputs)
        if out_scale != 0:
            a, b = _ldexp(a, out_scale), _ldexp(b, out_scale)
        for i in range(4):
            dai, dbi = da[i], db[i]
            if out_scale != 0:
                dai, dbi = _ldexp(dai, out_scale), _ldexp(dbi, out_scale)
            tsum[0, i] += w * (dai + dbi)
            tsum[1, i] += w * (a.conjugate() * dai + b.conjugate() * dbi)
            tsum[2, i] += w_alt * (dai - dbi)
    else:
        a, b = coefficient_pair(v, c, left, right)
        if out_scale != 0:
            a, b = _ldexp(a, out_scale), _ldexp(b, out_scale)
    fwd, sca, back = sums
    fwd += w * (a + b)
    sca += w * ((a.real * a.real + a.imag * a.imag) + (b.real * b.real + b.imag * b.imag))
    back += w_alt * (a - b)
    return fwd, sca, back


@jit
def _orders_plain(rows, factor, z, inv_z, sign, c, inputs, n_max, want_jac, tsum):
    """The orders of an element whose rows share one exponent, in plain float64.

    Returns ``(ok, fwd, sca, back)``; ``ok`` is False as soon as a pair ``(f, f')`` leaves
    ``e^(+-_LOG_FAST_VALUES)`` (or is not finite): the element then needs the exponent path.
    """
    f0, f1, f2, f3 = factor
    pp0, pp1, pp2, pp3 = rows[0, 0] * f0, rows[1, 0] * f1, rows[2, 0] * f2, rows[3, 0] * f3
    mi1, mi2, mix = -times_i(inv_z[1]), -times_i(inv_z[2]), -times_i(inv_z[3])
    up1 = up2 = upx = complex(0.0, -1.0)  # zeta_0 e^{-iz} = -i
    u1, u2, ux = times_i(1.0 + times_i(inv_z[1])), times_i(1.0 + times_i(inv_z[2])), times_i(1.0 + times_i(inv_z[3]))
    sums = (0j, 0.0, 0j)
    for n in range(1, n_max + 1):
        if n > 1:
            up1, u1 = _zeta_step(up1, u1, mi1, n)
            up2, u2 = _zeta_step(up2, u2, mi2, n)
            upx, ux = _zeta_step(upx, ux, mix, n)
        du1, du2, dux = _derivative(up1, u1, inv_z[1], n), _derivative(up2, u2, inv_z[2], n), _derivative(upx, ux, inv_z[3], n)
        p0, p1, p2, p3 = rows[0, n] * f0, rows[1, n] * f1, rows[2, n] * f2, rows[3, n] * f3
        dp0, dp1 = _derivative(pp0, p0, inv_z[0], n), _derivative(pp1, p1, inv_z[1], n)
        dp2, dp3 = _derivative(pp2, p2, inv_z[2], n), _derivative(pp3, p3, inv_z[3], n)
        pp0, pp1, pp2, pp3 = p0, p1, p2, p3
        m_u1, m_u2, m_ux = _pair_max(u1, du1), _pair_max(u2, du2), _pair_max(ux, dux)
        m_p0, m_p1, m_p2, m_p3 = _pair_max(p0, dp0), _pair_max(p1, dp1), _pair_max(p2, dp2), _pair_max(p3, dp3)
        low = min(min(min(m_u1, m_u2), min(m_ux, m_p0)), min(min(m_p1, m_p2), m_p3))
        # the sum bounds the largest and, unlike max(), propagates NaN
        total = ((m_u1 + m_u2) + (m_ux + m_p0)) + ((m_p1 + m_p2) + m_p3)
        if not (low >= _VALUES_LO and total <= _VALUES_HI):
            return False, sums[0], sums[1], sums[2]
        v = (p0, dp0, p1, dp1, p2, dp2, p3, dp3, u1, du1, u2, du2, ux, dux)
        sums = _accumulate(n, v, c, 1.0, 1.0, 0, inv_z, sign, inputs, want_jac, sums, tsum)
    return True, sums[0], sums[1], sums[2]


@jit
def _orders_exact(rows, row_exp, z, inv_z, sign, c, inputs, n_max, want_jac, tsum):
    """The orders of an element on the exponent-carrying path: ``(fwd, sca, back)``.

    As ``special._psi_exponents`` / ``_zeta_exponents`` and ``coreshell``: every pair is
    brought to a mantissa in [0.5, 1) and an integer exponent; the combination applies
    the exponent differences as exact powers of two.
    """
    f0, e0 = _exact_norm(rows[0], row_exp[0], z[0], inv_z[0])
    f1, e1 = _exact_norm(rows[1], row_exp[1], z[1], inv_z[1])
    f2, e2 = _exact_norm(rows[2], row_exp[2], z[2], inv_z[2])
    f3, e3 = _exact_norm(rows[3], row_exp[3], z[3], inv_z[3])
    mi1, mi2, mix = -times_i(inv_z[1]), -times_i(inv_z[2]), -times_i(inv_z[3])
    l1 = _limit((2.0 * n_max + 1.0) / abs(z[1]))
    l2 = _limit((2.0 * n_max + 1.0) / abs(z[2]))
    lx = _limit((2.0 * n_max + 1.0) / abs(z[3]))
    up1 = up2 = upx = complex(0.0, -1.0)
    u1, u2, ux = times_i(1.0 + times_i(inv_z[1])), times_i(1.0 + times_i(inv_z[2])), times_i(1.0 + times_i(inv_z[3]))
    g1 = g2 = gx = 0  # the zeta pairs' exponents
    sums = (0j, 0.0, 0j)
    for n in range(1, n_max + 1):
        if n > 1:
            up1, u1 = _zeta_step(up1, u1, mi1, n)
            up2, u2 = _zeta_step(up2, u2, mi2, n)
            upx, ux = _zeta_step(upx, ux, mix, n)
        # (U_1 ~ -1/z itself may exceed the limit: the pair is checked from n = 1 on)
        up1, u1, g1 = _zeta_renormalised(up1, u1, g1, l1)
        up2, u2, g2 = _zeta_renormalised(up2, u2, g2, l2)
        upx, ux, gx = _zeta_renormalised(upx, ux, gx, lx)
        zm1, zd1, ze1 = _normalised_pair(u1, _derivative(up1, u1, inv_z[1], n), g1)
        zm2, zd2, ze2 = _normalised_pair(u2, _derivative(up2, u2, inv_z[2], n), g2)
        zmx, zdx, zex = _normalised_pair(ux, _derivative(upx, ux, inv_z[3], n), gx)
        m0, dm0, _ = _exact_psi(rows[0], row_exp[0], f0, e0, n, inv_z[0])  # projective: no exponent
        m1, dm1, ep1 = _exact_psi(rows[1], row_exp[1], f1, e1, n, inv_z[1])
        m2, dm2, ep2 = _exact_psi(rows[2], row_exp[2], f2, e2, n, inv_z[2])
        m3, dm3, epx = _exact_psi(rows[3], row_exp[3], f3, e3, n, inv_z[3])
        # terms in psi(z2) carry 2^Ep2, those in psi(z1) zeta(z2) / zeta(z1) 2^(Ep1 + Ez2 - Ez1):
        # the larger is factored out (num / den is projective), the other applied as 2^-|D|,
        # which underflows to 0 when negligible; the outer ratio carries 2^(Epx - Ezx)
        d = ep1 + ze2 - ze1 - ep2
        v = (m0, dm0, m1, dm1, m2, dm2, m3, dm3, zm1, zd1, zm2, zd2, zmx, zdx)
        sums = _accumulate(n, v, c, _pow2(-max(d, 0)), _pow2(min(d, 0)), epx - zex, inv_z, sign, inputs,
                           want_jac, sums, tsum)
    return sums


@jit(inline=True)
def _element(mc, ms, xc, xs, n_max, rows, row_exp, tsum, q, jac, i_jac, want_jac, exact_only):
    """One element's five efficiencies into ``q`` (5,) and, with ``want_jac``, its Jacobian into ``jac[i_jac]``.

    ``rows``, ``row_exp`` (4, >= n_max + 1): scratch for Miller's rows at
    ``z = (m_core x_core, m_shell x_core, m_shell x_shell, x_shell)``; ``tsum`` (3, 4) complex.
    The plain path is tried first (unless ``exact_only``); an element it cannot represent
    takes the exponent path.
    """
    z = (mc * xc, ms * xc, ms * xs, complex(xs, 0.0))
    inv_z = (1.0 / z[0], 1.0 / z[1], 1.0 / z[2], 1.0 / z[3])
    sign = (1.0 if z[0].imag >= 0 else -1.0, 1.0 if z[1].imag >= 0 else -1.0,
            1.0 if z[2].imag >= 0 else -1.0, 1.0 if z[3].imag >= 0 else -1.0)
    abs_z = (abs(z[0]), abs(z[1]), abs(z[2]), xs)
    _miller_rows(z, abs_z, inv_z, n_max, rows, row_exp)
    # psi carries e^{isz}, zeta e^{-iz}: the shell's radii combine into e^{i(1+s)(z2 - z1)},
    # the outer medium into e^{-2ix} (see coreshell.coefficients_orders_first).
    ratio = ms / mc
    c = (np.exp(1j * (1.0 + sign[1]) * (z[2] - z[1])), np.exp(-2j * xs), ratio, 1.0 / ms, 1.0 / ratio, ms)
    inputs = (mc, ms, xc, xs)
    ok = not exact_only
    for j in range(4):
        ok = ok and row_exp[j, n_max] == row_exp[j, 0]
    if ok:
        tsum[:, :] = 0j
        factor = (_psi_normalisation(z[0], inv_z[0], rows[0, 0], times_i(rows[0, 1])),
                  _psi_normalisation(z[1], inv_z[1], rows[1, 0], times_i(rows[1, 1])),
                  _psi_normalisation(z[2], inv_z[2], rows[2, 0], times_i(rows[2, 1])),
                  _psi_normalisation(z[3], inv_z[3], rows[3, 0], times_i(rows[3, 1])))
        ok, fwd, sca, back = _orders_plain(rows, factor, z, inv_z, sign, c, inputs, n_max, want_jac, tsum)
    if not ok:
        tsum[:, :] = 0j
        fwd, sca, back = _orders_exact(rows, row_exp, z, inv_z, sign, c, inputs, n_max, want_jac, tsum)
    inv_x2 = 1.0 / (xs * xs)
    q[0] = 2.0 * inv_x2 * fwd.real
    q[1] = 2.0 * inv_x2 * sca
    q[2] = q[0] - q[1]
    q[3] = inv_x2 * (fwd.real**2 + fwd.imag**2)
    q[4] = inv_x2 * (back.real**2 + back.imag**2)
    if want_jac:
        _jacobian(q, fwd, back, tsum, inv_x2, xs, jac, i_jac)


@jit(inline=True)
def _jacobian(q, fwd, back, tsum, inv_x2, xs, jac, i):
    """``jac[i, 6 j + k]``: output ``j`` (ext, sca, abs, fwd, back) by input ``k``.

    ``k`` = 0, 1: Re and Im of ``G = 2 dq/dm_core`` (Wirtinger: for a real output the
    gradient PyTorch propagates to a complex input is ``conj(G)`` times the output's
    gradient); 2, 3: the same for ``m_shell``; 4, 5: ``dq/dx_core``, ``dq/dx_shell`` (real).
    """
    for k in range(4):
        g_ext = 2.0 * inv_x2 * tsum[0, k]
        g_sca = 4.0 * inv_x2 * tsum[1, k]
        g_fwd = 2.0 * inv_x2 * fwd.conjugate() * tsum[0, k]
        g_back = 2.0 * inv_x2 * back.conjugate() * tsum[2, k]
        gs = (g_ext, g_sca, g_ext - g_sca, g_fwd, g_back)
        for j in range(5):
            if k < 2:
                jac[i, 6 * j + 2 * k] = gs[j].real
                jac[i, 6 * j + 2 * k + 1] = gs[j].imag
            else:
                jac[i, 6 * j + 2 + k] = gs[j].real
    # q ~ 1/x_shell^2: the prefactor's derivative -2 q / x_shell
    for j in (0, 1, 3, 4):
        jac[i, 6 * j + 5] -= 2.0 * q[j] / xs
    jac[i, 6 * 2 + 5] = jac[i, 5] - jac[i, 6 + 5]


@jit
def _kernel(m_core, m_shell, x_core, x_shell, orders, start, stop, q, jac, want_jac, exact_only):
    """Elements ``start .. stop-1`` of flat inputs into ``q`` (5, B) and ``jac`` (B, 30).

    Parameters
    ----------
    m_core, m_shell : ndarray, complex128, shape (B,)
        Relative refractive indices.
    x_core, x_shell : ndarray, float64, shape (B,)
        Size parameters of the core and the outer radius.
    orders : ndarray, int64, shape (B,)
        Truncation order of each element.
    start, stop : int
        The range of elements this call computes (threads split the batch into ranges).
    q : ndarray, float64, shape (5, B)
        Output: q_ext, q_sca, q_abs, q_fwd, q_back.
    jac : ndarray, float64, shape (B, 30) (not written without ``want_jac``)
        Output with ``want_jac``: see :func:`_jacobian`.
    want_jac : bool
    exact_only : bool
        Run every element on the exponent-carrying path (for tests: it must agree with
        the plain path wherever both apply).
    """
    if stop <= start:
        return
    n_top = 1
    for i in range(start, stop):
        n_top = max(n_top, orders[i])
    rows = np.empty((4, n_top + 1), dtype=np.complex128)
    row_exp = np.empty((4, n_top + 1), dtype=np.int64)
    tsum = np.zeros((3, 4), dtype=np.complex128)
    out = np.empty(5)
    for i in range(start, stop):
        _element(m_core[i], m_shell[i], x_core[i], x_shell[i], orders[i], rows, row_exp, tsum, out, jac, i, want_jac,
                 exact_only)
        for j in range(5):
            q[j, i] = out[j]


def _entry(stamp: str):
    """The entry point :func:`kernel`: a closure over ``stamp`` (see ``_fused_tangents.jit_cached``)."""

    def kernel(m_core, m_shell, x_core, x_shell, orders, start, stop, q, jac, want_jac, exact_only):
        if len(stamp) == 0:  # never: references the digest, so that it is a closure cell
            return
        _kernel(m_core, m_shell, x_core, x_shell, orders, start, stop, q, jac, want_jac, exact_only)

    kernel.__doc__ = _kernel.__doc__
    return _fused_tangents.jit_cached(kernel)


#: The kernel (see :func:`_kernel`), cached on disk and recompiled whenever a module it is built from changes.
kernel = _entry(_fused_tangents.source_digest([__file__, _fused_tangents.__file__, special.__file__, _range.__file__]))
