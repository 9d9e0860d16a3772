"""``load_refractiveindex_yaml`` on small synthetic files: every formula type against a
hand-written evaluation of the refractiveindex.info definition, combined DATA blocks,
and every malformed file.

Formula definitions: refractiveindex.info database, doc/"Dispersion formulas.pdf"
(wavelength lambda in µm, coefficients C1, C2, ... in file order).
"""

import math
import textwrap

import numpy as np
import pytest
import torch
from scipy.interpolate import PchipInterpolator

from kerker.materials import load_refractiveindex_yaml
from kerker.materials import _refractiveindex


def _write(tmp_path, body, name="test.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def _formula_file(tmp_path, number, coefficients, wavelength_range="0.35 1.2"):
    return _write(
        tmp_path,
        f"""\
        REFERENCES: "Synthetic test data"
        DATA:
          - type: formula {number}
            wavelength_range: {wavelength_range}
            coefficients: {coefficients}
        """,
    )


# number, coefficients (as in the file), n(lambda in µm) written out by hand
FORMULA_CASES = [
    (
        1,
        "0.1 0.6961663 0.0684043 0.4079426 0.1162414",
        lambda l: math.sqrt(1 + 0.1 + 0.6961663 * l**2 / (l**2 - 0.0684043**2) + 0.4079426 * l**2 / (l**2 - 0.1162414**2)),
    ),
    (
        2,
        "0.2 1.1 0.01 0.5 100",
        lambda l: math.sqrt(1 + 0.2 + 1.1 * l**2 / (l**2 - 0.01) + 0.5 * l**2 / (l**2 - 100)),
    ),
    (
        3,
        "2.0 0.01 -2 -0.002 2",
        lambda l: math.sqrt(2.0 + 0.01 * l**-2 - 0.002 * l**2),
    ),
    (
        4,
        "1.5 0.8 2 0.1 2 0.3 2.1 10 2 0.01 -2 0.001 4",
        lambda l: math.sqrt(
            1.5 + 0.8 * l**2 / (l**2 - 0.1**2) + 0.3 * l**2.1 / (l**2 - 10**2) + 0.01 * l**-2 + 0.001 * l**4
        ),
    ),
    (
        5,
        "1.45 0.0036 -2 0.0001 -4",
        lambda l: 1.45 + 0.0036 * l**-2 + 0.0001 * l**-4,
    ),
    (
        6,
        "0 0.05792105 238.0185 0.00167917 57.362",
        lambda l: 1 + 0.05792105 / (238.0185 - l**-2) + 0.00167917 / (57.362 - l**-2),
    ),
    (
        7,
        "1.5 0.004 -0.0002 -0.001 0.00001 -0.000001",
        lambda l: 1.5
        + 0.004 / (l**2 - 0.028)
        - 0.0002 * (1 / (l**2 - 0.028)) ** 2
        - 0.001 * l**2
        + 0.00001 * l**4
        - 0.000001 * l**6,
    ),
    (
        8,
        "0.2 0.1 0.01 -0.001",
        lambda l: math.sqrt(
            (1 + 2 * (0.2 + 0.1 * l**2 / (l**2 - 0.01) - 0.001 * l**2))
            / (1 - (0.2 + 0.1 * l**2 / (l**2 - 0.01) - 0.001 * l**2))
        ),
    ),
    (
        9,
        "2.0 0.05 0.02 0.1 0.3 0.01",
        lambda l: math.sqrt(2.0 + 0.05 / (l**2 - 0.02) + 0.1 * (l - 0.3) / ((l - 0.3) ** 2 + 0.01)),
    ),
]
WAVELENGTHS_NM = [350.0, 400.0, 550.0, 700.0, 1000.0, 1200.0]


@pytest.mark.parametrize("number, coefficients, reference", FORMULA_CASES, ids=[f"formula{c[0]}" for c in FORMULA_CASES])
def test_formula_against_hand_evaluation(tmp_path, number, coefficients, reference):
    mat = load_refractiveindex_yaml(_formula_file(tmp_path, number, coefficients))
    assert mat.wavelength_range == (350.0, 1200.0)
    assert mat.describe()["data_types"] == [f"formula {number}"]
    index = mat.refractive_index(np.array(WAVELENGTHS_NM))
    expected = [reference(w / 1000.0) for w in WAVELENGTHS_NM]
    np.testing.assert_allclose(index.real, expected, rtol=1e-14)
    assert np.all(index.imag == 0)
    # torch path: same values, differentiable
    wavelength = torch.tensor(WAVELENGTHS_NM[1:-1], dtype=torch.float64, requires_grad=True)
    np.testing.assert_allclose(mat.refractive_index(wavelength).detach().numpy().real, expected[1:-1], rtol=1e-14)
    assert torch.autograd.gradcheck(mat.permittivity, (wavelength,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_air_gases_formula_value(tmp_path):
    # Coefficients of Ciddor's standard-air formula (Appl. Opt. 35, 1566 (1996)); a sanity
    # check of magnitude only: dry air at 632.8 nm has n - 1 of about 2.76e-4.
    mat = load_refractiveindex_yaml(_formula_file(tmp_path, 6, FORMULA_CASES[5][1], "0.23 1.69"))
    assert abs(mat.refractive_index(632.8).real - 1.000276) < 2e-6


def test_refractiveindex_formula_with_few_coefficients_has_no_zero_over_zero(tmp_path):
    # Missing C6..C9 are zero; the absent second pole must not give 0/0 at lambda = 1 µm.
    mat = load_refractiveindex_yaml(_formula_file(tmp_path, 4, "2.0 0.5 2 0.2 2"))
    expected = math.sqrt(2.0 + 0.5 * 1.0 / (1.0 - 0.2**2))
    assert mat.refractive_index(1000.0) == pytest.approx(expected, rel=1e-15)


def test_tabulated_n_only_has_zero_k(tmp_path):
    path = _write(
        tmp_path,
        """\
        DATA:
          - type: tabulated n
            data: |
                0.4 1.50
                0.5 1.48
                0.6 1.47
                0.8 1.465
        """,
    )
    mat = load_refractiveindex_yaml(path)
    query = np.linspace(400.0, 800.0, 9)
    index = mat.refractive_index(query)
    np.testing.assert_allclose(index.real, PchipInterpolator([400, 500, 600, 800], [1.5, 1.48, 1.47, 1.465])(query), rtol=1e-14)
    assert np.all(index.imag == 0)
    assert mat.permittivity(torch.tensor([450.0], dtype=torch.float64)).imag.item() == 0.0


def test_formula_n_plus_tabulated_k_combined(tmp_path):
    path = _write(
        tmp_path,
        """\
        REFERENCES: "A. Author, <a href=\\"https://doi.org/10.1000/xyz\\"><i>J. Test</i> <b>1</b>, 2 (2020)</a>"
        DATA:
          - type: formula 2
            wavelength_range: 0.3 1.0
            coefficients: 0 1.2 0.01
          - type: tabulated k
            data: |
                0.40 0.10
                0.50 0.05
                0.70 0.02
                1.20 0.01
        """,
    )
    mat = load_refractiveindex_yaml(path, name="combo")
    assert mat.name == "combo"
    assert mat.wavelength_range == (400.0, 1000.0)  # intersection of 300-1000 and 400-1200
    assert mat.reference == "A. Author, J. Test 1, 2 (2020) [https://doi.org/10.1000/xyz]"
    assert mat.describe()["data_types"] == ["formula 2", "tabulated k"]
    query = np.array([400.0, 450.0, 650.0, 1000.0])
    index = mat.refractive_index(query)
    l2 = (query / 1000) ** 2
    np.testing.assert_allclose(index.real, np.sqrt(1 + 1.2 * l2 / (l2 - 0.01)), rtol=1e-14)
    np.testing.assert_allclose(index.imag, PchipInterpolator([400, 500, 700, 1200], [0.1, 0.05, 0.02, 0.01])(query), rtol=1e-14)
    with pytest.raises(ValueError, match=r"wavelength 1100\.0 nm is outside the data range of combo: 400\.0–1000\.0 nm; .*call \.with_extrapolation\('hold'\) on the material"):
        mat.permittivity(1100.0)
    wavelength = torch.tensor([420.0, 600.0, 900.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(mat.permittivity, (wavelength,), eps=1e-6, atol=1e-7, rtol=1e-5)


def test_parsed_data_are_cached(tmp_path):
    path = _formula_file(tmp_path, 1, "0 1.0 0.1")
    load_refractiveindex_yaml(path)
    hits = _refractiveindex._parse.cache_info().hits
    load_refractiveindex_yaml(path)
    assert _refractiveindex._parse.cache_info().hits == hits + 1


BAD_FILES = [
    ("DATA: [unclosed\n  - type: x\n", r"not a readable refractiveindex\.info YAML file"),
    ("- just\n- a list\n", r"needs a non-empty 'DATA' list of blocks; received top-level list"),
    ("REFERENCES: nothing else\n", r"needs a non-empty 'DATA' list"),
    ("DATA: []\n", r"needs a non-empty 'DATA' list"),
    (
        "DATA:\n  - type: formula 12\n    wavelength_range: 0.3 1\n    coefficients: 1 2\n",
        r"DATA block 0: unknown data type 'formula 12'; supported are 'tabulated n', 'tabulated k', 'tabulated nk' and 'formula 1' to 'formula 9'",
    ),
    ("DATA:\n  - type: tabulated xyz\n    data: |\n        0.4 1 2\n", r"unknown data type 'tabulated xyz'"),
    ("DATA:\n  - type: tabulated nk\n    data: |\n        0.4 1.5\n        0.5 1.4\n", r"data line 1 must have 3 numbers .* received '0\.4 1\.5'"),
    ("DATA:\n  - type: tabulated nk\n    data: |\n        0.4 1.5 0.1\n        0.5 abc 0.1\n", r"data line 2 is not numeric: '0\.5 abc 0\.1'"),
    (
        "DATA:\n  - type: tabulated n\n    data: |\n        0.4 1.5\n        0.6 1.4\n        0.5 1.3\n",
        r"strictly increasing; row 3 \(0\.5 µm\) does not exceed row 2 \(0\.6 µm\)",
    ),
    ("DATA:\n  - type: tabulated n\n    data: |\n        0.4 1.5\n", r"at least 2 rows; received 1"),
    ("DATA:\n  - type: tabulated n\n    data: |\n        0.4 1.5\n        0.5 nan\n", r"values finite"),
    ("DATA:\n  - type: tabulated k\n    data: |\n        0.4 0.1\n        0.5 0.2\n", r"no DATA block gives the real index n \(found only \['tabulated k'\]\)"),
    (
        "DATA:\n  - type: formula 1\n    wavelength_range: 0.3 1\n    coefficients: 0 1 0.1\n"
        "  - type: tabulated n\n    data: |\n        0.4 1.5\n        0.5 1.4\n",
        r"more than one DATA block defines n \(second one: 'tabulated n'\)",
    ),
    (
        "DATA:\n  - type: formula 1\n    wavelength_range: 0.3 0.4\n    coefficients: 0 1 0.1\n"
        "  - type: tabulated k\n    data: |\n        0.5 0.1\n        0.6 0.2\n",
        r"ranges of the DATA blocks do not overlap",
    ),
    ("DATA:\n  - type: formula 1\n    wavelength_range: 0.3 1\n", r"'formula 1' needs a 'coefficients' field"),
    ("DATA:\n  - type: formula 1\n    coefficients: 0 1 0.1\n", r"'formula 1' needs a 'wavelength_range' field"),
    ("DATA:\n  - type: formula 1\n    wavelength_range: 0.3\n    coefficients: 0 1 0.1\n", r"needs numeric 'coefficients' and a 'wavelength_range' of two numbers"),
    ("DATA:\n  - type: formula 1\n    wavelength_range: 1 0.3\n    coefficients: 0 1 0.1\n", r"wavelength_range must be two increasing positive numbers in µm"),
    ("DATA:\n  - type: formula 8\n    wavelength_range: 0.3 1\n    coefficients: 1 2 3 4 5\n", r"'formula 8' \(Retro\) takes 1 to 4 finite coefficients; received \[1\.0, 2\.0, 3\.0, 4\.0, 5\.0\]"),
    ("DATA:\n  - just a string\n", r"unknown data type ''"),
]


@pytest.mark.parametrize("body, message", BAD_FILES)
def test_malformed_files_raise(tmp_path, body, message):
    path = tmp_path / "bad.yml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_refractiveindex_yaml(path)


def test_non_utf8_file_raises(tmp_path):
    path = tmp_path / "binary.yml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ValueError, match=r"binary\.yml: not a readable refractiveindex\.info YAML file"):
        load_refractiveindex_yaml(path)


def test_missing_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_refractiveindex_yaml(tmp_path / "absent.yml")
