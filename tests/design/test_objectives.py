"""Objectives on hand-checked values, composition, and their error messages."""

import numpy as np
import pytest
import torch

from kerker.design import Custom, Directional, Ratio, SpectrumMatch, WeightedSum, read_target_csv


def _t(rows):
    return torch.tensor(rows, dtype=torch.float64)


def test_directional_is_minus_fwd_plus_weighted_back():
    obj = Directional(705.0, weight=2.0)
    # by hand: -3 + 2 * 0.5 = -2 and -1 + 2 * 1 = 1
    assert obj(_t([[3.0], [1.0]]), _t([[0.5], [1.0]])).tolist() == [-2.0, 1.0]


def test_directional_band_averages_over_wavelengths():
    obj = Directional([700.0, 710.0], weight=1.0)
    assert obj(_t([[4.0, 2.0]]), _t([[1.0, 1.0]])).tolist() == [-2.0]  # mean(-4+1, -2+1)


def test_spectrum_match_is_weighted_mean_squared_error_of_given_quantities():
    obj = SpectrumMatch([500.0, 600.0], q_fwd=[1.0, 2.0], q_back=[0.0, 1.0], weights=[3.0, 1.0])
    # q_fwd errors (1, 0) -> 0.75*1 + 0.25*0; q_back errors (0, 2) -> 0.25*4 = 1
    assert obj(_t([[2.0, 2.0]]), _t([[0.0, 3.0]])).tolist() == [1.75]
    only_back = SpectrumMatch([500.0], q_back=[2.0])
    assert only_back(_t([[99.0]]), _t([[1.0]])).tolist() == [1.0]  # q_fwd is not matched


def test_spectrum_match_groups_one_target_row_per_group():
    obj = SpectrumMatch([500.0], q_fwd=[[1.0], [5.0]])  # two targets, designs in two groups of 2
    assert obj(_t([[1.0], [2.0], [5.0], [3.0]]), _t([[0.0]] * 4)).tolist() == [0.0, 1.0, 0.0, 4.0]
    with pytest.raises(ValueError, match="3 designs cannot form 2 equal groups"):
        obj(_t([[1.0]] * 3), _t([[0.0]] * 3))


def test_ratio_and_custom():
    assert Ratio(600.0, eps=1.0)(_t([[3.0]]), _t([[1.0]])).tolist() == [-1.5]
    c = Custom(lambda f, b: (f - b).sum(1), [400.0, 500.0], name="diff")
    assert c(_t([[3.0, 1.0]]), _t([[1.0, 1.0]])).tolist() == [2.0]
    assert c.describe()["name"] == "diff"


def test_sum_takes_the_union_of_wavelengths_and_routes_columns():
    obj = Directional(705.0) + 0.5 * SpectrumMatch([600.0], q_fwd=[2.0])
    assert isinstance(obj, WeightedSum)
    assert obj.wavelength.tolist() == [600.0, 705.0]
    # columns (600, 705): Directional sees 705 only, the match 600 only
    assert obj(_t([[4.0, 3.0]]), _t([[0.0, 1.0]])).tolist() == [-2.0 + 0.5 * 4.0]
    nested = 2.0 * obj
    assert [c for c, _ in nested.terms] == [2.0, 1.0]


def test_on_selects_columns_of_a_superset():
    obj = Directional(600.0)
    wl = np.array([500.0, 600.0, 700.0])
    assert obj.on(wl, _t([[1.0, 5.0, 9.0]]), _t([[0.0, 1.0, 0.0]])).tolist() == [-4.0]
    with pytest.raises(ValueError, match="not among the evaluated"):
        Directional(650.0).on(wl, _t([[1.0, 5.0, 9.0]]), _t([[0.0, 1.0, 0.0]]))


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Directional(-5.0), "wavelength must be finite and > 0 nm"),
        (lambda: Directional(705.0, weight=float("nan")), "weight must be finite and >= 0.0, got nan"),
        (lambda: Directional([600.0, 600.0]), "must not repeat a wavelength"),
        (lambda: SpectrumMatch([600.0]), "needs a target"),
        (lambda: SpectrumMatch([600.0, 700.0], q_fwd=[1.0]), r"q_fwd must have one value per wavelength"),
        (lambda: SpectrumMatch([600.0], q_fwd=[np.nan]), "q_fwd must be finite"),
        (lambda: SpectrumMatch([600.0], q_fwd=[1.0], weights=[-1.0]), "weights must be"),
        (lambda: Ratio(600.0, eps=0.0), "eps must be > 0"),
        (lambda: Custom("not callable", 600.0), "fn must be callable"),
        (lambda: Directional(600.0) * "x", "factor must be a real number"),
    ],
)
def test_bad_objectives_are_clear_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_objective_checks_the_spectra_shape():
    with pytest.raises(ValueError, match=r"q_fwd must have shape \(N, 1\)"):
        Directional(705.0)(_t([[1.0, 2.0]]), _t([[1.0, 2.0]]))


def test_read_target_csv(tmp_path):
    path = tmp_path / "target.csv"
    path.write_text("wavelength,q_fwd,q_back\n600,2.0,0.5\n500,1.0,0.25\n")
    obj = read_target_csv(path)
    assert obj.wavelength.tolist() == [500.0, 600.0]  # sorted, targets follow
    assert obj(_t([[1.0, 2.0]]), _t([[0.25, 0.5]])).tolist() == [0.0]
    (tmp_path / "bad.csv").write_text("lambda,q\n1,2\n")
    with pytest.raises(ValueError, match="columns must include wavelength"):
        read_target_csv(tmp_path / "bad.csv")
    with pytest.raises(FileNotFoundError, match="no target file"):
        read_target_csv(tmp_path / "missing.csv")


def test_spectrum_match_relative_is_scale_free_and_hand_checked():
    import torch

    from kerker.design import SpectrumMatch

    wl = [500.0, 600.0]
    t = np.array([1e-3, 3e-3])
    q = torch.tensor([[2e-3, 3e-3]], dtype=torch.float64)
    rel = SpectrumMatch(wl, q_fwd=t, relative=True)
    # MSE = ((1e-3)^2 + 0) / 2 = 5e-7; target mean square = (1e-6 + 9e-6) / 2 = 5e-6 -> 0.1
    assert float(rel(q, q)[0]) == pytest.approx(0.1, rel=1e-12)
    big = SpectrumMatch(wl, q_fwd=1e3 * t, relative=True)
    assert float(big(1e3 * q, q)[0]) == pytest.approx(0.1, rel=1e-12)  # the same at any scale
    grouped = SpectrumMatch(wl, q_fwd=np.stack([t, 1e3 * t]), relative=True)
    np.testing.assert_allclose(grouped(torch.cat([q, 1e3 * q]), torch.cat([q, q])).numpy(), [0.1, 0.1], rtol=1e-12)
    assert float(SpectrumMatch(wl, q_fwd=t)(q, q)[0]) == pytest.approx(5e-7, rel=1e-12)
    with pytest.raises(ValueError, match="relative=True needs a q_back target"):
        SpectrumMatch(wl, q_back=[0.0, 0.0], relative=True)
    with pytest.raises(ValueError, match="relative must be True or False"):
        SpectrumMatch(wl, q_fwd=t, relative="yes")
