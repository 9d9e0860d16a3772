"""Checkpoints carry the SHA-256 of their content; the shipped weights are checked against a manifest.

Issue 13, item 4: one flipped bit in the shipped ``resnet.pt`` shifted predictions by
1.4 % and loaded silently (torch's zip reader does not check CRCs). The bits are flipped
inside a tensor's bytes, located through the zip directory of the file.
"""

import hashlib
import io
import shutil
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import kerker.models
import kerker.models._shipped as shipped
from kerker.dataset import Designs
from kerker.models import Surrogate, load_checkpoint, load_generator, load_surrogate, save_checkpoint
from kerker.models.checkpoint import DIGEST_KEY, content_sha256

WEIGHTS = Path(kerker.models.__file__).parent / "weights"


def tensor_byte(path: Path, fraction: float = 0.5) -> int:
    """File offset of a byte inside the largest tensor-data entry of a torch.save zip file."""
    with zipfile.ZipFile(path) as archive:
        entry = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    with open(path, "rb") as handle:
        handle.seek(entry.header_offset)
        local = handle.read(30)
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    return entry.header_offset + 30 + name_len + extra_len + int(entry.file_size * fraction)


def flip_bit(path: Path, offset: int, bit: int = 6) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 1 << bit
    path.write_bytes(bytes(data))


@pytest.fixture
def weights_copy(tmp_path, monkeypatch):
    """The shipped weights and manifest, copied to a folder that load_surrogate/load_generator then use."""
    folder = tmp_path / "weights"
    shutil.copytree(WEIGHTS, folder)
    monkeypatch.setattr(shipped, "_WEIGHTS", folder)
    return folder


# --- the shipped weights ------------------------------------------------------------------------


def test_manifest_lists_every_shipped_checkpoint():
    # fails when a checkpoint is replaced without `sha256sum *.pt > SHA256SUMS` in kerker/models/weights
    lines = (WEIGHTS / "SHA256SUMS").read_text().splitlines()
    manifest = dict(reversed(line.split("  ")) for line in lines)
    assert sorted(manifest) == sorted(p.name for p in WEIGHTS.glob("*.pt")) == ["mlp.pt", "resnet.pt", "wgan.pt", "wgan3.pt"]
    for name, digest in manifest.items():
        assert hashlib.sha256((WEIGHTS / name).read_bytes()).hexdigest() == digest, name


def test_flipped_bit_in_shipped_resnet_is_refused(weights_copy):
    intact = load_surrogate("resnet")
    flip_bit(weights_copy / "resnet.pt", tensor_byte(weights_copy / "resnet.pt"))
    # what used to happen: the damaged file loads and predicts something else, silently
    damaged = Surrogate.from_checkpoint(weights_copy / "resnet.pt")
    designs = Designs.broadcast(["Si", "Au"], ["SiO2", "Ag"], np.array([40.0, 30.0]), np.array([20.0, 10.0]),
                                materials=intact.materials)
    assert not np.array_equal(damaged.predict(designs)[0], intact.predict(designs)[0])
    with pytest.raises(ValueError, match=r"shipped surrogate 'resnet' is damaged \(.*resnet.pt is damaged or not the "
                       r"expected file: its SHA-256 is [0-9a-f]{64}, expected ccec93d26b91.*SHA256SUMS\); its "
                       r"predictions cannot be trusted. Reinstall kerker"):
        load_surrogate("resnet")
    assert load_surrogate("mlp").arch == "mlp"  # the others are untouched


def test_flipped_bit_in_shipped_generator_is_refused(weights_copy):
    flip_bit(weights_copy / "wgan.pt", tensor_byte(weights_copy / "wgan.pt", 0.3), bit=0)
    with pytest.raises(ValueError, match=r"the shipped WGAN-GP generator is damaged \(.*wgan.pt is damaged"):
        load_generator()


def test_missing_manifest_or_entry(weights_copy):
    manifest = weights_copy / "SHA256SUMS"
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join(line for line in lines if not line.endswith("mlp.pt")) + "\n")
    with pytest.raises(FileNotFoundError, match=r"shipped surrogate 'mlp': .*SHA256SUMS lists no SHA-256 for mlp.pt"):
        load_surrogate("mlp")
    manifest.unlink()
    with pytest.raises(FileNotFoundError, match=r"shipped surrogate 'resnet' cannot be checked: the manifest "
                       r".*SHA256SUMS is missing"):
        load_surrogate("resnet")


# --- checkpoints written by kerker ------------------------------------------------------------------


