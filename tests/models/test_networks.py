"""Shapes and configuration checks of the surrogate networks."""

import numpy as np
import pytest
import torch

from kerker.models import MLPConfig, ResNet1D, ResNetConfig, SpectralMLP, SurrogateTrainConfig


@pytest.mark.parametrize("channels,seq_len,width", [((16, 16, 8), 8, 64), ((8, 8), 4, 16), ((8,), 32, 64)])
def test_resnet_output_grid(channels, seq_len, width):
    cfg = ResNetConfig(channels=channels, seq_len=seq_len, blocks_per_group=2)
    assert cfg.n_wavelength == width
    out = ResNet1D(cfg).eval()(torch.randn(5, cfg.design_dim))
    assert out.shape == (5, 2, width)


def test_resnet_paper_layout():
    """Paper layout: 3 groups of 4 residual blocks, 8 -> 16 -> 32 -> 64 positions."""
    net = ResNet1D(ResNetConfig())
    blocks = [m for m in net.modules() if type(m).__name__ == "ResidualBlock1D"]
    assert len(blocks) == 12
    assert net.config.design_dim == 16 and net.config.n_wavelength == 64


def test_resnet_options_stem_activation_fourier():
    """Hidden stem layers, SiLU and Fourier size features change the network, not its interface."""
    cfg = ResNetConfig(channels=(8, 8, 8), blocks_per_group=1, stem_hidden=(32, 24), activation="silu",
                       fourier_octaves=3)
    net = ResNet1D(cfg).eval()
    linears = [m for m in net.stem if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(16 + 12, 32), (32, 24), (24, 64)]
    assert not any(isinstance(m, torch.nn.LeakyReLU) for m in net.modules())
    assert net(torch.randn(3, 16)).shape == (3, 2, 64)
    assert ResNetConfig.from_dict(cfg.to_dict()) == cfg
    # the features are the design plus sin/cos(pi 2^k s) of the two sizes, k = 0, 1, 2
    design = torch.zeros(1, 16)
    design[0, :2] = torch.tensor([0.25, -0.5])
    feats = net.features(design)[0]
    phase = torch.pi * torch.tensor([[0.25, 0.5, 1.0], [-0.5, -1.0, -2.0]])
    torch.testing.assert_close(feats[:16], design[0])
    torch.testing.assert_close(feats[16:22], torch.sin(phase).flatten())
    torch.testing.assert_close(feats[22:], torch.cos(phase).flatten())
    # the paper's layout: one dense layer, leaky ReLU, no extra features
    paper = ResNet1D(ResNetConfig())
    assert len([m for m in paper.stem if isinstance(m, torch.nn.Linear)]) == 1
    assert paper.features(design) is design


def test_resnet_config_stem_hidden_must_be_a_sequence():
    with pytest.raises(TypeError, match=r"ResNetConfig.stem_hidden must be a sequence of positive ints; received 256 \(int\)"):
        ResNetConfig(stem_hidden=256)


