"""Shipped materials: values against the data files and literature, PCHIP against scipy,
gradients, the extrapolation policy, and every bad input.

References used here are independent of kerker's code: the YAML files read with plain
``yaml`` + ``float``, ``scipy.interpolate.PchipInterpolator``, and Sellmeier formulas
written out by hand from the papers' coefficients.
"""

import doctest
import hashlib
import json
import math
from importlib import resources

import numpy as np
import pytest
import torch
import yaml
from scipy.interpolate import PchipInterpolator

import kerker.materials
from kerker.materials import (
    PAPER_MATERIALS,
    Material,
    available,
    constant,
    load_refractiveindex_yaml,
    material,
)
from kerker.materials import _catalogue, _material, _pchip, _refractiveindex

TABULATED = ("Au", "Ag", "Si", "TiO2")
FORMULA = ("SiO2", "Si3N4", "ZrO2")
FILES = {
    "Au": "Au_Johnson1972.yml",
    "Ag": "Ag_Johnson1972.yml",
    "Si": "Si_Schinke2015.yml",
    "SiO2": "SiO2_Malitson1965.yml",
    "Si3N4": "Si3N4_Luke2015.yml",
    "ZrO2": "ZrO2_Wood1982.yml",
    "TiO2": "TiO2_Devore1965.yml",
}


def _data_path(name):
    return resources.files("kerker.materials") / "data" / FILES[name]


def _raw_table(name):
    """(wavelength nm, n, k) read straight from the YAML file, independently of kerker."""
    block = yaml.safe_load(_data_path(name).read_text(encoding="utf-8"))["DATA"][0]
    rows = np.array([[float(t) for t in line.split()] for line in block["data"].strip().splitlines()])
    # round(., 6) gives the double nearest to the decimal value in nm (0.43 um -> 430.0).
    wavelength = np.array([round(v * 1000.0, 6) for v in rows[:, 0]])
    return wavelength, rows[:, 1], rows[:, 2]


# -- catalogue -------------------------------------------------------------------------


def test_paper_materials_in_paper_order():
    assert PAPER_MATERIALS == ("Au", "Ag", "Si", "SiO2", "Si3N4", "ZrO2", "TiO2")
    assert available() == PAPER_MATERIALS


@pytest.mark.parametrize("spelling", ["si", "SI", "Si", " si "])
def test_lookup_is_case_insensitive(spelling):
    assert material(spelling).name == "Si"


def test_lookup_returns_cached_object_and_passes_materials_through():
    assert material("Au") is material("au")
    mat = constant(1.5)
    assert material(mat) is mat


def test_unknown_material_lists_known_names():
    with pytest.raises(ValueError, match=r"unknown material 'Gold'; known materials are Au, Ag, Si, SiO2, Si3N4, ZrO2, TiO2"):
        material("Gold")


def test_material_name_must_be_string():
    with pytest.raises(TypeError, match=r"name must be a str; received type int"):
        material(3)


# The ranges below are read off the data files by eye (first/last row, or wavelength_range).
@pytest.mark.parametrize(
    "name, lo, hi",
    [
        ("Au", 187.9, 1937.0),
        ("Ag", 187.9, 1937.0),
        ("Si", 250.0, 1450.0),
        ("SiO2", 210.0, 6700.0),
        ("Si3N4", 310.0, 5504.0),
        ("ZrO2", 361.0, 5135.0),
        ("TiO2", 430.0, 1530.0),
    ],
)
def test_wavelength_ranges_in_nm(name, lo, hi):
    mat = material(name)
    assert mat.wavelength_range == (lo, hi)
    assert mat.extrapolate == "error"
    # The range ends themselves are valid.
    mat.permittivity(np.array([lo, hi]))


@pytest.mark.parametrize("name", PAPER_MATERIALS)
def test_describe_records_provenance(name):
    mat = material(name)
    record = mat.describe()
    assert record["name"] == name
    assert record["sha256"] == hashlib.sha256(_data_path(name).read_bytes()).hexdigest()
    assert record["source"].endswith(FILES[name])
    assert record["wavelength_range_nm"] == list(mat.wavelength_range)
    assert record["extrapolate"] == "error"
    assert "doi:10." in record["reference"] and record["reference"] == mat.reference
    assert json.loads(json.dumps(record)) == record
    assert mat.with_extrapolation("hold").describe()["extrapolate"] == "hold"


