"""Generated straight-line programs of the q-series: the Lambert sums, their rounding bounds, the fields.

References: docs/lattice-math.md §2 (Lambert series, rounding), §4(d, e) (the L-sums).

:func:`kerker.lattice._series.qseries` runs these on one point (Python numbers) and on a
batch (:class:`~kerker.lattice._arith.CArray` and float64 arrays) alike: each is generated
once per key set as plain source, so both paths do the same operations in the same order
and agree bit for bit, and one point pays no loop or dictionary overhead.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from kerker.lattice._arith import ONE

EPS = float(np.finfo(float).eps)
SERIES = ("e2", "e4", "e6", "kron", "l0", "l1", "l2")
# c_k of E_k = 1 - (2k / B_k) sum m^(k-1) q^m / (1 - q^m), signs separate (docs/lattice-math.md §2).
LAMBERT_C = {2: 24.0, 4: 240.0, 6: 504.0}
LAMBERT_SIGN = {2: -1.0, 4: 1.0, 6: -1.0}


# The Lambert sums, term m, with t = q^m u, u = 1/(1 - q^m), tu = t u (docs/lattice-math.md
# §2, §4d, §4e); {w} is the weight of term m.
_SUM_TERMS = {
    "e2": "t * {m}",
    "e4": "t * {m3}",
    "e6": "t * {m5}",
    "kron": "t * {i1}",
    "l0": "t * {i3}",
    "l1": "tu * {i2}",
    "l2": "tu * u * (ONE + qm) * {i1}",
}


def _weight_row(m: int) -> tuple:
    """``m, m^3, m^5, 1/m, 1/m^3, 1/m^2``: the weights of term ``m`` (floats)."""
    return float(m), float(m**3), float(m**5), 1.0 / m, 1.0 / m**3, 1.0 / m**2


_WEIGHT_NAMES = ("m", "m3", "m5", "i1", "i3", "i2")
_WEIGHT_VARS = {n: n for n in _WEIGHT_NAMES}  # the weights as the loop's variables
WEIGHTS = [None] + [_weight_row(m) for m in range(1, 65)]  # index m; extended on demand


@lru_cache(maxsize=None)
def lambert_program(keys: tuple, masked: bool):
    """The Lambert terms of ``keys``, generated as one function of ``M``.

    ``f(q, live, m_max, weights) -> values`` (a list in :data:`SERIES` order, ``None`` for
    sums not in ``keys``). Term ``m``: ``q^m = q^(m-1) q``, ``u = 1/(1 - q^m)``,
    ``t = q^m u``, then every sum of :data:`_SUM_TERMS` adds its term, in order; term 1 is
    written out (its weights are 1). With ``masked`` (a batch whose points have different
    ``M``), ``t`` of term ``m >= 2`` is multiplied by ``live[m]`` (1 while ``m <= M`` of the
    point, else 0, and ``x + 0 == x``). Runs on Python numbers and on CArray alike.
    """
    wanted = [k for k in SERIES if k in keys]
    pairs = any(k in keys for k in ("l1", "l2"))

    def term(m1: bool, indent: str) -> list:
        lines = [f"{indent}u = ONE / (ONE - qm)", f"{indent}t = qm * u"]
        if masked and not m1:
            lines.append(f"{indent}t = t * live[k]")
        if pairs:
            lines.append(f"{indent}tu = t * u")
        for k in wanted:
            template = _SUM_TERMS[k]
            if m1:  # every weight of term 1 is 1.0
                first = template.format(**dict.fromkeys(_WEIGHT_NAMES, "1.0")).removesuffix(" * 1.0")
                lines.append(f"{indent}v_{k} = {first}")
            else:
                lines.append(f"{indent}v_{k} = v_{k} + {template.format(**_WEIGHT_VARS)}")
        return lines

    lines = ["def f(q, live, m_max, weights):", "    qm = q"]
    lines += term(True, "    ")
    lines.append("    for k in range(2, m_max + 1):")
    lines.append(f"        {', '.join(_WEIGHT_NAMES)} = weights[k]")
    lines.append("        qm = qm * q")
    lines += term(False, "        ")
    values = ", ".join(f"v_{k}" if k in keys else "None" for k in SERIES)
    lines.append(f"    return [{values}]")
    source = "\n".join(lines)
    namespace = {"ONE": ONE}
    exec(source, namespace)  # noqa: S102 - generated from _SUM_TERMS above
    f = namespace["f"]
    f.source = source
    return f


def lambert(q, m_terms, spec):
    """The truncated sums of ``spec.keys``, one term after another.

    ``m_terms`` is an int (every point the same) or one per point; then points past their
    own ``M`` get zero terms (``x + 0 == x``), so each equals its own truncation. The
    same operations in the same order for one point and for a batch
    (:func:`lambert_program`).
    """
    if type(m_terms) is not int:
        m_max = int(np.max(m_terms, initial=1))
        if not np.all(m_terms == m_max):
            live = [None] + [(m <= m_terms).astype(float) for m in range(1, m_max + 1)]
            return spec.program(True)(q, live, m_max, weights_to(m_max))
        m_terms = m_max
    weights = WEIGHTS if m_terms < len(WEIGHTS) else weights_to(m_terms)
    program = spec.programs.get(False) or spec.program(False)
    return program(q, None, m_terms, weights)


@lru_cache(maxsize=None)
def rounding_program(bound_keys: tuple):
    """Bounds on the float64 rounding of the Lambert sums of ``bound_keys`` (docs/lattice-math.md §2).

    ``f(r, rel0, drift) -> bounds``, a list in :data:`SERIES` order, ``None`` outside
    ``bound_keys``. Term ``m`` is off by at most ``|term| (rel0 + drift m)`` relative, and
    ``|term| <= w_m r^m F_m`` with ``F_m`` the powers of ``1/|1 - q^m| <= U = 1/(1 - r)``
    (one for ``t``, two for ``tu``, three and ``|1 + q^m| <= 1 + r`` for the ``L2`` term).
    Summed over all ``m >= 1`` in closed form, ``sum m^n r^m = s A_n(r) U^n`` with
    ``s = r U`` and ``A_n`` the Eulerian polynomials; for the weights ``1/m^a``,
    ``(rel0 + drift m)/m^a <= rel0 + drift``. Generated straight-line code, real operations
    only: the same bits for one point and a batch.
    """
    lines = ["def f(r, rel0, drift):", "    u = 1.0 / (1.0 - r)", "    s = r * u", "    flat = (rel0 + drift) * s"]
    out = ["None"] * len(SERIES)
    for i, n in ((0, 1), (1, 3), (2, 5)):  # E2, E4, E6: weights m^1, m^3, m^5
        if SERIES[i] in bound_keys:
            un = " * ".join(["u"] * n)
            lines.append(
                f"    b{i} = u * s * ({un}) * (rel0 * {_horner(n)} + drift * {_horner(n + 1)} * u)"
            )
            out[i] = f"b{i}"
    scaled = {"kron": "u * flat", "l0": "u * flat", "l1": "2.0 * (u * u * flat)", "l2": "4.0 * (u * u * u * (1.0 + r) * flat)"}
    for key, expr in scaled.items():
        if key in bound_keys:
            out[SERIES.index(key)] = expr
    lines.append(f"    return [{', '.join(out)}]")
    source = "\n".join(lines)
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - generated from the closed forms above
    f = namespace["f"]
    f.source = source
    return f


# Eulerian numbers: A_n(r) = sum_k A(n, k) r^k, with sum_m m^n r^m = r A_n(r) / (1 - r)^(n+1)
_EULERIAN = {
    1: (1,),
    2: (1, 1),
    3: (1, 4, 1),
    4: (1, 11, 11, 1),
    5: (1, 26, 66, 26, 1),
    6: (1, 57, 302, 302, 57, 1),
}


def _horner(n: int) -> str:
    """Source of ``A_n(r)`` by Horner's rule."""
    coeffs = _EULERIAN[n]
    acc = f"{float(coeffs[-1])}"
    for c in coeffs[-2::-1]:
        acc = f"({acc} * r + {float(c)})"
    return acc if len(coeffs) > 1 else "1.0"


