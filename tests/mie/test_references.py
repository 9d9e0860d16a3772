"""kerker's core-shell Mie solver against independent codes, an mpmath reference, and invariants.

References (test-only extras, each behind ``pytest.importorskip``; conventions and the
mapping of their outputs to ours are in ``tests/reference/mie_codes.py``):

* treams 0.4 (tfp-photonics/treams): T-matrix of a multilayer sphere, the bar for the
  random sweep (issue 2: max deviation <= 1e-9 of each spectrum's maximum).
* scattnlay 2.4 (Pena & Pal 2009): second opinion, accurate to ~1e-8 away from lossless
  layers whose ``m x`` hits a multiple of pi, so it is held to 1e-7, not to the bar.
* pymiecs 0.5 (P. Wiecha): the paper's own solver, direct Bessel products in float64.
* miepython 3 (S. Prahl): homogeneous spheres.
* ``tests/reference/mie_mpmath.py``: Bohren & Huffman's closed forms at 50 digits, for the hard
  cases (absorbing metals, 1-nm metal shells, 100-nm Si cores, metal cores under
  dielectric shells, lossless layers at sin zeros).

Refractive indices for the references come from ``kerker.material`` (see
``tests/reference/mie_particles.py``), so only the Mie physics is compared.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import kerker
from kerker.mie import mie_coefficients
from tests.reference import mie_codes as rc
from tests.reference import mie_mpmath as ref_mp
from tests.reference import mie_particles as rp
from tests.reference.mie_hard_cases import HARD_CASES, SIN_ZERO_CASES

KEYS = rp.KEYS

#: The issue's accuracy bar (issue 2, "Done when"): max |Q - Q_ref| over a spectrum,
#: divided by the reference spectrum's max, for every efficiency.  treams itself agrees
#: with the mpmath reference to <= 4e-13 on random configurations (measured with
#: benchmarks/mie_accuracy.py), so the bar measures kerker, not treams.  The largest
#: kerker-treams gap measured over 2,000 x 64 is 3.2e-10 in Q_abs, for a 1.5-nm Si core
#: under a 58-nm ZrO2 shell (Q_abs ~ 7e-6 Q_ext): mpmath puts treams' error there at
#: 2.7e-10 and kerker's at 5e-11, i.e. rounding of Q_ext - Q_sca in both codes.
TOL_SPECTRUM = 1e-9

#: scattnlay loses all digits where a lossless layer's m x hits a multiple of pi (measured
#: O(1) errors on the sin-zero cases below) and is ~1e-8 elsewhere (issue 2; measured
#: 4.7e-9 vs kerker over 2,000 x 64), so it is a second opinion held to 1e-7.
TOL_SCATTNLAY = 1e-7

#: pymiecs multiplies float64 Riccati-Bessel functions directly (no logarithmic
#: derivatives), which cancels for metal layers; measured worst vs kerker 3.6e-10 (Q_abs)
#: and <= 4.2e-11 otherwise over 2,000 x 64.  1e-7 leaves room for platform differences
#: in scipy's Bessel functions while still catching any convention or truncation error.
TOL_PYMIECS = 1e-7

#: Invariants that only rounding can break: a few ulp of the largest term involved.
TOL_ROUNDING = 1e-13

N_RANDOM = 4 * len(rp.MATERIALS) ** 2  # 196: every material pair four times


def _kerker(cfg: rp.Configurations, env: float = 1.0, by_name: bool = True) -> dict:
    """kerker's five efficiencies for ``cfg``, each (P, W).

    ``by_name`` passes ``kerker.Material`` objects per material pair (the public
    material path); otherwise the batched permittivity arrays of shape (P, W).
    """
    if not by_name:
        res = kerker.efficiencies(cfg.eps_core, cfg.eps_shell, cfg.r_core, cfg.t_shell, cfg.wavelength, env=env)
        return {k: np.asarray(getattr(res, k)) for k in KEYS}
    out = {k: np.empty(cfg.n_core.shape) for k in KEYS}
    pairs = sorted(set(zip(cfg.core, cfg.shell)))
    for core, shell in pairs:
        idx = np.array([i for i in range(len(cfg)) if (cfg.core[i], cfg.shell[i]) == (core, shell)])
        res = kerker.efficiencies(
            rp.material(core), rp.material(shell), cfg.r_core[idx], cfg.t_shell[idx], cfg.wavelength, env=env
        )
        for k in KEYS:
            out[k][idx] = np.asarray(getattr(res, k))
    return out


def _assert_within(dev: dict, tol: float, cfg: rp.Configurations | None = None, what: str = "") -> None:
    """Fail with the worst configuration of every efficiency that exceeds ``tol``."""
    bad = []
    for key in KEYS:
        worst = int(np.argmax(dev[key]))
        if not dev[key][worst] <= tol:  # also catches NaN
            where = ""
            if cfg is not None:
                where = (
                    f" at {cfg.core[worst]}/{cfg.shell[worst]} r_core={cfg.r_core[worst]!r} nm "
                    f"t_shell={cfg.t_shell[worst]!r} nm"
                )
            bad.append(f"{key}: {dev[key][worst]:.3e}{where}")
    assert not bad, f"{what} deviation above {tol:g} (relative to spectrum max): " + "; ".join(bad)


@pytest.fixture(scope="module")
def configs() -> rp.Configurations:
    return rp.random_configurations(N_RANDOM, seed=rp.SEED)


@pytest.fixture(scope="module")
def kerker_random(configs) -> dict:
    return _kerker(configs)


# --------------------------------------------------------------------------------------
# The adapters themselves: each external code, in our conventions, vs the mpmath reference


_ADAPTER_CASES = [
    # core, shell, r_core nm, t_shell nm: a metal core, a metal shell, two dielectrics
    ("Au", "SiO2", 40.0, 30.0),
    ("Si", "Ag", 60.0, 10.0),
    ("TiO2", "Si", 35.0, 45.0),
]
_ADAPTER_WAVELENGTH = np.array([400.0, 530.0, 710.0])


def _mpmath_spectra(n_core, n_shell, r_core, r_outer, wavelength, env=1.0) -> dict:
    """Reference efficiencies (P, W) from mie_mpmath."""
    out = {k: np.empty(np.shape(n_core)) for k in KEYS}
    for p in range(len(r_core)):
        q = ref_mp.spectrum(n_core[p], n_shell[p], float(r_core[p]), float(r_outer[p]), wavelength, env)
        for k in KEYS:
            out[k][p] = q[k]
    return out


@pytest.fixture(scope="module")
def adapter_cases():
    wl = _ADAPTER_WAVELENGTH
    n_core = np.stack([rp.material(c).refractive_index(wl) for c, _, _, _ in _ADAPTER_CASES])
    n_shell = np.stack([rp.material(s).refractive_index(wl) for _, s, _, _ in _ADAPTER_CASES])
    r_core = np.array([c[2] for c in _ADAPTER_CASES])
    r_outer = r_core + np.array([c[3] for c in _ADAPTER_CASES])
    ref = _mpmath_spectra(n_core, n_shell, r_core, r_outer, wl)
    return n_core, n_shell, r_core, r_outer, wl, ref


@pytest.mark.parametrize("code", ["treams", "scattnlay", "pymiecs"])
def test_adapter_conventions(code, adapter_cases):
    """Each core-shell adapter reproduces mpmath: signs, normalizations, time convention."""
    pytest.importorskip(code)
    n_core, n_shell, r_core, r_outer, wl, ref = adapter_cases
    fn = {
        "treams": rc.treams_efficiencies,
        "scattnlay": rc.scattnlay_efficiencies,
        "pymiecs": rc.pymiecs_efficiencies,
    }[code]
    got = fn(n_core, n_shell, r_core, r_outer, wl)
    # A convention error (sign of Im n, a_n <-> b_n, a missing factor) shows at O(1);
    # 1e-7 is loose enough for scattnlay and pymiecs' float64 cancellation.
    _assert_within(rp.deviations(got, ref), 1e-7, what=f"{code} adapter vs mpmath")


def test_adapter_conventions_homogeneous():
    """treams (one layer) and miepython adapters reproduce mpmath for homogeneous spheres."""
    pytest.importorskip("treams")
    pytest.importorskip("miepython")
    wl = _ADAPTER_WAVELENGTH
    names = ["Au", "Si", "ZrO2"]
    n = np.stack([rp.material(m).refractive_index(wl) for m in names])
    radius = np.array([45.0, 80.0, 20.0])
    ref = _mpmath_spectra(n, n, radius, radius, wl)
    for fn in (rc.treams_sphere_efficiencies, rc.miepython_efficiencies):
        # measured: treams 3e-14, miepython 1.2e-11 (its Lentz continued fractions)
        dev = rp.deviations(fn(n, radius, wl), ref, rp.lossless(n, n))
        _assert_within(dev, 1e-10, what=fn.__name__)


def test_treams_parity_mapping_matches_its_tmatrix():
    """Our helicity -> (a_n, b_n) mapping gives the cross sections treams' own TMatrix reports."""
    treams = pytest.importorskip("treams")
    wl = np.array([450.0, 650.0])
    n_core = rp.material("Ag").refractive_index(wl)[None]
    n_shell = rp.material("Si3N4").refractive_index(wl)[None]
    r_core, r_outer = np.array([50.0]), np.array([85.0])
    ours = rc.treams_efficiencies(n_core, n_shell, r_core, r_outer, wl)
    for w, lam in enumerate(wl):
        k0 = 2 * np.pi / lam
        lmax = int(rc.wiscombe(k0 * r_outer[0])) + rc.EXTRA_ORDERS
        mats = [treams.Material(n_core[0, w] ** 2), treams.Material(n_shell[0, w] ** 2), treams.Material()]
        tm = treams.TMatrix.sphere(lmax, k0, [r_core[0], r_outer[0]], mats)
        geo = np.pi * r_outer[0] ** 2
        # the two routes share treams' coefficients; they differ only by summation order
        np.testing.assert_allclose(tm.xs_ext_avg / geo, ours["q_ext"][0, w], rtol=1e-12)
        np.testing.assert_allclose(tm.xs_sca_avg / geo, ours["q_sca"][0, w], rtol=1e-12)


