"""Two-dimensional lattice sums and their exact gradients via (quasi-)modular forms.

Stands apart from the rest of kerker (imports nothing from it). Conventions (see
``docs/lattice.md``; the mathematics, with references, is in ``docs/lattice-math.md``):
``tau = x + iy`` with ``y > 0``, lattice ``w = m + n tau``,
``S(n, l) = sum' exp(i l arg w) / |w|^n``, Wirtinger derivatives
``d = (d_x - i d_y)/2`` and ``dbar = (d_x + i d_y)/2``.
"""

from kerker.lattice._basis import STANDARD_BASIS, BasisResult, basis, lattice_sum
from kerker.lattice._eisenstein import EisensteinResult, eisenstein
from kerker.lattice._objective import (
    J_STAR,
    TAU_STAR,
    ObjectiveResult,
    fixed_area_sum,
    objective,
)
from kerker.lattice._reduction import Reduction, reduce_tau

_TORCH_NAMES = ("lattice_sum_torch", "objective_torch")
# the figure data need scipy's BFGS; imported on first use like torch
_FIGURE_NAMES = (
    "FIG_TAU",
    "REFERENCE_GRADIENT",
    "LatticeFigureData",
    "convergence_data",
    "figure_data",
    "gradient_error_data",
    "trajectory_data",
)


def __getattr__(name):
    # torch is imported only when its entry points are first used
    if name in _TORCH_NAMES:
        from kerker.lattice import _torch

        return getattr(_torch, name)
    if name in _FIGURE_NAMES:
        from kerker.lattice import _figure_data

        return getattr(_figure_data, name)
    raise AttributeError(f"module 'kerker.lattice' has no attribute {name!r}")


__all__ = [
    "FIG_TAU",
    "J_STAR",
    "REFERENCE_GRADIENT",
    "STANDARD_BASIS",
    "TAU_STAR",
    "BasisResult",
    "EisensteinResult",
    "LatticeFigureData",
    "ObjectiveResult",
    "Reduction",
    "basis",
    "convergence_data",
    "eisenstein",
    "figure_data",
    "fixed_area_sum",
    "gradient_error_data",
    "lattice_sum",
    "lattice_sum_torch",
    "objective",
    "objective_torch",
    "reduce_tau",
    "trajectory_data",
]
