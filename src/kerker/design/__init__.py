"""Inverse design of core-shell and multilayer particles with discrete materials.

:func:`inverse_design` is the one entry point of Soun et al.'s latent-space method and its
baselines: objectives (:class:`SpectrumMatch`, :class:`Directional`, :class:`Ratio`,
:class:`Custom`, weighted sums), methods ``"latent"``, ``"enumerate"``, ``"de"``,
``"cma"``, physics ``"surrogate"`` or ``"exact"``; every method returns a
:class:`DesignResult`. :func:`run_inverse_benchmark` is the test-set study (paper Fig. 5-6);
:func:`run_kerker_study` the Kerker study (paper Fig. 7, S5-S7).

:func:`optimize_directional` runs batched multi-start gradient descent directly on the
exact, differentiable Mie solver (no surrogate) for the directional-scattering loss of
Soun et al., ``L = -Q_fwd + w Q_back`` at one wavelength. :func:`run_directional_study`
is the study behind ``kerker demo``: that descent, the best design's spectra and radiation
pattern (:func:`particle_spectra`), and a ``demo.json`` record.
"""

from kerker.design._benchmark import (
    PAPER_FIGURES,
    STUDY_METHODS,
    InverseTargets,
    run_inverse_benchmark,
    run_inverse_study,
    summarize_inverse,
)
from kerker.design._exact import DirectionalResult, optimize_directional
from kerker.design._inverse import inverse_design
from kerker.design._layered import LayeredDesign, LayeredDesignResult
from kerker.design._kerker import PAPER_KERKER, KerkerStudy, run_kerker_study, write_kerker_study
from kerker.design._objectives import Custom, Directional, Objective, Ratio, SpectrumMatch, WeightedSum, read_target_csv
from kerker.design._particle import ParticleSpectra, RadiationPattern, layered_particle_spectra, particle_spectra
from kerker.design._result import FULL_WAVELENGTH, BestDesign, DesignResult, write_design_json
from kerker.design._study import DirectionalStudy, run_directional_study

__all__ = [
    "FULL_WAVELENGTH",
    "PAPER_FIGURES",
    "PAPER_KERKER",
    "STUDY_METHODS",
    "BestDesign",
    "Custom",
    "DesignResult",
    "Directional",
    "DirectionalResult",
    "DirectionalStudy",
    "InverseTargets",
    "KerkerStudy",
    "LayeredDesign",
    "LayeredDesignResult",
    "Objective",
    "ParticleSpectra",
    "RadiationPattern",
    "Ratio",
    "SpectrumMatch",
    "WeightedSum",
    "inverse_design",
    "optimize_directional",
    "layered_particle_spectra",
    "particle_spectra",
    "read_target_csv",
    "run_directional_study",
    "run_inverse_benchmark",
    "run_inverse_study",
    "run_kerker_study",
    "summarize_inverse",
    "write_design_json",
    "write_kerker_study",
]
