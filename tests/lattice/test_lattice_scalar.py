"""The scalar path: one tau on Python numbers, bit for bit the batched path's entry.

Issue 16, item 3: ``eisenstein``, ``lattice_sum``, ``objective`` (and ``basis``,
``fixed_area_sum``) on one number run the same kernels as on arrays, on Python
``complex``/``float``; values, derivatives, gradients and certificates must equal the
batched entry exactly (``==``), and invalid input must raise the same error.
"""

import cmath
import math

import numpy as np
import pytest

from kerker.lattice import basis, eisenstein, fixed_area_sum, lattice_sum, objective
from kerker.lattice._arith import NEG_ONE, ONE, CArray, fcos, fexp, flog, flog2, fsin, ipow, jdiv, jmul
from kerker.lattice._basis import MAX_RAISE
from kerker.lattice._series import CUSP_IMAG

RHO = complex(0.5, math.sqrt(3) / 2)


def _points() -> list:
    """tau across F, its edges, up the cusp, unreduced, near the real axis, at rounding edges."""
    rng = np.random.default_rng(16)
    pts = [
        0.2 + 1.3j, 1j, RHO, -RHO.conjugate(), 0.5 + 1.2j, -0.5 + 1.2j, 0.5 + 0.8660254037844387j,
        0.0 + 0.99999999999999j, -0.0 + 1.0j, 0.3 + 1.1j, 0.5 + 1.246175854630197535595j,
        # rounding edges of the translation: x0 + 1/2 rounds up to the next integer
        0.49999999999999994 + 1.2j, 2.4999999999999996 + 0.99j, -1.5000000000000002 + 1.0000000000000002j,
        0.49999999999999994 + 0.8660254037844387j, 1e-17 + 1j,
        # around and up the cusp (|q| < 2^-53 beyond CUSP_IMAG)
        0.1 + (CUSP_IMAG - 1e-9) * 1j, 0.1 + (CUSP_IMAG + 1e-9) * 1j, 0.3 + 6.5j, 0.3 + 40j, -0.2 + 1e10j,
        # unreduced, and near the real axis down to the supported limit
        7.3 + 0.05j, 100.2 + 0.02j, -63.41 + 0.37j, 0.499 + 0.02j, 0.37 + 0.11j, 12.49 + 0.12j,
        0.3 + 1e-15j, -0.7 + 2e-15j, 1 / 3 + 1e-13j, 2.0**40 + 1j, -(2.0**40) + 0.5j, 123456.789 + 1e-12j,
    ]  # fmt: skip
    pts += list(rng.uniform(-0.5, 0.5, 24) + 1j * rng.uniform(0.87, 3.0, 24))
    pts += list(rng.uniform(-50, 50, 24) + 1j * 10 ** rng.uniform(-15, 0.5, 24))
    return [complex(t) for t in pts]


POINTS = _points()
BATCH = np.array(POINTS)


def _same(one, batch, i, fields=("value", "d", "dbar", "error_bound")) -> list:
    """Fields where the scalar result differs from entry ``i`` of the batch (``==``)."""
    return [f for f in fields if hasattr(one, f) and not getattr(one, f) == getattr(batch, f)[i]]


def _check(call, points=POINTS):
    batch = call(np.array(points))
    bad = [(t, _same(call(t), batch, i)) for i, t in enumerate(points)]
    bad = [b for b in bad if b[1]]
    assert not bad, f"scalar != batched at {len(bad)} points, e.g. {bad[:3]}"


# ----------------------------------------------------------------------------------------
# The primitives: CArray and the math helpers against CPython's scalar arithmetic
# ----------------------------------------------------------------------------------------
def _operands(n=20000):
    rng = np.random.default_rng(3)
    a = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 10 ** rng.uniform(-5, 5, n)
    b = (rng.standard_normal(n) + 1j * rng.standard_normal(n)) * 10 ** rng.uniform(-5, 5, n)
    b[:50] = rng.standard_normal(50)  # real divisors
    b[50:100] = 1j * rng.standard_normal(50)  # imaginary divisors
    b[100:150] = b[100:150].real * (1 + 1j)  # |re| == |im|: the branch boundary of Smith's division
    return a, b, rng.uniform(-3, 3, n)


def _equal(carray, values) -> bool:
    z = carray.to_numpy() if isinstance(carray, CArray) else np.asarray(carray)
    return bool(np.array_equal(z, np.array(values)))


