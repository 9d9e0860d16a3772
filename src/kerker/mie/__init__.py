"""Exact, batched, differentiable Mie theory of core-shell spheres.

Public entry points: :func:`efficiencies` (also ``kerker.efficiencies``),
:func:`mie_coefficients`, :func:`multipoles`, :func:`angular_amplitudes`,
:func:`scattering_pattern`. Lower-level pieces: :mod:`kerker.mie.special`
(Riccati-Bessel functions; their float64 range in ``kerker.mie._range``) and
:mod:`kerker.mie.coreshell` (the coefficient kernel). :func:`efficiencies` runs the fused
Numba kernel of :mod:`kerker.mie._fused` where Numba is installed (``KERKER_MIE_KERNEL``:
``auto``, ``fused`` or ``torch``; the torch path is the reference it is tested against).
"""

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
    "Efficiencies",
    "Multipoles",
    "angular_amplitudes",
    "efficiencies",
    "mie_coefficients",
    "multipoles",
    "scattering_pattern",
]
