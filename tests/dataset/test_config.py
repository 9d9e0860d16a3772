"""DatasetConfig validation, presets, particles and the seeded split (no Mie needed)."""

import numpy as np
import pytest

from kerker.dataset import PRESETS, DatasetConfig, dataset_particles, dataset_split
from kerker.materials import PAPER_MATERIALS


def test_paper_config_is_the_paper_grid():
    cfg = DatasetConfig()
    assert cfg == PRESETS["paper"]
    assert cfg.materials == PAPER_MATERIALS
    assert cfg.size == 7 * 7 * 50 * 50 == 122_500
    assert cfg.split == (108_000, 12_000, 2_500)
    wl = cfg.wavelength()
    assert wl.shape == (64,) and wl[0] == 400.0 and wl[-1] == 800.0
    assert cfg.extrapolation == "hold" and cfg.env == 1.0


def test_paper_split_sizes_disjoint_and_seeded():
    cfg = DatasetConfig()
    split = dataset_split(cfg)
    assert {k: len(v) for k, v in split.items()} == {"train": 108_000, "val": 12_000, "test": 2_500}
    everything = np.concatenate(list(split.values()))
    assert np.array_equal(np.sort(everything), np.arange(cfg.size))  # disjoint and complete
    assert all(np.all(np.diff(v) > 0) and v.dtype == np.int64 for v in split.values())
    again = dataset_split(DatasetConfig())
    assert all(np.array_equal(split[k], again[k]) for k in split)
    other = dataset_split(DatasetConfig(seed=1))
    assert not np.array_equal(split["test"], other["test"])


@pytest.mark.parametrize("n, expected", [(1000, (882, 98, 20)), (2, (2, 0, 0)), (245, (216, 24, 5))])
def test_split_scales_with_paper_fractions(n, expected):
    cfg = DatasetConfig(sampling="random", n_particles=n)
    assert cfg.split == expected and sum(cfg.split) == n


def test_grid_particles_order_and_values():
    cfg = DatasetConfig(materials=("Si", "Au"), n_r_core=3, n_t_shell=4, r_core_range=(10, 30), t_shell_range=(0, 3))
    p = dataset_particles(cfg)
    assert p["r_core"].shape == (2 * 2 * 3 * 4,)
    # the last axis (shell thickness) varies fastest, then core radius, shell, core material
    assert p["t_shell"][:4].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert p["r_core"][:12:4].tolist() == [10.0, 20.0, 30.0]
    assert p["shell_index"][::12].tolist() == [0, 1, 0, 1] and p["core_index"][::24].tolist() == [0, 1]


def test_random_particles_are_off_grid_seeded_and_in_range():
    cfg = DatasetConfig(sampling="random", n_particles=500, seed=3)
    p = dataset_particles(cfg)
    assert p["r_core"].min() >= 1 and p["r_core"].max() <= 100 and p["t_shell"].min() >= 1
    grid = np.linspace(1, 100, 50)
    assert not np.isin(p["r_core"], grid).any()  # continuous, not on the paper's grid
    assert set(np.unique(p["core_index"])) == set(range(7))
    q = dataset_particles(DatasetConfig(sampling="random", n_particles=500, seed=3))
    assert all(np.array_equal(p[k], q[k]) for k in p)
    assert not np.array_equal(
        p["r_core"], dataset_particles(DatasetConfig(sampling="random", n_particles=500, seed=4))["r_core"]
    )


def test_offgrid_preset_puts_everything_in_test():
    cfg = PRESETS["offgrid"]
    assert cfg.split == (0, 0, 2500) and len(dataset_split(cfg)["test"]) == 2500