def test_carray_is_cpython_complex_arithmetic():
    a, b, f = _operands()
    A, B = CArray.from_numpy(a), CArray.from_numpy(b)
    al, bl, fl = a.tolist(), b.tolist(), f.tolist()
    assert _equal(A * B, [x * y for x, y in zip(al, bl)])
    assert _equal(A / B, [x / y for x, y in zip(al, bl)])
    assert _equal(A + B, [x + y for x, y in zip(al, bl)])
    assert _equal(A - B, [x - y for x, y in zip(al, bl)])
    assert _equal(ONE / B, [ONE / y for y in bl])
    assert _equal(NEG_ONE / B, [NEG_ONE / y for y in bl])
    assert _equal(f * A, [x * y for x, y in zip(fl, al)])
    assert _equal(A / f, [x / y for x, y in zip(al, fl)])
    assert _equal(f - A, [x - y for x, y in zip(fl, al)])
    assert _equal(A - f, [y - x for x, y in zip(fl, al)])
    assert _equal((0.3 + 2j) * A, [(0.3 + 2j) * y for y in al])
    assert _equal(A / (0.3 + 2j), [y / (0.3 + 2j) for y in al])
    assert _equal(-A, [-y for y in al])
    assert _equal(A.conjugate(), [y.conjugate() for y in al])
    assert _equal(abs(A), [abs(y) for y in al])  # np.hypot is the C library's hypot
    assert ipow(A, 0) == ipow(0.3 + 1j, 0) == 1.0
    for n in (-7, -2, -1, 1, 2, 3, 4, 5, 13):
        assert _equal(ipow(A, n), [ipow(y, n) for y in al])
        assert _equal(ipow(f, n), [ipow(y, n) for y in fl])
    assert _equal(jmul(1.5j, f), [1.5j * y for y in fl])
    assert _equal(jdiv(0.5j, f), [0.5j / y for y in fl])


def test_math_helpers_call_the_c_library_per_element():
    x = np.random.default_rng(4).uniform(0.01, 30.0, 5000)
    pairs = ((fexp, math.exp), (flog, math.log), (flog2, math.log2), (fcos, math.cos), (fsin, math.sin))
    for helper, fn in pairs:
        arg = -x if helper is fexp else x
        assert np.array_equal(helper(arg), [fn(v) for v in arg.tolist()])
        assert helper(1.25) == fn(1.25) and type(helper(1.25)) is float


def test_numpy_complex_arrays_are_refused():
    # NumPy's complex ops would break the identity (they differ from CPython's on AVX-512)
    with pytest.raises(TypeError, match="complex ndarray"):
        CArray(np.ones(2), np.zeros(2)) * np.ones(2, complex)


# ----------------------------------------------------------------------------------------
# Every entry point: scalar == batched entry, bit for bit
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("k", [2, 4, 6, 8, 10, 12, 14])
def test_eisenstein_scalar_equals_batched(k):
    _check(lambda t: eisenstein(k, t))


SUMS = [(2, 0), (2, 2), (2, -4), (2, -2 - 2 * MAX_RAISE), (4, 0), (4, 2), (4, -2), (4, -4), (4, 6), (4, -16)]
SUMS += [(6, -6), (6, 10), (8, 8), (10, -14), (12, -12), (14, -26)]


@pytest.mark.parametrize("nl", SUMS, ids=str)
def test_lattice_sum_scalar_equals_batched(nl):
    _check(lambda t: lattice_sum(*nl, t))


@pytest.mark.parametrize("summation", ["disk", "rows", "columns"])
@pytest.mark.parametrize("l", [-2, 2])
def test_weight_two_summations_scalar_equals_batched(l, summation):
    _check(lambda t: lattice_sum(2, l, t, summation=summation))


def test_tolerance_is_honoured_identically():
    _check(lambda t: lattice_sum(4, -2, t, tol=1e-9))
    _check(lambda t: eisenstein(6, t, tol=1e-12))


@pytest.mark.parametrize("kappa", [1.0, 0.3, 0.0])
def test_objective_scalar_equals_batched(kappa):
    batch = objective(BATCH, kappa)
    for i, t in enumerate(POINTS):
        one = objective(t, kappa)
        assert one.value == batch.value[i] and one.d == batch.d[i] and one.error_bound == batch.error_bound[i], t
        assert np.array_equal(one.grad, batch.grad[i]), t


@pytest.mark.parametrize("nl", [(2, 0), (4, -2), (4, 0), (6, -8)], ids=str)
def test_fixed_area_sum_scalar_equals_batched(nl):
    _check(lambda t: fixed_area_sum(*nl, t, area=2.5))


def test_basis_scalar_equals_batched():
    batch = basis(BATCH)
    for i, t in enumerate(POINTS[:40]):
        for nl, res in basis(t).items():
            assert not _same(res, batch[nl], i), (t, nl)


def test_batch_entries_do_not_depend_on_the_batch():
    # each point takes its own truncation: alone, reordered, reshaped or among others alike
    full = lattice_sum(4, -6, BATCH)
    order = np.random.default_rng(5).permutation(BATCH.size)
    shuffled = lattice_sum(4, -6, BATCH[order])
    shaped = lattice_sum(4, -6, BATCH[:60].reshape(6, 10))
    for f in ("value", "d", "dbar", "error_bound"):
        assert np.array_equal(getattr(shuffled, f), getattr(full, f)[order])
        assert np.array_equal(getattr(shaped, f).ravel(), getattr(full, f)[:60])
    j = objective(BATCH)
    for i in (0, 17, 40):
        single = objective(BATCH[i : i + 1])
        assert single.value[0] == j.value[i] and np.array_equal(single.grad[0], j.grad[i])