def test_mpmath_riccati_bessel_closed_forms():
    """The mpmath reference's Riccati-Bessel functions equal their elementary closed forms."""
    import mpmath

    with mpmath.workdps(ref_mp.DPS):
        for z in (mpmath.mpc("0.37", "0"), mpmath.mpc("2.5", "3.9"), mpmath.mpc("11.0", "0.4")):
            psi, dpsi, chi, dchi = ref_mp.riccati_bessel(2, z)
            s, c = mpmath.sin(z), mpmath.cos(z)
            exact_psi = [s, s / z - c, (3 / z**2 - 1) * s - 3 * c / z]
            exact_chi = [c, c / z + s, (3 / z**2 - 1) * c + 3 * s / z]
            for got, want in zip(psi + chi, exact_psi + exact_chi):
                assert abs(got - want) <= mpmath.mpf(10) ** (-ref_mp.DPS + 5) * max(1, abs(want))
            # derivative identity psi_1' = psi_0 - psi_1 / z, checked against d/dz of sin z / z - cos z
            assert abs(dpsi[1] - (c / z - s / z**2 + s)) <= mpmath.mpf(10) ** (-ref_mp.DPS + 5) * abs(dpsi[1])
            assert abs(dchi[1] - (-s / z - c / z**2 + c)) <= mpmath.mpf(10) ** (-ref_mp.DPS + 5) * abs(dchi[1])