def test_dict_round_trip_and_differences():
    cfg = DatasetConfig(materials=["Si", "SiO2"], r_core_range=[5, 50], seed=2)
    assert cfg.materials == ("Si", "SiO2") and cfg.r_core_range == (5.0, 50.0)
    assert DatasetConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.differences(DatasetConfig(materials=("Si", "SiO2"), r_core_range=(5, 50), seed=3)) == ["seed: 2 -> 3"]
    with pytest.raises(ValueError, match=r"unknown DatasetConfig fields \['radius'\]"):
        DatasetConfig.from_dict({"radius": 3})


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        ({"materials": ("Si", "Unobtainium")}, ValueError, "Unobtainium"),
        ({"materials": ("Si", "Si")}, ValueError, "must not repeat a material"),
        ({"materials": "Si"}, TypeError, "non-empty tuple of material names"),
        ({"sampling": "sobol"}, ValueError, r"sampling must be one of \('grid', 'random'\); received 'sobol'"),
        ({"r_core_range": (0, 100)}, ValueError, r"r_core_range must satisfy 0 < lo <= hi"),
        ({"t_shell_range": (50, 10)}, ValueError, r"t_shell_range must satisfy 0 <= lo <= hi"),
        ({"n_r_core": 0}, ValueError, r"DatasetConfig.n_r_core must be a positive int; received 0"),
        ({"n_t_shell": 2.5}, TypeError, r"DatasetConfig.n_t_shell must be a positive int; received 2.5 \(float\)"),
        ({"n_particles": 10}, ValueError, "n_particles is fixed by the grid"),
        ({"sampling": "random"}, ValueError, "n_particles is required for sampling='random'"),
        ({"wavelength_min": 800, "wavelength_max": 400}, ValueError, "0 < wavelength_min < wavelength_max"),
        ({"env": -1.0}, ValueError, r"env .* must be > 0; received -1.0"),
        ({"extrapolation": "clip"}, ValueError, r"extrapolation must be one of"),
        ({"extrapolation": "error"}, ValueError, r"leave the data range of TiO2 \(430-1530 nm\)"),
        ({"split": (1, 2, 3)}, ValueError, r"must add up to the number of particles 122500"),
        ({"split": (1, 2)}, ValueError, r"three counts"),
        ({"seed": -1}, ValueError, r"DatasetConfig.seed must be an int >= 0; received -1"),
        ({"chunk_size": 0}, ValueError, r"DatasetConfig.chunk_size must be a positive int; received 0"),
        ({"dtype": "float16"}, ValueError, r"dtype must be one of \('float32', 'float64'\)"),
    ],
)
def test_config_rejects_invalid(kwargs, err, match):
    with pytest.raises(err, match=match):
        DatasetConfig(**kwargs)


def test_extrapolation_error_is_fine_inside_the_data():
    cfg = DatasetConfig(materials=("TiO2", "Si"), extrapolation="error", wavelength_min=450)
    assert cfg.extrapolation == "error"


def test_from_preset_overrides():
    assert DatasetConfig.from_preset("paper") == PRESETS["paper"]
    # a change that keeps the particles keeps the preset's split; either range end may stay the preset's
    cfg = DatasetConfig.from_preset("tiny", n_wavelengths=8, r_core_range=(None, 50.0))
    assert cfg.n_wavelengths == 8 and cfg.r_core_range == (1.0, 50.0) and cfg.split == PRESETS["tiny"].split
    # a change of the particles rescales the split from the paper's fractions, unless one is given
    more = DatasetConfig.from_preset("offgrid", n_particles=1000)
    assert more.sampling == "random" and more.split == (882, 98, 20)
    assert DatasetConfig.from_preset("offgrid", n_particles=1000, split=(0, 0, 1000)).split == (0, 0, 1000)
    # switching a random preset to a grid drops its particle count
    grid = DatasetConfig.from_preset("offgrid", sampling="grid", materials=["Si"], n_r_core=2, n_t_shell=3)
    assert grid.n_particles is None and grid.size == 6 and grid.seed == 1


def test_from_preset_refusals():
    with pytest.raises(ValueError, match=r"unknown DatasetConfig preset 'huge'; presets: \['offgrid', 'paper', 'tiny'\]"):
        DatasetConfig.from_preset("huge")
    with pytest.raises(ValueError, match=r"unknown DatasetConfig fields \['n_wl'\]"):
        DatasetConfig.from_preset("tiny", n_wl=8)
    with pytest.raises(ValueError, match="n_particles is fixed by the grid"):
        DatasetConfig.from_preset("tiny", n_particles=10)
    with pytest.raises(ValueError, match=r"DatasetConfig.r_core_range must satisfy 0 < lo <= hi"):
        DatasetConfig.from_preset("tiny", r_core_range=(200.0, None))
