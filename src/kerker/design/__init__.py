"""Inverse design of core-shell particles.

:func:`optimize_directional` runs batched multi-start gradient descent directly on the
exact, differentiable Mie solver (no surrogate) for the directional-scattering loss of
Soun et al., ``L = -Q_fwd + w Q_back`` at one wavelength. :func:`run_directional_study`
is the study behind ``kerker demo``: that descent, the best design's spectra and radiation
pattern (:func:`particle_spectra`), and a ``demo.json`` record.
"""

from kerker.design._exact import DirectionalResult, optimize_directional
from kerker.design._particle import ParticleSpectra, RadiationPattern, particle_spectra
from kerker.design._study import DirectionalStudy, run_directional_study

__all__ = [
    "DirectionalResult",
    "DirectionalStudy",
    "ParticleSpectra",
    "RadiationPattern",
    "optimize_directional",
    "particle_spectra",
    "run_directional_study",
]
