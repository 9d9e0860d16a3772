"""Checksums of datasets: a flipped byte anywhere in the data is caught and located.

Issue 13, item 4: one flipped byte in a q_fwd chunk turned 3.83 into -0.957 and the file
opened silently. Every block of every array now carries its SHA-256 (format version 2);
these tests damage real files at the byte level, at offsets found with h5py's low-level
API (``get_chunk_info_by_coord`` for chunked arrays, ``get_offset`` for contiguous ones).
"""

import json
import shutil

import h5py
import numpy as np
import pytest

from kerker.cli import main
from kerker.dataset import TARGETS, DatasetConfig, build_dataset, open_dataset, verify_dataset
from kerker.dataset._store import _material_records, fingerprint

# 3 x 3 materials x 4 x 4 sizes = 144 particles in 5 chunks of 32, 12 wavelengths
SMALL = DatasetConfig(materials=("Si", "TiO2", "Au"), n_r_core=4, n_t_shell=4, n_wavelengths=12, chunk_size=32)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return build_dataset(tmp_path_factory.mktemp("integrity") / "small.h5", SMALL, progress=False)


@pytest.fixture
def copy(small, tmp_path):
    path = tmp_path / "copy.h5"
    shutil.copy(small, path)
    return path


def byte_offset(path, name, row, col=0):
    """File offset of the most significant byte (sign and exponent) of element [row, col] of ``name``."""
    with h5py.File(path, "r") as f:
        ds = f[name]
        item = ds.dtype.itemsize
        if ds.chunks is None:  # contiguous (the inputs)
            return ds.id.get_offset() + row * item + item - 1
        rows = ds.chunks[0]
        info = ds.id.get_chunk_info_by_coord((row // rows * rows, 0))
        return info.byte_offset + ((row % rows) * ds.shape[1] + col) * item + item - 1


def flip(path, offset, mask=0xFF):
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)[0]
        handle.seek(offset)
        handle.write(bytes([byte ^ mask]))


def test_flipped_byte_in_a_q_fwd_chunk_is_located(copy):
    with h5py.File(copy, "r") as f:
        before = f["q_fwd"][69, 3]
    flip(copy, byte_offset(copy, "q_fwd", row=69, col=3))
    with h5py.File(copy, "r") as f:  # the damage is real, and HDF5 alone does not notice it
        assert f["q_fwd"][69, 3] != before
    ds = open_dataset(copy)  # inputs and header are intact: opening works
    where = r"q_fwd chunk 2 \(particles 64-95\)"
    with pytest.raises(ValueError, match=rf"copy.h5 is damaged: {where}: the data read back do not match the SHA-256 "
                       r"recorded when they were written. `kerker dataset verify .*copy.h5` lists"):
        ds.q_fwd
    assert ds.q_back.shape == (144, 12)  # the other arrays are still usable
    report = verify_dataset(copy)
    assert report["damaged"] == [
        {"array": "q_fwd", "chunk": 2, "particles": [64, 95], "where": "q_fwd chunk 2 (particles 64-95)"}
    ]
    assert report["complete"] and report["chunks_done"] == report["n_chunks"] == 5


def test_every_damaged_chunk_is_listed(copy):
    flip(copy, byte_offset(copy, "q_abs", row=0, col=0), mask=0x01)  # a single bit
    flip(copy, byte_offset(copy, "q_abs", row=143, col=11), mask=0x01)  # the last, short chunk
    flip(copy, byte_offset(copy, "q_sca", row=40, col=5))
    where = [d["where"] for d in verify_dataset(copy)["damaged"]]
    assert where == ["q_sca chunk 1 (particles 32-63)", "q_abs chunk 0 (particles 0-31)",
                     "q_abs chunk 4 (particles 128-143)"]  # in file order: q_fwd, q_back, q_ext, q_sca, q_abs


@pytest.mark.parametrize(("name", "row", "where"), [
    ("r_core", 100, r"r_core chunk 3 \(particles 96-127\)"),
    ("t_shell", 0, r"t_shell chunk 0 \(particles 0-31\)"),
    ("split/test", 0, r"split/test \(the whole array\)"),
])
def test_damaged_input_is_refused_on_open(copy, name, row, where):
    flip(copy, byte_offset(copy, name, row=row))
    with pytest.raises(ValueError, match=f"copy.h5 is damaged: {where}: the data read back do not match"):
        open_dataset(copy)
    assert [d["where"] for d in verify_dataset(copy)["damaged"]] == [where.replace("\\", "")]


def test_intact_file_verifies(small):
    report = verify_dataset(small)
    assert report["damaged"] == [] and report["complete"]
    # header + 9 inputs (4 per-particle arrays of 5 chunks, wavelength, materials, 3 splits) + 5 x 5 target chunks
    assert report["blocks_checked"] == 1 + 4 * 5 + 5 + 5 * 5
    with h5py.File(small, "r") as f:
        assert f["sha256/q_fwd"].shape == (5, 32) and f["sha256/wavelength"].shape == (1, 32)


def test_unfinished_build_verifies_its_done_chunks(copy, capsys):
    with h5py.File(copy, "r+") as f:
        f["done"][3] = 0
        f.attrs["complete"] = False
    flip(copy, byte_offset(copy, "q_fwd", row=100))  # chunk 3: not done, not checked
    report = verify_dataset(copy)
    assert report["damaged"] == [] and not report["complete"] and report["chunks_done"] == 4
    flip(copy, byte_offset(copy, "q_ext", row=0))  # chunk 0: done, damaged; a resumed build recomputes it
    assert main(["dataset", "verify", str(copy)]) == 1
    out, err = capsys.readouterr()
    assert "damaged  q_ext chunk 0 (particles 0-31)\n" in out and "(unfinished, 4/5 chunks done;" in out
    assert "run the same `kerker dataset build` command again: it recomputes them" in err


def test_cli_verify(small, copy, tmp_path, capsys):
    assert main(["dataset", "verify", str(small)]) == 0
    out, err = capsys.readouterr()
    assert f"{small}: intact (complete; 51 blocks of header and 14 arrays checked against their SHA-256)" in out
    assert err == ""
    flip(copy, byte_offset(copy, "q_fwd", row=69, col=3))
    assert main(["dataset", "verify", str(copy)]) == 1
    out, err = capsys.readouterr()
    assert "damaged  q_fwd chunk 2 (particles 64-95)\n" in out and "1 damaged (complete;" in out
    assert "copy.h5 is damaged (1 blocks); delete it and build it again" in err
    assert main(["dataset", "verify", str(copy), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["damaged"][0]["particles"] == [64, 95]
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"no hdf5 here" * 50)
    assert main(["dataset", "verify", str(junk)]) == 2
    assert "is not a kerker dataset / is corrupt" in capsys.readouterr().err


def test_damaged_header_is_reported(copy):
    with h5py.File(copy, "r+") as f:
        meta = json.loads(f.attrs["metadata"])
        meta["kerker_version"] = "0.0.0"
        f.attrs["metadata"] = json.dumps(meta)
    with pytest.raises(ValueError, match=r"copy.h5 is corrupt: its header \(root attributes .*metadata.*\) does not"):
        open_dataset(copy)
    assert [d["array"] for d in verify_dataset(copy)["damaged"]] == ["header"]


def test_format_1_files_are_refused_with_a_message_to_rebuild(copy):
    # a dataset built before checksums existed: version 1, no /sha256 group
    with h5py.File(copy, "r+") as f:
        f.attrs["format_version"] = 1
        del f["sha256"]
    message = (r"copy.h5 was built by an earlier kerker \(dataset format version 1, without checksums\); this kerker "
               r"reads version 2, .* Delete it and run the same `kerker dataset build` command again")
    with pytest.raises(ValueError, match=message):
        open_dataset(copy)
    with pytest.raises(ValueError, match=message):
        build_dataset(copy, SMALL, progress=False)


def test_fingerprint_unchanged_by_the_new_format():
    # the shipped surrogates record the paper set's fingerprint (weights/resnet.pt: info["dataset"]); a
    # rebuilt paper set must still match it, or fine-tuning and evaluation against it would be refused
    config = DatasetConfig()
    fp = fingerprint(config, config.wavelength(), [r["sha256"] for r in _material_records(config)])
    assert fp == "2cea01f877a1fe08bbbd178f82b65be25ef1e7b7203d2ddcfcd7f30390068919"


def test_resume_recomputes_a_damaged_finished_chunk(small, tmp_path, capsys):
    out = tmp_path / "healed.h5"
    partial = tmp_path / "healed.h5.partial"
    shutil.copy(small, partial)
    with h5py.File(partial, "r+") as f:  # an unfinished build: chunk 4 to do, chunk 1 done but damaged since
        f["done"][4] = 0
        f.attrs["complete"] = False
    flip(partial, byte_offset(partial, "q_back", row=40, col=2))
    build_dataset(out, SMALL)
    err = capsys.readouterr().err
    assert "damaged, computing again: q_back chunk 1 (particles 32-63)" in err and "wrote" in err
    assert verify_dataset(out)["damaged"] == []
    clean, healed = open_dataset(small), open_dataset(out)
    for name in TARGETS:
        assert np.array_equal(getattr(healed, name), getattr(clean, name)), name


def test_nothing_is_reported_written_that_does_not_read_back(tmp_path, capsys):
    # something writes into the file behind the build's back (after chunk 0 is done and
    # flushed): the check before the rename catches it, the file keeps its .partial name
    out = tmp_path / "checked.h5"
    partial = tmp_path / "checked.h5.partial"

    def meddle(k, n, rate, eta):
        if k == n - 1:
            flip(partial, byte_offset(partial, "q_ext", row=3, col=1))

    with pytest.raises(ValueError, match=r"checked.h5.partial did not read back as written: q_ext chunk 0 "
                       r"\(particles 0-31\) do not match .* run the same command again to recompute them"):
        build_dataset(out, SMALL, progress=meddle)
    assert not out.exists() and partial.exists()
    with h5py.File(partial, "r") as f:
        assert f["done"][...].tolist() == [0, 1, 1, 1, 1] and not f.attrs["complete"]
    build_dataset(out, SMALL)
    assert "wrote" in capsys.readouterr().err
    assert verify_dataset(out)["damaged"] == [] and not partial.exists()


def test_rerun_on_a_damaged_complete_file_says_so(copy):
    flip(copy, byte_offset(copy, "q_fwd", row=10, col=0))
    with pytest.raises(ValueError, match=r"copy.h5 is damaged: q_fwd chunk 0 \(particles 0-31\).*delete the file"):
        build_dataset(copy, SMALL, progress=False)
