"""Issue 13, item 9: the lattice engine near the real axis (tiny Im tau) and up the cusp.

Supported range ``Im tau >= 1e-15`` (``kerker.lattice._reduction.MIN_IMAG``): there every
public function returns values that satisfy their ``error_bound``; below it each one
raises a ValueError that names tau, the rule and the limit (never NaN, never "tol").

References. The mpmath references of ``tests/reference/lattice_mpmath.py`` evaluate at the
point itself, which at ``Im tau = 1e-15`` would need ~10^16 terms. Here the float64 input
is reduced *exactly* instead (integer matrix, mpmath at ``60 + 2 log10(1/y)`` digits, so
the ``~1/y`` cancellation in ``c tau + d`` costs nothing), those references are evaluated
at the reduced point at 50 digits, and the value is carried back with the textbook
covariance laws (Apostol 1990, ch. 1; Zagier 2008, §2.3; docs/lattice-math.md §3 states
them). Nothing here calls kerker; ``test_reduced_reference_matches_the_direct_one`` checks
this route against the direct references where both are affordable.
"""

import mpmath as mp
import numpy as np
import pytest
import torch

from kerker.lattice import (
    basis,
    eisenstein,
    fixed_area_sum,
    lattice_sum,
    lattice_sum_torch,
    objective,
    objective_torch,
    reduce_tau,
)
from kerker.lattice._reduction import MIN_IMAG
from kerker.lattice._series import CUSP_IMAG
from tests.reference import lattice_mpmath

EPS = float(np.finfo(float).eps)
# the sums of the sweep: every sector of docs/lattice-math.md §4 (holomorphic, raised to
# the most steps, weight 2, monopole, non-reducible), both signs of l
SWEEP_SUMS = [
    (2, 0), (2, -2), (2, 2), (2, -4), (4, 0), (4, -2), (4, 2), (4, -4), (4, -6), (4, -16), (6, -10), (14, -26),
]  # fmt: skip

# ----------------------------------------------------------------------------------------
# Independent reference: exact reduction + mpmath at the reduced point + covariance law
# ----------------------------------------------------------------------------------------
_SERIES_DPS = [50]


def _dps(y) -> int:
    return 60 + 2 * int(max(0.0, -float(mp.log10(y))))


def _reduce_exact(tau):
    """(a, b, c, d), tau_f, j = c tau + d for the exact point ``tau`` (complex or mpc)."""
    t0 = mp.mpc(tau)
    dps = _dps(t0.imag)
    with mp.workdps(dps):
        t = +t0
        a, b, c, d = 1, 0, 0, 1
        while True:
            k = int(mp.floor(t.real + mp.mpf(1) / 2))
            t -= k
            a, b = a - k * c, b - k * d
            if abs(t) >= 1:
                break
            t = -1 / t
            a, b, c, d = -c, -d, a, b
        j = c * t0 + d
        return (a, b, c, d), (a * t0 + b) / j, j, dps


def _mp_kronecker(u):
    # up the cusp (|q| < 1e-81) the eta product is 1 to working precision; mpmath's
    # log(1 - q) would otherwise try to hold q exactly
    if u.imag > 30:
        return 2 * mp.pi / u.imag * (mp.euler - mp.log(2) - mp.log(u.imag) + mp.pi * u.imag / 6)
    return lattice_mpmath.mp_kronecker(u)


def _at_reduced(fn, tau, law):
    """``fn`` at the exactly reduced point, carried back to ``tau`` by ``law(v, j, c, y)``."""
    (_, _, c, _), tf, j, dps = _reduce_exact(tau)
    with mp.workdps(_SERIES_DPS[0]):
        vf = fn(+tf)
    with mp.workdps(dps):
        t = mp.mpc(tau)
        return law(vf, j, c, t.imag)


def _covariant(alpha, beta):
    return lambda v, j, c, y: v * j ** (-alpha) * mp.conj(j) ** (-beta)


def mp_eisenstein_reduced(k, tau):
    """E_k(tau); E2 with its quasi-modular term E2(tau) = j^-2 E2(tau_f) + 6ic/(pi j)."""
    if k == 2:
        law = lambda v, j, c, y: v / j**2 + 6j * c / (mp.pi * j)  # noqa: E731
    else:
        law = _covariant(k, 0)
    return _at_reduced(lambda u: lattice_mpmath.mp_eisenstein(k, u), tau, law)