# --------------------------------------------------------------------------------------
# Random configurations: all 49 material pairs, radii 1-100 nm, 64 wavelengths 400-800 nm


def test_random_vs_treams(configs, kerker_random):
    pytest.importorskip("treams")
    ref = rc.treams_efficiencies(configs.n_core, configs.n_shell, configs.r_core, configs.r_outer, configs.wavelength)
    dev = rp.deviations(kerker_random, ref, rp.lossless(configs.n_core, configs.n_shell))
    _assert_within(dev, TOL_SPECTRUM, configs, "kerker vs treams")


def test_random_in_water_vs_treams(configs):
    """A non-vacuum medium (env = 1.33): relative indices and k = 2 pi n_env / lambda."""
    pytest.importorskip("treams")
    cfg = configs.subset(slice(0, 49))
    env = 1.33
    ref = rc.treams_efficiencies(cfg.n_core, cfg.n_shell, cfg.r_core, cfg.r_outer, cfg.wavelength, n_env=env)
    got = _kerker(cfg, env=env, by_name=False)
    _assert_within(rp.deviations(got, ref, rp.lossless(cfg.n_core, cfg.n_shell)), TOL_SPECTRUM, cfg, "env=1.33")


def test_random_vs_scattnlay(configs, kerker_random):
    pytest.importorskip("scattnlay")
    ref = rc.scattnlay_efficiencies(
        configs.n_core, configs.n_shell, configs.r_core, configs.r_outer, configs.wavelength
    )
    dev = rp.deviations(kerker_random, ref, rp.lossless(configs.n_core, configs.n_shell))
    _assert_within(dev, TOL_SCATTNLAY, configs, "kerker vs scattnlay")


