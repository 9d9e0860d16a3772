"""Surrogate.predict: argument conventions of kerker.efficiencies, units, gradients, errors."""

import numpy as np
import pytest
import torch

from kerker.dataset import Designs
from kerker.models import MLPConfig, ResNetConfig, Surrogate, SurrogateTrainConfig, rmae, train_surrogate

FAST = dict(lr=3e-3, batch_schedule=((0, 16), (2, 32)), patience=50, num_threads=1)


@pytest.fixture(scope="module")
def resnet(tiny_dataset, tmp_path_factory):
    cfg = SurrogateTrainConfig(arch="resnet", epochs=2, **FAST)
    best = train_surrogate(tiny_dataset, cfg, tmp_path_factory.mktemp("r"),
                           arch_config=ResNetConfig(channels=(8, 8, 8), blocks_per_group=1), log=lambda s: None)
    return Surrogate.from_checkpoint(best, dataset=tiny_dataset)


@pytest.fixture(scope="module")
def mlp(tiny_dataset, tmp_path_factory):
    cfg = SurrogateTrainConfig(arch="mlp", epochs=2, **FAST)
    best = train_surrogate(tiny_dataset, cfg, tmp_path_factory.mktemp("m"), arch_config=MLPConfig(hidden=(16, 16)),
                           log=lambda s: None)
    return Surrogate.from_checkpoint(best)


def test_numpy_in_numpy_out(resnet):
    q_fwd, q_back = resnet.predict("Si", "SiO2", [10.0, 40.0, 70.0], 20.0)
    assert isinstance(q_fwd, np.ndarray) and q_fwd.shape == q_back.shape == (3, 64)
    assert np.all(q_fwd > -1e-6)  # expm1 of the log1p scale: physical efficiencies
    assert resnet.wavelength.shape == (64,) and resnet.materials == ("Si", "SiO2", "Au")


def test_lists_names_and_material_objects_agree(resnet):
    import kerker

    a = resnet.predict(["Si", "Au"], ["SiO2", "SiO2"], [30.0, 50.0], [10.0, 20.0])
    b = resnet.predict([kerker.material("Si"), "Au"], "SiO2", [30.0, 50.0], [10.0, 20.0])
    c = resnet.predict(np.array([[1.0, 0, 0], [0, 0, 1.0]]), [0, 1.0, 0], [30.0, 50.0], [10.0, 20.0])
    for x, y, z in zip(a, b, c):
        np.testing.assert_allclose(x, y, rtol=1e-6)
        np.testing.assert_allclose(x, z, rtol=1e-6)


def test_encoding_matches_dataset_encoder(resnet, tiny_dataset):
    """The torch design path equals the DesignEncoder used for the training data."""
    designs = tiny_dataset.designs(tiny_dataset.split("test")[:10])
    ours = resnet.encode(designs).numpy()
    theirs = resnet.preprocessing.design_matrix(designs)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_designs_and_the_short_form_agree_exactly(resnet, tiny_dataset):
    """predict(designs) is the one path; predict(core, shell, r_core, t_shell) builds the same designs."""
    designs = tiny_dataset.designs(tiny_dataset.split("test")[:12])
    a = resnet.predict(designs)
    b = resnet.predict(list(designs.core_names), list(designs.shell_names), designs.r_core, designs.t_shell)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    # the same designs over a reordered material list are re-indexed by name
    order = (2, 0, 1)
    mats = tuple(designs.materials[i] for i in order)
    lut = np.argsort(order)
    shuffled = Designs(mats, core_index=lut[designs.core_index], shell_index=lut[designs.shell_index],
                       r_core=designs.r_core, t_shell=designs.t_shell)
    for x, y in zip(resnet.predict(shuffled), a, strict=True):
        np.testing.assert_array_equal(x, y)
    # one-hot soft designs give the hard prediction (float32 network, same inputs)
    soft = Designs(designs.materials, p_core=designs.p_core, p_shell=designs.p_shell, r_core=designs.r_core,
                   t_shell=designs.t_shell)
    for x, y in zip(resnet.predict(soft), a, strict=True):
        np.testing.assert_array_equal(x, y)


def test_predict_refuses_mixed_or_incomplete_forms(resnet, tiny_dataset):
    designs = tiny_dataset.designs([0, 1])
    with pytest.raises(TypeError, match="either one Designs batch or core, shell, r_core, t_shell"):
        resnet.predict(designs, "Si", 10.0, 10.0)
    with pytest.raises(TypeError, match="needs a kerker.dataset.Designs batch, or all of core, shell, r_core"):
        resnet.predict("Si", "SiO2")
    other = Designs(("Si", "Ag"), core_index=[1], shell_index=[0], r_core=[10.0], t_shell=[10.0])
    with pytest.raises(ValueError, match=r"material 'Ag' of the designs is unknown to this surrogate; known: \['Si'"):
        resnet.predict(other)
    soft = Designs(("Au", "Si", "SiO2"), p_core=[[1.0, 0, 0]], p_shell=[[0, 1.0, 0]], r_core=[10.0], t_shell=[5.0])
    with pytest.raises(ValueError, match="soft designs must weigh this surrogate's materials"):
        resnet.predict(soft)


