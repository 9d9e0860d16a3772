"""The float64 range of the Riccati-Bessel recurrences: growth bounds and exact power-of-two scaling.

Which elements may use the plain float64 recurrences of :mod:`kerker.mie.special` is
decided here from closed-form bounds on each element's growth; the others carry integer
exponents, ``f = m 2^e``, built from the exact power-of-two helpers below (also used by
:mod:`kerker.mie.coreshell` to combine functions of different exponents).
"""

from __future__ import annotations

import math

import torch

# Largest log-magnitude the backward recurrence may start below 1 (see special._miller_seed).
_MILLER_LOG_SEED_MIN = -600.0
# An element takes the plain float64 recurrences when its growth bounds keep every
# intermediate of Miller's recurrence below e^_LOG_FAST_RECURRENCE (float64 overflows at
# e^709.8) and every returned value within e^(+-_LOG_FAST_VALUES), so that products of
# three returned values (the most the core-shell combination forms) stay in range too;
# otherwise it takes the exponent-carrying path.
_LOG_FAST_RECURRENCE = 700.0
_LOG_FAST_VALUES = 200.0


def _log_decay(abs_z: torch.Tensor, n_top: torch.Tensor) -> torch.Tensor:
    """``sum_{k=1}^{n_top} log max(1, (2k+1)/|z|)``: the decay of the minimal solution up to ``n_top``."""
    n_top_max = int(n_top.max()) if n_top.numel() else 0
    k = torch.arange(0, n_top_max + 1, dtype=torch.float64, device=abs_z.device)
    cum_log = torch.cat([torch.zeros(1, dtype=torch.float64, device=abs_z.device), torch.log(2.0 * k[1:] + 1.0).cumsum(0)])
    # k0: the last k with (2k+1) <= |z|, where the summand is 0
    k0 = torch.minimum(torch.floor((abs_z - 1.0) / 2.0).clamp(min=0).to(torch.int64), n_top)
    return cum_log[n_top] - cum_log[k0] - (n_top - k0) * torch.log(abs_z)


def _log_growth_bound(abs_z: torch.Tensor, n_top) -> torch.Tensor:
    """Upper bound of ``sum_{k=1}^{n_top} log(1 + (2k+1)/|z|)``, the log-growth of *any* solution.

    Each step of the three-term recurrence, forward or backward, multiplies
    ``max(|f_k|, |f_{k+1}|)`` by at most ``1 + (2k+1)/|z|``; the sum of these increasing
    logarithms is bounded by the integral from 1 to ``n_top + 1``, which has the closed
    form ``[u log(u/|z|) - u] / 2`` in ``u = |z| + 2k + 1``. Rigorous and cheap (no loop
    over orders), it decides which elements may use the plain float64 recurrences.
    """
    n_top = torch.as_tensor(n_top, dtype=torch.float64, device=abs_z.device)
    u0 = abs_z + 3.0
    u1 = abs_z + 2.0 * n_top + 3.0
    return 0.5 * (u1 * torch.log1p((2.0 * n_top + 3.0) / abs_z) - u0 * torch.log1p(3.0 / abs_z)) - n_top


def _values_bound(a: float, n: int) -> float:
    """Scalar :func:`_log_growth_bound` plus ``log1p(n / a)`` (the derivative's extra factor)."""
    return 0.5 * ((a + 2 * n + 3) * math.log1p((2 * n + 3) / a) - (a + 3) * math.log1p(3 / a)) - n + math.log1p(n / a)


def _decay_scalar(a: float, n: int) -> float:
    """Scalar :func:`_log_decay`: ``sum_{k=k0+1}^{n} log((2k+1)/a)`` via ``log (2n+1)!!``."""

    def log_double_factorial(m: int) -> float:  # log (2m+1)!!
        return math.lgamma(2 * m + 2) - m * math.log(2) - math.lgamma(m + 1)

    k0 = min(max(math.floor((a - 1) / 2), 0), n)
    return log_double_factorial(n) - log_double_factorial(k0) - (n - k0) * math.log(a)


