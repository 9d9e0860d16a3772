"""kerker: gradient-based inverse design in nanophotonics.

Exact, batched, differentiable Mie theory of core-shell and multilayer spheres over real materials, and analytic
gradients of two-dimensional lattice sums via quasi-modular forms (``kerker.lattice``).

Units: lengths and wavelengths in nm (see CONVENTIONS.md).

The public names below are imported lazily so that ``import kerker.lattice`` does not
pay for PyTorch.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("kerker")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0+unknown"

_LAZY = {
    "Material": "kerker.materials",
    "material": "kerker.materials",
    "Efficiencies": "kerker.mie",
    "efficiencies": "kerker.mie",
    "efficiencies_layered": "kerker.mie",
    "load_surrogate": "kerker.models",
    "load_generator": "kerker.models",
    "inverse_design": "kerker.design",
    "open_executor": "kerker._executor",
    "WorkerLostError": "kerker._executor",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'kerker' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
