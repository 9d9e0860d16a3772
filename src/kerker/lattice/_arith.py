"""Arithmetic shared by the scalar and the batched path, identical to the last bit.

Every kernel of the package (q-series, ring, transport, basis, objective) is written once,
with plain operators, and runs either on Python ``complex``/``float`` (one ``tau``: the
scalar path, no array overhead) or on :class:`CArray`/``ndarray`` (a batch). The two agree
bit for bit because each primitive does the same IEEE operations in both:

* real ``+ - * /``, ``sqrt``, ``floor``: correctly rounded in NumPy and in Python alike;
* complex ``* /`` (and ``abs``): NumPy's own complex loops use fused multiply-adds, a
  different division and a different ``hypot`` on x86-64 with AVX-512 (measured), so
  :class:`CArray` spells out CPython's formulas (``_Py_c_prod``, ``_Py_c_quot``) on the
  float64 parts, and ``abs`` is ``np.hypot``, the C library ``hypot`` that ``abs(complex)``
  calls;
* ``exp``, ``log``, ``log2``, ``cos``, ``sin``: NumPy's SIMD versions differ from the C
  library's in the last bit, so the batched path calls :mod:`math` per element
  (:func:`fexp` ...), a few calls per point;
* integer powers: :func:`ipow`, one multiplication order for both (never ``**``);
* a complex constant times or over a real *array* would be NumPy's complex arithmetic, so
  the kernels write it :func:`jmul` / :func:`jdiv` (a CArray refuses complex ndarrays).

Mixed real/complex ``*``, ``+``, ``-`` and complex/real ``/`` give the same values in every
CPython version; real/complex division is written ``ONE / z`` so that it is always the
complex quotient. Signed zeros may differ (``-0.0 == 0.0``). ``tests/lattice/
test_lattice_scalar.py`` checks every primitive and every entry point bit for bit.
"""

from __future__ import annotations

import math

import numpy as np

ONE = 1.0 + 0.0j
NEG_ONE = -1.0 + 0.0j


class CArray:
    """Complex float64 array stored as its parts, with CPython's complex arithmetic.

    Parameters
    ----------
    real, imag : ndarray of float64, same shape
        The parts (not copied).

    Notes
    -----
    ``__array_ufunc__ = None`` makes NumPy hand mixed operations (``ndarray * CArray``)
    to the reflected methods here, and refuse ``np.*`` functions outright.
    """

    __slots__ = ("real", "imag")
    __array_ufunc__ = None

    def __init__(self, real, imag):
        self.real = real
        self.imag = imag

    @classmethod
    def from_numpy(cls, z) -> CArray:
        """Split a complex ndarray into parts (copies)."""
        z = np.asarray(z, dtype=complex)
        return cls(z.real.copy(), z.imag.copy())

    def to_numpy(self) -> np.ndarray:
        """Join the parts into a complex128 ndarray (exact)."""
        out = np.empty(np.shape(self.real), dtype=complex)
        out.real = self.real
        out.imag = self.imag
        return out

    @property
    def shape(self):
        return np.shape(self.real)

    @property
    def size(self):
        return np.size(self.real)

    def __getitem__(self, idx) -> CArray:
        return CArray(self.real[idx], self.imag[idx])

    def __setitem__(self, idx, value) -> None:
        self.real[idx] = value.real
        self.imag[idx] = value.imag

    def conjugate(self) -> CArray:
        return CArray(self.real, -self.imag)

    def __neg__(self) -> CArray:
        return CArray(-self.real, -self.imag)

    def __abs__(self):
        return np.hypot(self.real, self.imag)

    def __add__(self, o) -> CArray:
        _refuse_numpy_complex(o)
        if type(o) is CArray or isinstance(o, complex):
            return CArray(self.real + o.real, self.imag + o.imag)
        return CArray(self.real + o, self.imag)

    __radd__ = __add__

    def __sub__(self, o) -> CArray:
        _refuse_numpy_complex(o)
        if type(o) is CArray or isinstance(o, complex):
            return CArray(self.real - o.real, self.imag - o.imag)
        return CArray(self.real - o, self.imag)

    def __rsub__(self, o) -> CArray:
        _refuse_numpy_complex(o)
        if isinstance(o, complex):
            return CArray(o.real - self.real, o.imag - self.imag)
        return CArray(o - self.real, -self.imag)

    def __mul__(self, o) -> CArray:
        _refuse_numpy_complex(o)
        if type(o) is CArray or isinstance(o, complex):
            ar, ai, br, bi = self.real, self.imag, o.real, o.imag
            return CArray(ar * br - ai * bi, ar * bi + ai * br)
        return CArray(self.real * o, self.imag * o)

    __rmul__ = __mul__

    def __truediv__(self, o) -> CArray:
        _refuse_numpy_complex(o)
        if type(o) is CArray or isinstance(o, complex):
            return _quot(self.real, self.imag, o.real, o.imag)
        return CArray(self.real / o, self.imag / o)

    def __rtruediv__(self, o) -> CArray:
        _refuse_numpy_complex(o)
        if isinstance(o, complex):
            return _quot(o.real, o.imag, self.real, self.imag)
        return _quot(o, 0.0, self.real, self.imag)