def _sum_at_reduced_point(n, l):
    """S(n, l) for l <= 0 at a reduced point, from lattice_mpmath."""
    if (n, l) == (2, 0):
        return _mp_kronecker
    if (n, l) == (2, -2):
        return lattice_mpmath.mp_g2star
    if (n, l) == (4, 0):
        return lattice_mpmath.mp_epstein4
    if (n, l) == (4, -2):
        return lattice_mpmath.mp_s4m2_fast
    if l == -n:
        return lambda u: 2 * mp.zeta(n) * lattice_mpmath.mp_eisenstein(n, u)
    if n == 2:
        # disk sum = row sum minus the raised -pi/y, which is -pi/((k+1) y) after k steps
        return lambda u: lattice_mpmath.mp_row_sum(2, l, u) - mp.pi / ((-l // 2) * u.imag)
    return lambda u: lattice_mpmath.mp_row_sum(n, l, u)


def mp_sum_reduced(n, l, tau):
    """S(n, l)(tau): covariant of type ((n-l)/2, (n+l)/2); S_reg(2, 0) with -(2 pi/y) log|j|."""
    m = -abs(l)
    if (n, m) == (2, 0):
        law = lambda v, j, c, y: v / abs(j) ** 2 - 2 * mp.pi / y * mp.log(abs(j))  # noqa: E731
    else:
        law = _covariant((n - m) // 2, (n + m) // 2)
    v = _at_reduced(_sum_at_reduced_point(n, m), tau, law)
    return mp.conj(v) if l > 0 else v


def mp_objective_reduced(tau, kappa=1.0):
    """J is SL(2, Z)-invariant (docs/lattice-math.md §7.3): J(tau) = J(tau_f)."""
    _, tf, _, _ = _reduce_exact(tau)
    with mp.workdps(_SERIES_DPS[0]):
        return tf.imag * abs(lattice_mpmath.mp_g2star(tf)) - kappa * tf.imag**2 * lattice_mpmath.mp_epstein4(tf)


def mp_fixed_area_reduced(n, l, tau, area):
    t = mp.mpc(tau)
    with mp.workdps(_dps(t.imag)):
        v = (t.imag / area) ** (mp.mpf(n) / 2) * mp_sum_reduced(n, l, tau)
        if (n, l) == (2, 0):
            v += mp.pi / area * mp.log(t.imag / area)
        return v


def mp_wirtinger_reduced(f, tau):
    """(d f, dbar f): central differences with step 1e-25 Im tau at 90-digit series.

    The function varies on the scale Im tau, so the truncation is (1e-25)^2 relative to
    the largest derivative; 90 digits leave ~50 after the difference.
    """
    t = mp.mpc(tau)
    _SERIES_DPS[0] = 90
    try:
        with mp.workdps(_dps(t.imag) + 60):
            h = t.imag * mp.mpf(10) ** -25
            fx = (f(t + h) - f(t - h)) / (2 * h)
            fy = (f(t + 1j * h) - f(t - 1j * h)) / (2 * h)
            return (fx - 1j * fy) / 2, (fx + 1j * fy) / 2
    finally:
        _SERIES_DPS[0] = 50


def _err(ours, ref):
    return abs(mp.mpc(complex(ours)) - ref)


def _sweep_points(rng, count):
    """Im tau log-uniform over [MIN_IMAG, 1] (two points on the edge); five kinds of Re tau.

    Next to an integer or a rational p/q the reduced point goes up the cusp
    (Im tau_f up to 1/(2 Im tau)); |Re tau| up to 2^40 tests the folded translation.
    """
    y = 10 ** rng.uniform(np.log10(MIN_IMAG), 0.0, count)
    y[:2] = MIN_IMAG
    kind = np.arange(count) % 5
    x = rng.uniform(-0.5, 0.5, count)
    x = np.where(kind == 1, rng.uniform(-100, 100, count), x)
    x = np.where(kind == 2, rng.integers(-3, 4, count) + y * rng.uniform(-3, 3, count), x)
    p, q = rng.integers(1, 12, count), rng.integers(2, 13, count)
    x = np.where(kind == 3, p / q + y * rng.uniform(-3, 3, count), x)
    x = np.where(kind == 4, rng.uniform(-(2.0**40), 2.0**40, count), x)
    return x + 1j * y


def _check_sweep(taus):
    """Every value against its certificate; returns the largest |error| / error_bound."""
    worst = 0.0
    checks = [(f"E{k}", eisenstein(k, taus), lambda t, k=k: mp_eisenstein_reduced(k, t)) for k in (2, 4, 6, 14)]
    checks += [(f"S{nl}", lattice_sum(*nl, taus), lambda t, nl=nl: mp_sum_reduced(*nl, t)) for nl in SWEEP_SUMS]
    checks += [
        (f"P{nl}", fixed_area_sum(*nl, taus, 2.5), lambda t, nl=nl: mp_fixed_area_reduced(*nl, t, 2.5))
        for nl in ((4, 0), (2, 0))
    ]
    checks.append(("J", objective(taus), mp_objective_reduced))
    for name, res, ref in checks:
        for i, t in enumerate(taus):
            err = _err(res.value[i], ref(t))
            bound = res.error_bound[i]
            assert err <= bound, f"{name} at tau={t!r}: |error| {float(err):.3g} > bound {bound:.3g}"
            worst = max(worst, float(err / bound))
        assert np.all(np.isfinite(res.value)) and np.all(np.isfinite(res.error_bound))
    return worst


# ----------------------------------------------------------------------------------------
# The reproducers of the issue
# ----------------------------------------------------------------------------------------
def _refused_message(tau):
    return rf"tau: Im\(tau\) must be >= 1e-15 \(supported range\).*received tau=\({tau.real!r}\+{tau.imag!r}j\)"


def test_reproducer_s40_below_the_range_is_refused_not_wrong():
    # was: 7.05e38 against the true 7.01e36 (x100), with a certified bound of 2.5e27; the
    # float64 reduction had ended at 6.97+0.025i, far outside F
    tau = 0.7071067811865476 + 1e-18j
    with pytest.raises(ValueError, match=_refused_message(tau)):
        lattice_sum(4, 0, tau)


def test_reproducer_objective_below_the_range_is_refused_not_wrong():
    # was: -5.919, 9.3 % wrong, with no bound at all
    tau = 0.123456789 + 1e-20j
    with pytest.raises(ValueError, match=_refused_message(tau)):
        objective(tau)


@pytest.mark.parametrize("y", [1e-50, 1e-100, 1e-300, 5e-324])
@pytest.mark.parametrize(
    "call",
    [
        lambda t: eisenstein(4, t),
        lambda t: lattice_sum(4, 0, t),
        lambda t: lattice_sum(2, 0, t),
        lambda t: lattice_sum(4, 0, t, method="richardson"),
        lambda t: basis(t),
        lambda t: objective(t),
        lambda t: fixed_area_sum(2, 0, t, 1.0),
        lambda t: reduce_tau(t),
        lambda t: lattice_sum_torch(4, 0, torch.tensor(t, dtype=torch.complex128)),
        lambda t: objective_torch(torch.tensor(t, dtype=torch.complex128)),
    ],
    ids=[
        "eisenstein", "S(4,0)", "S(2,0)", "richardson", "basis", "objective",
        "fixed_area", "reduce", "torch_sum", "torch_J",
    ],  # fmt: skip
)
def test_far_below_the_range_every_entry_point_names_tau_and_the_limit(call, y):
    # was: NaN at 1e-100 (the CLI printed it with exit 0) and a message blaming tol at 1e-50
    tau = 0.0 + 1j * y if y < 1e-300 else 0.123456789 + 1j * y
    with pytest.raises(ValueError, match=r"tau: Im\(tau\) must be >= 1e-15") as info:
        call(tau)
    assert "tol" not in str(info.value) and repr(tau.imag) in str(info.value)


def test_an_array_is_refused_at_its_first_offending_entry():
    taus = np.array([[0.3 + 1.1j, 0.2 + 2e-15j], [0.1 + 3e-16j, 0.4 + 1e-20j]])
    with pytest.raises(ValueError, match=r"received tau=\(0\.1\+3e-16j\) at flat index 2"):
        lattice_sum(4, 0, taus)


@pytest.mark.parametrize("tau", [0.7071067811865476 + 1e-15j, 0.123456789 + 1e-15j, 0.7071067811865476 + 3e-14j])
def test_reproducer_points_at_the_edge_are_certified(tau):
    s = lattice_sum(4, 0, tau)
    assert _err(s.value, mp_sum_reduced(4, 0, tau)) <= s.error_bound
    # the certificate is relative to |S| ~ |c tau + d|^-4 (issue 5's 1e-13), not a blanket 1e27
    assert s.error_bound <= 1e-13 * abs(s.value)
    j = objective(tau)
    ref = mp_objective_reduced(tau)
    assert _err(j.value, ref) <= j.error_bound <= 1e-13 * max(abs(ref), 1)


# ----------------------------------------------------------------------------------------
# The reduction itself
# ----------------------------------------------------------------------------------------
def test_reduction_is_exact_down_to_the_edge(rng):
    # j and tau_f against the exact matrix: the transport law charges 4 eps of each
    taus = _sweep_points(rng, 300)
    red = reduce_tau(taus)
    assert np.all(red.a * red.d - red.b * red.c == 1)
    slack = 2.0**-30 + 8 * EPS * np.abs(red.tau_f)  # tau_f resolves Re only to ulp(|tau_f|)
    assert np.all(np.abs(red.tau_f.real) <= 0.5 + slack) and np.all(np.abs(red.tau_f) >= 1 - 2.0**-30)
    for i, t in enumerate(taus):
        (a, b, c, d), tf, j, dps = _reduce_exact(t)
        sign = 1 if (int(red.c[i]), int(red.d[i])) == (c, d) else -1
        assert (int(red.c[i]), int(red.d[i])) == (sign * c, sign * d)
        with mp.workdps(dps):
            assert _err(red.j[i], sign * j) <= 2 * EPS * abs(j)
            assert _err(red.tau_f[i], tf) <= 4 * EPS * abs(tf)
            assert _err(red.y[i] / abs(red.j[i]) ** 2, tf.imag) <= 4 * EPS * tf.imag


def test_reduced_reference_matches_the_direct_one():
    # the route of this file (exact reduction + law) against lattice_mpmath at tau itself
    for tau in (0.37 + 0.11j, -3.3 + 0.15j, 12.49 + 0.12j):
        t = mp.mpc(tau)
        with mp.workdps(50):
            g2star = lattice_mpmath.mp_g2star(t)
            pairs = [
                (mp_eisenstein_reduced(2, tau), lattice_mpmath.mp_eisenstein(2, t)),
                (mp_eisenstein_reduced(14, tau), lattice_mpmath.mp_eisenstein(14, t)),
                (mp_sum_reduced(2, 0, tau), lattice_mpmath.mp_kronecker(t)),
                (mp_sum_reduced(2, -2, tau), g2star),
                (mp_sum_reduced(4, 0, tau), lattice_mpmath.mp_epstein4(t)),
                (mp_sum_reduced(4, -2, tau), lattice_mpmath.mp_s4m2_fast(t)),
                (mp_sum_reduced(6, -10, tau), lattice_mpmath.mp_row_sum(6, -10, t)),
                (mp_objective_reduced(tau), t.imag * abs(g2star) - t.imag**2 * lattice_mpmath.mp_epstein4(t)),
            ]
            for ours, ref in pairs:
                assert abs(ours - ref) <= mp.mpf(10) ** -40 * max(abs(ref), 1)


# ----------------------------------------------------------------------------------------
# Certificates over the supported range
# ----------------------------------------------------------------------------------------
def test_sweep_every_value_satisfies_its_bound(rng):
    _check_sweep(_sweep_points(rng, 25))


@pytest.mark.slow
def test_sweep_every_value_satisfies_its_bound_slow():
    worst = _check_sweep(_sweep_points(np.random.default_rng(13), 400))
    print(f"\nlargest |error| / error_bound over 400 points x 19 quantities: {worst:.3f}")


def test_every_supported_sum_is_finite_and_certified_at_the_edge():
    # Im tau = 1e-15 next to 0, 1/2, 1/3 and at a generic x: up the cusp (Im tau_f ~ 1e15)
    # or with matrix entries ~ 1e7; every supported (n, l), with a reference for a sample
    taus = np.array([1e-15j, 0.5 + 1e-15j, 1 / 3 + 1e-15j, 0.7071067811865476 + 1e-15j, 2.0**40 + 1e-15j])
    supported = [(2, 0)] + [(2, l) for l in range(-14, 15, 2) if l]
    supported += [(4, l) for l in range(-16, 17, 2)]
    supported += [(n, s * l) for n in range(6, 15, 2) for l in range(n, n + 13, 2) for s in (-1, 1)]
    for n, l in supported:
        r = lattice_sum(n, l, taus)
        for arr in (r.value, r.d, r.dbar, r.error_bound):
            assert np.all(np.isfinite(arr)), (n, l)
    for n, l in [(2, -14), (4, -16), (14, -26), (8, 20)]:
        r = lattice_sum(n, l, taus)
        for i, t in enumerate(taus):
            assert _err(r.value[i], mp_sum_reduced(n, l, t)) <= r.error_bound[i], (n, l, t)


def test_basis_and_torch_agree_with_the_single_calls():
    taus = np.array([0.7071067811865476 + 1e-15j, 2.0 + 3e-15j, -41.3 + 2e-12j])
    b = basis(taus)
    for (n, l), r in b.items():
        single = lattice_sum(n, l, taus)
        # one shared truncation (the union of the needed series) vs per-sum truncation
        np.testing.assert_allclose(r.value, single.value, rtol=1e-14)
        assert np.all(np.abs(r.value - single.value) <= r.error_bound + single.error_bound)
    t = torch.tensor(taus, dtype=torch.complex128)
    assert np.array_equal(lattice_sum_torch(4, 0, t).numpy(), lattice_sum(4, 0, taus).value)
    assert np.array_equal(objective_torch(t).numpy(), objective(taus).value)


# ----------------------------------------------------------------------------------------
# Derivatives (transported by the law, never differentiated through the reduction)
# ----------------------------------------------------------------------------------------
DERIV_POINTS = [0.7071067811865476 + 1e-15j, 2.0000000000000004 + 1.8e-15j, -0.1003 + 2e-14j, 1 / 3 + 4e-13j]


@pytest.mark.parametrize("tau", DERIV_POINTS)
def test_derivatives_near_the_axis(tau):
    # measured <= 6e-15 relative; 1e-13 is issue 5's accuracy target
    cases = [
        (eisenstein(4, tau).d, None, lambda u: mp_eisenstein_reduced(4, u)),
        (eisenstein(10, tau).d, None, lambda u: mp_eisenstein_reduced(10, u)),
        (lattice_sum(2, -2, tau).d, lattice_sum(2, -2, tau).dbar, lambda u: mp_sum_reduced(2, -2, u)),
        (lattice_sum(4, 0, tau).d, lattice_sum(4, 0, tau).dbar, lambda u: mp_sum_reduced(4, 0, u)),
        (lattice_sum(4, -6, tau).d, lattice_sum(4, -6, tau).dbar, lambda u: mp_sum_reduced(4, -6, u)),
        (lattice_sum(2, 0, tau).d, lattice_sum(2, 0, tau).dbar, lambda u: mp_sum_reduced(2, 0, u)),
    ]
    for d, dbar, f in cases:
        ref_d, ref_dbar = mp_wirtinger_reduced(f, tau)
        assert _err(d, ref_d) <= 1e-13 * abs(ref_d)
        if dbar is not None:
            assert _err(dbar, ref_dbar) <= 1e-13 * abs(ref_dbar)
    ref_d, _ = mp_wirtinger_reduced(mp_objective_reduced, tau)
    grad = objective(tau).grad
    ref_grad = (2 * ref_d.real, -2 * ref_d.imag)
    assert max(abs(g - r) for g, r in zip(grad, ref_grad)) <= 1e-13 * max(abs(ref_d), 1)
    t = torch.tensor(tau, dtype=torch.complex128, requires_grad=True)
    objective_torch(t).backward()
    assert t.grad.item() == complex(*grad)


# ----------------------------------------------------------------------------------------
# Up the cusp: where tiny Im tau next to a rational lands after reduction
# ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("y", [8.0, 64.0, 1e6, 1e15])
def test_raised_sums_up_the_cusp(y):
    # D^r E_k = O(q) is evaluated in E - 1 beyond CUSP_IMAG; before, the float64 residue of
    # the ring polynomial at E = 1, times y^6, gave S(4,-16)(0.3+64i) = 2.1652 (true 2.16465)
    # and 8.8e21 at 1e6 i, with honest but useless bounds
    assert y > CUSP_IMAG
    tau = 0.3 + 1j * y
    for nl in [(4, -16), (14, -26), (2, -14), (6, -10)]:
        r = lattice_sum(*nl, tau)
        ref = mp_sum_reduced(*nl, tau)
        assert _err(r.value, ref) <= r.error_bound <= 1e-13 * abs(ref)
    e = eisenstein(10, tau)
    with mp.workdps(50):
        ref = lattice_mpmath.mp_eisenstein(10, mp.mpc(tau), derivative=True)
    assert _err(e.d, ref) <= 1e-13 * abs(ref) + 1e-300


# ----------------------------------------------------------------------------------------
# Never inf or NaN
# ----------------------------------------------------------------------------------------
def test_overflow_is_refused_not_returned():
    # far up the cusp the y^6 of the raised sums overflows float64 (Im tau ~ 1e51 and
    # beyond); numpy's own overflow warnings are silenced here, the ValueError is the point
    tau = 0.3 + 1e200j
    with np.errstate(all="ignore"):
        with pytest.raises(ValueError, match=r"tau: S\(4, -16\), its derivatives and error bound must be finite"):
            lattice_sum(4, -16, tau)
        with pytest.raises(ValueError, match=r"tau: J, its derivatives and error bound must be finite"):
            objective(tau)


def test_empty_input_keeps_its_shape():
    assert lattice_sum(4, 0, np.zeros((0, 3), complex)).value.shape == (0, 3)
    assert objective(np.zeros(0, complex)).grad.shape == (0, 2)
    assert reduce_tau(np.zeros(0, complex)).tau_f.shape == (0,)
