"""Riccati–Bessel functions of complex argument, batched and differentiable in PyTorch.

Conventions (Bohren & Huffman 1983, ch. 4): ``psi_n(z) = z j_n(z)`` and
``zeta_n(z) = z h_n^(1)(z) = psi_n(z) + i chi_n(z)`` (BH call it ``xi_n``), time
dependence ``exp(-i omega t)``. Both families satisfy the three-term recurrence
``f_{n+1} = (2n+1)/z f_n - f_{n-1}`` and ``f_n' = f_{n-1} - n f_n / z``.

Numerical choices
-----------------
* ``psi_n`` is the *minimal* solution of the recurrence for ``n > |z|``: it is computed
  by Miller's backward recurrence from a start order well above ``max(n_max, |z|)``
  and normalised against ``psi_0 = sin z`` and ``psi_1 = sin z / z - cos z`` *jointly*
  (a least-squares match to both). Neither ``psi_0`` nor ``psi_1`` alone can serve: at
  ``z = k pi`` (a lossless layer whose optical size is a multiple of pi) ``psi_0``
  vanishes, and for small ``|z|`` the closed form of ``psi_1`` cancels. The two never
  vanish together, and the weighting lets the larger (accurate) one dominate.
* ``psi`` is returned scaled by ``exp(-|Im z|)`` so absorbing layers of any thickness
  cannot overflow; ``zeta`` is returned scaled by ``exp(-i z)`` and is computed by the
  forward recurrence, which is stable for the dominant solution ``h_n^(1)`` when
  ``Im z >= 0``. Callers combine the scale factors analytically.
* No logarithmic derivative ``psi_n'/psi_n`` is ever formed: it has poles at the real
  zeros of ``psi_n`` (lossless layers), which is where ratio-based codes lose accuracy.
* Every element is computed on its own: Miller's recurrence starts at the element's
  own order (elements not yet started hold exact zeros), so a result never depends on
  the rest of the batch.
* Range: for tiny ``|z|``, ``psi_n ~ z^(n+1) / (2n+1)!!`` underflows and
  ``zeta_n ~ (2n-1)!! / z^n`` overflows; Miller's unnormalised sequence grows like
  ``e^{|Im z|}`` too. A cheap closed-form bound on each element's growth
  (:mod:`kerker.mie._range`) sends only the elements that could leave the float64
  range to an exponent-carrying path: the running pair is renormalised by an exact
  power of two after every step, and the result is returned as mantissas ``m`` with an
  integer exponent ``e`` per order and element, ``f = m 2^e`` and ``f' = dm 2^e``. All
  other elements take the plain recurrences, unchanged. Arguments down to
  ``|z| ~ 1e-307`` and any ``|Im z|`` are representable this way.

All functions take complex128 tensors of shape ``(B,)`` and return tensors of shape
``(n_max + 1, B)`` for orders ``n = 0 .. n_max``: the order axis comes *first* here, so
that each recurrence step writes one contiguous row (the public Mie API puts orders
last, see CONVENTIONS.md).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from kerker.mie._range import (
    _MILLER_LOG_SEED_MIN,
    _binary_exponent,
    _ldexp,
    _log_decay,
    _max_abs,
    _normalise_rows,
    _pow2,
    _psi_needs_exponents,
    _zeta_needs_exponents,
)

__all__ = ["miller_start", "n_max_wiscombe", "riccati_psi", "riccati_zeta"]

# On the exponent-carrying path the running pair is renormalised after every step to a
# magnitude just below 2^-_HEADROOM_BITS, so that (2k+1) (i/z) q cannot overflow for any
# normal |z| and any order k < 2^18 before the next renormalisation.
_HEADROOM_BITS = 20
# Miller's relative error at the orders kept, for arguments below half the order count:
# e^-44 ~ 1e-19, a thousandth of float64's rounding (see miller_start).
_MILLER_E_FOLDS = 44.0


def n_max_wiscombe(x: float) -> int:
    """Truncation order for outer size parameter ``x``: Wiscombe (1980) plus 3.

    Wiscombe's criterion ``x + 4 x^(1/3) + 2`` alone leaves relative errors up to
    ~1e-6 for thin silver shells; three more orders push the truncation error below
    1e-12 over the visible range (tested against an mpmath reference).

    Parameters
    ----------
    x : float
        Outer size parameter ``2 pi n_env r_outer / wavelength``; must be positive.
    """
    return int(math.ceil(x + 4.0 * x ** (1.0 / 3.0) + 2.0)) + 3


def miller_start(n_max: int, abs_z: float) -> int:
    """Start order of Miller's backward recurrence for orders ``<= n_max`` at argument modulus ``abs_z``.

    Miller's relative error is about ``j_N / y_N`` at the start order ``N``. Above
    ``max(n_max, |z|)`` a margin of 15 orders plus a ``2 |z|^(1/3)`` transition-zone
    allowance reaches full float64 precision up to ``|z| ~ 20`` (checked against scipy's
    spherical Bessel functions in the tests). For larger ``|z|`` the decay across a
    margin ``d`` is only ``(2d)^(3/2) / (3 sqrt|z|)`` e-folds (Debye: ``nu (alpha - tanh alpha)``
    with ``cosh alpha = nu / z``), so the margin grows to ``8 |z|^(1/3)``: ~30 e-folds
    at any ``|z|``, i.e. ``j_N / y_N < 1e-25`` (a lossless |m| = 100 sphere at x = 20
    needs it: with ``2 |z|^(1/3)`` its psi_n were wrong by 2e-6).

    For ``|z| <= n_max / 2`` the decay from ``n_max`` on is bounded: each step shrinks
    ``j_k / y_k`` by at least ``rho^2``, ``rho = 2|z| / (2k+1 + sqrt((2k+1)^2 - 4|z|^2))``
    (<= 0.27) the fixed point of ``r_k = z / (2k+1 - z r_{k+1})`` at ``k = n_max + 1``, so
    ``n_max + 1 + ceil(44 / (-2 ln rho))`` gives an error below ``e^-44`` in fewer steps
    (docs/mie.md; at 20 e-folds the measured error is still only 9e-13).
    """
    if 2.0 * abs_z <= n_max:
        k = 2.0 * n_max + 3.0
        ratio = 2.0 * abs_z / (k + math.sqrt(k * k - 4.0 * abs_z * abs_z))
        return int(n_max + 1 + math.ceil(_MILLER_E_FOLDS / (-2.0 * math.log(max(ratio, 1e-300)))))
    cube_root = abs_z ** (1.0 / 3.0)
    margin = max(15 + math.ceil(2.0 * cube_root), math.ceil(8.0 * cube_root))
    return int(max(n_max, math.ceil(abs_z)) + margin)


def _miller_starts(abs_z: torch.Tensor, n_max: int) -> torch.Tensor:
    """:func:`miller_start` per element, int64 of the shape of ``abs_z``."""
    cube_root = abs_z.pow(1.0 / 3.0)
    margin = torch.maximum(15.0 + torch.ceil(2.0 * cube_root), torch.ceil(8.0 * cube_root))
    large = torch.clamp(torch.ceil(abs_z), min=n_max) + margin
    # NumPy: torch's float64 sqrt/log use MKL's OpenMP threads, which hang in a forked child
    a = abs_z.detach().cpu().numpy()
    k = 2.0 * n_max + 3.0
    ratio = 2.0 * a / (k + np.sqrt(np.maximum(k * k - 4.0 * a * a, 0.0)))
    small = torch.from_numpy(n_max + 1 + np.ceil(_MILLER_E_FOLDS / (-2.0 * np.log(np.maximum(ratio, 1e-300)))))
    return torch.where(2.0 * abs_z <= n_max, small.to(large.device), large).to(torch.int64)


def _order_vector(n_max: int, like: torch.Tensor) -> torch.Tensor:
    return torch.arange(n_max + 1, dtype=torch.float64, device=like.device)


def _miller_seed(abs_z: torch.Tensor, n_start: torch.Tensor) -> torch.Tensor:
    """Per-element start value of the backward recurrence (plain float64 path).

    The minimal solution grows by about ``prod_k max(1, (2k+1)/|z|)`` from ``n_start``
    down to 0; starting at the inverse of that bound keeps the whole sequence near
    unit magnitude: no overflow for tiny ``|z|``, and no subnormal numbers (which make
    every later floating-point operation ~10x slower) for large ``|z|``.
    """
    log_growth = _log_decay(abs_z, n_start)
    return torch.exp((-log_growth).clamp(min=_MILLER_LOG_SEED_MIN, max=0.0)).to(torch.complex128)


def _start_groups(n_start: torch.Tensor) -> dict[int, torch.Tensor]:
    """``{order: mask of the elements whose backward recurrence starts at that order}``."""
    low = int(n_start.min())
    counts = torch.bincount(n_start - low)
    return {k + low: n_start == k + low for k in counts.nonzero().squeeze(1).tolist()}


def _rotate_rows(rows: torch.Tensor, factor: torch.Tensor) -> None:
    """In place: multiply row k of ``rows`` (shape (N+1, B)) by ``i^k * factor`` (shape (B,)).

    Four rotated copies of the (B,) factor instead of an (N+1, B) outer product: this
    stays in cache and avoids a broadcast kernel over the whole array.
    """
    rotated = (factor, 1j * factor, -factor, -1j * factor)
    for k in range(rows.shape[0]):
        rows[k].mul_(rotated[k % 4])


def _derivatives_into(values: torch.Tensor, z: torch.Tensor, out: torch.Tensor) -> None:
    """Rows 1..N of ``out`` := ``f_n' = f_{n-1} - n f_n / z`` from ``values`` = f_0..f_N."""
    inv_z = 1.0 / z
    for n in range(1, values.shape[0]):
        torch.addcmul(values[n - 1], inv_z, values[n], value=-n, out=out[n])


