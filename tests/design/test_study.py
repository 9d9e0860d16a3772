"""The demo study and the one-particle spectra behind ``kerker demo`` and ``kerker mie``."""

import json

import numpy as np
import pytest

import kerker
from kerker.design import optimize_directional, particle_spectra, run_directional_study
from kerker.mie import multipoles, scattering_pattern

WL = np.linspace(500.0, 800.0, 7)


def test_particle_spectra_collects_the_observables():
    spectra = particle_spectra("Si", "SiO2", 60.0, 20.0, WL, pattern_wavelength=650.0, n_theta=19)
    q = kerker.efficiencies("Si", "SiO2", 60.0, 20.0, WL)
    mp = multipoles("Si", "SiO2", 60.0, 20.0, WL)
    record = spectra.to_dict()
    assert list(record)[:10] == ["wavelength_nm", "q_ext", "q_sca", "q_abs", "q_fwd", "q_back",
                                 "q_sca_ED", "q_sca_MD", "q_sca_EQ", "q_sca_MQ"]
    assert list(record)[10:] == ["c_ext", "c_sca", "c_abs", "g", "q_pr", "q_ext_ED", "q_ext_MD", "q_ext_EQ", "q_ext_MQ",
                                 "q_abs_ED", "q_abs_MD", "q_abs_EQ", "q_abs_MQ"]
    np.testing.assert_array_equal(record["g"], q.g[0])
    np.testing.assert_array_equal(record["c_sca"], q.c_sca[0])
    np.testing.assert_array_equal(record["q_abs_MQ"], q.multipoles(2).abs_magnetic[0, :, 1])
    for name in ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back"):
        np.testing.assert_array_equal(record[name], getattr(q, name)[0])
    # ED, MD, EQ, MQ are a_1, b_1, a_2, b_2
    np.testing.assert_array_equal(record["q_sca_MD"], mp.magnetic[0, :, 0])
    np.testing.assert_array_equal(record["q_sca_EQ"], mp.electric[0, :, 1])
    pattern = spectra.pattern
    assert pattern.wavelength == 650.0 and pattern.theta.shape == (19,)
    assert pattern.theta[0] == 0.0 and pattern.theta[-1] == np.pi
    for polarization in ("unpolarized", "perpendicular", "parallel"):
        _, _, want = scattering_pattern("Si", "SiO2", 60.0, 20.0, [650.0], pattern.theta, polarization=polarization)
        np.testing.assert_array_equal(getattr(pattern, polarization), want[0, 0])
    assert set(pattern.to_dict()) >= {"theta_deg", "q_unpolarized", "degree_of_polarization", "s1", "s2"}


def test_layered_particle_spectra_with_two_layers_are_the_core_shell_spectra():
    from kerker.design import layered_particle_spectra

    two = layered_particle_spectra(["Si", "SiO2"], [60.0, 80.0], WL, pattern_wavelength=650.0, n_theta=19)
    cs = particle_spectra("Si", "SiO2", 60.0, 20.0, WL, pattern_wavelength=650.0, n_theta=19)
    for name, value in cs.to_dict().items():
        np.testing.assert_array_equal(two.to_dict()[name], value)
    np.testing.assert_array_equal(two.pattern.parallel, cs.pattern.parallel)
    assert two.layers == [("Si", 60.0), ("SiO2", 80.0)]
    three = layered_particle_spectra(["Ag", "SiO2", "Si"], [20.0, 35.0, 80.0], WL)
    np.testing.assert_array_equal(three.q_back, kerker.efficiencies_layered(["Ag", "SiO2", "Si"], [20.0, 35.0, 80.0], WL).q_back[0])


def test_particle_spectra_without_pattern_and_bad_angles():
    assert particle_spectra("Au", "SiO2", 30.0, 10.0, WL).pattern is None
    with pytest.raises(ValueError, match="n_theta must be >= 2; received 1"):
        particle_spectra("Au", "SiO2", 30.0, 10.0, WL, pattern_wavelength=600.0, n_theta=1)


def test_study_is_the_seeded_descent_and_records_it(tmp_path):
    study = run_directional_study(n_starts=6, steps=8, seed=5, out=tmp_path)
    direct = optimize_directional("Si", "SiO2", 705.0, n_starts=6, steps=8, seed=5)
    np.testing.assert_array_equal(study.optimum.r_core, direct.r_core)  # same optimizer, same seed: bit-identical
    np.testing.assert_array_equal(study.optimum.loss, direct.loss)
    assert (study.r_core, study.t_shell) == (float(direct.r_core[0]), float(direct.t_shell[0]))
    rounded = {(round(r), round(t)) for r, t in zip(direct.r_core, direct.t_shell)}
    assert study.n_distinct == len(rounded)
    assert study.spectra.wavelength.shape == (201,) and study.spectra.pattern.wavelength == 705.0
    assert study.record == tmp_path / "demo.json"
    record = json.loads(study.record.read_text())
    assert record["provenance"]["seed"] == 5
    assert record["provenance"]["config"] == {"core": "Si", "shell": "SiO2", "wavelength": 705.0, "weight": 1.0,
                                              "n_starts": 6, "steps": 8, "seed": 5}
    assert [m["name"] for m in record["provenance"]["materials"]] == ["Si", "SiO2"]
    assert record["best"]["r_core_nm"] == study.r_core and record["best"]["loss"] == float(direct.loss[0])
    assert record["all_starts"]["t_shell_nm"] == direct.t_shell.tolist()
    assert record["spectra"]["q_fwd"] == study.spectra.q_fwd.tolist()


def test_study_without_out_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    study = run_directional_study(n_starts=2, steps=2)
    assert study.record is None and not any(tmp_path.iterdir())
