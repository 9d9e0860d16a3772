"""The one artifact writer: atomic JSON, bytes and figures, and the provenance block."""

import json

import numpy as np
import pytest
from matplotlib.figure import Figure

import kerker
from kerker._artifacts import atomic_path, provenance, write_bytes_atomic, write_figure_atomic, write_json_atomic


def _leftovers(folder):
    return [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_json_holds_arrays_and_complex_numbers(tmp_path):
    path = write_json_atomic(tmp_path / "a" / "b.json", {"x": np.arange(3.0), "z": 1 + 2j, "n": np.int64(4)})
    assert path == tmp_path / "a" / "b.json"
    text = path.read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == {"x": [0.0, 1.0, 2.0], "z": {"re": 1.0, "im": 2.0}, "n": 4}
    assert _leftovers(path.parent) == []


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"ok": 1})
    with pytest.raises(TypeError, match="cannot serialise object to JSON"):
        write_json_atomic(path, {"ok": 2, "bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert _leftovers(tmp_path) == []


def test_bytes_are_written_as_given_and_other_types_refused(tmp_path):
    assert write_bytes_atomic(tmp_path / "b.bin", b"\x00\x01").read_bytes() == b"\x00\x01"
    with pytest.raises(TypeError, match="data must be bytes; received str"):
        write_bytes_atomic(tmp_path / "c.bin", "text")
    assert not (tmp_path / "c.bin").exists()


def _figure():
    fig = Figure(figsize=(2.0, 1.5))
    fig.add_subplot().plot([0, 1, 2], [1, 0, 1])
    return fig


def test_figure_bytes_equal_matplotlibs_own_save(tmp_path):
    fig = _figure()
    fig.savefig(tmp_path / "direct.png", dpi=90)
    path = write_figure_atomic(fig, tmp_path / "sub" / "atomic.png", dpi=90)
    assert path.read_bytes() == (tmp_path / "direct.png").read_bytes()
    assert write_figure_atomic(fig, tmp_path / "f.svg", dpi=90).read_text().lstrip().startswith("<?xml")
    assert _leftovers(tmp_path / "sub") == []


def test_provenance_names_config_seed_and_versions():
    import torch

    meta = provenance({"a": 1}, seed=3, materials=[{"name": "Si"}])
    assert meta["kerker_version"] == kerker.__version__
    assert (meta["config"], meta["seed"], meta["materials"]) == ({"a": 1}, 3, [{"name": "Si"}])
    assert meta["numpy"] == np.__version__ and meta["torch"] == torch.__version__
    for key in ("created_utc", "python", "platform"):
        assert meta[key]


def test_atomic_path_serves_writers_that_take_a_file_name(tmp_path):
    target = tmp_path / "data.txt"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and not target.exists()
        np.savetxt(tmp, np.arange(3))  # a writer that opens the name itself
    assert target.stat().st_size > 0
    with pytest.raises(RuntimeError, match="interrupted"):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("interrupted")
    assert np.loadtxt(target).tolist() == [0.0, 1.0, 2.0]
    assert _leftovers(tmp_path) == []


def test_doctests():
    import doctest

    import kerker._artifacts

    result = doctest.testmod(kerker._artifacts)
    assert result.attempted > 0 and result.failed == 0


def test_files_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        json_path = write_json_atomic(tmp_path / "a.json", {"x": 1})
        png_path = write_figure_atomic(_figure(), tmp_path / "a.png", dpi=50)
    finally:
        os.umask(old)
    assert (json_path.stat().st_mode & 0o777) == 0o640
    assert (png_path.stat().st_mode & 0o777) == 0o640
