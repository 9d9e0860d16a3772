"""Polynomials in (E2, E4, E6) and Ramanujan's derivation D = q d/dq on them.

References: Ramanujan (1916); Zagier, *Elliptic modular forms and their applications*
(2008), §5; docs/lattice-math.md §2 and §5.1.

The ring of quasi-modular forms is ``C[E2, E4, E6]``; Ramanujan's identities

    D E2 = (E2^2 - E4) / 12,   D E4 = (E2 E4 - E6) / 3,   D E6 = (E2 E6 - E4^2) / 2

close it under ``D = (2 pi i)^-1 d/dtau``. A polynomial is a dict mapping exponent
triples ``(i, j, k)`` of ``E2^i E4^j E6^k`` to rational (float) coefficients.
"""

from __future__ import annotations

from functools import lru_cache
from math import comb

import numpy as np

Poly = dict  # {(i, j, k): float}

E2: Poly = {(1, 0, 0): 1.0}
E4: Poly = {(0, 1, 0): 1.0}
E6: Poly = {(0, 0, 1): 1.0}

# E_k for k = 2..14 in the ring (docs/lattice-math.md §2): E8 = E4^2, E10 = E4 E6,
# E12 = (441 E4^3 + 250 E6^2) / 691, E14 = E4^2 E6.
EISENSTEIN_POLY: dict[int, Poly] = {
    2: E2,
    4: E4,
    6: E6,
    8: {(0, 2, 0): 1.0},
    10: {(0, 1, 1): 1.0},
    12: {(0, 3, 0): 441.0 / 691.0, (0, 0, 2): 250.0 / 691.0},
    14: {(0, 2, 1): 1.0},
}


def _add(out: Poly, key: tuple, coeff: float) -> None:
    out[key] = out.get(key, 0.0) + coeff


def derive(p: Poly) -> Poly:
    """Apply ``D = q d/dq`` to ``p`` using Ramanujan's identities (exact, symbolic)."""
    out: Poly = {}
    for (i, j, k), coeff in p.items():
        if i:  # i E2^(i-1) (E2^2 - E4)/12
            _add(out, (i + 1, j, k), coeff * i / 12.0)
            _add(out, (i - 1, j + 1, k), -coeff * i / 12.0)
        if j:  # j E4^(j-1) (E2 E4 - E6)/3
            _add(out, (i + 1, j, k), coeff * j / 3.0)
            _add(out, (i, j - 1, k + 1), -coeff * j / 3.0)
        if k:  # k E6^(k-1) (E2 E6 - E4^2)/2
            _add(out, (i + 1, j, k), coeff * k / 2.0)
            _add(out, (i, j + 2, k - 1), -coeff * k / 2.0)
    return {key: c for key, c in out.items() if c != 0.0}


@lru_cache(maxsize=None)
def eisenstein_derivative(k: int, order: int) -> Poly:
    """``D^order E_k`` as a polynomial (cached; treat the result as read-only)."""
    poly = EISENSTEIN_POLY[k]
    for _ in range(order):
        poly = derive(poly)
    return poly


def evaluate(p: Poly, e2, e4, e6, bounds=None):
    """Evaluate ``p`` at arrays ``e2, e4, e6``; optionally bound the propagated error.

    Parameters
    ----------
    p : Poly
        Polynomial in (E2, E4, E6).
    e2, e4, e6 : ndarray of complex128, shape (N,)
        Values of the Eisenstein series at the same points.
    bounds : tuple of three ndarrays of float64, shape (N,), optional
        Absolute error bounds of ``e2, e4, e6``.

    Returns
    -------
    value : ndarray of complex128, shape (N,)
    magnitude : ndarray of float64, shape (N,)
        ``sum |c| |E2|^i |E4|^j |E6|^k``, the scale of float64 rounding in ``value``.
    error : ndarray of float64, shape (N,)
        Only when ``bounds`` is given: ``P_abs(|E| + delta) - P_abs(|E|)``, a rigorous
        bound on the error propagated from the inputs (all coefficients taken positive).
    """
    value = np.zeros_like(e2)
    mag = np.zeros(e2.shape)
    err = np.zeros(e2.shape)
    a2, a4, a6 = np.abs(e2), np.abs(e4), np.abs(e6)
    if bounds is not None:
        b2, b4, b6 = a2 + bounds[0], a4 + bounds[1], a6 + bounds[2]
    for (i, j, k), coeff in p.items():
        value = value + coeff * e2**i * e4**j * e6**k
        term = abs(coeff) * a2**i * a4**j * a6**k
        mag = mag + term
        if bounds is not None:
            err = err + abs(coeff) * b2**i * b4**j * b6**k - term
    if bounds is None:
        return value, mag
    return value, mag, err


def degree(p: Poly) -> int:
    """Total degree of ``p`` (number of multiplications bounding its rounding)."""
    return max((i + j + k for (i, j, k) in p), default=0)


@lru_cache(maxsize=None)
def shifted_derivative(k: int, order: int) -> tuple[Poly, Poly]:
    """``D^order E_k`` (``order >= 1``) as a polynomial in ``E2 - 1, E4 - 1, E6 - 1``.

    ``D`` annihilates constants, so ``D^order E_k = O(q)`` has no constant term: it is
    dropped exactly, instead of leaving the float64 residue of ``sum c`` that evaluating
    the plain polynomial at ``E = (1, 1, 1) + O(q)`` returns (times ``y^s`` in a raised
    sum, that residue is the whole error at the cusp; docs/lattice-math.md §4b).

    Returns
    -------
    poly : Poly
        The shifted coefficients (binomial expansion of each monomial).
    magnitude : Poly
        ``sum |c| binom`` per shifted monomial, which bounds both the shifted coefficients
        and the rounding of the float64 coefficients they come from.
    """
    if order < 1:
        raise ValueError(f"order: must be >= 1 (E_k itself has the constant term 1); received order={order}")
    out: Poly = {}
    mag: Poly = {}
    for (i, j, l), c in eisenstein_derivative(k, order).items():
        for a in range(i + 1):
            for b in range(j + 1):
                for e in range(l + 1):
                    if a == b == e == 0:
                        continue
                    w = float(comb(i, a) * comb(j, b) * comb(l, e))
                    _add(out, (a, b, e), c * w)
                    _add(mag, (a, b, e), abs(c) * w)
    return out, mag
