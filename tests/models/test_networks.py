"""Shapes and configuration checks of the surrogate networks."""

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
    "kwargs,match",
    [
        ({"kernel_size": 4}, "kernel_size must be odd"),
        ({"channels": ()}, "channels must not be empty"),
        ({"channels": (8, 0)}, "positive int"),
        ({"upsample": "cubic"}, "upsample"),
    ],
)
def test_resnet_config_refuses(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ResNetConfig(**kwargs)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"arch": "cnn"}, "arch must be"),
        ({"batch_schedule": ((1, 32),)}, "start at epoch 0"),
        ({"batch_schedule": ((0, 32), (5, 64), (5, 128))}, "must increase"),
        ({"lr": 0.0}, "lr must be > 0"),
        ({"q_floor": -1.0}, "q_floor"),
        ({"wavelengths_per_particle": 8}, "arch='mlp' only"),
    ],
)
def test_train_config_refuses(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SurrogateTrainConfig(**kwargs)


def test_schedules():
    cfg = SurrogateTrainConfig(batch_schedule=((0, 32), (3, 64), (6, 256)), lr_halve_every=15)
    assert [cfg.batch_size(e) for e in (0, 2, 3, 5, 6, 100)] == [32, 32, 64, 64, 256, 256]
    assert [cfg.lr_factor(e) for e in (0, 14, 15, 30)] == [1.0, 1.0, 0.5, 0.25]
    assert SurrogateTrainConfig.from_dict(cfg.to_dict()) == cfg
