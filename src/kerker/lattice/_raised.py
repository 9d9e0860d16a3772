"""The raised (holomorphic-based) sector of the basis: ``S(n, l)`` for ``l <= -n``.

``S(n, -n - 2s)`` is carried as an expression ``sum_{s,r} c[s,r] y^s H_r`` with ``H_0 = 1``
and ``H_{r+1} = (d/dtau)^r P``, ``P = G_n`` (or ``G2`` for ``n = 2``), obtained by the
raising relation ``G_{a+1, b-1} = G_{a, b} + (2iy/a) d G_{a, b}`` (docs/lattice-math.md §4b).
The expressions of the value and of its Wirtinger derivatives are formed symbolically
once and compiled into straight-line functions (:func:`_compile_plan`) that run on one
point (Python numbers) and on a batch (CArray / ndarray) with the same operations.
"""

from __future__ import annotations

import math
from functools import lru_cache

from kerker.lattice import _ring
from kerker.lattice._arith import ipow, jmul
from kerker.lattice._eisenstein import plain_at, ring_at, ring_keys
from kerker.lattice._reduction import Reduced, transport
from kerker.lattice._ring import _power
from kerker.lattice._series import CUSP_IMAG, EPS, QSeries

PI = math.pi
# G_n = 2 zeta(n) E_n for even n >= 4 (zeta(n) = |B_n| (2 pi)^n / (2 n!)), G2 = (pi^2/3) E2.
_G_NORM = {
    2: PI**2 / 3.0,
    4: PI**4 / 45.0,
    6: 2.0 * PI**6 / 945.0,
    8: PI**8 / 4725.0,
    10: 2.0 * PI**10 / 93555.0,
    12: 2.0 * 691.0 * PI**12 / 638512875.0,
    14: 4.0 * PI**14 / 18243225.0,
}
def _expr_d(expr: dict) -> dict:
    """Wirtinger ``d`` of an expression: ``d y^s = -(i/2) s y^(s-1)``, ``d H_r = H_{r+1}``."""
    out: dict = {}
    for (s, r), c in expr.items():
        if s:
            out[(s - 1, r)] = out.get((s - 1, r), 0.0) + c * s * (-0.5j)
        if r >= 1:
            out[(s, r + 1)] = out.get((s, r + 1), 0.0) + c
    return out


def _expr_dbar(expr: dict) -> dict:
    """Wirtinger ``dbar`` of an expression: only ``y^s`` contributes, ``+(i/2) s y^(s-1)``."""
    return {(s - 1, r): c * s * 0.5j for (s, r), c in expr.items() if s}


@lru_cache(maxsize=None)
def _raised(n: int, steps: int) -> tuple[dict, dict, dict]:
    """Expressions of ``S(n, -n - 2 steps)`` and of its ``d`` and ``dbar`` (docs/lattice-math.md §4b)."""
    expr = {(0, 1): 1.0 + 0j}
    if n == 2:
        expr[(-1, 0)] = -PI + 0j  # G2* = G2 - pi / y
    alpha = n
    for _ in range(steps):
        dexpr = _expr_d(expr)
        new = dict(expr)
        for (s, r), c in dexpr.items():
            new[(s + 1, r)] = new.get((s + 1, r), 0.0) + c * 2j / alpha
        expr = new
        alpha += 1
    return expr, _expr_d(expr), _expr_dbar(expr)


@lru_cache(maxsize=None)
def _scale(n: int, r: int) -> tuple:
    """``G_n`` normalisation times ``(2 pi i)^r`` (``d^r/dtau^r = (2 pi i)^r D^r``), and its modulus."""
    scale = _G_NORM[n] * (2j * PI) ** r
    return scale, abs(scale)


def _holomorphic_derivatives(n: int, orders: tuple, qs: QSeries):
    """``H_r = c_r D^(r-1) E_n`` for ``(r - 1, with_err, c_r, |c_r|)`` in ``orders`` (``H_0 = 1``: ``None``).

    Bounds only where ``with_err`` (the others ``None``: no expression needs them).
    """
    values, errs = [None], [None]
    below_cusp = type(qs.y) is float and not qs.y > CUSP_IMAG  # one point: ring_at's plain branch
    for order, with_err, scale, size in orders:
        if below_cusp:
            v, e = plain_at(n, order, qs, with_err)
        else:
            v, _, e = ring_at(n, order, qs, with_d=False, with_err=with_err)
        values.append(scale * v)
        errs.append(size * e if with_err else None)
    return values, errs


def _y_power(s: int) -> str:
    """Source of ``y^s`` with the operations of :func:`~kerker.lattice._arith.ipow`."""
    return _power("y", s) if s > 0 else f"1.0 / ({_power('y', -s)})"


