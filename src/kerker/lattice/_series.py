"""Certified q-series at reduced points: Lambert sums for E2, E4, E6 and the L-sums.

References: docs/lattice-math.md §2 (Lambert series and their tail bound) and §4(d, e)
(the Kronecker sum and the elementary sums L0, L1, L2 of the non-reducible sector).

Every sum is truncated after ``M`` terms, with ``M`` the smallest integer for which the
tail bound of §2, scaled by the largest prefactor the sum meets in the basis, is below
the requested tolerance at every point of the batch. Each returned value carries an
absolute error bound: the tail bound plus a float64 rounding bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

EPS = float(np.finfo(float).eps)
# c_k of E_k = 1 - (2k / B_k) sum m^(k-1) q^m / (1 - q^m), signs separate (docs/lattice-math.md §2).
_LAMBERT_C = {2: 24.0, 4: 240.0, 6: 504.0}
_LAMBERT_SIGN = {2: -1.0, 4: 1.0, 6: -1.0}
_MAX_TERMS = 4000
# Beyond Im tau_f = 53 log(2) / (2 pi) ~ 5.85, |q| < 2^-53: the q-terms of E_k fall below one
# ulp of its constant term, so polynomials in E_k cannot resolve D^r E_k = O(q) and the
# derivatives are evaluated in E_k - 1 instead (_ring.shifted_derivative).
CUSP_IMAG = 53.0 * np.log(2.0) / (2.0 * np.pi)


@dataclass(frozen=True)
class QSeries:
    """Truncated q-series at reduced points ``tau_f``, each with an absolute error bound.

    Attributes
    ----------
    y : ndarray of float64, shape (N,)
        ``Im tau_f``.
    terms : int
        Number of Lambert terms ``M`` used for every point of the batch.
    e2, e4, e6 : ndarray of complex128, shape (N,)
        Normalised Eisenstein series at ``tau_f``.
    e_err : tuple of three ndarrays of float64, shape (N,)
        Absolute error bounds of ``e2, e4, e6``.
    e_shift : tuple of three ndarrays of complex128, shape (N,)
        ``E2 - 1, E4 - 1, E6 - 1``, summed without the constant (full relative accuracy).
    e_shift_err : tuple of three ndarrays of float64, shape (N,)
        Their absolute error bounds.
    kron : ndarray of complex128, shape (N,)
        ``K = sum_m q^m / (m (1 - q^m))`` (Kronecker limit formula, docs/lattice-math.md §4d).
    l0, l1, l2 : ndarray of complex128, shape (N,)
        The sums ``L0, L1, L2`` of docs/lattice-math.md §4e.
    kron_err, l0_err, l1_err, l2_err : ndarray of float64, shape (N,)
        Their absolute error bounds.
    """

    y: np.ndarray
    terms: int
    e2: np.ndarray
    e4: np.ndarray
    e6: np.ndarray
    e_err: tuple
    e_shift: tuple
    e_shift_err: tuple
    kron: np.ndarray
    l0: np.ndarray
    l1: np.ndarray
    l2: np.ndarray
    kron_err: np.ndarray
    l0_err: np.ndarray
    l1_err: np.ndarray
    l2_err: np.ndarray


def _tails(m_terms: int, r, y) -> dict:
    """Tail bounds after ``m_terms`` terms, each scaled by its largest basis prefactor.

    Returns the raw tails (keys ``e2, e4, e6, kron, l0, l1, l2``); the scaled maximum
    used for choosing ``M`` is computed by the caller.
    """
    m1 = m_terms + 1.0
    rm1 = r**m1
    out = {}
    for k, ck in _LAMBERT_C.items():
        rho = (((m_terms + 2.0) / m1) ** (k - 1)) * r
        rho = np.minimum(rho, 1.0 - 1e-300)
        out[f"e{k}"] = ck * m1 ** (k - 1) * rm1 / ((1.0 - r) * (1.0 - rho))
    out["kron"] = rm1 / (m1 * (1.0 - r) ** 2)
    out["l0"] = rm1 / (m1**3 * (1.0 - r) ** 2)
    out["l1"] = rm1 / (m1**2 * (1.0 - r) ** 3)
    out["l2"] = (1.0 + r) * rm1 / (m1 * (1.0 - r) ** 4)
    return out


SERIES = ("e2", "e4", "e6", "kron", "l0", "l1", "l2")
# largest prefactor each sum meets in docs/lattice-math.md §4 (as a function of Im tau_f)
_PREFACTOR = {
    "e2": lambda y: 1.0,
    "e4": lambda y: np.pi**4 / 45.0,
    "e6": lambda y: 2.0 * np.pi**6 / 945.0,
    "kron": lambda y: 4.0 * np.pi / y,
    "l0": lambda y: 2.0 * np.pi / y**3,
    "l1": lambda y: 4.0 * np.pi**2 / y**2,
    "l2": lambda y: 4.0 * np.pi**3 / y,
}


def _scaled_max(tails: dict, y, keys) -> float:
    """Largest tail among ``keys`` after scaling by its prefactor (at ``y``)."""
    return float(max(np.max(tails[k] * _PREFACTOR[k](y)) for k in keys))


def choose_terms(r_max: float, y_min: float, tol: float, keys=SERIES) -> int:
    """Smallest ``M`` whose scaled tail bounds (docs/lattice-math.md §2) are ``<= tol`` at ``r_max``.

    Parameters
    ----------
    r_max : float
        Largest ``|q|`` of the batch (``<= exp(-pi sqrt 3) = 4.33e-3`` in F).
    y_min : float
        Smallest ``Im tau_f`` of the batch.
    tol : float
        Requested absolute truncation tolerance.
    keys : iterable of str
        The sums that must meet ``tol`` (subset of ``SERIES``); the others are still
        summed with the same ``M`` and keep honest (larger) error bounds.

    Notes
    -----
    ``r_max`` is rounded up and ``y_min`` down to a grid (1/64 octave, 1/64) before the
    search, which only adds terms, so the answer can be cached across calls.
    """
    r_key = int(np.ceil(np.log2(max(r_max, 1e-300)) * 64.0))
    y_key = int(np.floor(y_min * 64.0))
    return _choose_terms_cached(r_key, y_key, float(tol), tuple(sorted(keys)))


@lru_cache(maxsize=4096)
def _choose_terms_cached(r_key: int, y_key: int, tol: float, keys: tuple) -> int:
    r = min(2.0 ** (r_key / 64.0), 1.0 - 1e-12)
    y = max(y_key / 64.0, 1e-3)
    for m_terms in range(1, _MAX_TERMS):
        if _scaled_max(_tails(m_terms, r, y), y, keys) <= tol:
            return m_terms
    raise ValueError(f"tol: no truncation below {_MAX_TERMS} terms reaches tol={tol!r} at |q|={r!r}")


def qseries(tau_f: np.ndarray, tol: float, keys=SERIES) -> QSeries:
    """Evaluate all Lambert and L-sums at reduced points with certified truncation.

    Parameters
    ----------
    tau_f : ndarray of complex128, shape (N,)
        Points in (or within rounding of) the fundamental domain.
    tol : float
        Truncation tolerance for :func:`choose_terms`.
    keys : iterable of str
        Sums whose truncation must meet ``tol`` (see :func:`choose_terms`).

    Returns
    -------
    QSeries
    """
    y = tau_f.imag
    q = np.exp(2j * np.pi * tau_f)
    r = np.exp(-2.0 * np.pi * y)
    m_terms = choose_terms(float(np.max(r, initial=0.0)), float(np.min(y, initial=1.0)), tol, keys)
    # Per-term relative rounding: q carries 2 pi |delta tau_f| (delta ~ 4 eps |tau_f|),
    # q^m accumulates m of those plus m complex products; the summation adds M eps.
    m = np.arange(1, m_terms + 1, dtype=float)
    qm = np.cumprod(np.broadcast_to(q[:, None], (q.size, m_terms)), axis=1)
    rm = np.cumprod(np.broadcast_to(r[:, None], (r.size, m_terms)), axis=1)
    drift = EPS * (6.0 + 8.0 * np.pi * np.abs(tau_f))
    rel = (8.0 + m_terms) * EPS + drift[:, None] * m[None, :]
    u = 1.0 / (1.0 - qm)
    t = qm * u
    ub = 1.0 / (1.0 - rm)
    tb = rm * ub * rel  # bound on |t_m| times its relative error
    weights = np.stack([m, m**3, m**5, 1.0 / m, 1.0 / m**3], axis=1)  # (M, 5)
    sums = t @ weights
    mags = tb @ weights
    a = {1: sums[:, 0], 3: sums[:, 1], 5: sums[:, 2]}
    a_mag = {1: mags[:, 0], 3: mags[:, 1], 5: mags[:, 2]}
    kron, l0 = sums[:, 3], sums[:, 4]
    kron_mag, l0_mag = mags[:, 3], mags[:, 4]
    tu = t * u
    l1 = tu @ (1.0 / m**2)
    l1_mag = (2.0 * tb * ub) @ (1.0 / m**2)
    l2 = (tu * u * (1.0 + qm)) @ (1.0 / m)
    l2_mag = (4.0 * tb * ub * ub * (1.0 + rm)) @ (1.0 / m)
    tails = _tails(m_terms, r, y)
    e = {}
    e_err = []
    shift = []
    shift_err = []
    for k, p in ((2, 1), (4, 3), (6, 5)):
        ck = _LAMBERT_C[k]
        e[k] = 1.0 + _LAMBERT_SIGN[k] * ck * a[p]
        e_err.append(tails[f"e{k}"] + ck * a_mag[p] + 2.0 * EPS * (1.0 + ck * np.abs(a[p])))
        shift.append(_LAMBERT_SIGN[k] * ck * a[p])
        shift_err.append(tails[f"e{k}"] + ck * a_mag[p] + EPS * ck * np.abs(a[p]))
    return QSeries(
        y=y,
        terms=m_terms,
        e2=e[2],
        e4=e[4],
        e6=e[6],
        e_err=tuple(e_err),
        e_shift=tuple(shift),
        e_shift_err=tuple(shift_err),
        kron=kron,
        l0=l0,
        l1=l1,
        l2=l2,
        kron_err=tails["kron"] + kron_mag,
        l0_err=tails["l0"] + l0_mag,
        l1_err=tails["l1"] + l1_mag,
        l2_err=tails["l2"] + l2_mag,
    )
