"""WGAN-GP: shapes and ranges, decoding, gradient penalty, a tiny seeded run, resume, checkpoint errors."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

from kerker.dataset import Dataset, DesignEncoder, Designs
from kerker.models import (
    Critic,
    CriticConfig,
    Generator,
    GeneratorConfig,
    WGANTrainConfig,
    export_generator,
    fidelity_metrics,
    gradient_penalty,
    latent_smoothness,
    load_checkpoint,
    train_wgan,
)

MATERIALS = ("Si", "SiO2", "Au")
RANGE = (1.0, 100.0)


@dataclass
class DesignSet:
    """Only what the WGAN-GP reads from a dataset: design parameters, ranges, splits, fingerprint."""

    materials: tuple
    r_core: np.ndarray
    t_shell: np.ndarray
    core_index: np.ndarray
    shell_index: np.ndarray
    r_range: tuple = RANGE
    t_range: tuple = RANGE
    splits: dict = field(default_factory=dict)
    fingerprint: str = ""

    def split(self, name):
        return self.splits[name]

    # the real reader's methods: they only use the attributes above
    indices = Dataset.indices
    designs = Dataset.designs


def grid_designs(materials=MATERIALS, sizes=6) -> DesignSet:
    grid = np.linspace(*RANGE, sizes)
    ci, si, r, t = (a.ravel() for a in np.meshgrid(np.arange(len(materials)), np.arange(len(materials)), grid, grid,
                                                   indexing="ij"))
    n = r.size
    perm = np.random.default_rng(0).permutation(n)
    splits = {"test": np.sort(perm[: n // 10]), "val": np.sort(perm[n // 10 : n // 5]), "train": np.sort(perm[n // 5 :])}
    digest = hashlib.sha256(repr((materials, sizes)).encode()).hexdigest()[:16]
    return DesignSet(tuple(materials), r, t, ci.astype(np.int64), si.astype(np.int64), splits=splits, fingerprint=digest)


TINY_G = GeneratorConfig(latent_dim=8, hidden=(32, 32), n_materials=3)
TINY_C = CriticConfig(hidden=(32, 32), n_materials=3)
TINY_RUN = WGANTrainConfig(epochs=4, batch_size=32, monitor_samples=200, seed=3, lr_generator=1e-3, lr_critic=1e-3)


def make_generator(cfg=TINY_G, materials=MATERIALS, seed=0) -> Generator:
    torch.manual_seed(seed)
    return Generator(cfg, materials=materials, r_range=RANGE, t_range=RANGE)


def quiet(line):
    pass


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # tiny networks: several threads only add contention (10x slower on a busy 2-core machine)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def tiny_run(one_thread, tmp_path_factory):
    out = tmp_path_factory.mktemp("wgan")
    result = train_wgan(grid_designs(), TINY_RUN, out, generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    return out, result


# --- shapes, ranges, decoding ------------------------------------------------------------------------------


def test_generator_output_shapes_and_ranges():
    gen = make_generator()
    z = 50.0 * torch.randn(500, 8, generator=torch.Generator().manual_seed(1))  # far outside N(0, I): saturates tanh
    vec = gen(z)
    assert vec.shape == (500, 2 + 2 * 3)
    assert (vec[:, :2].abs() <= 1).all()
    for head in (vec[:, 2:5], vec[:, 5:]):
        assert (head >= 0).all()
        torch.testing.assert_close(head.sum(dim=1), torch.ones(500), rtol=0, atol=1e-6)
    hard = gen.decode(z)
    assert isinstance(hard, Designs) and not hard.is_soft and not hard.is_torch and hard.materials == MATERIALS
    for x in (hard.r_core, hard.t_shell):
        assert x.shape == (500,) and (x >= RANGE[0]).all() and (x <= RANGE[1]).all()
    assert hard.core_index.dtype == np.int64 and set(hard.core_names) <= set(MATERIALS)
    soft = gen.decode(z, hard=False)
    assert isinstance(soft, Designs) and soft.is_soft and soft.is_torch
    assert soft.p_core.shape == (500, 3) and soft.r_core.shape == (500,)
    assert (soft.r_core >= RANGE[0]).all() and (soft.r_core <= RANGE[1]).all()


def test_soft_decode_is_differentiable_in_z():
    gen = make_generator()
    z = torch.randn(4, 8, requires_grad=True)
    soft = gen.decode(z, hard=False)
    (soft.r_core.sum() + soft.p_shell[:, 0].sum()).backward()
    assert z.grad is not None and torch.isfinite(z.grad).all() and z.grad.abs().sum() > 0


def test_decode_round_trips_through_the_design_encoder():
    gen = make_generator()
    z = gen.sample_latent(64, seed=5)
    soft = gen.decode(z, hard=False)
    hard = gen.decode(z)
    enc = DesignEncoder(MATERIALS, RANGE, RANGE).fit()
    vector = enc.transform(soft).detach()
    # the encoded soft designs are the generator's output vector (what the critic sees)
    torch.testing.assert_close(vector, gen(z).detach())
    # their inverse gives the hard designs
    inv = enc.inverse_transform(vector.double().numpy())
    np.testing.assert_array_equal(inv.core_index, hard.core_index)
    np.testing.assert_array_equal(inv.shell_index, hard.shell_index)
    np.testing.assert_allclose(inv.r_core, hard.r_core, rtol=1e-6)
    np.testing.assert_array_equal(soft.hard().core_index.numpy(), hard.core_index)
    # and re-encoding the hard designs recovers the sizes and the argmax materials
    again = enc.transform(hard)
    np.testing.assert_allclose(again[:, :2], vector[:, :2].numpy(), atol=1e-5)
    np.testing.assert_array_equal(again[:, 2:5].argmax(1), soft.p_core.argmax(1).numpy())
    np.testing.assert_array_equal(np.asarray(MATERIALS)[hard.core_index], hard.core_names)


def test_one_encoder_for_real_and_generated_designs(tiny_run):
    """train_wgan encodes the real designs with the generator's own encoder, not a second one."""
    out, _ = tiny_run
    gen = Generator.from_checkpoint(out / "best.pt")
    assert gen.encoder.state_dict() == DesignEncoder(MATERIALS, RANGE, RANGE).fit().state_dict()