def test_generator_style_soft_designs_are_differentiable(resnet):
    """Soft torch designs (what a generator's decode(hard=False) returns) carry gradients to their tensors."""
    logits = torch.zeros(3, 3, requires_grad=True)
    r = torch.tensor([20.0, 40.0, 60.0], requires_grad=True)
    p = torch.softmax(logits, -1)
    soft = Designs(resnet.materials, p_core=p, p_shell=p, r_core=r, t_shell=torch.full((3,), 10.0))
    q_fwd, q_back = resnet.predict(soft)
    assert isinstance(q_fwd, torch.Tensor) and q_fwd.dtype == torch.float64 and q_fwd.shape == (3, 64)
    (q_fwd - q_back).sum().backward()
    assert torch.isfinite(r.grad).all() and (r.grad != 0).all() and (logits.grad != 0).any()


def test_decoding_matches_target_scaler(resnet, tiny_dataset):
    idx = tiny_dataset.split("val")[:5]
    z = torch.from_numpy(resnet.preprocessing.target_array(tiny_dataset, idx)).double()
    q = resnet.preprocessing.decode_targets(z).numpy()
    # targets are stored in float32: with log1p (q_floor = 1) one float32 step near z = -1
    # is ~1e-7 in q, so small efficiencies carry that absolute resolution
    np.testing.assert_allclose(q[:, 0], tiny_dataset.q_fwd[idx], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(q[:, 1], tiny_dataset.q_back[idx], rtol=1e-5, atol=1e-6)


def test_torch_in_torch_out_with_gradients(resnet):
    r = torch.tensor([30.0, 60.0], dtype=torch.float64, requires_grad=True)
    logits = torch.zeros(2, 3, requires_grad=True)
    q_fwd, q_back = resnet.predict(torch.softmax(logits, -1), "SiO2", r, 15.0)
    assert isinstance(q_fwd, torch.Tensor) and q_fwd.dtype == torch.float64 and q_fwd.shape == (2, 64)
    (q_back - q_fwd).sum().backward()
    assert torch.isfinite(r.grad).all() and (r.grad != 0).all()
    assert torch.isfinite(logits.grad).all() and (logits.grad != 0).any()


def test_gradient_matches_finite_difference(resnet):
    r = torch.tensor([42.0], dtype=torch.float64, requires_grad=True)
    q_fwd, _ = resnet.predict("Au", "Si", r, 12.0)
    q_fwd[0, 10].backward()
    h = 1e-2
    up = resnet.predict("Au", "Si", 42.0 + h, 12.0)[0][0, 10]
    down = resnet.predict("Au", "Si", 42.0 - h, 12.0)[0][0, 10]
    assert r.grad.item() == pytest.approx((up - down) / (2 * h), rel=2e-2, abs=1e-6)


def test_predict_eval_mode_even_if_training(resnet):
    a = resnet.predict("Si", "Au", 20.0, 20.0)[0]
    resnet.train()
    try:
        b = resnet.predict("Si", "Au", 20.0, 20.0)[0]  # a batch of one would break batch norm in train mode
    finally:
        resnet.eval()
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "args,kwargs,error,match",
    [
        (("Ag", "SiO2", 20.0, 20.0), {}, ValueError, r"core material 'Ag' is unknown.*\['Si', 'SiO2', 'Au'\]"),
        (("Si", "Gold", 20.0, 20.0), {}, ValueError, r"shell material 'Gold' is unknown"),
        (("Si", "SiO2", 120.0, 20.0), {}, ValueError, r"r_core must lie in .*\[5, 80\] nm, got \[120.0\]"),
        (("Si", "SiO2", 20.0, [1.0, 2.0]), {}, ValueError, r"t_shell must lie in"),
        (("Si", "SiO2", [10.0, 20.0, 30.0], [10.0, 20.0]), {}, ValueError, "must broadcast"),
        (("Si", "SiO2", float("nan"), 20.0), {}, ValueError, "r_core must be finite"),
        ((np.ones(4) / 4, "SiO2", 20.0, 20.0), {}, ValueError, r"weights must have shape \(M,\) or \(P, M\) with M = 3"),
        ((np.ones(3) * (1 + 1j), "SiO2", 20.0, 20.0), {}, TypeError, "not permittivities"),
        (("Si", "SiO2", 20.0, 20.0), {"wavelength": [500.0]}, ValueError, "fixed grid"),
    ],
)
def test_predict_refuses(resnet, args, kwargs, error, match):
    with pytest.raises(error, match=match):
        resnet.predict(*args, **kwargs)


def test_check_range_off_extrapolates(resnet):
    q_fwd, _ = resnet.predict("Si", "SiO2", 90.0, 20.0, check_range=False)
    assert np.isfinite(q_fwd).all()


def test_mlp_any_wavelength_in_range(mlp):
    grid = mlp.predict("Si", "SiO2", [20.0, 30.0], 10.0)[0]
    assert grid.shape == (2, 64)
    at = mlp.predict("Si", "SiO2", [20.0, 30.0], 10.0, wavelength=mlp.wavelength[[0, 5, 63]])[0]
    np.testing.assert_allclose(at, grid[:, [0, 5, 63]], rtol=1e-5)
    assert mlp.predict("Si", "SiO2", 20.0, 10.0, wavelength=[401.7, 555.5])[0].shape == (1, 2)
    with pytest.raises(ValueError, match=r"wavelength must lie in .*\[400, 800\] nm, got \[850.0\]"):
        mlp.predict("Si", "SiO2", 20.0, 10.0, wavelength=[850.0])


def test_rmae_definition():
    exact = np.array([[1.0, 2.0, 3.0], [0.5, 0.5, 0.0]])
    pred = np.array([[1.1, 2.0, 2.9], [0.5, 0.6, 0.1]])
    np.testing.assert_allclose(rmae(pred, exact), [0.2 / 6, 0.2 / 1.0])
    with pytest.raises(ValueError, match="shape"):
        rmae(pred[0], exact[0])
