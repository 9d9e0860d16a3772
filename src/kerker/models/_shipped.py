"""The checkpoints shipped in ``kerker/models/weights/`` (see its README.md), loaded by name.

Each is checked against its SHA-256 in the manifest ``weights/SHA256SUMS`` (the format of
``sha256sum``; regenerate it with ``sha256sum *.pt > SHA256SUMS`` in that folder whenever a
checkpoint is replaced) before it is loaded, so a damaged or altered file is refused.
"""

from __future__ import annotations

from pathlib import Path

from kerker.models.checkpoint import load_checkpoint
from kerker.models.surrogate import Surrogate
from kerker.models.wgan import Generator

__all__ = ["SHIPPED_GENERATORS", "SHIPPED_SURROGATES", "load_generator", "load_surrogate"]

_WEIGHTS = Path(__file__).parent / "weights"
_MANIFEST = "SHA256SUMS"

#: Shipped checkpoints by name (files in ``kerker/models/weights/``; see its README.md).
SHIPPED_SURROGATES = {"resnet": "resnet.pt", "mlp": "mlp.pt"}
#: Shipped WGAN-GP generators by the number of layers of their designs.
SHIPPED_GENERATORS = {2: "wgan.pt", 3: "wgan3.pt"}


def load_surrogate(name: str = "resnet") -> Surrogate:
    """Load a surrogate shipped with kerker, in eval mode.

    Parameters
    ----------
    name : {"resnet", "mlp"}
        ``"resnet"``: the paper's 1D ResNet on 64 wavelengths (400-800 nm); ``"mlp"``: the
        per-wavelength MLP (any wavelength in 400-800 nm).

    Returns
    -------
    Surrogate
        ``model.predict(designs)`` or ``model.predict(core, shell, r_core, t_shell)`` ->
        ``q_fwd, q_back`` (P, W) on ``model.wavelength``; training command and metrics in
        ``model.info``.

    Raises
    ------
    ValueError
        Unknown name, or the file does not match its SHA-256 in ``weights/SHA256SUMS``.
    FileNotFoundError
        The package was installed without its weights or their manifest.
    """
    if name not in SHIPPED_SURROGATES:
        raise ValueError(f"unknown shipped surrogate {name!r}; available: {sorted(SHIPPED_SURROGATES)}")
    return Surrogate.from_checkpoint(_load_shipped(SHIPPED_SURROGATES[name], f"shipped surrogate {name!r}"))


def load_generator(layers: int = 2) -> Generator:
    """Load a WGAN-GP generator shipped with kerker, in eval mode.

    Parameters
    ----------
    layers : {2, 3}
        2: the core-shell generator (``weights/wgan.pt``, the paper's); 3: the generator
        of three-layer spheres (``weights/wgan3.pt``).

    Returns
    -------
    Generator
        ``generator.sample(n, seed=...)`` -> n hard :class:`~kerker.dataset.Designs`
        (material indices, r_core/t_shell in nm); ``generator.decode(z, hard=False)``, soft
        designs for optimization through ``z``; for any layer count
        ``generator.sample_layers`` / ``decode_layers``; training command, history and
        fidelity numbers in ``generator.info``.

    Raises
    ------
    ValueError
        No generator is shipped for ``layers``, or the file does not match its SHA-256
        in ``weights/SHA256SUMS``.
    FileNotFoundError
        The package was installed without its weights or their manifest.
    """
    if isinstance(layers, bool) or layers not in SHIPPED_GENERATORS:
        raise ValueError(f"kerker ships generators for layers {sorted(SHIPPED_GENERATORS)}, not {layers!r}; train "
                         "one with `kerker train wgan --layers L`")
    what = "the shipped WGAN-GP generator" + ("" if layers == 2 else f" of {layers}-layer designs")
    return Generator.from_checkpoint(_load_shipped(SHIPPED_GENERATORS[layers], what))


def _load_shipped(filename: str, what: str) -> dict:
    """The payload of shipped checkpoint ``filename``, its bytes checked against the manifest."""
    path = _WEIGHTS / filename
    if not path.is_file():
        raise FileNotFoundError(f"{what} is missing: no file {path}")
    expected = _manifest(what).get(filename)
    if expected is None:
        raise FileNotFoundError(f"{what}: {_WEIGHTS / _MANIFEST} lists no SHA-256 for {filename}; reinstall kerker")
    try:
        return load_checkpoint(path, sha256=expected)
    except ValueError as err:
        raise ValueError(
            f"{what} is damaged ({err}, as listed in {_WEIGHTS / _MANIFEST}); its predictions cannot be trusted. "
            "Reinstall kerker (pip install --force-reinstall kerker, or git checkout the file in a clone)"
        ) from err


def _manifest(what: str) -> dict[str, str]:
    """``{file name: sha256 hex}`` from ``weights/SHA256SUMS`` (``sha256sum`` format)."""
    path = _WEIGHTS / _MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"{what} cannot be checked: the manifest {path} is missing; reinstall kerker")
    entries = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.strip().partition("  ")
        if digest:
            entries[name.lstrip("*")] = digest.lower()
    return entries