def test_sources_md_lists_every_file():
    text = (resources.files("kerker.materials") / "data" / "SOURCES.md").read_text(encoding="utf-8")
    for name, filename in FILES.items():
        assert filename in text
        assert hashlib.sha256(_data_path(name).read_bytes()).hexdigest() in text
    assert "CC0" in text and "pymiecs 0.5" in text


# -- values ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", TABULATED)
def test_tabulated_points_equal_the_file(name):
    wavelength, n, k = _raw_table(name)
    index = material(name).refractive_index(wavelength)
    # At a knot the cubic reduces to its constant term: exact, except the last knot,
    # which is reached from the left interval (rounding only).
    np.testing.assert_array_equal(index.real[:-1], n[:-1])
    np.testing.assert_array_equal(index.imag[:-1], k[:-1])
    np.testing.assert_allclose(index[-1], n[-1] + 1j * k[-1], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("name", TABULATED)
def test_interpolation_matches_scipy_pchip(name, rng):
    wavelength, n, k = _raw_table(name)
    lo, hi = wavelength[0], wavelength[-1]
    query = np.concatenate([rng.uniform(lo, hi, 500), wavelength, 0.5 * (wavelength[1:] + wavelength[:-1])])
    index = material(name).refractive_index(query)
    # Same algorithm in the same arithmetic order: agreement to a few ulps.
    np.testing.assert_allclose(index.real, PchipInterpolator(wavelength, n)(query), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(index.imag, PchipInterpolator(wavelength, k)(query), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("name", PAPER_MATERIALS)
def test_torch_path_equals_numpy_path(name, rng):
    lo, hi = material(name).wavelength_range
    query = rng.uniform(lo, hi, (3, 40))
    eps_np = material(name).permittivity(query)
    eps_t = material(name).permittivity(torch.from_numpy(query))
    assert isinstance(eps_t, torch.Tensor) and eps_t.dtype == torch.complex128 and eps_t.shape == (3, 40)
    np.testing.assert_allclose(eps_t.numpy(), eps_np, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", PAPER_MATERIALS)
def test_permittivity_is_index_squared(name, rng):
    lo, hi = material(name).wavelength_range
    query = rng.uniform(lo, hi, 50)
    n = material(name).refractive_index(query)
    np.testing.assert_allclose(material(name).permittivity(query), n * n, rtol=1e-14)


def _sellmeier(wavelength_um, b, c):
    """n from n^2 = 1 + sum B_i lambda^2 / (lambda^2 - C_i^2), written out with math only."""
    l2 = wavelength_um**2
    return math.sqrt(1.0 + sum(bi * l2 / (l2 - ci**2) for bi, ci in zip(b, c)))


# Coefficients as printed in the papers (C_i in um); literature values where quoted.
MALITSON = ((0.6961663, 0.4079426, 0.8974794), (0.0684043, 0.1162414, 9.896161))
LUKE = ((3.0249, 40314.0), (0.1353406, 1239.842))
WOOD = ((1.347091, 2.117788, 9.452943), (0.062543, 0.166739, 24.320570))


@pytest.mark.parametrize(
    "name, coefficients, wavelength_nm",
    [
        ("SiO2", MALITSON, [210.0, 400.0, 587.6, 800.0, 1550.0]),
        ("Si3N4", LUKE, [310.0, 400.0, 633.0, 800.0, 1550.0]),
        ("ZrO2", WOOD, [361.0, 400.0, 589.3, 800.0, 1550.0]),
    ],
)
def test_sellmeier_against_hand_computation(name, coefficients, wavelength_nm):
    expected = [_sellmeier(w / 1000.0, *coefficients) for w in wavelength_nm]
    index = material(name).refractive_index(np.array(wavelength_nm))
    np.testing.assert_allclose(index.real, expected, rtol=1e-14)
    assert np.all(index.imag == 0)


def test_fused_silica_at_helium_d_line():
    # Malitson 1965, Table: n = 1.45846 at 587.56 nm (He d line).
    assert abs(material("SiO2").refractive_index(587.6).real - 1.4585) < 1e-4


def test_interpolant_has_no_overshoot_and_nonnegative_k():
    # PCHIP stays within the two neighbouring data values on every interval.
    for name in TABULATED:
        wavelength, n, k = _raw_table(name)
        t = np.linspace(0.0, 1.0, 21)[1:-1]
        query = (wavelength[:-1, None] + t * np.diff(wavelength)[:, None]).ravel()
        index = material(name).refractive_index(query).reshape(-1, t.size)
        for values, column in ((index.real, n), (index.imag, k)):
            low = np.minimum(column[:-1], column[1:])[:, None]
            high = np.maximum(column[:-1], column[1:])[:, None]
            assert np.all(values >= low - 1e-14) and np.all(values <= high + 1e-14), name
        assert np.all(index.imag >= 0)


# -- input types and shapes ---------------------------------------------------------------


def test_numpy_scalar_list_and_shape_rules():
    si = material("Si")
    scalar = si.permittivity(500.0)
    assert isinstance(scalar, np.complex128)
    assert isinstance(si.permittivity(np.float64(500.0)), np.complex128)
    assert si.permittivity([500.0, 600.0]).shape == (2,)
    assert si.permittivity(np.full((2, 3, 4), 500.0)).shape == (2, 3, 4)
    assert si.permittivity(np.array([500, 600])).dtype == np.complex128  # integer input
    assert si.permittivity(np.zeros((0,)) + 500.0).shape == (0,)


def test_torch_dtypes_and_shapes():
    si = material("Si")
    out = si.refractive_index(torch.full((2, 1, 5), 500.0, dtype=torch.float32))
    assert out.dtype == torch.complex128 and out.shape == (2, 1, 5)
    assert si.permittivity(torch.tensor(500.0, dtype=torch.float64)).shape == ()
    np.testing.assert_allclose(
        si.permittivity(torch.tensor([500.0, 600.0], dtype=torch.float64)).numpy(),
        si.permittivity(np.array([500.0, 600.0])),
        rtol=1e-15,
    )


# -- gradients -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAPER_MATERIALS)
def test_gradcheck_permittivity(name, rng):
    lo, hi = material(name).wavelength_range
    lo, hi = max(lo, 300.0), min(hi, 1400.0)
    wavelength = torch.tensor(rng.uniform(lo + 1, hi - 1, 12), dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(material(name).permittivity, (wavelength,), eps=1e-6, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("name", PAPER_MATERIALS)
def test_wavelength_gradient_vs_central_difference(name, rng):
    mat = material(name)
    lo, hi = mat.wavelength_range
    x = rng.uniform(max(lo, 300.0) + 1, min(hi, 1400.0) - 1, 20)
    wavelength = torch.tensor(x, requires_grad=True)
    eps = mat.permittivity(wavelength)
    (grad_re,) = torch.autograd.grad(eps.real.sum(), wavelength, retain_graph=True)
    (grad_im,) = torch.autograd.grad(eps.imag.sum(), wavelength)
    h = 1e-5  # nm; central difference error O(h^2 eps''') is far below the tolerance
    fd = (mat.permittivity(x + h) - mat.permittivity(x - h)) / (2 * h)
    scale = np.max(np.abs(fd)) + 1e-12
    np.testing.assert_allclose(grad_re.numpy(), fd.real, atol=1e-6 * scale)
    np.testing.assert_allclose(grad_im.numpy(), fd.imag, atol=1e-6 * scale)


@pytest.mark.parametrize("name", TABULATED)
def test_wavelength_derivative_is_continuous_at_knots(name):
    wavelength, _, _ = _raw_table(name)
    knots = wavelength[1:-1]
    # The derivative just left and right of each interior knot (1e-7 nm away) must agree:
    # PCHIP is C1, whereas linear interpolation would jump here.
    sides = torch.tensor(np.stack([knots - 1e-7, knots + 1e-7]), requires_grad=True)
    index = material(name).refractive_index(sides)
    for part in (index.real, index.imag):
        (grad,) = torch.autograd.grad(part.sum(), sides, retain_graph=True)
        left, right = grad[0].numpy(), grad[1].numpy()
        scale = np.max(np.abs(grad.numpy()))
        np.testing.assert_allclose(left, right, atol=1e-6 * scale)


def test_constant_material_keeps_autograd_graph():
    wavelength = torch.linspace(400.0, 800.0, 5, dtype=torch.float64, requires_grad=True)
    eps = constant(1.5 + 0.1j).permittivity(wavelength)
    (grad,) = torch.autograd.grad(eps.real.sum(), wavelength)
    assert torch.all(grad == 0)


# -- extrapolation policy ---------------------------------------------------------------


def test_hold_reproduces_paper_tio2_below_430nm():
    tio2 = material("TiO2").with_extrapolation("hold")
    assert tio2.extrapolate == "hold" and material("TiO2").extrapolate == "error"
    n = tio2.refractive_index(np.array([400.0, 420.0, 429.999, 430.0]))
    assert np.all(n == 2.99455)  # first row of TiO2_Devore1965.yml, held exactly
    assert tio2.refractive_index(2000.0) == 2.53919  # last row, held above the range
    inside = np.linspace(430.0, 1530.0, 37)
    np.testing.assert_array_equal(tio2.permittivity(inside), material("TiO2").permittivity(inside))


def test_hold_gradient_is_zero_outside_range():
    wavelength = torch.tensor([400.0, 500.0], dtype=torch.float64, requires_grad=True)
    eps = material("TiO2").with_extrapolation("hold").permittivity(wavelength)
    (grad,) = torch.autograd.grad(eps.real.sum(), wavelength)
    assert grad[0] == 0 and grad[1] < 0  # normal dispersion inside the range


def test_out_of_range_names_material_range_and_fix():
    message = (
        r"wavelength 400\.0 nm is outside the data range of TiO2 \(DeVore 1951\): 430\.0–1530\.0 nm; "
        r"pass a wavelength inside it or use material\('TiO2'\)\.with_extrapolation\('hold'\)"
    )
    with pytest.raises(ValueError, match=message):
        material("TiO2").permittivity(400.0)
    with pytest.raises(ValueError, match=message):
        material("TiO2").refractive_index(torch.tensor([400.0, 500.0]))


def test_out_of_range_lists_several_offenders():
    wavelength = np.linspace(100.0, 600.0, 11)
    with pytest.raises(ValueError, match=r"wavelengths 100\.0, 150\.0, 200\.0 nm \(3 of 11 values\) are outside .* Si "):
        material("Si").permittivity(wavelength)
    with pytest.raises(ValueError, match=r"wavelength 6701\.0 nm is outside the data range of SiO2 \(Malitson 1965\): 210\.0–6700\.0 nm"):
        material("SiO2").permittivity([500.0, 6701.0])


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 0.0, -500.0])
@pytest.mark.parametrize("policy", ["error", "hold"])
def test_non_finite_or_non_positive_wavelength_raises(bad, policy):
    mat = material("Au").with_extrapolation(policy)
    with pytest.raises(ValueError, match=r"wavelength_nm must be finite and > 0 \(nm\); received (nan|inf|-inf|0\.0|-500\.0) \(1 of 2 values\) for material Au"):
        mat.permittivity(np.array([500.0, bad]))
    with pytest.raises(ValueError, match=r"wavelength_nm must be finite and > 0"):
        mat.permittivity(torch.tensor([500.0, bad], dtype=torch.float64))


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -1.0])
def test_constant_material_still_rejects_bad_wavelength(bad):
    with pytest.raises(ValueError, match=r"wavelength_nm must be finite and > 0"):
        constant(1.5).permittivity(bad)


def test_non_real_wavelength_raises_type_error():
    with pytest.raises(TypeError, match=r"wavelength_nm must be real numbers in nm; received dtype complex128"):
        material("Au").permittivity(np.array([500.0 + 1j]))
    with pytest.raises(TypeError, match=r"received dtype <U3"):
        material("Au").permittivity("500")
    with pytest.raises(TypeError, match=r"torch tensor of dtype torch.complex128"):
        material("Au").permittivity(torch.tensor([500.0 + 0j], dtype=torch.complex128))


def test_unknown_extrapolation_policy():
    with pytest.raises(ValueError, match=r"extrapolate must be one of \('error', 'hold'\); received 'linear'"):
        material("TiO2").with_extrapolation("linear")


# -- constant materials -----------------------------------------------------------------


def test_constant_material():
    glass = constant(1.5, name="glass")
    assert glass.name == "glass" and glass.wavelength_range == (0.0, math.inf)
    assert glass.permittivity(1e-3) == 2.25 and glass.permittivity(1e9) == 2.25
    lossy = constant(2.0 + 0.5j)
    assert lossy.name == "n=2+0.5i"
    np.testing.assert_allclose(lossy.permittivity([400.0, 800.0]), (2.0 + 0.5j) ** 2, rtol=1e-15)
    assert lossy.describe()["refractive_index"] == [2.0, 0.5]
    assert lossy.describe()["sha256"] is None


@pytest.mark.parametrize(
    "value, error, message",
    [
        (1.5 - 0.1j, ValueError, r"need Re\(n\) > 0 and Im\(n\) >= 0 .* received \(1\.5-0\.1j\)"),
        (-1.0, ValueError, r"need Re\(n\) > 0"),
        (float("nan"), ValueError, r"n must be finite; received nan"),
        ("1.5", TypeError, r"n must be a real or complex number; received type str"),
    ],
)
def test_constant_rejects_bad_index(value, error, message):
    with pytest.raises(error, match=message):
        constant(value)


def test_material_constructor_validates():
    with pytest.raises(TypeError, match=r"index must be a callable"):
        Material("x", 1.5, wavelength_range=(100.0, 200.0))
    with pytest.raises(ValueError, match=r"wavelength_range must be \(lo, hi\) in nm with 0 <= lo < hi; received \(200\.0, 100\.0\)"):
        Material("x", lambda wl: (wl * 0 + 1, None), wavelength_range=(200.0, 100.0))


def test_repr():
    assert repr(material("TiO2")) == "Material('TiO2', 430.0–1530.0 nm, extrapolate='error')"


# -- PCHIP on its own -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 3, 5, 30])
def test_pchip_table_matches_scipy_on_random_data(size, rng):
    x = np.cumsum(rng.uniform(0.1, 2.0, size))
    y = rng.normal(size=size)
    if size >= 5:
        y[2] = y[3]  # a flat stretch
    query = rng.uniform(x[0], x[-1], 300)
    table = _pchip.PchipTable(x, y)
    np.testing.assert_allclose(table(query), PchipInterpolator(x, y)(query), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(table.slopes, PchipInterpolator(x, y).derivative()(x), rtol=1e-13, atol=1e-13)
    two_columns = _pchip.PchipTable(x, np.stack([y, 2 * y], axis=1))(query)
    assert two_columns.shape == (300, 2)
    np.testing.assert_allclose(two_columns[:, 1], 2 * table(query), rtol=1e-14, atol=1e-14)


def test_pchip_table_rejects_bad_knots():
    with pytest.raises(ValueError, match=r"strictly increasing x; x\[1\] = 2\.0 is followed by x\[2\] = 2\.0"):
        _pchip.PchipTable([1.0, 2.0, 2.0], [0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match=r"at least 2 knots; received 1"):
        _pchip.PchipTable([1.0], [0.0])
    with pytest.raises(ValueError, match=r"received shapes \(3,\) and \(2,\)"):
        _pchip.PchipTable([1.0, 2.0, 3.0], [0.0, 1.0])
    with pytest.raises(ValueError, match=r"finite x and y"):
        _pchip.PchipTable([1.0, 2.0, 3.0], [0.0, np.nan, 1.0])


# -- docs -------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [kerker.materials, _catalogue, _material, _pchip, _refractiveindex])
def test_doctests(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_loaded_file_equals_shipped_material():
    path = _data_path("Si")
    own = load_refractiveindex_yaml(path, name="my-Si")
    assert own.name == "my-Si" and own.wavelength_range == material("Si").wavelength_range
    assert own.describe()["sha256"] == material("Si").describe()["sha256"]
    query = np.linspace(300.0, 1400.0, 17)
    np.testing.assert_array_equal(own.permittivity(query), material("Si").permittivity(query))
    assert load_refractiveindex_yaml(path).name == "Si_Schinke2015"