def _psi_needs_exponents(abs_z: torch.Tensor, n_max: int, n_start: torch.Tensor) -> torch.Tensor | None:
    """True where the plain float64 Miller algorithm could leave the range it needs (None: nowhere).

    Recurrence: the sequence starts at ``e^{-min(decay, 600)}`` (see :func:`_miller_seed`)
    and grows by at most ``e^{bound}`` down to order 0. Returned values (at most ~1 in
    modulus, scaled): by the Wronskian ``psi zeta' - psi' zeta = i``,
    ``max(|psi_n|, |psi_n'|) >= 1 / (|zeta_n| + |zeta_n'|)``, and ``|zeta_n|, |zeta_n'|`` are
    bounded by the forward growth up to ``n_max``.

    A scalar test on the block's extremes settles the common case without any vector
    work: the values bound decreases with ``|z|``; ``bound - decay`` is at most
    ``(|z| / 2) log(2 n_start + 1) + log(1 + (2 n_start + 3) / |z|)`` (each summand
    ``log((1 + u) / max(1, u))`` is below ``min(u, 1/u)``, and the integral exceeds the sum
    by at most its last summand), increasing in ``|z|`` and ``n_start``; the decay itself
    decreases with ``|z|``.
    """
    a_min, a_max = float(abs_z.min()), float(abs_z.max())
    s_max = int(n_start.max())
    if a_min > 0 and _values_bound(a_min, n_max) <= _LOG_FAST_VALUES:
        excess = 0.5 * a_max * math.log(2 * s_max + 1) + math.log1p((2 * s_max + 3) / a_min)
        clamped = max(0.0, _decay_scalar(a_min, s_max) + _MILLER_LOG_SEED_MIN)
        if excess + clamped <= _LOG_FAST_RECURRENCE:
            return None
    return _psi_needs_exponents_each(abs_z, n_max, n_start)


def _psi_needs_exponents_each(abs_z: torch.Tensor, n_max: int, n_start: torch.Tensor) -> torch.Tensor:
    """The per-element test of :func:`_psi_needs_exponents`, bool of the shape of ``abs_z``."""
    seed_log = _log_decay(abs_z, n_start).clamp(min=0.0, max=-_MILLER_LOG_SEED_MIN)
    overflow = _log_growth_bound(abs_z, n_start) - seed_log > _LOG_FAST_RECURRENCE
    small = _log_growth_bound(abs_z, n_max) + torch.log1p(n_max / abs_z) > _LOG_FAST_VALUES
    return overflow | small


def _zeta_needs_exponents(abs_z: torch.Tensor, n_max: int) -> torch.Tensor | None:
    """True where ``zeta_n e^{-iz}`` or its derivative (forward growth up to ``n_max``) could
    exceed ``e^200`` (None: nowhere; the bound decreases with ``|z|``, so the smallest decides)."""
    a_min = float(abs_z.min())
    if a_min > 0 and _values_bound(a_min, n_max) <= _LOG_FAST_VALUES:
        return None
    return _log_growth_bound(abs_z, n_max) + torch.log1p(n_max / abs_z) > _LOG_FAST_VALUES


def _pow2(k: torch.Tensor) -> torch.Tensor:
    """``2.0 ** k`` in float64 for an integer tensor ``k``: exact, 0 below 2^-1074."""
    return torch.exp2(k.clamp(-1100, 1023).to(torch.float64))


def _ldexp(x: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """``x * 2^k`` by two exact power-of-two factors, so ``|k|`` may exceed the exponent range
    of one factor whenever the result itself is in range (underflow gives 0)."""
    half = torch.div(k, 2, rounding_mode="floor")
    return x * _pow2(half) * _pow2(k - half)


def _max_abs(x: torch.Tensor) -> torch.Tensor:
    """``max(|Re x|, |Im x|)`` elementwise (float64), a cheap magnitude for exponent bookkeeping."""
    return torch.view_as_real(x).abs().amax(-1)


def _binary_exponent(mag: torch.Tensor) -> torch.Tensor:
    """``e`` with ``mag = m 2^e``, ``0.5 <= m < 1`` (0 where ``mag`` is 0), int64."""
    return torch.frexp(mag).exponent.to(torch.int64)


def _normalise_rows(
    f: torch.Tensor, df: torch.Tensor, e: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(m, dm, e')`` with ``f 2^e = m 2^e'``, ``df 2^e = dm 2^e'`` and ``max(|m|, |dm|)`` in [0.5, 1).

    One exact power of two per row and element (``e`` None means 0): the values are
    unchanged, only their split into mantissa and exponent moves. Differentiable in
    ``f``, ``df`` (the exponents are constants).
    """
    shift = _binary_exponent(torch.maximum(_max_abs(f.detach()), _max_abs(df.detach())))
    return _ldexp(f, -shift), _ldexp(df, -shift), shift if e is None else e + shift
