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

from kerker.lattice._arith import ipow

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


def variables(p: Poly) -> frozenset:
    """Which of ``"e2", "e4", "e6"`` occur in ``p`` (the q-series it needs)."""
    names = ("e2", "e4", "e6")
    return frozenset(names[v] for key in p for v in range(3) if key[v])


def _power(x: str, n: int) -> str:
    """Source of ``x ** n`` with the products :func:`~kerker.lattice._arith.ipow` forms."""
    return {1: x, 2: f"{x} * {x}", 3: f"{x} * ({x} * {x})"}.get(n, f"ipow({x}, {n})")


def compile_poly(p: Poly):
    """``p`` as a straight-line Python function ``f(e2, e4, e6, bounds=None)``.

    ``f`` returns ``(value, magnitude)``, or with ``bounds`` (the absolute error bounds of
    ``e2, e4, e6``) ``(value, magnitude, error)``: ``magnitude = sum |c| |E2|^i |E4|^j
    |E6|^k`` is the scale of the float64 rounding of ``value`` and ``error =
    P_abs(|E| + delta) - P_abs(|E|)`` a rigorous bound on the error propagated from the
    inputs (all coefficients taken positive). Variables absent from ``p`` may be ``None``.

    The source is generated from the coefficients: first each distinct factor
    ``x^n`` with ``|x|^n`` and ``(|x| + delta)^n`` (powers by ``ipow``), then the monomials
    in the order of ``p``, factors left to right, summed in that order. It has no loops or
    look-ups, and runs on Python numbers and on CArray alike (the operators decide). The
    coefficients are passed as objects, never printed, so they are exact.
    """
    factors: list = []
    monomials = []
    for key, c in p.items():
        idx = []
        for v, n in enumerate(key):
            if n:
                if (v, n) not in factors:
                    factors.append((v, n))
                idx.append(factors.index((v, n)))
        monomials.append(tuple(idx))
    names = ("e2", "e4", "e6")
    used = sorted({v for v, _ in factors})
    lines = ["def f(e2, e4, e6, bounds=None):"]
    lines += [f"    A{v} = abs({names[v]})" for v in used]
    body_err = [f"    B{v} = A{v} + bounds[{v}]" for v in used]
    for i, (v, n) in enumerate(factors):
        if n == 1:
            lines.append(f"    x{i} = {names[v]}; a{i} = A{v}")
            body_err.append(f"    w{i} = B{v}")
        else:
            lines.append(f"    x{i} = {_power(names[v], n)}; a{i} = {_power(f'A{v}', n)}")
            body_err.append(f"    w{i} = {_power(f'B{v}', n)}")
    value, mag, wide = [], [], []
    for k, idx in enumerate(monomials):
        value.append("".join([f"c{k}"] + [f" * x{i}" for i in idx]))
        mag.append("".join([f"s{k}"] + [f" * a{i}" for i in idx]))
        wide.append("".join([f"s{k}"] + [f" * w{i}" for i in idx]))
    lines.append("    value = " + value[0])
    lines += [f"    value = value + {t}" for t in value[1:]]
    lines.append("    m0 = " + mag[0])
    lines += [f"    m{k} = {t}" for k, t in enumerate(mag[1:], start=1)]
    lines.append("    mag = m0")
    lines += [f"    mag = mag + m{k}" for k in range(1, len(mag))]
    lines += ["    if bounds is None:", "        return value, mag"]
    lines += body_err
    lines.append(f"    err = {wide[0]} - m0")
    lines += [f"    err = err + ({t} - m{k})" for k, t in enumerate(wide[1:], start=1)]
    lines.append("    return value, mag, err")
    namespace = {"ipow": ipow}
    for k, c in enumerate(p.values()):
        namespace[f"c{k}"], namespace[f"s{k}"] = c, abs(c)
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the coefficients above
    f = namespace["f"]
    f.source = "\n".join(lines)
    return f


@lru_cache(maxsize=None)
def compiled_derivative(k: int, order: int) -> tuple:
    """:func:`compile_poly` of ``D^order E_k`` with ``degree + 1`` (its rounding count; cached)."""
    poly = eisenstein_derivative(k, order)
    return compile_poly(poly), degree(poly) + 1.0


@lru_cache(maxsize=None)
def compiled_shifted(k: int, order: int) -> tuple:
    """:func:`compile_poly` of :func:`shifted_derivative` (poly, magnitude), with ``len + degree + 1``."""
    poly, mag = shifted_derivative(k, order)
    return compile_poly(poly), compile_poly(mag), len(poly) + degree(poly) + 1.0


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