def test_random_vs_pymiecs(configs, kerker_random):
    """The paper's own solver (pymiecs.Q, one call per particle)."""
    pytest.importorskip("pymiecs")
    ref = rc.pymiecs_efficiencies(configs.n_core, configs.n_shell, configs.r_core, configs.r_outer, configs.wavelength)
    dev = rp.deviations(kerker_random, ref, rp.lossless(configs.n_core, configs.n_shell))
    _assert_within(dev, TOL_PYMIECS, configs, "kerker vs pymiecs")


def test_batched_permittivities_equal_material_path(configs, kerker_random):
    """(P, W) permittivity arrays and per-pair Material objects give the same spectra."""
    batched = _kerker(configs, by_name=False)
    for key in KEYS:
        # same optical constants up to sqrt/square rounding in the material layer; Q_abs
        # is measured on the Q_ext scale (it is 0 up to rounding for lossless pairs)
        scale = np.max(np.abs(kerker_random["q_ext" if key == "q_abs" else key]), axis=-1, keepdims=True)
        assert np.max(np.abs(batched[key] - kerker_random[key]) / scale) <= 1e-12, key


def test_material_names_path():
    """Plain names (no TiO2: its default range starts at 430 nm) go through the same path."""
    wl = np.linspace(400.0, 800.0, 9)
    r_core, t_shell = np.array([30.0, 70.0]), np.array([5.0, 40.0])
    by_name = kerker.efficiencies("Au", "Si3N4", r_core, t_shell, wl)
    by_object = kerker.efficiencies(kerker.material("Au"), kerker.material("Si3N4"), r_core, t_shell, wl)
    for key in KEYS:
        np.testing.assert_array_equal(getattr(by_name, key), getattr(by_object, key))


# --------------------------------------------------------------------------------------
# Hard cases against the 50-digit mpmath reference

#: every 7th point of the paper's grid plus its end: 10 wavelengths 400-800 nm
HARD_WAVELENGTH = rp.WAVELENGTH[np.r_[0:64:7, 63]]


@pytest.mark.parametrize("case", HARD_CASES, ids=[c[0] for c in HARD_CASES])
def test_hard_case_vs_mpmath(case):
    _, core, shell, r_core, t_shell = case
    wl = HARD_WAVELENGTH
    n_core = rp.material(core).refractive_index(wl)[None]
    n_shell = rp.material(shell).refractive_index(wl)[None]
    ref = _mpmath_spectra(n_core, n_shell, [r_core], [r_core + t_shell], wl)
    res = kerker.efficiencies(rp.material(core), rp.material(shell), np.array([r_core]), np.array([t_shell]), wl)
    got = {k: np.asarray(getattr(res, k)) for k in KEYS}
    dev = rp.deviations(got, ref, rp.lossless(n_core, n_shell))
    _assert_within(dev, TOL_SPECTRUM, what=f"kerker vs mpmath, {case[0]}")


def _assert_coefficients_match(m_core, m_shell, x_core, x_shell, tol=TOL_SPECTRUM):
    """kerker's a_n, b_n vs mpmath's, order by order, relative to the largest coefficient.

    mpmath's series runs until 1e-20, so orders kerker truncates must be negligible too.
    """
    a_ref, b_ref = ref_mp.mie_coefficients(m_core, m_shell, x_core, x_shell)
    a, b = mie_coefficients(
        np.asarray(m_core, complex), np.asarray(m_shell, complex), np.asarray(x_core, float), np.asarray(x_shell, float)
    )
    a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
    n = max(len(a), len(a_ref))
    pad = lambda v: np.concatenate([np.asarray(v, complex), np.zeros(n - len(v), complex)])  # noqa: E731
    a, b, a_ref, b_ref = pad(a), pad(b), pad(a_ref), pad(b_ref)
    scale = max(np.max(np.abs(a_ref)), np.max(np.abs(b_ref)))
    err_a = np.abs(a - a_ref) / scale
    err_b = np.abs(b - b_ref) / scale
    assert np.all(err_a <= tol) and np.all(err_b <= tol), (
        f"a_n, b_n deviate for m_core={m_core!r}, m_shell={m_shell!r}, x_core={x_core!r}, x_shell={x_shell!r}: "
        f"max |da|={err_a.max():.3e} at n={int(np.argmax(err_a)) + 1}, max |db|={err_b.max():.3e} "
        f"at n={int(np.argmax(err_b)) + 1} (relative to max coefficient {scale:.3e})"
    )


