"""Preprocessing transformers: one shared contract test over all of them (as sklearn's
test_common), then the edge cases of each."""

import json

import numpy as np
import pytest
import torch

from kerker.dataset import Designs
from kerker.dataset.scalers import (
    DesignEncoder,
    Log1pMinMaxScaler,
    MinMaxScaler,
    NotFittedError,
    OneHotEncoder,
    Transformer,
)

MATERIALS = ("Au", "Ag", "Si", "SiO2", "Si3N4", "ZrO2", "TiO2")


def _spectra(rng, n=50, w=16):
    # efficiency-like data spanning orders of magnitude, with a constant wavelength column
    q = 10.0 ** rng.uniform(-8, 1.2, size=(n, w))
    q[:, 3] = 0.25
    return q


def _designs(rng, n=40):
    return Designs(MATERIALS, core_index=rng.integers(0, 7, n), shell_index=rng.integers(0, 7, n),
                   r_core=rng.uniform(1, 100, n), t_shell=rng.uniform(1, 100, n))


def _fields(d: Designs) -> tuple:
    return (d.core_index, d.shell_index, d.r_core, d.t_shell)


def _to_torch(data):
    if isinstance(data, Designs):
        return Designs(data.materials, **{k: torch.as_tensor(v) for k, v in zip(
            ("core_index", "shell_index", "r_core", "t_shell"), _fields(data), strict=True)})
    return torch.as_tensor(data)


# (transformer factory, data factory); DesignEncoder takes a Designs batch, the others an array.
CASES = {
    "onehot": (lambda: OneHotEncoder(7), lambda rng: rng.integers(0, 7, 30)),
    "minmax": (lambda: MinMaxScaler(), lambda rng: rng.normal(size=(30, 4)) * [1, 10, 1e-3, 0]),
    "minmax01_1d": (lambda: MinMaxScaler((0, 1)), lambda rng: rng.uniform(1, 100, 30)),
    "log1p_global": (lambda: Log1pMinMaxScaler(), _spectra),
    "log1p_per_feature": (lambda: Log1pMinMaxScaler(per_feature=True), _spectra),
    "log1p_unit": (lambda: Log1pMinMaxScaler((0, 1), unit=1e-6), _spectra),
    "design": (lambda: DesignEncoder(MATERIALS, (1, 100), (1, 100)), _designs),
}


def _args(data):
    return (data,)


def _equal(a, b):
    if isinstance(a, Designs):
        assert a.materials == b.materials
        a, b = _fields(a), _fields(b)
    if isinstance(a, tuple):
        return all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return np.allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", CASES)
def test_transformer_contract(name, rng):
    make, data_of = CASES[name]
    data = data_of(rng)
    est = make()
    # __init__ stores parameters only; nothing fitted yet
    assert not [k for k in vars(est) if k.endswith("_")]
    assert set(est.get_params()) == set(est._params)
    with pytest.raises(NotFittedError, match="not fitted"):
        est.transform(*_args(data))
    with pytest.raises(NotFittedError, match="not fitted"):
        est.inverse_transform(np.zeros((2, 16)))
    assert est.fit(*_args(data)) is est
    assert est.is_fitted and all(hasattr(est, k) and k.endswith("_") for k in est._state)

    out = est.transform(*_args(data))
    assert _equal(out, make().fit_transform(*_args(data)))
    back = est.inverse_transform(out)
    assert _equal(back, data)

    # state round trip through JSON text, as a checkpoint stores it
    state = json.loads(json.dumps(est.state_dict()))
    restored = Transformer.from_state_dict(state)
    assert type(restored) is type(est)
    assert np.array_equal(restored.transform(*_args(data)), out)  # bit-identical
    assert type(est).from_state_dict(state).get_params() == est.get_params()
    # an unfitted transformer round-trips unfitted
    assert not Transformer.from_state_dict(make().state_dict()).is_fitted


