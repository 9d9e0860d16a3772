"""The paper's baseline for the non-reducible sums: box sums + Richardson + doubling.

Reference: the seed paper, §5.3 (box sums, Richardson extrapolation ``(4 S_2N - S_N)/3``,
adaptive doubling until successive extrapolants agree to ``tol``); docs/lattice-math.md §4f
and §8.5. Box sums ``S_N = sum'_{max(|m|,|n|) <= N}`` have error ``a2 N^-2 + a3 N^-3 + ...``
with ``a3 != 0``, so the paper's extrapolant is ``O(N^-3)``, not the claimed ``O(N^-4)``;
weighting the outermost shell by 1/2 (trapezoidal rule in the shell index) removes the odd
term and makes the claim true. Both are available (``shell="full"`` is the paper's).

This is a slow, uncertified comparison baseline; use the series method for production.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerker.lattice._reduction import reduce_one, scalar_tau, transport

SHELLS = ("full", "half")


@dataclass(frozen=True)
class RichardsonResult:
    """Outcome of :func:`richardson_sum` at one ``tau``.

    Attributes
    ----------
    values : dict
        ``{l: S(4, l)}`` for ``l = 0, -2, -4`` at ``tau`` (complex).
    n_final : int
        Box half-width ``2N`` of the last partial sum.
    estimate : float
        ``|R_N - R_{N/2}| / |R_N|`` for ``S(4, 0)`` at termination (a-posteriori).
    converged : bool
        Whether ``estimate <= tol`` before ``n_max``.
    """

    values: dict
    n_final: int
    estimate: float
    converged: bool


def _shell_sums(tau_f: complex, k0: int, k1: int, rows_per_block: int = 128) -> np.ndarray:
    """Shell sums ``sum_{max(|m|,|n|) = k} (|w|^-4, conj(w)^2/|w|^6, w^-4)`` for k0 < k <= k1.

    Rows of the box are processed in blocks so memory stays O(rows_per_block * k1).
    """
    out = np.zeros((k1 - k0, 3), dtype=complex)
    cols = np.arange(-k1, k1 + 1, dtype=float)
    for start in range(-k1, k1 + 1, rows_per_block):
        rows = np.arange(start, min(start + rows_per_block, k1 + 1), dtype=float)
        m, n = np.meshgrid(rows, cols, indexing="ij")
        k = np.maximum(np.abs(m), np.abs(n)).astype(np.int64)
        mask = k > k0
        if not mask.any():
            continue
        w = m[mask] + n[mask] * tau_f
        k = k[mask] - (k0 + 1)
        a2 = (w * np.conj(w)).real
        inv4 = 1.0 / (a2 * a2)
        for col, vals in enumerate((inv4 + 0j, np.conj(w) ** 2 * inv4 / a2, 1.0 / w**4)):
            out[:, col] += np.bincount(k, weights=vals.real, minlength=k1 - k0)
            out[:, col] += 1j * np.bincount(k, weights=vals.imag, minlength=k1 - k0)
    return out


def richardson_sum(
    tau: complex, tol: float = 1e-10, *, shell: str = "full", n_start: int = 8, n_max: int = 2048
) -> RichardsonResult:
    """``S(4, 0)``, ``S(4, -2)``, ``G4`` at one ``tau`` by the paper's box-sum scheme.

    Parameters
    ----------
    tau : complex
        Modular parameter, ``Im tau > 0`` (reduced to F first, as in the paper).
    tol : float, default 1e-10
        Stop when successive Richardson extrapolants of ``S(4, 0)`` agree to ``tol``
        (relative).
    shell : {"full", "half"}, keyword-only
        ``"full"``: the paper's box sums (extrapolant ``O(N^-3)``); ``"half"``: outermost
        shell weighted 1/2 (extrapolant ``O(N^-4)``).
    n_start, n_max : int, keyword-only
        First and largest box half-width ``N``.

    Returns
    -------
    RichardsonResult

    Raises
    ------
    ValueError
        Unknown ``shell``; ``n_start`` not in ``[1, n_max]``.
    """
    if shell not in SHELLS:
        raise ValueError(f"shell: must be one of {SHELLS}; received shell={shell!r}")
    if not (1 <= n_start <= n_max):
        raise ValueError(f"n_start: must satisfy 1 <= n_start <= n_max={n_max}; received n_start={n_start}")
    red = reduce_one(scalar_tau(complex(tau))[0])  # validates tau like every entry point
    tau_f = red.tau_f
    shells = _shell_sums(tau_f, 0, 2 * n_start)
    cum = np.cumsum(shells, axis=0)

    def box(nn: int) -> np.ndarray:
        full = cum[nn - 1]
        return full - 0.5 * shells[nn - 1] if shell == "half" else full

    nn = n_start
    prev = None
    estimate = np.inf
    while True:
        rich = (4.0 * box(2 * nn) - box(nn)) / 3.0
        if prev is not None:
            estimate = float(abs(rich[0] - prev[0]) / abs(rich[0]))
            if estimate <= tol or 4 * nn > n_max:
                break
        prev = rich
        nn *= 2
        new = _shell_sums(tau_f, 2 * (nn // 2), 2 * nn)
        shells = np.concatenate([shells, new])
        cum = np.concatenate([cum, cum[-1] + np.cumsum(new, axis=0)])
    values_f = {0: rich[0], -2: rich[1], -4: rich[2]}
    values = {}
    for l, v in values_f.items():
        val, _, _, _ = transport(red, (4 - l) // 2, (4 + l) // 2, complex(v), 0j, 0j, 0.0)
        values[l] = complex(val)
    return RichardsonResult(values=values, n_final=2 * nn, estimate=estimate, converged=estimate <= tol)


def richardson_arrays(l: int, flat: np.ndarray, tol: float = 1e-10):
    """``S(4, l)``, ``d``, ``dbar`` (ladder, docs/lattice-math.md §5.2) and estimate for ``l in {0, +-2}``."""
    sign = 1 if l > 0 else 0
    out = np.zeros((4, flat.size), dtype=complex)
    for i, t in enumerate(flat):
        res = richardson_sum(complex(t), tol)
        s0, s2, g4 = res.values[0], res.values[-2], res.values[-4]
        y = t.imag
        if l == 0:
            d = 1j / y * (s0 - s2)
            vals = (s0.real, d, np.conj(d))
        else:
            vals = (s2, 1.5j / y * (s2 - g4), -0.5j / y * (s2 - s0))
        out[:3, i] = vals
        out[3, i] = res.estimate * abs(vals[0])
    v, d, db, e = out[0], out[1], out[2], out[3].real
    if sign:
        return np.conj(v), np.conj(db), np.conj(d), e
    return v, d, db, e