@pytest.mark.parametrize("case", HARD_CASES, ids=[c[0] for c in HARD_CASES])
def test_hard_case_coefficients_vs_mpmath(case):
    """a_n, b_n at 400 nm, where the metals absorb most and Si's index peaks."""
    _, core, shell, r_core, t_shell = case
    wl = np.array([400.0])
    k = 2 * math.pi / wl[0]
    m_core = complex(rp.material(core).refractive_index(wl)[0])
    m_shell = complex(rp.material(shell).refractive_index(wl)[0])
    _assert_coefficients_match(m_core, m_shell, k * r_core, k * (r_core + t_shell))


@pytest.mark.parametrize("case", SIN_ZERO_CASES, ids=[c[0] for c in SIN_ZERO_CASES])
def test_sin_zero_coefficients_vs_mpmath(case):
    _, m_core, m_shell, x_core, x_shell = case
    _assert_coefficients_match(m_core, m_shell, x_core, x_shell)


@pytest.mark.parametrize("case", SIN_ZERO_CASES, ids=[c[0] for c in SIN_ZERO_CASES])
def test_sin_zero_efficiencies_vs_mpmath(case):
    """The same cases through the public API: permittivity arrays, radii and wavelength in nm."""
    _, m_core, m_shell, x_core, x_shell = case
    wl = np.array([500.0])
    k = 2 * math.pi / wl[0]
    r_core, r_outer = x_core / k, x_shell / k
    res = kerker.efficiencies(
        np.array([m_core**2], complex), np.array([m_shell**2], complex), np.array([r_core]),
        np.array([r_outer - r_core]), wl,
    )
    got = {kk: np.asarray(getattr(res, kk)) for kk in KEYS}
    n_core, n_shell = np.array([[m_core]], complex), np.array([[m_shell]], complex)
    ref = _mpmath_spectra(n_core, n_shell, [r_core], [r_outer], wl)
    # one wavelength: each value relative to itself (Q_abs of lossless cases: to Q_ext)
    dev = rp.deviations(got, ref, rp.lossless(n_core, n_shell))
    _assert_within(dev, TOL_SPECTRUM, what=f"kerker vs mpmath, {case[0]}")


# --------------------------------------------------------------------------------------
# Invariants


def test_absorption_nonnegative_and_zero_when_lossless(configs, kerker_random):
    q_abs, q_ext = kerker_random["q_abs"], kerker_random["q_ext"]
    scale = np.max(q_ext, axis=-1, keepdims=True)
    lossless = rp.lossless(configs.n_core, configs.n_shell)
    assert lossless.sum() >= 16 and (~lossless).sum() >= 16  # both kinds are exercised
    # Q_abs = Q_ext - Q_sca: rounding of the two terms may push a zero slightly negative
    assert np.min(q_abs / scale) >= -TOL_ROUNDING
    worst = np.max(np.abs(q_abs[lossless]) / scale[lossless])
    assert worst <= TOL_ROUNDING, f"lossless |Q_abs| / max Q_ext = {worst:.3e}"
    absorbing = q_abs[~lossless] / scale[~lossless]
    assert np.all(np.max(absorbing, axis=-1) > 1e-8)  # absorbing pairs do absorb


@pytest.mark.parametrize("name", rp.MATERIALS)
def test_equal_materials_equal_homogeneous_sphere(name, rng):
    """Core and shell of one material are a homogeneous sphere of the outer radius."""
    pytest.importorskip("miepython")
    pytest.importorskip("treams")
    wl = rp.WAVELENGTH
    r_core = rng.uniform(1.0, 100.0, 3)
    t_shell = rng.uniform(1.0, 100.0, 3)
    r_outer = r_core + t_shell
    mat = rp.material(name)
    res = kerker.efficiencies(mat, mat, r_core, t_shell, wl)
    got = {k: np.asarray(getattr(res, k)) for k in KEYS}
    n = np.broadcast_to(mat.refractive_index(wl), (3, len(wl)))
    is_lossless = rp.lossless(n, n)
    for fn in (rc.miepython_efficiencies, rc.treams_sphere_efficiencies):
        ref = fn(n, r_outer, wl)
        _assert_within(rp.deviations(got, ref, is_lossless), TOL_SPECTRUM, what=f"{name} vs {fn.__name__}")