def payload():
    gen = torch.Generator().manual_seed(0)
    return {
        "kind": "kerker.test",
        "modules": {"net": {"weight": torch.randn(64, 64, generator=gen), "bias": torch.zeros(64)}},
        "optimizers": {"adam": {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": [{"lr": 1e-3}]}},
        "epoch": 7,
        "history": [{"loss": 0.5, "lr": 1e-3}, {"loss": 0.25, "lr": 1e-3}],
        "stop_reason": None,
    }


def test_written_checkpoint_round_trips_with_its_digests(tmp_path):
    original = payload()
    path = save_checkpoint(tmp_path / "last.pt", original)
    assert DIGEST_KEY not in original  # the caller's dict is not modified
    raw = torch.load(path, weights_only=True)
    assert sorted(raw[DIGEST_KEY]) == sorted(original) and raw[DIGEST_KEY]["epoch"] == content_sha256(7)
    loaded = load_checkpoint(path)
    assert DIGEST_KEY not in loaded and list(loaded) == list(original)
    assert torch.equal(loaded["modules"]["net"]["weight"], original["modules"]["net"]["weight"])
    assert loaded["history"] == original["history"] and loaded["epoch"] == 7


def test_flipped_bit_in_a_written_checkpoint_is_refused(tmp_path):
    path = save_checkpoint(tmp_path / "best.pt", payload())
    flip_bit(path, tensor_byte(path))
    with pytest.raises(ValueError, match=r"best.pt is damaged: entries 'modules' do not match the SHA-256 recorded "
                       r"when it was saved; restore it from a copy or train again"):
        load_checkpoint(path)
    with pytest.raises(ValueError, match="best.pt is damaged"):
        Surrogate.from_checkpoint(path)


def test_altered_plain_values_and_entries_are_refused(tmp_path):
    path = save_checkpoint(tmp_path / "run.pt", payload())
    raw = torch.load(path, weights_only=True)
    raw["epoch"] = 8  # a value changed, the recorded digest kept
    del raw["history"]
    raw["extra"] = 1
    buffer = io.BytesIO()
    torch.save(raw, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match=r"run.pt is damaged: entries 'history' \(missing\), 'extra' \(not covered "
                       r"by a recorded SHA-256\), 'epoch' do not match"):
        load_checkpoint(path)


def test_content_digest_is_exact():
    t = torch.arange(6, dtype=torch.float64)
    assert content_sha256(t) == content_sha256(t.clone()) != content_sha256(t.to(torch.float32))
    assert content_sha256(t) != content_sha256(t.reshape(2, 3))  # shape counts, not only the bytes
    assert content_sha256([1, 2]) != content_sha256((1, 2)) != content_sha256([1.0, 2.0])
    assert content_sha256({"a": 1, "b": 2}) != content_sha256({"b": 2, "a": 1})  # order as saved
    assert content_sha256(0.1) != content_sha256(0.1 + 2**-56) and content_sha256(True) != content_sha256(1)
    assert content_sha256(["ab", "c"]) != content_sha256(["a", "bc"])


def test_only_plain_values_can_be_saved(tmp_path):
    with pytest.raises(TypeError, match=r"checkpoint entry 'metrics'\['rmae'\] holds a ndarray; a checkpoint holds "
                       r"tensors and plain values only"):
        save_checkpoint(tmp_path / "x.pt", {"modules": {}, "metrics": {"rmae": np.zeros(3)}})
    assert not (tmp_path / "x.pt").exists()
    with pytest.raises(TypeError, match="save_checkpoint payload must be a dict; received list"):
        save_checkpoint(tmp_path / "x.pt", [1])


def test_expected_file_digest(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", payload())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_checkpoint(path, sha256=digest.upper())["epoch"] == 7
    with pytest.raises(ValueError, match=rf"m.pt is damaged or not the expected file: its SHA-256 is {digest}, "
                       "expected 0{64}"):
        load_checkpoint(path, sha256="0" * 64)


def test_checkpoint_without_digests_still_loads(tmp_path):
    # written before checkpoints carried digests (as the shipped ones were): loaded unverified
    path = tmp_path / "old.pt"
    torch.save(payload(), path)
    assert load_checkpoint(path)["epoch"] == 7


@pytest.mark.parametrize(
    ("kind", "drop", "missing"),
    [("kerker.surrogate", "arch", "'arch'"), ("kerker.surrogate", "network", "'modules/network'"),
     ("kerker.wgan_gp", "generator_spec", "'generator_spec'")],
)
def test_incomplete_checkpoints_name_the_missing_entry(tmp_path, kind, drop, missing):
    from kerker.models import Generator, Surrogate

    payload = {"kind": kind, "modules": {"network": {}, "generator": {}}, "arch": "resnet", "arch_config": {},
               "preprocessing": {}, "generator_spec": {}}
    if drop == "network":
        del payload["modules"]["network"]
    else:
        del payload[drop]
    loader = Surrogate if kind == "kerker.surrogate" else Generator
    with pytest.raises(ValueError, match=f"is not a complete .* checkpoint: no {missing} entry"):
        loader.from_checkpoint(payload)