def test_mlp_grid_and_per_particle_wavelengths():
    net = SpectralMLP(MLPConfig(hidden=(16, 16)))
    x = torch.randn(4, 16)
    assert net(x, torch.linspace(-1, 1, 7)).shape == (4, 2, 7)
    wl = torch.rand(4, 3) * 2 - 1
    out = net(x, wl)
    assert out.shape == (4, 2, 3)
    # each (particle, wavelength) pair is an independent evaluation
    single = net(x[1:2], wl[1, 2:3])
    torch.testing.assert_close(out[1, :, 2], single[0, :, 0])


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"kernel_size": 4}, ValueError, r"ResNetConfig.kernel_size must be odd \(for 'same' padding\); received 4"),
        ({"channels": ()}, ValueError, "ResNetConfig.channels must not be empty"),
        ({"channels": (8, 0)}, ValueError, r"each entry of ResNetConfig.channels must be a positive int; received 0"),
        ({"upsample": "cubic"}, ValueError, r"upsample must be one of \('nearest', 'linear'\); received 'cubic'"),
        ({"stem_hidden": (64, 0)}, ValueError, "each entry of ResNetConfig.stem_hidden must be a positive int"),
        ({"activation": "tanh"}, ValueError, "activation must be one of"),
        ({"fourier_octaves": -1}, ValueError, r"fourier_octaves must be an int in \[0, 12\]; received -1"),
        ({"fourier_octaves": 2.0}, TypeError, r"fourier_octaves must be an int in \[0, 12\]; received 2.0 \(float\)"),
    ],
)
def test_resnet_config_refuses(kwargs, err, match):
    with pytest.raises(err, match=match):
        ResNetConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs,err,match",
    [
        ({"arch": "cnn"}, ValueError, "arch must be one of"),
        ({"batch_schedule": ((1, 32),)}, ValueError, "start at epoch 0"),
        ({"batch_schedule": ((0, 32), (5, 64), (5, 128))}, ValueError, "must increase"),
        ({"batch_schedule": ((0, 32), (5, 0))}, ValueError, "batch_schedule batch size must be a positive int"),
        ({"lr": 0.0}, ValueError, "SurrogateTrainConfig.lr must be > 0; received 0.0"),
        ({"lr": "fast"}, TypeError, r"SurrogateTrainConfig.lr must be a finite number; received 'fast' \(str\)"),
        ({"q_floor": -1.0}, ValueError, "q_floor must be > 0"),
        ({"wavelengths_per_particle": 8}, ValueError, "arch='mlp' only"),
        ({"loss": "mae"}, ValueError, "loss must be one of"),
        ({"lr_schedule": "step"}, ValueError, "lr_schedule must be one of"),
        ({"freeze_bn_after": -1}, ValueError, "freeze_bn_after must be an int >= 0 or None; received -1"),
        ({"freeze_bn_after": 1.5}, TypeError, r"freeze_bn_after must be an int >= 0 or None; received 1.5 \(float\)"),
        ({"seed": True}, TypeError, r"SurrogateTrainConfig.seed must be an int; received True \(bool\)"),
    ],
)
def test_train_config_refuses(kwargs, err, match):
    with pytest.raises(err, match=match):
        SurrogateTrainConfig(**kwargs)


def test_schedules():
    cfg = SurrogateTrainConfig(batch_schedule=((0, 32), (3, 64), (6, 256)), lr_halve_every=15)
    assert [cfg.batch_size(e) for e in (0, 2, 3, 5, 6, 100)] == [32, 32, 64, 64, 256, 256]
    assert [cfg.lr_factor(e) for e in (0, 14, 15, 30)] == [1.0, 1.0, 0.5, 0.25]
    assert SurrogateTrainConfig.from_dict(cfg.to_dict()) == cfg
    cosine = SurrogateTrainConfig(lr_schedule="cosine", epochs=20)
    assert cosine.lr_factor(0) == 1.0
    assert cosine.lr_factor(10) == pytest.approx(0.5)
    assert cosine.lr_factor(15) == pytest.approx((1 + np.cos(0.75 * np.pi)) / 2)
    assert 0 < cosine.lr_factor(19) < 0.01
    with pytest.raises(TypeError, match="init_from must be a checkpoint path"):
        SurrogateTrainConfig(init_from=3)


def _trained_like(net: ResNet1D) -> ResNet1D:
    """Non-trivial batch-norm statistics and affine parameters, as after training."""
    gen = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=gen))
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.copy_(torch.randn(m.num_features, generator=gen))
                m.bias.copy_(torch.randn(m.num_features, generator=gen))
    return net.eval()


def test_resnet_folded_is_the_same_function_with_frozen_weights():
    """Batch norms folded into the convolutions: same outputs and input gradients (to float32
    rounding), no batch norm left, no weight requiring a gradient, the original untouched."""
    net = _trained_like(ResNet1D(ResNetConfig(channels=(16, 12, 8), blocks_per_group=2)))
    folded = net.folded()
    assert not any(isinstance(m, torch.nn.BatchNorm1d) for m in folded.modules())
    assert not any(p.requires_grad for p in folded.parameters())
    assert all(p.requires_grad for p in net.parameters())
    assert any(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules())
    x = torch.randn(7, 16, dtype=torch.float32)
    grads = []
    for model in (net, folded):
        xx = x.clone().requires_grad_(True)
        out = model(xx)
        out.square().sum().backward()
        grads.append((out.detach(), xx.grad))
    (out_a, g_a), (out_b, g_b) = grads
    scale = out_a.abs().max()
    assert scale > 0.1  # the statistics above make the check non-trivial
    torch.testing.assert_close(out_b, out_a, rtol=0, atol=1e-5 * float(scale))
    torch.testing.assert_close(g_b, g_a, rtol=0, atol=1e-5 * float(g_a.abs().max()))
    assert all(p.grad is None for p in folded.parameters())
