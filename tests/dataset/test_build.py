"""Building, reading and resuming datasets on small grids, against direct Mie calls."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap

import h5py
import numpy as np
import pytest

import kerker
from kerker.dataset import TARGETS, DatasetConfig, build_dataset, open_dataset, verify_dataset

# 3 x 3 materials (incl. TiO2, held below 430 nm) x 4 x 4 sizes = 144 particles, 12 wavelengths
SMALL = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=4, n_t_shell=4, n_wavelengths=12, chunk_size=32)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("ds") / "small.h5", SMALL, progress=False)


def _direct(ds):
    mats = [kerker.material(m).with_extrapolation("hold") for m in ds.materials]
    return kerker.efficiencies(
        [mats[i] for i in ds.core_index], [mats[i] for i in ds.shell_index], ds.r_core, ds.t_shell, ds.wavelength
    )


def test_reading_api(small):
    ds = open_dataset(small)
    n, w = 144, 12
    assert ds.materials == ("Si", "TiO2", "Au")
    assert ds.wavelength.dtype == np.float64 and ds.wavelength.shape == (w,)
    assert ds.r_core.dtype == ds.t_shell.dtype == np.float64 and ds.r_core.shape == (n,)
    assert ds.core_index.dtype == ds.shell_index.dtype == np.int64
    for name in TARGETS:
        assert getattr(ds, name).shape == (n, w) and getattr(ds, name).dtype == np.float32
    assert ds.r_range == (1.0, 100.0) and ds.t_range == (1.0, 100.0)
    assert len(ds) == n and ds.config == SMALL
    sizes = [len(ds.split(s)) for s in ("train", "val", "test")]
    assert sizes == list(SMALL.split) and sum(sizes) == n
    assert np.array_equal(np.sort(np.concatenate([ds.split(s) for s in ("train", "val", "test")])), np.arange(n))
    with pytest.raises(ValueError, match=r"split name must be one of \('train', 'val', 'test'\); received 'valid'"):
        ds.split("valid")
    assert ds.metadata["kerker_version"] == kerker.__version__ and ds.metadata["seed"] == 0
    assert ds.metadata["config"] == SMALL.to_dict()
    assert len(ds.fingerprint) == 64


def test_values_equal_direct_mie(small):
    # float32 storage: relative rounding <= 2**-24. The solver's results depend on the batch
    # at the ~1e-14 level; q_abs = q_ext - q_sca of (nearly) lossless particles is ~1e-16
    # and carries that noise in absolute terms, hence atol.
    ds = open_dataset(small)
    q = _direct(ds)
    for name in TARGETS:
        exact = getattr(q, name)
        assert np.allclose(getattr(ds, name), exact, rtol=2.0**-24 * 1.01, atol=1e-13), name


def test_float64_storage_is_exact_to_solver_precision(tmp_path):
    cfg = DatasetConfig(materials=("SiO2", "Ag"), n_r_core=3, n_t_shell=3, n_wavelengths=5, dtype="float64")
    ds = open_dataset(build_dataset(tmp_path / "f64.h5", cfg, progress=False))
    q = _direct(ds)
    assert ds.q_back.dtype == np.float64
    assert np.allclose(ds.q_back, q.q_back, rtol=1e-12, atol=0)
    assert np.allclose(ds.q_abs, q.q_abs, rtol=1e-12, atol=1e-15)


def test_tio2_hold_recorded(small):
    meta = open_dataset(small).metadata
    assert meta["extrapolation"]["policy"] == "hold"
    tio2 = meta["extrapolation"]["materials"]["TiO2"]
    assert tio2["policy"] == "hold" and tio2["data_range_nm"] == [430.0, 1530.0]
    assert tio2["held_wavelengths_nm"] == [w for w in SMALL.wavelength().tolist() if w < 430]
    assert set(meta["extrapolation"]["materials"]) == {"TiO2"}
    records = {r["name"]: r for r in meta["materials"]}
    assert records["TiO2"]["extrapolate"] == "hold" and len(records["TiO2"]["sha256"]) == 64


def test_fingerprint_identical_for_identical_configs(small, tmp_path):
    other = open_dataset(build_dataset(tmp_path / "again.h5", SMALL, progress=False))
    ds = open_dataset(small)
    assert other.fingerprint == ds.fingerprint
    assert np.array_equal(other.q_fwd, ds.q_fwd) and np.array_equal(other.split("test"), ds.split("test"))
    seeded = DatasetConfig(**{**SMALL.to_dict(), "seed": 1, "materials": SMALL.materials, "split": None})
    assert open_dataset(build_dataset(tmp_path / "seed1.h5", seeded, progress=False)).fingerprint != ds.fingerprint


def test_rerun_on_complete_file_is_a_noop(small, capsys):
    before = os.stat(small).st_mtime_ns
    assert build_dataset(small, SMALL) == small
    assert os.stat(small).st_mtime_ns == before
    assert "already complete" in capsys.readouterr().err


def test_mismatched_config_names_the_difference(small):
    changed = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=5, n_t_shell=4, n_wavelengths=12, chunk_size=32)
    with pytest.raises(ValueError, match=r"different config \(file -> requested\): n_r_core: 4 -> 5; split: "):
        build_dataset(small, changed, progress=False)


def test_progress_lines_on_stderr(tmp_path, capsys):
    cfg = DatasetConfig(materials=("Si",), n_r_core=4, n_t_shell=4, n_wavelengths=4, chunk_size=8)
    build_dataset(tmp_path / "p.h5", cfg)
    err = capsys.readouterr().err
    assert "chunk 1/2" in err and "chunk 2/2" in err and "spectra/s" in err and "ETA" in err
    assert "wrote" in err


# --- corrupt, foreign, incomplete files ---------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no dataset at .*kerker dataset build"):
        open_dataset(tmp_path / "nothing.h5")


def test_not_hdf5(tmp_path):
    path = tmp_path / "junk.h5"
    path.write_bytes(b"not an hdf5 file at all" * 100)
    with pytest.raises(ValueError, match=r"junk.h5 is not a kerker dataset / is corrupt: HDF5 cannot open it"):
        open_dataset(path)
    with pytest.raises(ValueError, match="is not a kerker dataset / is corrupt"):
        build_dataset(path, SMALL, progress=False)


def test_truncated(small, tmp_path):
    path = tmp_path / "truncated.h5"
    data = small.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated.h5 is not a kerker dataset / is corrupt"):
        open_dataset(path)


def test_foreign_hdf5(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(3)
    with pytest.raises(ValueError, match=r"foreign.h5 is not a kerker dataset: attribute 'format' is None"):
        open_dataset(path)


@pytest.mark.parametrize("name", ["q_back", "split/test", "r_core"])
def test_missing_dataset(small, tmp_path, name):
    path = tmp_path / "missing.h5"
    shutil.copy(small, path)
    with h5py.File(path, "r+") as f:
        del f[name]
    with pytest.raises(ValueError, match=f"missing.h5 is corrupt: dataset '{name}' is missing"):
        open_dataset(path)


def test_tampered_header(small, tmp_path):
    path = tmp_path / "tampered.h5"
    shutil.copy(small, path)
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = "{not json"
    with pytest.raises(ValueError, match="tampered.h5 is corrupt: unreadable header"):
        open_dataset(path)
    with h5py.File(path, "r+") as f:
        f.attrs["config"] = (
            '{"seed": 5, "materials": ["Si", "TiO2", "Au"], "n_r_core": 4, "n_t_shell": 4, '
            '"n_wavelengths": 12, "chunk_size": 32}'
        )
    # a readable but altered header: its SHA-256 (format version 2) no longer matches
    with pytest.raises(ValueError, match=r"tampered.h5 is corrupt: its header \(root attributes .*config.*\) does not "
                       "match its SHA-256"):
        open_dataset(path)


def test_incomplete_file_is_refused(small, tmp_path):
    path = tmp_path / "half.h5"
    shutil.copy(small, path)
    with h5py.File(path, "r+") as f:
        f["done"][2] = 0
        f.attrs["complete"] = False
    with pytest.raises(ValueError, match=r"half.h5 is incomplete \(4/5 chunks computed\).*again to resume"):
        open_dataset(path)


# --- interruption and resumption ----------------------------------------------------

_CHILD = textwrap.dedent(
    """
    import sys, time
    from kerker.dataset import DatasetConfig, build_dataset
    cfg = DatasetConfig.from_dict({config!r})
    def slow(k, n, rate, eta):  # progress hook: announce the chunk, then give the parent time to kill us
        print(f"chunk {{k}}/{{n}}", flush=True)
        time.sleep(0.15)
    build_dataset(sys.argv[1], cfg, progress=slow)
    """
)

RESUME = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=4, n_t_shell=4, n_wavelengths=12, chunk_size=8)


def _interrupt(path, sig, after_chunk):
    code = _CHILD.format(config=RESUME.to_dict())
    proc = subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.startswith(f"chunk {after_chunk}/"):
            proc.send_signal(sig)
            break
    proc.stdout.close()
    return proc.wait(timeout=60)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_interrupted_build_resumes_bit_identical(tmp_path, sig):
    clean = open_dataset(build_dataset(tmp_path / "clean.h5", RESUME, progress=False))
    path = tmp_path / "resumed.h5"
    partial = tmp_path / "resumed.h5.partial"
    rc = _interrupt(path, sig, after_chunk=5)
    assert rc != 0 and not path.exists() and partial.exists()
    with h5py.File(partial, "r") as f:
        done = f["done"][...]
        assert 5 <= done.sum() < done.size
    with pytest.raises(ValueError, match="is incomplete"):
        open_dataset(partial)
    # a different config refuses to resume the partial file
    with pytest.raises(ValueError, match=r"resumed.h5.partial holds a dataset of a different config.*seed: 0 -> 1"):
        build_dataset(
            path, DatasetConfig(**{**RESUME.to_dict(), "materials": RESUME.materials, "seed": 1}), progress=False
        )
    build_dataset(path, RESUME, progress=False)
    assert path.exists() and not partial.exists()
    resumed = open_dataset(path)
    assert resumed.fingerprint == clean.fingerprint
    for name in ("r_core", "t_shell", "core_index", "shell_index", "wavelength", *TARGETS):
        assert np.array_equal(getattr(resumed, name), getattr(clean, name)), name
    for s in ("train", "val", "test"):
        assert np.array_equal(resumed.split(s), clean.split(s))
    # the checksums written before and after the interruption agree with the data
    assert verify_dataset(path)["damaged"] == []
    with h5py.File(path, "r") as f, h5py.File(tmp_path / "clean.h5", "r") as g:
        assert np.array_equal(f["sha256/q_fwd"][...], g["sha256/q_fwd"][...])
