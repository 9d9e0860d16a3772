"""kerker.materials.permittivity_table, the (M, W) table the dataset build indexes by material."""

import numpy as np
import pytest

from kerker.materials import material, permittivity_table


def test_rows_are_each_materials_permittivity():
    wl = np.array([400.0, 550.0, 800.0])
    eps = permittivity_table(["Au", "tio2", material("SiO2")], wl, extrapolation="hold")
    assert eps.shape == (3, 3) and eps.dtype == np.complex128
    for row, name in zip(eps, ("Au", "TiO2", "SiO2"), strict=True):
        np.testing.assert_array_equal(row, material(name).with_extrapolation("hold").permittivity(wl))
    assert (eps.imag >= 0).all()  # passive materials, exp(-i w t)


def test_policy_and_refusals():
    wl = np.array([400.0, 500.0])  # TiO2 data start at 430 nm
    with pytest.raises(ValueError, match="TiO2"):
        permittivity_table(["TiO2"], wl)  # names default to 'error'
    held = material("TiO2").with_extrapolation("hold")
    np.testing.assert_array_equal(permittivity_table([held], wl)[0], held.permittivity(wl))  # own policy kept
    with pytest.raises(ValueError, match=r"extrapolation must be one of \('error', 'hold'\) or None; received 'clip'"):
        permittivity_table(["Si"], wl, extrapolation="clip")
    with pytest.raises(TypeError, match="names must be a sequence of material names; received 'Si'"):
        permittivity_table("Si", wl)
    with pytest.raises(ValueError, match="names must hold at least one material"):
        permittivity_table([], wl)
    with pytest.raises(ValueError, match=r"wavelength must have shape \(W,\); received shape \(\)"):
        permittivity_table(["Si"], 500.0)
    with pytest.raises(ValueError, match="unknown material 'Kryptonite'"):
        permittivity_table(["Kryptonite"], wl)