def _refuse_numpy_complex(o) -> None:
    """A complex ndarray here means NumPy did complex arithmetic of its own: a bug."""
    if isinstance(o, np.ndarray) and o.dtype.kind == "c":
        raise TypeError("CArray: operand is a complex ndarray (use jmul/jdiv for complex constants times reals)")


def jmul(c: complex, x):
    """A complex constant times a real ``x`` (float or ndarray), as CPython computes ``c * x``."""
    if type(x) is float:
        return c * x
    return CArray(c.real * x, c.imag * x)


def jdiv(c: complex, x):
    """A complex constant over a real ``x`` (float or ndarray), as CPython computes ``c / x``."""
    if type(x) is float:
        return c / x
    return CArray(c.real / x, c.imag / x)


def _smith(ar, ai, br, bi, wide: bool):
    """CPython's ``_Py_c_quot`` for one branch: ``|br| >= |bi|`` (``wide``) or not."""
    if wide:
        ratio = bi / br
        denom = br + bi * ratio
        return (ar + ai * ratio) / denom, (ai - ar * ratio) / denom
    ratio = br / bi
    denom = br * ratio + bi
    return (ar * ratio + ai) / denom, (ai * ratio - ar) / denom


def _quot(ar, ai, br, bi) -> CArray:
    """``(ar + i ai) / (br + i bi)`` exactly as CPython divides, element by element.

    At least one operand is a full-shape array (the parts of a :class:`CArray`).
    """
    wide = np.abs(br) >= np.abs(bi)
    if np.all(wide):
        return CArray(*_smith(ar, ai, br, bi, True))
    parts = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (ar, ai, br, bi)))
    wide = np.broadcast_to(wide, parts[0].shape)
    re = np.empty(parts[0].shape)
    im = np.empty(parts[0].shape)
    for mask, branch in ((wide, True), (~wide, False)):
        if mask.any():
            re[mask], im[mask] = _smith(*(p[mask] for p in parts), branch)
    return CArray(re, im)


def make(re, im):
    """The complex number (or :class:`CArray`) with parts ``re``, ``im``."""
    if type(re) is float:
        return complex(re, im)
    return CArray(np.asarray(re, dtype=float), np.asarray(im, dtype=float))


def _map(fn, x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.fromiter(map(fn, x.ravel().tolist()), float, x.size).reshape(x.shape)


def fexp(x):
    """``math.exp``, per element for an array."""
    return math.exp(x) if type(x) is float else _map(math.exp, x)


def flog(x):
    """``math.log``, per element for an array."""
    return math.log(x) if type(x) is float else _map(math.log, x)


def flog2(x):
    """``math.log2``, per element for an array."""
    return math.log2(x) if type(x) is float else _map(math.log2, x)


def fcos(x):
    """``math.cos``, per element for an array."""
    return math.cos(x) if type(x) is float else _map(math.cos, x)


def fsin(x):
    """``math.sin``, per element for an array."""
    return math.sin(x) if type(x) is float else _map(math.sin, x)


def fmin(x, bound: float):
    """``min(x, bound)`` element by element (exact)."""
    if type(x) is float:
        return x if x < bound else bound
    return np.minimum(x, bound)


def ipow(x, n):
    """``x ** n`` for an integer ``n`` by binary powering, the same products for any type.

    Parameters
    ----------
    x : float, complex, ndarray or CArray
    n : int

    Returns
    -------
    Same type as ``x``; ``1.0`` for ``n = 0``; a negative ``n`` gives ``1 / x**-n``
    (``ONE / ...`` for complex ``x``).
    """
    if type(n) is not int:
        n = int(n)
    if n < 0:
        p = ipow(x, -n)
        return ONE / p if isinstance(p, (complex, CArray)) else 1.0 / p
    # small exponents spelled out: the products binary powering forms (x^3 = x (x x))
    if n == 0:
        return 1.0
    if n == 1:
        return x
    if n == 2:
        return x * x
    if n == 3:
        return x * (x * x)
    result = None
    p = x
    while n:
        if n & 1:
            result = p if result is None else result * p
        n >>= 1
        if n:
            p = p * p
    return result


def to_numpy_complex(v) -> np.ndarray:
    """A :class:`CArray` or real ndarray as a complex128 ndarray."""
    if type(v) is CArray:
        return v.to_numpy()
    return np.asarray(v).astype(complex)
