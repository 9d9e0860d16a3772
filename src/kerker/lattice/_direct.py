"""Slow direct lattice sums over expanding disks or boxes, for tests and comparison.

Like treams, the brute-force sums ship beside the accelerated ones so anyone can check
the series against the definition (docs/lattice-math.md §1, §4c, §4d):

* disk sums ``sum_{0 < |w| <= R} exp(i l arg w)/|w|^n`` -- the summation shape that
  defines ``G2*`` and, after subtracting ``(2 pi / y) log R``, ``S_reg(2, 0)``;
* box sums ``sum_{0 < max(|m|, |n'|) <= N}``.

Cost is O(R^2 / y) per point; the error of a disk sum decays like ``R^-(n-2)`` for
``n > 2`` (plus lattice-point fluctuations, ``~R^-1`` for weight 2).
"""

from __future__ import annotations

import numpy as np

from kerker.lattice._basis import check_sum_index
from kerker.lattice._reduction import as_tau_array


def _terms(w: np.ndarray, n: int, l: int) -> np.ndarray:
    r2 = (w * np.conj(w)).real
    phase = (w / np.sqrt(r2)) ** l if l >= 0 else (np.conj(w) / np.sqrt(r2)) ** (-l)
    return phase / r2 ** (n / 2)


def direct_disk_sum(n: int, l: int, tau: complex, radius: float) -> complex:
    """``sum_{0 < |m + n' tau| <= radius} exp(i l arg w) / |w|^n`` (minus the log for (2, 0)).

    Parameters
    ----------
    n, l : int
        Even indices as in :func:`kerker.lattice.lattice_sum`.
    tau : complex
        One modular parameter, ``Im tau > 0``.
    radius : float
        Disk radius ``R > 0`` (units of the first period).

    Returns
    -------
    complex
        The partial sum; for ``(n, l) = (2, 0)`` minus ``(2 pi / y) log R``
        (docs/lattice-math.md §4d).

    Raises
    ------
    ValueError
        Bad ``n, l, tau`` or ``radius <= 0``.
    """
    n, l = check_sum_index(n, l)
    flat, _ = as_tau_array(tau)
    if flat.size != 1:
        raise ValueError(f"tau: direct sums take one point; received shape {np.shape(tau)}")
    if not (np.isfinite(radius) and radius > 0):
        raise ValueError(f"radius: must be finite and > 0; received radius={radius!r}")
    t = complex(flat[0])
    x, y = t.real, t.imag
    total = 0j
    rows = np.arange(-int(np.floor(radius / y)), int(np.floor(radius / y)) + 1)
    for block in np.array_split(rows, max(1, rows.size // 64)):
        half = np.sqrt(np.maximum(radius**2 - (block * y) ** 2, 0.0))
        lo = np.ceil(-block * x - half).astype(np.int64)
        hi = np.floor(-block * x + half).astype(np.int64)
        width = int((hi - lo).max(initial=-1)) + 1
        if width <= 0:
            continue
        m = lo[:, None] + np.arange(width)[None, :]
        nn = np.broadcast_to(block[:, None], m.shape)
        w = m + nn * t
        keep = (m <= hi[:, None]) & ((m != 0) | (nn != 0)) & ((w * np.conj(w)).real <= radius**2)
        total += np.sum(_terms(w[keep], n, l))
    if (n, l) == (2, 0):
        total -= 2.0 * np.pi / y * np.log(radius)
    return complex(total)


def direct_box_sum(n: int, l: int, tau: complex, half_width: int) -> complex:
    """``sum_{0 < max(|m|, |n'|) <= N} exp(i l arg w) / |w|^n`` (no regularisation).

    Parameters
    ----------
    n, l : int
        Even indices, ``n >= 4`` for convergence as ``N -> inf``.
    tau : complex
        One modular parameter.
    half_width : int
        ``N >= 1``.

    Returns
    -------
    complex
    """
    n, l = check_sum_index(n, l)
    flat, _ = as_tau_array(tau)
    if int(half_width) < 1:
        raise ValueError(f"half_width: must be an integer >= 1; received {half_width!r}")
    t = complex(flat[0])
    rng = np.arange(-int(half_width), int(half_width) + 1)
    total = 0j
    for block in np.array_split(rng, max(1, rng.size // 128)):
        m, nn = np.meshgrid(block, rng, indexing="ij")
        keep = (m != 0) | (nn != 0)
        total += np.sum(_terms((m + nn * t)[keep], n, l))
    return complex(total)
