"""Validation of ``tau`` (one number or an array) and of results: one check, one message.

The scalar path and the batched path share these checks: an invalid scalar is handed to
:func:`as_tau_array`, and a non-finite scalar result to :func:`check_finite`, so both paths
raise the same error with the same message (flat index 0 for one point).
"""

from __future__ import annotations

import cmath
import math

import numpy as np

# Smallest supported Im(tau): the reduction matrix (entries <= 2/y + 0.54/sqrt(y)) stays
# exact in float64 (<= 2^53) with a factor 4 to spare (docs/lattice-math.md §3 and the
# docstring of kerker.lattice._reduction).
MIN_IMAG = 1e-15


def _refuse(tau: np.ndarray, mask: np.ndarray, rule: str) -> ValueError:
    """A ValueError naming ``tau``, the rule and the first offending entry."""
    i = int(np.argmax(mask))
    return ValueError(f"tau: {rule}; received tau={complex(tau[i])} at flat index {i}")


def check_finite(tau: np.ndarray, what: str, *arrays) -> None:
    """Refuse a result that is not finite in float64 rather than return inf or NaN.

    Parameters
    ----------
    tau : ndarray of complex128, shape (N,)
        The points, for the message.
    what : str
        What was computed, e.g. ``"S(4, 0)"``.
    *arrays : ndarray, shape (N,) (or (N, ...))
        Value, derivatives and error bound at those points.

    Raises
    ------
    ValueError
        Naming ``tau``, the rule and the first point where an entry is inf or NaN.
    """
    bad = np.zeros(tau.shape, dtype=bool)
    for arr in arrays:
        fin = np.isfinite(arr)
        bad |= ~fin.reshape(tau.size, -1).all(axis=-1) if fin.ndim > 1 else ~fin
    if bad.any():
        raise _refuse(
            tau,
            bad,
            f"{what}, its derivatives and error bound must be finite in float64, and there they overflow"
            " (they grow like |c tau + d|^-n next to a rational and like a power of Im tau at the cusp)",
        )


# |Re tau| beyond this would overflow the int64 matrix entries after translation.
_MAX_ABS_REAL = 2.0**40


def as_tau_array(tau, name: str = "tau") -> tuple[np.ndarray, tuple]:
    """Validate ``tau`` (upper half-plane, finite) and return it flattened with its shape.

    Parameters
    ----------
    tau : complex or array_like of complex
        Modular parameter(s), any shape.
    name : str
        Argument name used in error messages.

    Returns
    -------
    flat : ndarray of complex128, shape (N,)
    shape : tuple
        Original shape, ``()`` for a scalar.

    Raises
    ------
    TypeError
        If ``tau`` is not numeric.
    ValueError
        If any entry is NaN or infinite, has ``Im tau <= 0``, ``Im tau < MIN_IMAG = 1e-15``
        (module docstring: below it float64 cannot reduce ``tau`` exactly) or
        ``|Re tau| > 2**40``.
    """
    arr = np.asarray(tau)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"{name}: must be a complex number or array of them; received dtype {arr.dtype}")
    shape = arr.shape
    flat = arr.astype(complex).ravel()
    finite = np.isfinite(flat)
    if not finite.all():
        raise ValueError(
            f"{name}: every entry must be finite (no NaN or inf); received {complex(flat[~finite][0])}"
            f" at flat index {int(np.argmin(finite))}"
        )
    lower = flat.imag <= 0
    if lower.any():
        raise ValueError(
            f"{name}: Im(tau) must be > 0 (upper half-plane); received tau={complex(flat[lower][0])}"
            f" at flat index {int(np.argmax(lower))}"
        )
    tiny = flat.imag < MIN_IMAG
    if tiny.any():
        raise ValueError(
            f"{name}: Im(tau) must be >= {MIN_IMAG:g} (supported range): below it the SL(2, Z) reduction of tau"
            " needs integer matrix entries beyond 2^53 (they grow like 1/(2 Im tau)), which float64 cannot"
            f" hold exactly, so no certified value exists; received tau={complex(flat[tiny][0])}"
            f" at flat index {int(np.argmax(tiny))}"
        )
    far = np.abs(flat.real) > _MAX_ABS_REAL
    if far.any():
        raise ValueError(f"{name}: |Re(tau)| must be <= 2**40; received tau={complex(flat[far][0])}")
    return flat, shape


def scalar_tau(tau):
    """``tau`` as a validated Python ``complex`` if it is one number, else ``None``.

    One number is a Python or NumPy scalar or a 0-d array of a numeric dtype; the scalar
    path takes it. Anything else (arrays, lists, non-numeric input) returns ``None`` for
    the batched path. Invalid numbers are handed to :func:`as_tau_array`, which raises
    the batched path's error with its message (flat index 0).

    Returns
    -------
    tuple (complex, bool) or None
        The point and whether it came as a NumPy object (0-d array), whose results are
        then NumPy scalars like the batched path's for shape ``()``.
    """
    if type(tau) is complex:
        z, numpy_out = tau, False
    elif isinstance(tau, np.ndarray):
        if tau.ndim or tau.dtype.kind not in "biufc":
            return None
        z, numpy_out = complex(tau.astype(complex)[()]), True
    elif isinstance(tau, (complex, float, int, np.number, np.bool_)):
        arr = np.asarray(tau)
        if arr.dtype.kind not in "biufc":
            return None
        z, numpy_out = complex(arr.astype(complex)[()]), False
    else:
        return None
    x, y = z.real, z.imag
    if not (math.isfinite(x) and math.isfinite(y) and y >= MIN_IMAG and abs(x) <= _MAX_ABS_REAL):
        as_tau_array(tau)  # raises: the batched path's check and message
        return None  # pragma: no cover - as_tau_array refuses every such point
    return z, numpy_out


def check_finite_one(tau: complex, what: str, *values) -> None:
    """:func:`check_finite` for one point and Python numbers (the same message)."""
    total = 0.0
    for v in values:
        total = total + v
    # a NaN or inf in any part makes the sum so; a finite sum can only overflow: then decide exactly
    if not cmath.isfinite(total):
        check_finite(np.array([tau]), what, *(np.array([w]) for w in values))