def test_fixed_material_overrides_one_head():
    gen = make_generator()
    z = gen.sample_latent(100, seed=2)
    fixed = gen.decode(z, fix_core="Au")
    free = gen.decode(z)
    assert set(fixed.core_names) == {"Au"}
    np.testing.assert_array_equal(fixed.shell_index, free.shell_index)  # the other head and the sizes follow z
    np.testing.assert_array_equal(fixed.r_core, free.r_core)
    soft = gen.decode(z, hard=False, fix_shell=1)
    torch.testing.assert_close(soft.p_shell, torch.tensor([[0.0, 1.0, 0.0]]).expand(100, 3))
    assert set(gen.sample(20, seed=0, fix_shell="SiO2").shell_names) == {"SiO2"}
    with pytest.raises(ValueError, match=r"unknown material 'Ag'.*\['Si', 'SiO2', 'Au'\]"):
        gen.decode(z, fix_core="Ag")
    with pytest.raises(ValueError, match="outside 0..2"):
        gen.decode(z, fix_core=3)


def test_sample_is_seeded():
    gen = make_generator()
    a, b, c = gen.sample(30, seed=1), gen.sample(30, seed=1), gen.sample(30, seed=2)
    np.testing.assert_array_equal(a.r_core, b.r_core)
    assert not np.array_equal(a.r_core, c.r_core)


