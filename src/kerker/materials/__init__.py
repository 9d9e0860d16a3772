"""Optical materials: complex refractive index and permittivity versus wavelength (nm).

Shipped data (refractiveindex.info database, CC0; see ``data/SOURCES.md``) for the
seven materials of the core-shell paper, a loader for any refractiveindex.info YAML
file, and constant-index materials. Tabulated data are interpolated by PCHIP
(shape-preserving, C1), evaluable on NumPy arrays and, differentiably, on torch tensors.
Wavelengths outside a material's data range raise ``ValueError`` unless the material
opts in to ``extrapolate="hold"``.

Examples
--------
>>> from kerker.materials import material
>>> si = material("Si")
>>> si.wavelength_range
(250.0, 1450.0)
>>> eps = si.permittivity([500.0, 600.0])
>>> eps.shape, eps.dtype
((2,), dtype('complex128'))
"""

from kerker.materials._material import EXTRAPOLATION_POLICIES, Material, constant
from kerker.materials._catalogue import PAPER_MATERIALS, available, material
from kerker.materials._refractiveindex import load_refractiveindex_yaml
from kerker.materials._table import permittivity_table

__all__ = [
    "EXTRAPOLATION_POLICIES",
    "PAPER_MATERIALS",
    "Material",
    "available",
    "constant",
    "load_refractiveindex_yaml",
    "material",
    "permittivity_table",
]
