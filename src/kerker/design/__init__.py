"""Inverse design of core-shell particles.

:func:`optimize_directional` runs batched multi-start gradient descent directly on the
exact, differentiable Mie solver (no surrogate) for the directional-scattering loss of
Soun et al., ``L = -Q_fwd + w Q_back`` at one wavelength.
"""

from kerker.design._exact import DirectionalResult, optimize_directional

__all__ = ["DirectionalResult", "optimize_directional"]