def test_bad_inputs_are_refused():
    gen = make_generator()
    with pytest.raises(ValueError, match=r"z must have shape \(N, 8\); received \(3, 5\)"):
        gen(torch.zeros(3, 5))
    with pytest.raises(TypeError, match="z must be a torch tensor"):
        gen(np.zeros((3, 8)))
    with pytest.raises(ValueError, match="n_materials = 3 but 2 materials"):
        Generator(TINY_G, materials=("Si", "Au"), r_range=RANGE, t_range=RANGE)
    with pytest.raises(ValueError, match="latent_dim must be a positive int"):
        GeneratorConfig(latent_dim=0)
    with pytest.raises(ValueError, match="hidden must name at least one"):
        CriticConfig(hidden=())
    with pytest.raises(ValueError, match=r"shape \(N, 8\) \(1 design vector\(s\) for 2 layer\(s\) of 3 materials\)"):
        Critic(TINY_C)(torch.zeros(2, 16))
    with pytest.raises(ValueError, match="split must be one of"):
        WGANTrainConfig(split="everything")


def test_packed_critic_scores_groups_of_designs():
    critic = Critic(CriticConfig(hidden=(16,), n_materials=3, pack=2))
    x = torch.randn(6, 8)
    packed = critic.pack(x)
    assert packed.shape == (3, 16)
    torch.testing.assert_close(packed[1], torch.cat([x[2], x[3]]))
    assert critic(packed).shape == (3,)
    with pytest.raises(ValueError, match="N = 5 is not a multiple of 2"):
        critic.pack(x[:5])
    with pytest.raises(ValueError, match="batch_size 30 must be a multiple of the critic's pack 4"):
        train_wgan(grid_designs(), WGANTrainConfig(batch_size=30), "unused", generator_config=TINY_G,
                   critic_config=CriticConfig(hidden=(8,), pack=4), log=quiet)


