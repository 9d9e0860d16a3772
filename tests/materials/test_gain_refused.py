"""Gain media are refused everywhere a material is made, as ``constant()`` always did.

kerker models passive media: under exp(-i omega t), k = Im n >= 0 (k > 0 is loss). A
refractiveindex.info file with a negative k, or a hand-built ``Material`` whose index
function returns one, used to load and feed the solver silently; now each is a
``ValueError`` naming the file (or material), the rule, where and the value. There is no
opt-in: the Mie solver refuses gain as well (Im eps < 0), so a gain material could not be
used for anything but a plot.
"""

import math
import textwrap

import numpy as np
import pytest
import torch

import kerker
from kerker.materials import Material, available, constant, load_refractiveindex_yaml, material


def _yaml(tmp_path, body: str, name: str = "m.yml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


def test_tabulated_nk_with_negative_k_is_refused(tmp_path):
    path = _yaml(tmp_path, """\
        DATA:
          - type: tabulated nk
            data: |
                0.40 1.50 0.01
                0.50 1.50 -0.02
                0.60 1.50 -0.03
        """)
    with pytest.raises(ValueError, match=r"m\.yml, DATA block 0: tabulated k must satisfy k >= 0 .*gain.*; row 2 "
                                         r"\(0\.5 µm\) has k = -0\.02 \(2 of 3 rows break the rule\)"):
        load_refractiveindex_yaml(path)


def test_tabulated_k_block_with_negative_k_is_refused(tmp_path):
    path = _yaml(tmp_path, """\
        DATA:
          - type: formula 1
            wavelength_range: 0.3 1.0
            coefficients: 0 1.0 0.1
          - type: tabulated k
            data: |
                0.3 0.0
                1.0 -1e-3
        """)
    with pytest.raises(ValueError, match=r"DATA block 1: tabulated k must satisfy k >= 0.*row 2 \(1\.0 µm\) has "
                                         r"k = -0\.001"):
        load_refractiveindex_yaml(path)


def test_tabulated_n_must_be_positive(tmp_path):
    path = _yaml(tmp_path, """\
        DATA:
          - type: tabulated n
            data: |
                0.4 1.2
                0.8 0.0
        """)
    with pytest.raises(ValueError, match=r"tabulated n must satisfy n > 0; row 2 \(0\.8 µm\) has n = 0\.0"):
        load_refractiveindex_yaml(path)


def test_zero_and_negative_zero_k_are_lossless_not_gain(tmp_path):
    path = _yaml(tmp_path, """\
        DATA:
          - type: tabulated nk
            data: |
                0.4 1.5 0.0
                0.8 1.5 -0.0
        """)
    index = load_refractiveindex_yaml(path).refractive_index([400.0, 600.0, 800.0])
    assert np.all(index.real == 1.5) and np.all(index.imag == 0.0)


def test_constant_refuses_gain_as_before():
    with pytest.raises(ValueError, match=r"Im\(n\) >= 0"):
        constant(1.5 - 0.1j)


def _gain_index(wl):
    return wl * 0.0 + 1.5, wl * 0.0 - 0.01


@pytest.mark.parametrize("method", ["refractive_index", "permittivity"])
@pytest.mark.parametrize("as_torch", [False, True])
def test_a_hand_built_material_with_gain_is_refused_when_evaluated(method, as_torch):
    mat = Material("pump", _gain_index, wavelength_range=(300.0, 900.0))
    wl = torch.tensor([500.0, 600.0], dtype=torch.float64) if as_torch else np.array([500.0, 600.0])
    with pytest.raises(ValueError, match=r"material pump: extinction coefficient k = -0\.01 < 0 \(gain\) at 500\.0 nm "
                                         r"\(2 of 2 wavelengths\); kerker models passive media"):
        getattr(mat, method)(wl)


def test_a_formula_that_gives_nan_is_refused_where_it_does():
    # n = sqrt(lambda/nm - 550): real above 550 nm only (a dispersion formula past its pole)
    mat = Material("pole", lambda wl: (np.sqrt(np.maximum(wl - 550.0, -1.0)) if not isinstance(wl, torch.Tensor)
                                       else torch.sqrt(wl - 550.0), None), wavelength_range=(300.0, 900.0))
    assert math.isclose(float(mat.refractive_index(650.0).real), 10.0)
    with np.errstate(invalid="ignore"), pytest.raises(
        ValueError, match=r"material pole: the refractive index must be finite with n > 0 and k >= 0; received "
                          r"n = nan, k = 0\.0 at 500\.0 nm \(1 of 2 wavelengths\)"):
        mat.refractive_index([500.0, 650.0])


def test_the_solver_never_sees_a_gain_material(tmp_path):
    path = _yaml(tmp_path, """\
        DATA:
          - type: tabulated nk
            data: |
                0.4 2.0 -0.1
                0.8 2.0 -0.1
        """, name="gain.yml")
    with pytest.raises(ValueError, match="gain"):
        kerker.efficiencies(load_refractiveindex_yaml(path), "SiO2", 50.0, 10.0, [600.0])
    pump = Material("pump", _gain_index, wavelength_range=(300.0, 900.0))
    with pytest.raises(ValueError, match="material pump: extinction coefficient k = -0.01 < 0"):
        kerker.efficiencies(pump, "SiO2", 50.0, 10.0, [600.0])


@pytest.mark.parametrize("name", available())
def test_shipped_materials_pass_the_check_over_their_whole_range(name):
    mat = material(name)
    lo, hi = mat.wavelength_range
    index = mat.refractive_index(np.linspace(lo, hi, 2001))
    assert np.all(index.real > 0) and np.all(index.imag >= 0)
