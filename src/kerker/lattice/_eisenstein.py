"""Eisenstein series E2 ... E14 and their tau-derivatives, certified, at any tau.

References: docs/lattice-math.md §2 (Lambert series, certificate), §3 (reduction and the
laws back to tau, E2's quasi-modular term), §5 (Ramanujan's identities).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerker.lattice import _ring
from kerker.lattice._reduction import Reduction, as_tau_array, check_finite, reduce_flat, transport
from kerker.lattice._series import CUSP_IMAG, EPS, QSeries, qseries

TWO_PI_I = 2j * np.pi


@dataclass(frozen=True)
class EisensteinResult:
    """Normalised Eisenstein series ``E_k(tau)`` with its derivative and certificate.

    Attributes
    ----------
    value : complex or ndarray of complex128, shape of ``tau``
        ``E_k(tau)``, normalised so that ``E_k -> 1`` as ``Im tau -> inf``.
    d : complex or ndarray of complex128, shape of ``tau``
        ``dE_k/dtau`` (holomorphic, so also the Wirtinger ``d``; ``dbar = 0``).
    error_bound : float or ndarray of float64, shape of ``tau``
        Absolute bound on ``|value - E_k(tau)|``: Lambert tail (docs/lattice-math.md §2) plus float64
        rounding, carried through the law back to ``tau``.
    """

    value: np.ndarray
    d: np.ndarray
    error_bound: np.ndarray


def check_tol(tol) -> float:
    """Validate a truncation tolerance: a finite float in ``(0, 1)``."""
    try:
        t = float(tol)
    except (TypeError, ValueError):
        raise TypeError(f"tol: must be a float in (0, 1); received {tol!r} of type {type(tol).__name__}") from None
    if not (0.0 < t < 1.0):
        raise ValueError(f"tol: must lie in (0, 1); received tol={tol!r}")
    return t


def reshape(arr, shape):
    """Restore the caller's shape (a NumPy scalar for scalar input)."""
    return np.reshape(arr, shape)[()]


def _shifted_at(k: int, order: int, qs: QSeries, cusp: np.ndarray):
    """``D^order E_k`` (``order >= 1``) at the points ``cusp`` from ``E - 1``, with its bound."""
    poly, mag_poly = _ring.shifted_derivative(k, order)
    eps = tuple(v[cusp] for v in qs.e_shift)
    value, _, err = _ring.evaluate(poly, *eps, tuple(v[cusp] for v in qs.e_shift_err))
    mag, _ = _ring.evaluate(mag_poly, *(np.abs(v) for v in eps))
    # coefficient rounding (float64 coefficients, binomial sums) and the evaluation itself
    return value, err + 4.0 * EPS * (len(poly) + _ring.degree(poly) + 1.0) * mag.real


def ring_at(k: int, order: int, qs: QSeries, with_d: bool = True):
    """``D^order E_k`` at reduced points with its error bound (and ``d/dtau`` of it).

    Returns ``value, d, err``; ``d = 2 pi i D^(order+1) E_k`` or ``None``. Up the cusp
    (``Im tau_f > CUSP_IMAG``, where ``|q| < 2^-53``) the derivatives ``D^r E_k``,
    ``r >= 1``, are evaluated in ``E - 1`` (:func:`_ring.shifted_derivative`), which keeps
    their relative accuracy as ``q -> 0``.
    """
    poly = _ring.eisenstein_derivative(k, order)
    value, mag, err = _ring.evaluate(poly, qs.e2, qs.e4, qs.e6, qs.e_err)
    err = err + 4.0 * EPS * (_ring.degree(poly) + 1.0) * mag
    cusp = np.flatnonzero(qs.y > CUSP_IMAG)
    if order >= 1 and cusp.size:
        value[cusp], err[cusp] = _shifted_at(k, order, qs, cusp)
    if not with_d:
        return value, None, err
    dvalue, _ = _ring.evaluate(_ring.eisenstein_derivative(k, order + 1), qs.e2, qs.e4, qs.e6)
    if cusp.size:
        dvalue[cusp], _ = _shifted_at(k, order + 1, qs, cusp)
    return value, TWO_PI_I * dvalue, err


def e2_correction(red: Reduction):
    """Quasi-modular term of E2 at ``tau``: value ``6ic/(pi j)``, ``d = -6ic^2/(pi j^2)``."""
    cj = red.c / red.j
    return 6j / np.pi * cj, -6j / np.pi * cj * cj


def eisenstein_arrays(k: int, red: Reduction, qs: QSeries):
    """``E_k``, ``dE_k/dtau`` and the certificate at the unreduced points (flat arrays)."""
    value_f, d_f, err_f = ring_at(k, 0, qs)
    value, d, _, err = transport(red, k, 0, value_f, d_f, np.zeros_like(d_f), err_f)
    if k == 2:
        corr, dcorr = e2_correction(red)
        value = value + corr
        d = d + dcorr
        err = err + 4.0 * EPS * (np.abs(corr) + np.abs(value))
    return value, d, err


def eisenstein(k: int, tau, tol: float = 1e-16) -> EisensteinResult:
    """Normalised Eisenstein series ``E_k(tau)``, ``dE_k/dtau`` and an error certificate.

    ``E_k = 1 - (2k/B_k) sum_{m>=1} m^(k-1) q^m/(1 - q^m)``, ``q = exp(2 pi i tau)``.
    ``tau`` is reduced to the fundamental domain, the Lambert series of E2, E4, E6 are
    summed there with the number of terms chosen by the tail bound of docs/lattice-math.md §2,
    E8 ... E14
    come from the ring (``E8 = E4^2``, ``E10 = E4 E6``, ``E12 = (441 E4^3 + 250 E6^2)/691``,
    ``E14 = E4^2 E6``), derivatives from Ramanujan's identities, and both are mapped back
    with the exact weight-k law (E2 with its quasi-modular term ``6ic/(pi(c tau + d))``).

    Parameters
    ----------
    k : int
        Weight, even, ``2 <= k <= 14``.
    tau : complex or array_like of complex
        Modular parameter(s), ``Im tau > 0``; any shape.
    tol : float, default 1e-16
        Truncation tolerance of the Lambert series at the reduced point.

    Returns
    -------
    EisensteinResult
        ``value``, ``d`` and ``error_bound`` with the shape of ``tau``.

    Raises
    ------
    ValueError
        ``k`` not an even integer in [2, 14]; ``tau`` NaN, infinite, ``Im tau <= 0`` or
        ``Im tau < 1e-15`` (below the supported range; docs/lattice-math.md §3); ``tol``
        outside (0, 1); a result that overflows float64.

    Examples
    --------
    >>> from kerker.lattice import eisenstein
    >>> bool(abs(eisenstein(6, 1j).value) < 1e-15)      # E6(i) = 0
    True
    >>> r = eisenstein(4, 0.3 + 1.1j)
    >>> bool(abs(eisenstein(4, -1 / (0.3 + 1.1j)).value - (0.3 + 1.1j) ** 4 * r.value) < 1e-13)
    True
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k not in _ring.EISENSTEIN_POLY:
        raise ValueError(f"k: must be an even integer with 2 <= k <= 14; received k={k!r}")
    tol = check_tol(tol)
    flat, shape = as_tau_array(tau)
    red = reduce_flat(flat)
    qs = qseries(red.tau_f, tol, ("e2", "e4", "e6"))
    value, d, err = eisenstein_arrays(int(k), red, qs)
    check_finite(flat, f"E{int(k)}", value, d, err)
    return EisensteinResult(value=reshape(value, shape), d=reshape(d, shape), error_bound=reshape(err, shape))
