"""E2 ... E14, derivatives and certificates against mpmath q-series at the unreduced tau."""

import json
import pathlib

import mpmath as mp
import numpy as np
import pytest

from kerker.lattice import eisenstein, reduce_tau
from kerker.lattice._lambert import SERIES, rounding_program
from kerker.lattice._series import choose_terms
from tests.reference.lattice_mpmath import mp_eisenstein, rel_err

REF = json.loads(pathlib.Path(__file__).with_name("reference_values.json").read_text())
RHO = np.exp(1j * np.pi / 3)
# Done-when of issue 5: 1e-13 relative (floor 1); float64 reaches ~1e-15, so 1e-13 has margin.
RTOL = 1e-13


def _mp(pair):
    return mp.mpc(mp.mpf(pair[0]), mp.mpf(pair[1]))


@pytest.mark.parametrize("entry", REF["points"], ids=lambda e: f"{e['tau'][0]}+{e['tau'][1]}i")
@pytest.mark.parametrize("k", [2, 4, 6, 10, 14])
def test_far_points_against_frozen_mpmath(entry, k):
    tau = complex(*entry["tau"])
    r = eisenstein(k, tau)
    assert rel_err(r.value, _mp(entry[f"E{k}"])) <= RTOL
    assert rel_err(r.d, _mp(entry[f"dE{k}"])) <= RTOL
    assert abs(mp.mpc(complex(r.value)) - _mp(entry[f"E{k}"])) <= r.error_bound


@pytest.mark.parametrize("tau", [0.3 + 1.1j, -0.41 + 0.93j, 2.7 + 0.31j, 0.1234 + 3.5j])
@pytest.mark.parametrize("k", [2, 4, 6, 8, 12])
def test_live_mpmath(mp40, tau, k):
    r = eisenstein(k, tau)
    assert rel_err(r.value, mp_eisenstein(k, tau)) <= RTOL
    assert rel_err(r.d, mp_eisenstein(k, tau, derivative=True)) <= RTOL


def test_certificate_never_below_actual_error(mp40, rng):
    # random tau over a wide strip, including small Im tau; mpmath at 40 digits
    taus = rng.uniform(-50, 50, 24) + 1j * 10 ** rng.uniform(np.log10(0.05), np.log10(3.0), 24)
    for k in (2, 4, 6):
        r = eisenstein(k, taus)
        for t, v, e in zip(taus, r.value, r.error_bound):
            assert abs(mp.mpc(complex(v)) - mp_eisenstein(k, t)) <= e


def test_loose_tolerance_is_honoured(mp40):
    tau = RHO + 1e-3j
    for tol in (1e-4, 1e-8):
        r = eisenstein(6, tau, tol=tol)
        actual = abs(mp.mpc(complex(r.value)) - mp_eisenstein(6, tau))
        assert actual <= r.error_bound
        assert r.error_bound <= 10 * tol


def test_terms_at_rho():
    # docs/lattice-math.md §2 and §4e: at rho, 1e-16 needs M = 7, 9, 10 terms for E2, E4, E6
    # (the E4 tolerance applies to G4 = (pi^4/45) E4) and M = 7 for the L-sums.
    r, y = np.exp(-np.pi * np.sqrt(3)), np.sqrt(3) / 2
    assert choose_terms(r, y, 1e-16, ("e2",)) == 7
    assert choose_terms(r, y, 1e-16, ("e4",)) in (8, 9)
    assert choose_terms(r, y, 1e-16, ("e6",)) == 10
    assert choose_terms(r, y, 1e-16, ("l0", "l1", "l2")) == 7


def _term_by_term(key, r, rel0, drift, m_terms):
    """The rounding magnitude of one Lambert sum summed term by term (docs/lattice-math.md §2), in mpmath."""
    total = mp.mpf(0)
    for m in range(1, m_terms + 1):
        ub = 1 / (1 - mp.mpf(r) ** m)
        tb = mp.mpf(r) ** m * ub * (rel0 + drift * m)
        weight = {"e2": m, "e4": m**3, "e6": m**5, "kron": mp.mpf(1) / m, "l0": mp.mpf(1) / m**3}.get(key)
        if key == "l1":
            weight = 2 * ub / mp.mpf(m) ** 2
        if key == "l2":
            weight = 4 * ub * ub * (1 + mp.mpf(r) ** m) / m
        total += tb * weight
    return total