def test_richardson_takes_the_batched_path_for_one_number_too():
    one = lattice_sum(4, 0, 0.2 + 1.3j, method="richardson")
    arr = lattice_sum(4, 0, np.array([0.2 + 1.3j]), method="richardson")
    assert one.value == arr.value[0] and one.error_bound == arr.error_bound[0]


# ----------------------------------------------------------------------------------------
# What one number returns
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("tau", [0.2 + 1.3j, np.complex128(0.2 + 1.3j), np.complex64(0.25 + 1.5j)])
def test_python_or_numpy_scalar_returns_python_numbers(tau):
    for res in (eisenstein(4, tau), lattice_sum(4, 0, tau), lattice_sum(2, 0, tau), fixed_area_sum(4, 0, tau)):
        assert type(res.value) is complex and type(res.d) is complex and type(res.error_bound) is float
    j = objective(tau)
    assert type(j.value) is float and type(j.d) is complex and type(j.error_bound) is float
    assert isinstance(j.grad, np.ndarray) and j.grad.shape == (2,) and j.grad.dtype == float
    assert type(basis(tau)[(4, -2)].dbar) is complex


def test_zero_d_array_returns_numpy_scalars_like_the_batched_path_did():
    tau = np.array(0.2 + 1.3j)
    r = lattice_sum(4, -2, tau)
    assert type(r.value) is np.complex128 and type(r.dbar) is np.complex128 and type(r.error_bound) is np.float64
    assert r.value == lattice_sum(4, -2, 0.2 + 1.3j).value
    j = objective(tau)
    assert type(j.value) is np.float64 and type(j.d) is np.complex128 and j.grad.shape == (2,)
    assert type(eisenstein(2, np.array(1.1j)).value) is np.complex128


def test_results_stay_frozen_dataclasses():
    for res in (objective(0.2 + 1.3j), lattice_sum(4, 0, 0.2 + 1.3j), eisenstein(4, 0.2 + 1.3j)):
        with pytest.raises(AttributeError):
            res.value = 0.0
    assert lattice_sum(4, 0, 0.2 + 1.3j) == lattice_sum(4, 0, 0.2 + 1.3j)


# ----------------------------------------------------------------------------------------
# Errors: the same exception and message as for a one-element array
# ----------------------------------------------------------------------------------------
BAD = [
    0.3 - 1j, 0.3 + 0j, 2.0, 3, True, complex(math.nan, 1.0), complex(0.1, math.inf), complex(-math.inf, 1.0),
    0.1 + 3e-16j, -4.0 + 9.9e-16j, 2.0**41 + 1j, "abc", None,
]  # fmt: skip
ENTRY_POINTS = {
    "eisenstein": lambda t: eisenstein(4, t),
    "lattice_sum": lambda t: lattice_sum(4, 0, t),
    "lattice_sum raised": lambda t: lattice_sum(6, -8, t),
    "objective": lambda t: objective(t),
    "basis": lambda t: basis(t),
    "fixed_area_sum": lambda t: fixed_area_sum(2, 0, t),
}


def _raised(call, arg):
    with np.errstate(all="ignore"):
        try:
            call(arg)
        except Exception as err:  # noqa: BLE001 - the exception itself is compared
            return type(err), str(err)
    return None


@pytest.mark.parametrize("name", ENTRY_POINTS)
@pytest.mark.parametrize("tau", BAD, ids=repr)
def test_invalid_input_raises_what_the_batched_path_raises(name, tau):
    call = ENTRY_POINTS[name]
    one, batch = _raised(call, tau), _raised(call, np.array([tau]))
    assert one is not None and one == batch
    assert one == _raised(call, np.array(tau))  # 0-d array


@pytest.mark.parametrize("call", [lambda t: lattice_sum(4, -16, t), lambda t: objective(t)])
def test_overflow_is_refused_with_the_batched_message(call):
    tau = 0.3 + 1e200j
    one, batch = _raised(call, tau), _raised(call, np.array([tau]))
    assert one is not None and one == batch and "must be finite in float64" in one[1]


def test_scalar_path_results_satisfy_their_certificates():
    # the certificate of the scalar path is the batched one (above); spot-check it against
    # exact zeros: E6(i) = 0, E4(rho) = 0, G2*(i) = 0
    for res in (eisenstein(6, 1j), eisenstein(4, RHO), lattice_sum(2, -2, 1j)):
        assert abs(res.value) <= res.error_bound and cmath.isfinite(res.d)