@pytest.mark.parametrize("name", CASES)
def test_transformer_torch_matches_numpy(name, rng):
    make, data_of = CASES[name]
    data = data_of(rng)
    est = make().fit(*_args(data))
    out_np = est.transform(*_args(data))
    out_t = est.transform(_to_torch(data))
    assert torch.is_tensor(out_t)
    assert np.allclose(out_t.numpy(), out_np, rtol=1e-12, atol=1e-12)
    back = est.inverse_transform(out_t)
    back = _fields(back) if isinstance(back, Designs) else (back,)
    assert all(torch.is_tensor(b) for b in back)
    expected = _fields(data) if isinstance(data, Designs) else (data,)
    assert _equal(tuple(b.numpy() for b in back), expected)


def test_minmax_maps_range_and_constant_column():
    X = np.array([[1.0, 5.0], [3.0, 5.0], [2.0, 5.0]])
    s = MinMaxScaler().fit(X)
    Y = s.transform(X)
    assert np.array_equal(Y[:, 0], [-1.0, 1.0, 0.0])
    assert np.array_equal(Y[:, 1], [-1.0, -1.0, -1.0])  # constant feature -> feature_range[0]
    assert np.array_equal(s.inverse_transform(Y), X)
    assert np.array_equal(MinMaxScaler((0, 1)).fit(X).transform(X)[:, 0], [0.0, 1.0, 0.5])


def test_minmax_single_sample_and_float32_kept():
    X = np.array([[2.0, -3.0]], dtype=np.float32)
    s = MinMaxScaler().fit(X)
    Y = s.transform(X)
    assert Y.dtype == np.float32 and np.array_equal(Y, [[-1.0, -1.0]])
    assert np.array_equal(s.inverse_transform(Y), X)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.zeros((0, 3)), "at least one sample"),
        (np.array([[1.0, np.nan]]), "non-finite"),
    ],
)
def test_minmax_fit_rejects_bad_data(X, match):
    with pytest.raises(ValueError, match=match):
        MinMaxScaler().fit(X)


@pytest.mark.parametrize("feature_range", [(1, 1), (1, -1), (0, np.inf)])
def test_minmax_rejects_bad_feature_range(feature_range):
    with pytest.raises(ValueError, match="feature_range must satisfy lo < hi"):
        MinMaxScaler(feature_range).fit(np.arange(3.0))


def test_minmax_rejects_wrong_feature_shape(rng):
    s = MinMaxScaler().fit(rng.normal(size=(10, 4)))
    with pytest.raises(ValueError, match=r"fitted on features of shape \(4,\); received an array of shape \(10, 5\)"):
        s.transform(rng.normal(size=(10, 5)))


def test_log1p_global_is_one_map_for_all_wavelengths(rng):
    q = _spectra(rng)
    s = Log1pMinMaxScaler().fit(q)
    assert s.scale_.shape == () and s.min_.shape == ()
    Y = s.transform(q)
    assert Y.min() == pytest.approx(-1.0, abs=1e-15) and Y.max() == pytest.approx(1.0, abs=1e-15)
    # applies to any grid: a spectrum on 5 wavelengths, or a (N, 2, W) stack of Q_fwd/Q_back
    assert s.transform(q[:, :5]).shape == (50, 5)
    assert s.transform(np.stack([q, q], 1)).shape == (50, 2, 16)
    assert np.allclose(s.transform(q[:, 7]), Y[:, 7])
    # per-feature: each wavelength column spans exactly the range (constant column -> -1)
    Yp = Log1pMinMaxScaler(per_feature=True).fit_transform(q)
    assert np.allclose(np.delete(Yp.min(0), 3), -1.0) and np.allclose(np.delete(Yp.max(0), 3), 1.0)
    assert np.allclose(Yp[:, 3], -1.0, rtol=0, atol=1e-15)