@pytest.mark.parametrize(("core", "shell"), [("Si", "Ag"), ("Au", "SiO2"), ("SiO2", "Au"), ("TiO2", "Si")])
def test_thin_shell_limit(core, shell):
    """As t_shell -> 0 the particle tends to the bare core, with an error linear in t_shell."""
    pytest.importorskip("miepython")
    wl = rp.WAVELENGTH[::4]
    r_core = 60.0
    n_core = rp.material(core).refractive_index(wl)[None]
    ref = rc.miepython_efficiencies(n_core, np.array([r_core]), wl)
    # a lossless core's Q_abs is 0; the shell's absorption, O(t), is measured against Q_ext
    is_lossless = rp.lossless(n_core, n_core)
    errs = []
    thicknesses = (1e-2, 1e-3, 1e-4)
    for t in thicknesses:
        res = kerker.efficiencies(rp.material(core), rp.material(shell), np.array([r_core]), np.array([t]), wl)
        got = {k: np.asarray(getattr(res, k)) for k in KEYS}
        errs.append(max(v[0] for v in rp.deviations(got, ref, is_lossless).values()))
    # measured convergence order in t: first order (the shell perturbs the fields by O(t / r))
    orders = [math.log10(errs[i] / errs[i + 1]) for i in range(len(errs) - 1)]
    assert all(0.9 <= p <= 1.1 for p in orders), f"errors {errs} give orders {orders}"
    assert errs[-1] <= 1e-3, errs


@pytest.mark.parametrize(
    "eps", [2.13 + 0j, 16.0 + 0.5j, -8.0 + 0.3j, -1.5 + 5.6j], ids=["silica", "silicon", "silver", "gold"]
)
def test_rayleigh_limit(eps):
    """Small homogeneous sphere: Q_sca -> 8/3 x^4 |(eps-1)/(eps+2)|^2 with relative error O(x^2).

    Bohren & Huffman (1983) section 5.1 expand
    a_1 = -(2i x^3/3) (m^2-1)/(m^2+2) [1 + (3/5) (m^2-2)/(m^2+2) x^2 + O(x^3)], b_1, a_2 = O(x^5),
    so Q_sca / Q_Rayleigh - 1 = c2 x^2 + O(x^3) with c2 = (6/5) Re[(eps-2)/(eps+2)].  We check
    the measured order (2) and the measured coefficient c2.
    """
    wl = np.array([500.0])
    k = 2 * math.pi / wl[0]
    x = np.array([0.1, 0.03, 0.01])
    radius = x / k
    # a homogeneous sphere as a core-shell particle with equal permittivities
    res = kerker.efficiencies(np.array([eps]), np.array([eps]), radius / 2, radius / 2, wl)
    q_sca = np.asarray(res.q_sca)[:, 0]
    x = k * radius
    rayleigh = 8.0 / 3.0 * x**4 * abs((eps - 1) / (eps + 2)) ** 2
    rel = q_sca / rayleigh - 1
    orders = np.log(np.abs(rel[:-1] / rel[1:])) / np.log(x[:-1] / x[1:])
    # O(x^3) terms shift the measured order by ~x; 0.05 is ~2x the worst seen (gold, x=0.1)
    assert np.all(np.abs(orders - 2) <= 0.05), orders
    c2 = 6.0 / 5.0 * ((eps - 2) / (eps + 2)).real
    # at x = 0.01 the O(x^3) remainder moves rel / x^2 by ~x |eps-ish factor| < 1 %
    np.testing.assert_allclose(rel[-1] / x[-1] ** 2, c2, rtol=0.02)


# --------------------------------------------------------------------------------------
# The full sweep of issue 2 ("Done when"): >= 2,000 configurations x 64 wavelengths


@pytest.mark.slow
def test_random_2000_vs_treams():
    pytest.importorskip("treams")
    cfg = rp.random_configurations(2000, seed=rp.SEED)
    ref = rc.treams_efficiencies(cfg.n_core, cfg.n_shell, cfg.r_core, cfg.r_outer, cfg.wavelength)
    got = _kerker(cfg, by_name=False)
    dev = rp.deviations(got, ref, rp.lossless(cfg.n_core, cfg.n_shell))
    print("\nkerker vs treams, 2000 configurations x 64 wavelengths, max deviation / spectrum max:")
    for key in KEYS:
        print(f"  {key:7s} {dev[key].max():.3e}")
    _assert_within(dev, TOL_SPECTRUM, cfg, "kerker vs treams (2000 x 64)")