def weights_to(m_max: int) -> list:
    while len(WEIGHTS) <= m_max:
        WEIGHTS.append(_weight_row(len(WEIGHTS)))
    return WEIGHTS


@lru_cache(maxsize=None)
def finish_program(keys: tuple, bound_keys: tuple):
    """The fields of a :class:`QSeries` from its sums, generated as straight-line code.

    ``f(qs, v, b, tails, cusp)``: ``v`` the Lambert sums, ``b`` their rounding bounds and
    ``tails`` their tail bounds (lists in :data:`SERIES` order). ``E_k = 1 + sign c_k v``
    with bound ``tail + c_k b + 2 eps (1 + c_k |v|)`` and, up the cusp only (where
    ``_ring.shifted_derivative`` uses it), ``E_k - 1`` with ``tail + c_k b + eps c_k |v|``;
    the other sums are ``v`` with ``tail + b``. Fields not in ``keys`` (``bound_keys``)
    keep their ``None``.
    """
    lines = ["def f(qs, v, b, tails, cusp):"]
    e, e_err, shift, shift_err = ["None"] * 3, ["None"] * 3, ["None"] * 3, ["None"] * 3
    for i, k in enumerate((2, 4, 6)):
        if f"e{k}" not in keys:
            continue
        ck, sign_ck = LAMBERT_C[k], LAMBERT_SIGN[k] * LAMBERT_C[k]
        lines += [f"    a{i} = v[{i}]", f"    s{i} = {sign_ck!r} * a{i}"]
        e[i], shift[i] = f"1.0 + s{i}", f"s{i}"
        if f"e{k}" in bound_keys:
            lines += [f"    t{i} = tails[{i}] + {ck!r} * b[{i}]", f"    z{i} = abs(a{i})"]
            e_err[i] = f"t{i} + {2.0 * EPS!r} * (1.0 + {ck!r} * z{i})"
            shift_err[i] = f"t{i} + {EPS!r} * {ck!r} * z{i}"
    lines.append(f"    qs.e2, qs.e4, qs.e6 = {', '.join(e)}")
    lines.append(f"    qs.e_err, qs.e_shift = ({', '.join(e_err)}), ({', '.join(shift)})")
    if any(v != "None" for v in shift_err):
        lines.append(f"    qs.e_shift_err = ({', '.join(shift_err)}) if cusp else (None, None, None)")
    for i, name in enumerate(SERIES[3:], start=3):
        if name in keys:
            lines.append(f"    qs.{name} = v[{i}]")
            if name in bound_keys:
                lines.append(f"    qs.{name}_err = tails[{i}] + b[{i}]")
    source = "\n".join(lines)
    namespace: dict = {}
    exec(source, namespace)  # noqa: S102 - generated from the constants above
    f = namespace["f"]
    f.source = source
    return f
