"""The Kerker study: a fixed core, every shell, each best design checked against brute force."""

import json

import numpy as np
import pytest

from kerker.cli import main
from kerker.design import run_kerker_study, write_kerker_study
from kerker.design._kerker import grid_optimum, polydispersity
from kerker.design._physics import exact_spectra
from kerker.materials import PAPER_MATERIALS

MATS = tuple(PAPER_MATERIALS)


def _loss(core, shell, r, t, wl=705.0, w=1.0):
    qf, qb = exact_spectra(MATS, np.full(np.size(r), core), np.full(np.size(r), shell), np.atleast_1d(r),
                           np.atleast_1d(t), [wl])
    return -qf[:, 0] + w * qb[:, 0]


@pytest.mark.parametrize("shell", ["TiO2", "Ag"])
def test_grid_optimum_beats_a_dense_brute_force_scan(shell):
    si, ci = MATS.index(shell), MATS.index("Si")
    g = grid_optimum(MATS, ci, si, 705.0, 1.0, grid=41)
    r = np.linspace(1, 100, 301)
    rr, tt = (a.ravel() for a in np.meshgrid(r, r, indexing="ij"))
    brute = _loss(ci, si, rr, tt).min()
    assert g["loss"] <= brute + 1e-9  # the refined optimum is at least as good as a 7x finer scan
    assert 1.0 <= g["r_core"] <= 100.0 and 1.0 <= g["t_shell"] <= 100.0
    assert g["loss"] == pytest.approx(_loss(ci, si, g["r_core"], g["t_shell"])[0], rel=1e-12)
    assert g["loss"] == pytest.approx(-g["q_fwd"] + g["q_back"], rel=1e-12)


def test_polydispersity_zero_spread_is_the_nominal_design_and_spread_costs():
    ci, si = MATS.index("Si"), MATS.index("TiO2")
    nominal = _loss(ci, si, 61.75, 55.91)[0]
    p0 = polydispersity(MATS, ci, si, 61.75, 55.91, 705.0, 1.0, spread=0.0, points=3)
    assert p0["mean_loss"] == pytest.approx(nominal, rel=1e-12) and p0["worst_degradation_pct"] == pytest.approx(0)
    p = polydispersity(MATS, ci, si, 61.75, 55.91, 705.0, 1.0, spread=0.05)
    assert p["nominal_loss"] == pytest.approx(nominal, rel=1e-12)
    assert p["worst_loss"] >= p["mean_loss"] > nominal  # an optimum degrades under size errors


@pytest.fixture(scope="module")
def study():
    return run_kerker_study("Si", 705.0, starts=120, iterations=60, grid=21, weights=(0.5, 2.0), lrs=(0.01,))


def test_study_finds_each_shells_optimum_with_the_core_fixed(study):
    best = study.best_per_shell
    assert set(best) <= set(MATS) and len(best) >= 5
    ci = MATS.index("Si")
    for shell, b in best.items():
        # the reported exact figures are those of the design
        assert b["loss"] == pytest.approx(_loss(ci, MATS.index(shell), b["r_core"], b["t_shell"])[0], rel=1e-10)
        assert b["loss"] == pytest.approx(-b["q_fwd"] + b["q_back"], rel=1e-12)
        assert b["loss"] >= b["grid_optimum"]["loss"] - 1e-9  # the reference optimum is never beaten
        assert b["gap_pct"] >= -1e-7
        i = b["row"]
        assert study.optima["shell"][i] == shell and study.optima["loss"][i] == b["loss"]
        mask = study.optima["shell"] == shell
        assert b["loss"] == study.optima["loss"][mask].min()
    assert min(b["loss"] for b in best.values()) < -20.5  # TiO2 at about 61.7 / 56.0 nm: -20.79
    assert len(study.weight_sweep) == 2 and "0.01" in study.lr_study


def test_study_json_is_complete(study, tmp_path):
    path = write_kerker_study(study, tmp_path / "study.json", command=["kerker", "study", "kerker"])
    data = json.loads(path.read_text())
    assert data["config"]["starts"] == 120 and data["provenance"]["seed"] == 0
    assert {m["name"] for m in data["provenance"]["materials"]} >= {"Si", "TiO2"}
    assert len(data["optima"]["loss"]) == 120
    s = next(iter(data["spectra"].values()))
    assert len(s["wavelength_nm"]) == 201 and len(s["pattern"]["theta"]) > 10


@pytest.mark.parametrize(
    "kwargs, words",
    [({"method": "de"}, ["method", "'de'"]), ({"grid": 1}, ["grid", "1"]), ({"spread": 1.5}, ["spread", "1.5"]),
     ({"core": "Unobtainium"}, ["Unobtainium"])],
)
def test_bad_arguments_are_clear_errors(kwargs, words):
    with pytest.raises(ValueError) as err:
        run_kerker_study(**{"starts": 4, "iterations": 2, "grid": 0, **kwargs})
    for w in words:
        assert w in str(err.value)


def test_cli_study_kerker(tmp_path, capsys):
    out = tmp_path / "k"
    assert main(["study", "kerker", "--starts", "20", "--iterations", "20", "--grid", "0", "--spread", "0",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("shell")
    assert (out / "study.json").is_file() and (out / "optima.png").stat().st_size > 10_000
    assert main(["study", "kerker", "--weights", "a,b", "--out", str(out)]) == 2
    assert "--weights" in capsys.readouterr().err


def test_enumerate_with_more_starts_than_the_screening_grid():
    # 7 shells x 300 starts: more starts per pair than the default 16 x 16 grid, which grows to hold them
    s = run_kerker_study("Si", 705.0, method="enumerate", starts=7 * 300, iterations=2, grid=0, spread=0)
    assert s.optima["loss"].size == 7 * 300
    for shell in set(s.optima["shell"]):
        m = s.optima["shell"] == shell
        assert np.unique(np.stack([s.optima["r_core"][m], s.optima["t_shell"][m]]), axis=1).shape[1] == 300