# --- gradient penalty ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("norm, expected", [(1.0, 0.0), (2.0, 1.0), (0.5, 0.25)])
def test_gradient_penalty_of_a_linear_critic(norm, expected):
    # D(x) = w.x has gradient w everywhere, so the penalty is (|w| - 1)^2 exactly (Gulrajani et al., Eq. 3)
    w = torch.randn(8, dtype=torch.float64)
    w = norm * w / w.norm()
    critic = lambda x: x @ w
    real, fake = torch.randn(16, 8, dtype=torch.float64), torch.randn(16, 8, dtype=torch.float64)
    gp = gradient_penalty(critic, real, fake, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(gp, torch.tensor(expected, dtype=torch.float64), rtol=0, atol=1e-12)


def test_gradient_penalty_reaches_the_critic_weights():
    critic = Critic(TINY_C)
    real, fake = torch.randn(16, 8), torch.randn(16, 8)
    gradient_penalty(critic, real, fake).backward()
    # every weight shapes grad_x D; the output bias does not, so it gets no gradient
    for name, p in critic.named_parameters():
        assert (p.grad is None) == (name == "head.bias"), name


# --- training ------------------------------------------------------------------------------------------------


def test_tiny_run_critic_behaves(tiny_run):
    out, result = tiny_run
    history = result.history
    assert len(history) == TINY_RUN.epochs
    for h in history:
        for key in ("critic_loss", "generator_loss", "wasserstein", "gradient_penalty"):
            assert np.isfinite(h[key]), (key, h)
        # the critic separates real from generated designs: positive Wasserstein estimate
        assert h["wasserstein"] > 0
        assert h["gradient_penalty"] >= 0
    # the critic loss -W + lambda GP starts penalty-dominated and falls below zero as the critic learns
    assert history[-1]["critic_loss"] < min(0.0, history[0]["critic_loss"])
    for name in ("best.pt", "last.pt"):
        assert (out / name).is_file()


def test_tiny_run_is_reproducible(tiny_run, tmp_path):
    _, first = tiny_run
    cfg = WGANTrainConfig(**{**TINY_RUN.to_dict(), "epochs": 2})
    again = train_wgan(grid_designs(), cfg, tmp_path, generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    for a, b in zip(first.history[:2], again.history):
        assert a["critic_loss"] == b["critic_loss"] and a["wasserstein"] == b["wasserstein"]


def test_resume_continues_exactly(tiny_run, tmp_path):
    out_full, full = tiny_run
    data = grid_designs()
    cfg2 = WGANTrainConfig(**{**TINY_RUN.to_dict(), "epochs": 2})
    train_wgan(data, cfg2, tmp_path, generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    lines = []
    resumed = train_wgan(data, TINY_RUN, tmp_path, generator_config=TINY_G, critic_config=TINY_C, resume=True,
                         log=lines.append)
    assert any("resuming after epoch 2" in line for line in lines)
    for a, b in zip(full.history, resumed.history):
        assert a["critic_loss"] == b["critic_loss"] and a["generator_loss"] == b["generator_loss"]
    w_full = load_checkpoint(out_full / "last.pt")["modules"]["generator"]
    w_res = load_checkpoint(tmp_path / "last.pt")["modules"]["generator"]
    for key in w_full:
        torch.testing.assert_close(w_full[key], w_res[key], rtol=0, atol=0)


def test_fresh_critic_batches(tmp_path):
    cfg = WGANTrainConfig(**{**TINY_RUN.to_dict(), "epochs": 1, "critic_batches": "fresh"})
    a = train_wgan(grid_designs(), cfg, tmp_path / "a", generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    b = train_wgan(grid_designs(), cfg, tmp_path / "b", generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    assert a.history[0]["critic_loss"] == b.history[0]["critic_loss"]  # seeded through the loop's generator
    assert np.isfinite(a.history[0]["wasserstein"])
    with pytest.raises(ValueError, match=r"WGANTrainConfig.critic_batches must be one of \('same', 'fresh'\); received 'new'"):
        WGANTrainConfig(critic_batches="new")


def test_resume_refuses_a_different_run(tiny_run, tmp_path):
    data = grid_designs()
    cfg = WGANTrainConfig(**{**TINY_RUN.to_dict(), "epochs": 1})
    train_wgan(data, cfg, tmp_path, generator_config=TINY_G, critic_config=TINY_C, log=quiet)
    other = WGANTrainConfig(**{**TINY_RUN.to_dict(), "n_critic": 3})
    with pytest.raises(ValueError, match="cannot resume.*n_critic"):
        train_wgan(data, other, tmp_path, generator_config=TINY_G, critic_config=TINY_C, resume=True, log=quiet)
    wider = GeneratorConfig(latent_dim=16, hidden=(32, 32))
    with pytest.raises(ValueError, match="cannot resume.*generator"):
        train_wgan(data, TINY_RUN, tmp_path, generator_config=wider, critic_config=TINY_C, resume=True, log=quiet)
    with pytest.raises(ValueError, match="cannot resume.*dataset"):
        train_wgan(grid_designs(sizes=5), TINY_RUN, tmp_path, generator_config=TINY_G, critic_config=TINY_C,
                   resume=True, log=quiet)


# --- checkpoints ---------------------------------------------------------------------------------------------


def test_checkpoint_round_trip_and_export(tiny_run, tmp_path):
    out, _ = tiny_run
    gen = Generator.from_checkpoint(out / "best.pt", materials=MATERIALS, latent_dim=8)
    assert not gen.training
    small = export_generator(out / "best.pt", tmp_path / "wgan.pt", metrics={"answer": 42})
    shipped = Generator.from_checkpoint(small)
    z = gen.sample_latent(10, seed=0)
    torch.testing.assert_close(gen(z), shipped(z), rtol=0, atol=0)
    assert shipped.info["metrics"] == {"answer": 42}
    assert "critic" not in load_checkpoint(small)["modules"]
    assert small.stat().st_size < (out / "last.pt").stat().st_size


def test_mismatched_checkpoints_are_refused(tiny_run, tmp_path):
    out, _ = tiny_run
    with pytest.raises(ValueError, match=r"trained on materials \['Si', 'SiO2', 'Au'\], not \['Si', 'Au', 'Ag'\]"):
        Generator.from_checkpoint(out / "best.pt", materials=("Si", "Au", "Ag"))
    with pytest.raises(ValueError, match="has latent_dim 8, not the requested 128"):
        Generator.from_checkpoint(out / "best.pt", latent_dim=128)
    payload = load_checkpoint(out / "best.pt")
    payload["generator_spec"] = {**payload["generator_spec"], "config": {**TINY_G.to_dict(), "hidden": [16, 16]}}
    with pytest.raises(ValueError, match="weights do not match its recorded architecture"):
        Generator.from_checkpoint(payload)
    with pytest.raises(ValueError, match="not a WGAN-GP checkpoint"):
        Generator.from_checkpoint({"kind": "kerker.surrogate", "modules": {}})
    gen = Generator.from_checkpoint(out / "best.pt")
    with pytest.raises(ValueError, match="differ from the dataset's"):
        gen.check_dataset(grid_designs(materials=("Si", "SiO2", "Ag")))


# --- fidelity metrics ----------------------------------------------------------------------------------------


def test_fidelity_metrics_of_the_uniform_grid():
    data = grid_designs(sizes=100).designs()  # 1-nm spacing: every 1-nm bin holds exactly one grid value
    m = fidelity_metrics(data, r_range=RANGE, t_range=RANGE)
    assert m["materials"]["names"] == list(MATERIALS)
    assert m["materials"]["max_abs_deviation_pp"] == pytest.approx(0.0, abs=1e-12)
    assert m["materials"]["core_chi2"]["statistic"] == pytest.approx(0.0, abs=1e-12)
    assert m["pairs"]["present"] == 9 and m["pairs"]["min_count"] == m["pairs"]["max_count"]
    assert m["sizes"]["r_core"]["coverage_1nm"] == 1.0 and m["sizes"]["r_core"]["n_bins_1nm"] == 99
    assert m["corners"]["fraction"] == 1.0 and m["corners"]["per_pair_fraction"] == 1.0
    # the paper's 2-nm grid hits only every other 1-nm bin
    coarse = fidelity_metrics(grid_designs(sizes=50).designs(), r_range=RANGE, t_range=RANGE)
    assert coarse["sizes"]["t_shell"]["coverage_1nm"] == pytest.approx(50 / 99)


def test_fidelity_metrics_detect_collapse():
    one = grid_designs(sizes=4).designs()
    keep = (one.core_index == 0) & (one.shell_index == 2) & (one.r_core < 50)
    collapsed = one[keep]
    m = fidelity_metrics(collapsed, r_range=RANGE, t_range=RANGE, reference=one)
    assert m["pairs"]["present"] == 1
    assert m["materials"]["max_abs_deviation_pp"] == pytest.approx(100 * (1 - 1 / 3))
    assert m["materials"]["core_chi2"]["p_value"] < 1e-3
    assert m["sizes"]["r_core"]["ks_vs_training"] == pytest.approx(0.5)
    assert m["corners"]["fraction"] == 0.5  # only the two small-radius corners
    with pytest.raises(TypeError, match="expected a kerker.dataset.Designs batch"):
        fidelity_metrics(grid_designs(sizes=4), r_range=RANGE, t_range=RANGE)


def test_latent_smoothness_counts():
    gen = make_generator()
    s = latent_smoothness(gen, n_lines=7, n_steps=11, seed=0, keep=3)
    assert s["examples"]["r_core"].shape == (3, 11)
    metrics = s["metrics"]
    assert 0 <= metrics["core_switches_mean"] <= 10 and metrics["r_core_max_jump_nm"] <= 99
    assert 0 <= metrics["switch_fraction_of_steps"] <= 1