def _compile_plan(exprs) -> object:
    """The expressions (value, ``d``, ``dbar``) as one function ``f(y, h, e, scalar)``.

    ``f`` returns ``(value, d, dbar, err)``; ``h[r]``, ``e[r]``: ``H_r`` and its bound;
    ``scalar``: one point (Python numbers). Each expression is summed term by term in its
    order: ``c (y^s H_r)`` with bound ``|c| y^s (e_r + 8 eps |H_r|)``, and ``c y^s``
    (``jmul`` for a batch) with bound ``|c| y^s 8 eps`` for ``r = 0``; ``dbar = 0 value``
    if empty.
    Generated source, coefficients passed as objects (exact).
    """
    expr, dexpr, dbexpr = exprs
    powers = sorted({s for e in exprs for (s, _) in e if s})
    orders = sorted({r for e in exprs for (_, r) in e if r})
    lines = ["def f(y, h, e, scalar):"]
    lines += [f"    y{_tag(s)} = {_y_power(s)}" for s in powers]
    lines += [f"    h{r} = h[{r}]" for r in orders]
    lines += [f"    A{r} = abs(h{r})" for r in sorted({r for (_, r) in expr if r})]
    namespace = {"jmul": jmul, "ipow": ipow, "EPS8": 8.0 * EPS}
    for name, e, with_err in (("value", expr, True), ("d", dexpr, False), ("dbar", dbexpr, False)):
        if not e:
            lines.append(f"    {name} = 0.0 * value")
            continue
        for k, ((s, r), c) in enumerate(e.items()):
            cname = f"{name}_c{k}"
            namespace[cname], namespace[cname + "_abs"] = c, abs(c)
            # y^0 = 1 multiplies exactly: left out
            ys = f"y{_tag(s)}" if s else ""
            if r:
                term = f"{cname} * ({ys} * h{r})" if s else f"{cname} * h{r}"
                bound = f"{cname}_abs{' * ' + ys if s else ''} * (e[{r}] + EPS8 * A{r})"
            else:  # c y^s: CPython's product for one point, jmul's (the same) for a batch
                term = f"({cname} * {ys or '1.0'} if scalar else jmul({cname}, {ys or '1.0'}))"
                bound = f"{cname}_abs{' * ' + ys if s else ''} * EPS8"
                if k and c.imag == 0:  # a real term: added as a real number (the same value)
                    namespace[cname] = c.real
                    term = f"{cname} * {ys or '1.0'}"
            lines.append(f"    {name} = {term}" if k == 0 else f"    {name} = {name} + {term}")
            if with_err:
                lines.append(f"    err = {bound}" if k == 0 else f"    err = err + {bound}")
    lines.append("    return value, d, dbar, err")
    exec("\n".join(lines), namespace)  # noqa: S102 - generated from the expressions above
    f = namespace["f"]
    f.source = "\n".join(lines)
    return f


def _tag(s: int) -> str:
    return f"p{s}" if s >= 0 else f"m{-s}"


@lru_cache(maxsize=None)
def _raised_plan(n: int, l: int) -> tuple:
    """``S(n, l)``, ``l <= -n``: its compiled expressions and the highest ``D^r E_n`` they need."""
    exprs = _raised(n, (-l - n) // 2)
    dexpr = exprs[1]
    max_order = max(max(r for (_, r) in dexpr) - 1 if dexpr else 0, 0)
    err_orders = frozenset(r for (_, r) in exprs[0] if r)  # the bound is the value's alone
    orders = tuple((r, r + 1 in err_orders) + _scale(n, r) for r in range(max_order + 1))
    return _compile_plan(exprs), max_order, err_orders, orders


def raised_keys(n: int, l: int) -> tuple:
    """The q-series ``S(n, l)``, ``l <= -n``, needs (sorted)."""
    return ring_keys(n, _raised_plan(n, l)[1])


def raised_bound_keys(n: int, l: int) -> tuple:
    """The q-series whose bounds the certificate of ``S(n, l)``, ``l <= -n``, needs (sorted):
    those of ``H_r = c D^(r-1) E_n`` for the ``r`` in the value's expression."""
    keys = frozenset()
    for r in _raised_plan(n, l)[2]:
        keys |= _ring.variables(_ring.eisenstein_derivative(n, r - 1))
    return tuple(sorted(keys))


def raised_at(n: int, l: int, red: Reduced, qs: QSeries):
    """``S(n, l)`` for ``l <= -n`` (n >= 4) or ``l <= -2`` (n = 2, disk) at ``tau``."""
    plan, _, _, orders = _raised_plan(n, l)
    hvals, herrs = _holomorphic_derivatives(n, orders, qs)
    y = qs.y
    value, d, dbar, err = plan(y, hvals, herrs, type(y) is float)
    return transport(red, (n - l) // 2, (n + l) // 2, value, d, dbar, err)