@pytest.mark.parametrize("key", SERIES)
def test_closed_form_rounding_bounds_the_term_sums(key):
    # The closed form sums the per-term bound over every m >= 1: it must lie above the
    # term-by-term sum at any truncation, and above it by little inside F (r <= 4.33e-3).
    rounding = rounding_program(SERIES)
    i = SERIES.index(key)
    with mp.workdps(30):
        for r in (1e-12, 1e-6, 2.8e-4, 4.33e-3, 0.05, 0.3):
            rel0, drift = 17 * 2.2e-16, 2.2e-16 * 40.0
            bound = rounding(r, rel0, drift)[i]
            for m_terms in (1, 5, 60):
                exact = _term_by_term(key, r, rel0, drift, m_terms)
                assert bound >= exact, (key, r, m_terms)
            if r <= 4.33e-3:
                assert bound <= exact * (1 + 1.2 * r), (key, r, float(bound / exact))  # measured <= 1 + 0.8 r


def test_exact_values():
    # E6(i) = 0, E4(rho) = 0 (Zagier §2.3); E2(i) = 3/pi
    assert abs(eisenstein(6, 1j).value) < 1e-15
    assert abs(eisenstein(4, RHO).value) < 1e-15
    assert abs(eisenstein(2, 1j).value - 3 / np.pi) < 1e-15


def test_discriminant_identity(mp40):
    # E4^3 - E6^2 = 1728 eta^24, eta from its product in mpmath
    tau = 0.217 + 0.81j
    q = mp.exp(2j * mp.pi * tau)
    eta24 = q * mp.nprod(lambda n: (1 - q**n) ** 24, [1, mp.inf])
    lhs = eisenstein(4, tau).value ** 3 - eisenstein(6, tau).value ** 2
    assert abs(mp.mpc(complex(lhs)) - 1728 * eta24) < 1e-13


@pytest.mark.parametrize("tau", [100.2 + 0.02j, 0.499 + 0.02j, -7.3 + 0.05j])
def test_modular_laws_far_from_f(tau):
    # -1/tau is rounded in float64; allow the error that rounding alone causes,
    # |E'(tau')| * 2 eps |tau'|, on top of 1e-13 relative.
    eps = np.finfo(float).eps
    tinv = -1 / tau
    for k in (4, 6, 8, 10, 12, 14):
        e = eisenstein(k, tau).value
        assert abs(eisenstein(k, tau + 1).value - e) <= 1e-13 * max(abs(e), 1) + 2 * eps * abs(tau + 1) * abs(
            eisenstein(k, tau).d
        )
        r = eisenstein(k, tinv)
        slack = 2 * eps * abs(tinv) * abs(r.d)
        assert abs(r.value - tau**k * e) <= 1e-13 * max(abs(r.value), 1) + slack
    # E2 is quasi-modular: E2(-1/tau) = tau^2 E2(tau) + 6 tau / (pi i)
    e2 = eisenstein(2, tau).value
    r = eisenstein(2, tinv)
    assert abs(r.value - (tau**2 * e2 + 6 * tau / (np.pi * 1j))) <= 1e-13 * max(abs(r.value), 1) + 2 * eps * abs(
        tinv
    ) * abs(r.d)


def test_reduction_matrix_and_domain(rng):
    taus = rng.uniform(-100, 100, 500) + 1j * 10 ** rng.uniform(-1.7, 0.5, 500)
    red = reduce_tau(taus)
    assert np.all(red.a * red.d - red.b * red.c == 1)
    assert np.all(np.abs(red.tau_f.real) <= 0.5 + 1e-12)
    assert np.all(np.abs(red.tau_f) >= 1 - 1e-12)
    mapped = (red.a * taus + red.b) / (red.c * taus + red.d)
    np.testing.assert_allclose(mapped, red.tau_f, rtol=1e-9)


def test_shapes_are_preserved():
    tau = np.array([[0.1 + 1j, 0.2 + 0.5j, 3 + 2j], [0.4 + 0.9j, -1 + 0.1j, 0.5 + 0.8j]])
    r = eisenstein(4, tau)
    assert r.value.shape == r.d.shape == r.error_bound.shape == (2, 3)
    assert np.ndim(eisenstein(4, 1j).value) == 0


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"k": 3, "tau": 1j}, r"k: must be an even integer with 2 <= k <= 14; received k=3"),
        ({"k": 16, "tau": 1j}, r"k: .*received k=16"),
        ({"k": 4, "tau": 1 - 1j}, r"tau: Im\(tau\) must be > 0"),
        ({"k": 4, "tau": 0.5 + 0j}, r"tau: Im\(tau\) must be > 0"),
        ({"k": 4, "tau": complex(np.nan, 1)}, r"tau: every entry must be finite"),
        ({"k": 4, "tau": [1j, complex(0, np.inf)]}, r"tau: every entry must be finite .* index 1"),
        ({"k": 4, "tau": 1j, "tol": 0.0}, r"tol: must lie in \(0, 1\); received tol=0.0"),
    ],
)
def test_bad_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        eisenstein(**kwargs)


def test_non_numeric_tau_is_a_type_error():
    with pytest.raises(TypeError, match="tau: must be a complex number"):
        eisenstein(4, "1j")
