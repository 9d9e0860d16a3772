"""Exact, batched, differentiable Mie theory of core-shell and multilayer spheres.

Public entry points: :func:`efficiencies` (also ``kerker.efficiencies``),
:func:`efficiencies_layered` (also ``kerker.efficiencies_layered``), :func:`layered_coefficients`,
:func:`near_field`, :func:`near_field_xz`,
:func:`mie_coefficients`, :func:`multipoles`, :func:`angular_amplitudes`,
:func:`scattering_pattern`. Lower-level pieces: :mod:`kerker.mie.special`
(Riccati-Bessel functions; their float64 range in ``kerker.mie._range``),
:mod:`kerker.mie.layers` (the layer recursion, L >= 2) and :mod:`kerker.mie.coreshell`
(its core-shell signatures). :func:`efficiencies` runs the fused
Numba kernel of :mod:`kerker.mie._fused` where Numba is installed (``KERKER_MIE_KERNEL``:
``auto``, ``fused`` or ``torch``; the torch path is the reference it is tested against).
"""

from kerker.mie._results import Amplitudes, MultipoleTerms
from kerker.mie.layered import efficiencies_layered, layered_coefficients
from kerker.mie.nearfield import NearField, NearFieldXZ, near_field, near_field_xz
from kerker.mie.observables import (
    Efficiencies,
    Multipoles,
    angular_amplitudes,
    efficiencies,
    mie_coefficients,
    multipoles,
    scattering_pattern,
)

__all__ = [
    "Amplitudes",
    "MultipoleTerms",
    "NearField",
    "NearFieldXZ",
    "Efficiencies",
    "Multipoles",
    "angular_amplitudes",
    "efficiencies",
    "efficiencies_layered",
    "layered_coefficients",
    "mie_coefficients",
    "near_field",
    "near_field_xz",
    "multipoles",
    "scattering_pattern",
]
