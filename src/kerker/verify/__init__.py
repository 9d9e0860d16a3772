"""Full-wave verification of optimized lattices with the T-matrix solver treams (optional extra).

A monolayer of identical dielectric spheres on the lattice ``a (1, tau)`` at fixed cell
area is solved with treams for x-, y-, s- and p-polarized plane waves; anisotropy contrast
maps compare lattices, and the long-wavelength polarization splitting is set against the
quasi-static lattice sums of :mod:`kerker.lattice` (see ``docs/verify.md``).

treams is imported only when a solve runs; without it every solver entry point raises
``ModuleNotFoundError`` naming ``pip install 'kerker[verify]'``.
"""

from kerker.verify._bridge import (
    DEFAULT_BRIDGE_TAUS,
    BridgeResult,
    bridge,
    dipole_lattice_sum,
    polarization_splitting,
    quasi_static_anisotropy,
)
from kerker.verify._figure_data import figure_data
from kerker.verify._maps import FAMILIES, ContrastMap, compute_map, compute_maps, xy_channels
from kerker.verify._run import DEFAULT_LATTICES, VerifyConfig, grazing_points, run_verification
from kerker.verify._treams_array import (
    PLANES,
    MonolayerConfig,
    MonolayerResponse,
    convergence,
    lattice_vectors,
    nearest_neighbour_distance,
    normal_incidence_jones,
    require_treams,
    solve_monolayer,
    treams_version,
)

__all__ = [
    "DEFAULT_BRIDGE_TAUS",
    "DEFAULT_LATTICES",
    "FAMILIES",
    "PLANES",
    "BridgeResult",
    "ContrastMap",
    "MonolayerConfig",
    "MonolayerResponse",
    "VerifyConfig",
    "bridge",
    "compute_map",
    "compute_maps",
    "convergence",
    "dipole_lattice_sum",
    "figure_data",
    "grazing_points",
    "lattice_vectors",
    "nearest_neighbour_distance",
    "normal_incidence_jones",
    "polarization_splitting",
    "quasi_static_anisotropy",
    "require_treams",
    "run_verification",
    "solve_monolayer",
    "treams_version",
    "xy_channels",
]