def _normalised_derivatives(
    mant: torch.Tensor, exp: torch.Tensor, d0: torch.Tensor, z: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Derivatives of rows ``f_n = mant_n 2^{exp_n}`` and a joint renormalisation per row.

    ``d0`` is ``f_0'`` in units of ``2^{exp_0}``. Returns ``(m, dm, e)`` with
    ``f_n = m_n 2^{e_n}``, ``f_n' = dm_n 2^{e_n}`` and ``max(|m_n|, |dm_n|)`` in [0.5, 1)
    (componentwise), so that products of a few mantissas cannot leave the float64 range.
    """
    n = _order_vector(mant.shape[0] - 1, z)[1:].unsqueeze(-1)
    dmant = torch.empty_like(mant)
    dmant[0] = d0
    # f_n' = f_{n-1} - n f_n / z, with f_{n-1} brought to the exponent of row n
    dmant[1:] = _ldexp(mant[:-1], exp[:-1] - exp[1:]) - n * mant[1:] * (1.0 / z)
    return _normalise_rows(mant, dmant, exp)


@torch.no_grad()
def _psi_scaled(z: torch.Tensor, n_max: int, n_start: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``psi_n(z) e^{i s z}``, ``psi_n'(z) e^{i s z}`` (``s = sign Im z``) by Miller's algorithm.

    Plain float64 path. Each element starts at its own order ``n_start`` (int64, shape
    (B,)): until the loop reaches it, its recurrence holds exact zeros. Also returns ``s``.
    The factor ``e^{i s z}`` has modulus ``e^{-|Im z|}``.
    """
    inv_z = 1.0 / z
    # p_k = i^k q_k turns p_{k-1} = (2k+1)/z p_k - p_{k+1} into a single fused
    # multiply-add per step: q_{k-1} = q_{k+1} + (2k+1) (i/z) q_k. Orders <= n_max are
    # written straight into their rows of the result.
    i_inv_z = 1j * inv_z
    psi = torch.empty((n_max + 1, z.shape[0]), dtype=z.dtype, device=z.device)
    seed = _miller_seed(z.abs(), n_start)
    groups = _start_groups(n_start)
    q_next = torch.zeros_like(z)
    q = torch.zeros_like(z)
    for k in range(int(n_start.max()), 0, -1):
        starting = groups.get(k)
        if starting is not None:  # q is 0 there (not started)
            q = torch.where(starting, seed, q)
        target = psi[k - 1] if k - 1 <= n_max else None
        q_prev = torch.addcmul(q_next, i_inv_z, q, value=2 * k + 1, out=target)
        q_next, q = q, q_prev
    norm_phase, cos_s, phase, sign = _psi_normalisation(z, psi[0], 1j * psi[1])
    _rotate_rows(psi, norm_phase)
    dpsi = torch.empty_like(psi)
    torch.mul(cos_s, phase, out=dpsi[0])
    _derivatives_into(psi, z, dpsi)
    return psi, dpsi, sign


def _psi_normalisation(z: torch.Tensor, p0: torch.Tensor, p1: torch.Tensor):
    """Factor that maps Miller's ``p_0, p_1`` onto ``psi_0, psi_1`` (times ``e^{isz}``).

    Exact low orders from sin and cos of Re z and two real functions of Im z, all
    scaled by exp(-|Im z|) (every factor has modulus <= 1):
    ``sin z = sin x cosh y + i cos x sinh y``, ``cos z = cos x cosh y - i sin x sinh y``
    with ``cosh y e^{-|y|} = (1 + e^{-2|y|}) / 2`` and ``sinh y e^{-|y|} = -sign(y) expm1(-2|y|) / 2``
    (expm1: no cancellation for small ``y``, where ``sin z ~ z``). The normalisation is a
    least-squares match to both (see the module docstring). Returns
    ``(norm * phase, cos_s, phase, sign)`` with ``cos_s = cos z e^{-|Im z|}``.
    """
    inv_z = 1.0 / z
    re, im = z.real, z.imag
    decay = torch.expm1(-2.0 * im.abs())  # e^{-2|y|} - 1
    cosh_s = 1.0 + 0.5 * decay
    sinh_s = -0.5 * torch.sign(im) * decay
    sin_x, cos_x = torch.sin(re), torch.cos(re)
    sin_s = torch.complex(sin_x * cosh_s, cos_x * sinh_s)
    cos_s = torch.complex(cos_x * cosh_s, -sin_x * sinh_s)
    cis = torch.complex(cos_x, sin_x)  # e^{i Re z}
    psi1 = sin_s * inv_z - cos_s
    scale = torch.maximum(p0.real.abs() + p0.imag.abs(), p1.real.abs() + p1.imag.abs())
    p0s, p1s = p0 / scale, p1 / scale
    weight = p0s.real**2 + p0s.imag**2 + p1s.real**2 + p1s.imag**2
    norm = (p0s.conj() * sin_s + p1s.conj() * psi1) / (weight * scale)
    sign = torch.where(im >= 0, 1.0, -1.0).to(torch.float64)
    phase = torch.where(im >= 0, cis, cis.conj())  # e^{-|Im z|} e^{i s Re z} = e^{i s z}
    return norm * phase, cos_s, phase, sign


@torch.no_grad()
def _psi_exponents(
    z: torch.Tensor, n_max: int, n_start: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Exponent-carrying Miller algorithm: ``psi = m 2^e``, ``psi' = dm 2^e`` (times ``e^{isz}``).

    The running pair is renormalised by an exact power of two after every step and its
    integer exponent is accumulated per element, so neither tiny arguments (growth
    ``(2n+1)!!/|z|^n``) nor absorbing layers of any thickness can leave the float64 range.
    Returns ``(m, dm, s, e)``, ``e`` int64 of shape (n_max + 1, B).
    """
    i_inv_z = 1j * (1.0 / z)
    b = z.shape[0]
    rows = torch.empty((n_max + 1, b), dtype=z.dtype, device=z.device)
    row_exp = torch.empty((n_max + 1, b), dtype=torch.int64, device=z.device)
    groups = _start_groups(n_start)
    q_next = torch.zeros_like(z)
    q = torch.zeros_like(z)
    e_run = torch.zeros(b, dtype=torch.int64, device=z.device)
    for k in range(int(n_start.max()), 0, -1):
        starting = groups.get(k)
        if starting is not None:  # q is 0 there (not started)
            q = torch.where(starting, 2.0**-_HEADROOM_BITS, q)
        q_prev = torch.add(q_next, i_inv_z * q, alpha=2 * k + 1)
        shift = _binary_exponent(_max_abs(q_prev)) + _HEADROOM_BITS
        factor = _pow2(-shift)
        q_prev.mul_(factor)
        q.mul_(factor)
        e_run += shift
        if k - 1 <= n_max:
            rows[k - 1] = q_prev
            row_exp[k - 1] = e_run
        q_next, q = q, q_prev
    # Miller's sequence is defined up to one factor per element: measure exponents from row 0.
    row_exp -= row_exp[0].clone()
    p1 = _ldexp(1j * rows[1], row_exp[1])
    norm_phase, cos_s, phase, sign = _psi_normalisation(z, rows[0], p1)
    norm_exp = _binary_exponent(_max_abs(norm_phase))
    _rotate_rows(rows, _ldexp(norm_phase, -norm_exp))
    row_exp += norm_exp
    m, dm, e = _normalised_derivatives(rows, row_exp, _ldexp(cos_s * phase, -norm_exp), z)
    return m, dm, sign, e


@torch.no_grad()
def _zeta_scaled(z: torch.Tensor, n_max: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``zeta_n(z) exp(-i z)`` and ``zeta_n'(z) exp(-i z)`` by forward recurrence (plain float64)."""
    inv_z = 1.0 / z
    # u_n = i^(-n) zeta_n turns the forward recurrence into one fused multiply-add:
    # u_{n+1} = u_{n-1} + (2n+1) (-i/z) u_n.
    minus_i_inv_z = -1j * inv_z
    zeta = torch.empty((n_max + 1, z.shape[0]), dtype=z.dtype, device=z.device)
    zeta[0] = -1j  # zeta_0 exp(-iz) = -i
    if n_max >= 1:
        torch.mul(1.0 + 1j * inv_z, 1j, out=zeta[1])  # zeta_1 exp(-iz) = -(1 + i/z), divided by i
    for n in range(1, n_max):
        torch.addcmul(zeta[n - 1], minus_i_inv_z, zeta[n], value=2 * n + 1, out=zeta[n + 1])
    _rotate_rows(zeta, torch.ones_like(z))
    dzeta = torch.empty_like(zeta)
    dzeta[0] = 1.0  # zeta_0' = exp(iz)
    _derivatives_into(zeta, z, dzeta)
    return zeta, dzeta


@torch.no_grad()
def _zeta_exponents(z: torch.Tensor, n_max: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Exponent-carrying forward recurrence: ``zeta e^{-iz} = m 2^e``, ``zeta' e^{-iz} = dm 2^e``."""
    inv_z = 1.0 / z
    minus_i_inv_z = -1j * inv_z
    b = z.shape[0]
    rows = torch.empty((n_max + 1, b), dtype=z.dtype, device=z.device)
    row_exp = torch.zeros((n_max + 1, b), dtype=torch.int64, device=z.device)
    rows[0] = -1j
    if n_max >= 1:
        prev = torch.full_like(z, -1j)
        cur = (1.0 + 1j * inv_z) * 1j
        e_run = torch.zeros(b, dtype=torch.int64, device=z.device)
        for n in range(1, n_max + 1):  # running pair (u_{n-1}, u_n), renormalised like psi's
            if n > 1:
                prev, cur = cur, torch.add(prev, minus_i_inv_z * cur, alpha=2 * n - 1)
            shift = _binary_exponent(_max_abs(cur)) + _HEADROOM_BITS
            factor = _pow2(-shift)
            cur.mul_(factor)
            prev = prev * factor
            e_run += shift
            rows[n] = cur
            row_exp[n] = e_run
    _rotate_rows(rows, torch.ones_like(z))
    m, dm, e = _normalised_derivatives(rows, row_exp, torch.ones_like(z), z)
    return m, dm, e


def _split_paths(exact: torch.Tensor | None, fast_fn, exact_fn, n_outputs_fast: int):
    """Run ``fast_fn`` on the elements where ``exact`` is False and ``exact_fn`` elsewhere.

    Both take an index tensor (None: all elements) and return tensors of shape
    (n_max + 1, b) or (b,); the exact path returns the exponents as its last output. Elements are computed
    independently, so the result of each does not depend on what else is in the batch.
    """
    n_exact = 0 if exact is None else int(exact.sum())
    if n_exact == 0:
        return (*fast_fn(None), None)
    if n_exact == exact.shape[0]:
        return exact_fn(None)
    i_exact = exact.nonzero().squeeze(1)
    i_fast = (~exact).nonzero().squeeze(1)
    fast = fast_fn(i_fast)
    slow = exact_fn(i_exact)
    # Mantissas of both paths normalised alike, so that callers may multiply mantissas of
    # different arguments of one particle without leaving the float64 range.
    f_m, df_m, e_fast = _normalise_rows(fast[0], fast[1], None)
    fast = (f_m, df_m, *fast[2:])
    out = []
    for f, s in zip(fast, slow[:n_outputs_fast]):
        full = torch.empty(f.shape[:-1] + exact.shape, dtype=f.dtype, device=f.device)
        full[..., i_fast] = f
        full[..., i_exact] = s
        out.append(full)
    e = torch.empty(slow[-1].shape[:-1] + exact.shape, dtype=torch.int64, device=exact.device)
    e[..., i_fast] = e_fast
    e[..., i_exact] = slow[-1]
    return (*out, e)


def _psi_any(z: torch.Tensor, n_max: int):
    """``(psi, dpsi, s, e)`` per element by the fast or the exponent path; ``e`` None if all fast."""
    abs_z = z.abs()
    n_start = _miller_starts(abs_z, n_max)
    exact = _psi_needs_exponents(abs_z, n_max, n_start)

    def sub(t, idx):
        return t if idx is None else t[idx]

    return _split_paths(
        exact,
        lambda idx: _psi_scaled(sub(z, idx), n_max, sub(n_start, idx)),
        lambda idx: _psi_exponents(sub(z, idx), n_max, sub(n_start, idx)),
        3,
    )


def _zeta_any(z: torch.Tensor, n_max: int):
    """``(zeta, dzeta, e)`` per element by the fast or the exponent path; ``e`` None if all fast."""
    exact = _zeta_needs_exponents(z.abs(), n_max)
    return _split_paths(
        exact,
        lambda idx: _zeta_scaled(z if idx is None else z[idx], n_max),
        lambda idx: _zeta_exponents(z if idx is None else z[idx], n_max),
        2,
    )


class _ScaledRiccati(torch.autograd.Function):
    """``(f_n(z) e^{i alpha z}, f_n'(z) e^{i alpha z})`` as mantissas with an analytic backward.

    The functions are ``f = m 2^e``, ``f' = dm 2^e`` with one integer exponent ``e`` per
    order and element shared by value and derivative (``e`` is None when every element
    took the plain float64 path, i.e. all exponents are 0). The exponents are piecewise
    constant in ``z`` and not differentiated, so the backward below holds in mantissa
    units unchanged. Both outputs are holomorphic in ``z`` (``alpha`` is a per-element
    constant), so the vector-Jacobian product is ``grad * conj(d/dz)`` (PyTorch's
    convention), with ``d/dz (f e) = (f' + i alpha f) e`` and
    ``d/dz (f' e) = (-(1 - n(n+1)/z^2) f + i alpha f') e`` from the Riccati–Bessel
    equation. This replaces autograd through ~40 recurrence steps by a handful of
    vectorised operations.
    """

    @staticmethod
    def forward(z, kind, n_max):  # noqa: D102 - see class docstring
        if kind == "psi":
            f, df, alpha, e = _psi_any(z, n_max)
        else:
            alpha = torch.full(z.shape, -1.0, dtype=torch.float64, device=z.device)
            f, df, e = _zeta_any(z, n_max)
        return f, df, alpha, e

    @staticmethod
    def setup_context(ctx, inputs, output):
        f, df, alpha, e = output
        ctx.save_for_backward(inputs[0], f, df, alpha)
        ctx.mark_non_differentiable(alpha, *(() if e is None else (e,)))
        ctx.set_materialize_grads(False)

    @staticmethod
    def backward(ctx, grad_f, grad_df, _grad_alpha, _grad_e):  # noqa: D102
        z, f, df, alpha = ctx.saved_tensors
        n = _order_vector(f.shape[0] - 1, z).unsqueeze(-1)
        i_alpha = 1j * alpha
        grad_z = torch.zeros_like(z)
        if grad_f is not None:
            grad_z = grad_z + (grad_f * (df + i_alpha * f).conj()).sum(0)
        if grad_df is not None:
            ddf = (n * (n + 1) * (1.0 / (z * z)) - 1.0) * f + i_alpha * df
            grad_z = grad_z + (grad_df * ddf.conj()).sum(0)
        return grad_z, None, None


def _with_exponents(f: torch.Tensor, df: torch.Tensor, e: torch.Tensor | None, exponents: bool):
    if exponents:
        return f, df, e
    if e is None:
        return f, df
    return _ldexp(f, e), _ldexp(df, e)


def riccati_psi(z: torch.Tensor, n_max: int, *, exponents: bool = False):
    """``psi_n(z) e^{i s z}`` and ``psi_n'(z) e^{i s z}`` with ``s = sign(Im z)`` (+1 on the real axis).

    The factor ``e^{i s z}`` has modulus ``e^{-|Im z|}`` (so absorption cannot overflow)
    and keeps the result holomorphic (so the analytic backward applies). Callers combine
    these factors. Each element starts Miller's recurrence at its own order
    (:func:`miller_start` of its own ``|z|``), so no element depends on the others.

    Parameters
    ----------
    z : torch.Tensor, complex128, shape (B,)
        Arguments; must be non-zero (``|z|`` a normal float64, >= 2.2e-308).
    n_max : int
        Highest order returned.
    exponents : bool, default False
        Return ``(m, dm, e)`` with ``psi = m 2^e``, ``psi' = dm 2^e`` (``e`` int64 of shape
        (n_max + 1, B), or None where every exponent is 0) instead of the values, which
        underflow for tiny ``|z|`` (``psi_n ~ z^{n+1} / (2n+1)!!``).

    Returns
    -------
    psi, dpsi : torch.Tensor, complex128, shape (n_max + 1, B)
        (plus the exponents when ``exponents`` is True).
    """
    psi, dpsi, _, e = _ScaledRiccati.apply(z, "psi", n_max)
    return _with_exponents(psi, dpsi, e, exponents)


def riccati_zeta(z: torch.Tensor, n_max: int, *, exponents: bool = False):
    """``zeta_n(z) e^{-i z}`` and ``zeta_n'(z) e^{-i z}`` with ``zeta_n = z h_n^(1)(z)``.

    Parameters
    ----------
    z : torch.Tensor, complex128, shape (B,)
        Arguments with ``Im z >= 0`` (passive media) or real; must be non-zero.
    n_max : int
        Highest order returned.
    exponents : bool, default False
        As in :func:`riccati_psi`: return mantissas and exponents, since ``zeta_n`` overflows
        for tiny ``|z|`` (``zeta_n ~ (2n-1)!! / z^n``).

    Returns
    -------
    zeta, dzeta : torch.Tensor, complex128, shape (n_max + 1, B)
        (plus the exponents when ``exponents`` is True).
    """
    zeta, dzeta, _, e = _ScaledRiccati.apply(z, "zeta", n_max)
    return _with_exponents(zeta, dzeta, e, exponents)