def test_log1p_round_trip_precision_and_unit():
    # With unit = 1 (the paper) tiny efficiencies sit next to -1, where float64 spacing
    # (1.1e-16) limits the round trip to an *absolute* ~1e-16 / scale_; unit = 1e-12 makes
    # the map logarithmic down there and the round trip relatively exact.
    q = np.array([[1e-12, 1e-8, 3.0, 25.0]])
    s = Log1pMinMaxScaler().fit(q)
    assert np.allclose(s.inverse_transform(s.transform(q)), q, rtol=1e-12, atol=1e-15)
    assert not np.allclose(s.inverse_transform(s.transform(q)), q, rtol=1e-6, atol=0)
    s = Log1pMinMaxScaler(unit=1e-12).fit(q)
    assert s.get_params()["unit"] == 1e-12
    assert np.allclose(s.inverse_transform(s.transform(q)), q, rtol=1e-12, atol=0)


@pytest.mark.parametrize("unit", [0.0, -1.0, np.inf, "1"])
def test_log1p_rejects_bad_unit(unit):
    with pytest.raises(ValueError, match="unit must be a finite number > 0"):
        Log1pMinMaxScaler(unit=unit).fit(np.ones((2, 2)))


def test_log1p_rejects_values_at_or_below_minus_one():
    with pytest.raises(ValueError, match=r"values > -unit = -1 \(log1p\); received a minimum of -1.0"):
        Log1pMinMaxScaler().fit(np.array([[0.0, -1.0]]))
    s = Log1pMinMaxScaler().fit(np.array([[0.0, 1.0]]))
    with pytest.raises(ValueError, match="received a minimum of -2.0"):
        s.transform(np.array([[-2.0, 0.0]]))
    # rounding noise of q_abs for lossless particles (~ -1e-16) is fine
    assert np.isfinite(s.transform(np.array([[-1e-16, 0.5]]))).all()


def test_onehot_transform_and_soft_inverse():
    enc = OneHotEncoder(3).fit()
    assert np.array_equal(enc.transform([2, 0]), [[0, 0, 1], [1, 0, 0]])
    assert np.array_equal(enc.transform(np.array([1.0])), [[0, 1, 0]])  # integral floats accepted
    soft = np.array([[0.2, 0.5, 0.3], [0.9, 0.05, 0.05]])
    assert np.array_equal(enc.inverse_transform(soft), [1, 0])


@pytest.mark.parametrize(
    "X, err, match",
    [
        ([0, 3], ValueError, r"index 3 is outside 0..2"),
        ([-1], ValueError, r"index -1 is outside 0..2"),
        ([0.5], TypeError, "integer indices"),
        (torch.tensor([0.0]), TypeError, "integer indices"),
    ],
)
def test_onehot_rejects_bad_indices(X, err, match):
    with pytest.raises(err, match=match):
        OneHotEncoder(3).fit().transform(X)


def test_onehot_rejects_bad_n_categories_and_codes():
    with pytest.raises(ValueError, match="n_categories must be an int >= 1; received 0"):
        OneHotEncoder(0).fit()
    with pytest.raises(ValueError, match=r"expects shape \(..., 3\); received \(2, 4\)"):
        OneHotEncoder(3).fit().inverse_transform(np.zeros((2, 4)))


def test_design_encoder_layout_and_exact_range_map():
    enc = DesignEncoder(MATERIALS, (1, 100), (1, 100)).fit()
    v = enc.transform(Designs(MATERIALS, core_index=[2, 6], shell_index=[3, 0], r_core=[1.0, 100.0],
                              t_shell=[100.0, 50.5]))
    assert v.shape == (2, 16) and enc.n_features == 16
    assert np.allclose(v[:, 0], [-1.0, 1.0], rtol=0, atol=1e-15)  # range ends map onto feature_range
    assert np.allclose(v[:, 1], [1.0, 0.0], rtol=0, atol=1e-15)
    assert np.array_equal(v[0, 2:9], np.eye(7)[2]) and np.array_equal(v[0, 9:], np.eye(7)[3])
    assert np.array_equal(v[1, 2:9], np.eye(7)[6]) and np.array_equal(v[1, 9:], np.eye(7)[0])
    d = enc.inverse_transform(v)
    assert isinstance(d, Designs) and not d.is_soft and d.materials == MATERIALS
    assert d.core_index.tolist() == [2, 6] and d.shell_index.tolist() == [3, 0]
    assert np.allclose(d.r_core, [1.0, 100.0]) and np.allclose(d.t_shell, [100.0, 50.5])


def test_design_encoder_soft_designs_enter_as_weights():
    """Soft designs put their weights where hard ones put one-hot rows; soft=True inverts that exactly."""
    enc = DesignEncoder(MATERIALS[:3], (1, 100), (1, 100)).fit()
    p_core = np.array([[0.5, 0.25, 0.25], [0.0, 0.0, 1.0]])
    p_shell = np.array([[0.1, 0.1, 0.8], [1.0, 0.0, 0.0]])
    soft = Designs(MATERIALS[:3], p_core=p_core, p_shell=p_shell, r_core=[50.5, 1.0], t_shell=[1.0, 100.0])
    v = enc.transform(soft)
    assert np.allclose(v[:, :2], [[0.0, -1.0], [-1.0, 1.0]], rtol=0, atol=1e-15)
    assert np.array_equal(v[:, 2:5], p_core) and np.array_equal(v[:, 5:], p_shell)
    back = enc.inverse_transform(v, soft=True)
    assert back.is_soft and np.array_equal(back.p_core, p_core) and np.array_equal(back.p_shell, p_shell)
    hard = enc.inverse_transform(v)
    assert hard.core_index.tolist() == [0, 2] and hard.shell_index.tolist() == [2, 0]
    with pytest.raises(ValueError, match=r"the designs' materials \['Au', 'Ag'\] differ from the encoder's"):
        enc.transform(Designs(MATERIALS[:2], core_index=[0], shell_index=[1], r_core=[5.0], t_shell=[5.0]))
    with pytest.raises(TypeError, match="DesignEncoder takes a kerker.dataset.Designs batch; received tuple"):
        enc.transform(([0], [1], [5.0], [5.0]))


def test_design_encoder_torch_is_differentiable():
    enc = DesignEncoder(MATERIALS, (1, 100), (1, 100)).fit()
    v = torch.zeros(3, 16, dtype=torch.float32, requires_grad=True)
    d = enc.inverse_transform(v)
    assert d.r_core.dtype == torch.float32
    d.r_core.sum().backward()
    assert torch.allclose(v.grad[:, 0], torch.full((3,), 99.0 / 2))  # d r / d v = (hi - lo) / 2
    r = torch.tensor([10.0, 20.0], dtype=torch.float64, requires_grad=True)
    out = enc.transform(Designs(MATERIALS, core_index=np.array([0, 1]), shell_index=np.array([1, 2]), r_core=r,
                                t_shell=np.array([5.0, 6.0])))
    assert out.dtype == torch.float64 and out.requires_grad


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"r_range": (100, 1)}, r"r_range must satisfy lo < hi"),
        ({"t_range": (5,)}, r"t_range must be two numbers"),
        ({"materials": ()}, r"materials must be a non-empty sequence"),
    ],
)
def test_design_encoder_rejects_bad_parameters(kwargs, match):
    params = {"materials": MATERIALS, "r_range": (1, 100), "t_range": (1, 100), **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        DesignEncoder(**params).fit()


def test_design_encoder_rejects_bad_shapes():
    enc = DesignEncoder(MATERIALS, (1, 100), (1, 100)).fit()
    with pytest.raises(ValueError, match=r"expects shape \(N, 16\) for 7 materials; received \(4, 14\)"):
        enc.inverse_transform(np.zeros((4, 14)))


def test_state_dict_errors():
    with pytest.raises(ValueError, match="not a transformer state dict"):
        Transformer.from_state_dict({"params": {}})
    with pytest.raises(ValueError, match="state dict is for 'MinMaxScaler', which is not a OneHotEncoder"):
        OneHotEncoder.from_state_dict(MinMaxScaler().fit(np.arange(3.0)).state_dict())
    state = MinMaxScaler().fit(np.arange(3.0)).state_dict()
    del state["state"]["scale_"]
    with pytest.raises(ValueError, match=r"lacks \['scale_'\]"):
        Transformer.from_state_dict(state)
