"""A monolayer of identical spheres on the lattice ``a (1, tau)``, solved with treams.

treams (D. Beutel, I. Fernandez-Corbaton, C. Rockstuhl, "treams - A T-matrix scattering code
for nanophotonic computations", arXiv:2309.03182 (2023); lattice sums: Phys. Rev. A 107,
013508 (2023)) builds the sphere's T-matrix from Mie theory, couples the
lattice through Ewald-summed spherical-wave lattice sums and converts the result into a
plane-wave S-matrix with one entry per diffraction order. Nothing here uses
``kerker.lattice``: the full-wave solver is the independent check of the quasi-static
engine.

Geometry and conventions (nm throughout):

- the lattice is ``a m e_1 + a n (Re tau, Im tau)``, ``a = sqrt(area / Im tau)``, in the
  plane ``z = 0``; sphere centres on the lattice points, vacuum everywhere else;
- plane waves travel towards ``+z``; the plane of incidence contains ``z`` and the unit vector
  ``(cos phi, sin phi, 0)``; ``phi = 0`` is the ``xz`` plane and ``phi = 90 deg`` the ``yz``
  plane. ``s`` has ``E`` normal to the plane of incidence, ``p`` in it;
- ``R`` and ``T`` are power fractions summed over all propagating diffraction orders.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PLANES",
    "MonolayerConfig",
    "MonolayerResponse",
    "convergence",
    "lattice_vectors",
    "nearest_neighbour_distance",
    "normal_incidence_jones",
    "require_treams",
    "solve_monolayer",
    "treams_version",
]

PLANES = {"xz": 0.0, "yz": 0.5 * math.pi}
"""Planes of incidence by name and azimuth ``phi`` (radians)."""

_INSTALL_HINT = "install the optional extra: pip install 'kerker[verify]' (or pip install 'treams>=0.4')"


def require_treams():
    """Import and return treams, or raise ``ModuleNotFoundError`` naming the optional extra.

    Raises
    ------
    ModuleNotFoundError
        treams is not installed; the message says how to install it.
    """
    try:
        import treams
    except ModuleNotFoundError as err:
        raise ModuleNotFoundError(
            f"the full-wave verification needs the T-matrix solver treams, which is not installed; {_INSTALL_HINT}",
            name="treams",
        ) from err
    return treams


def treams_version() -> str:
    """Installed treams version (treams itself has no ``__version__``)."""
    from importlib.metadata import version

    return version("treams")


@dataclass(frozen=True)
class MonolayerConfig:
    """Physical and numerical settings of the monolayer.

    Attributes
    ----------
    radius : float
        Sphere radius in nm (default 100).
    index : float or complex
        Sphere refractive index; ``Im >= 0`` is loss (default 3.5, lossless). Vacuum around.
    area : float
        Unit-cell area in nm^2, the same for every ``tau`` (default 400^2 = 160000: the square
        lattice has a = 400 nm = 2 diameters, and every ``tau`` with ``Im tau <= 2`` keeps
        its nearest neighbours at least 283 nm > 200 nm apart).
    lmax : int
        Highest multipole order of the sphere T-matrix (default 3; see ``docs/verify.md``
        for the measured convergence).
    diffraction_radius : float
        Reciprocal-lattice vectors ``G`` with ``|G| <= diffraction_radius * k0`` are kept
        (default 2: every order that propagates at any angle of incidence). For a single
        layer the kept evanescent orders do not change ``R`` or ``T``; dropping a
        propagating one shows up as ``R + T < 1``.
    """

    radius: float = 100.0
    index: complex = 3.5
    area: float = 160000.0
    lmax: int = 3
    diffraction_radius: float = 2.0

    def __post_init__(self):
        if not (isinstance(self.radius, (int, float)) and math.isfinite(self.radius) and self.radius > 0):
            raise ValueError(f"radius must be a finite number > 0 (nm); received {self.radius!r}")
        n = complex(self.index)
        if not (math.isfinite(n.real) and math.isfinite(n.imag)) or n.real <= 0 or n.imag < 0:
            raise ValueError(
                f"index must be finite with Re > 0 and Im >= 0 (passive, exp(-i omega t)); received {self.index!r}"
            )
        if not (isinstance(self.area, (int, float)) and math.isfinite(self.area) and self.area > 0):
            raise ValueError(f"area must be a finite number > 0 (nm^2); received {self.area!r}")
        if not (isinstance(self.lmax, (int, np.integer)) and 1 <= self.lmax <= 12):
            raise ValueError(f"lmax must be an integer in [1, 12]; received {self.lmax!r}")
        if not (math.isfinite(self.diffraction_radius) and self.diffraction_radius > 0):
            raise ValueError(f"diffraction_radius must be > 0 (units of k0); received {self.diffraction_radius!r}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["index"] = [complex(self.index).real, complex(self.index).imag]
        return d


def _check_tau(tau) -> complex:
    try:
        t = complex(tau)
    except (TypeError, ValueError):
        raise TypeError(f"tau must be a complex number; received {tau!r} of type {type(tau).__name__}") from None
    if not (math.isfinite(t.real) and math.isfinite(t.imag)) or t.imag <= 0:
        raise ValueError(f"tau must be finite with Im(tau) > 0; received {t!r}")
    return t


def lattice_vectors(tau, area: float) -> np.ndarray:
    """Lattice vectors ``a (1, 0)`` and ``a (Re tau, Im tau)`` at cell area ``area``.

    Parameters
    ----------
    tau : complex
        Lattice shape, ``Im tau > 0``.
    area : float
        Cell area in nm^2.

    Returns
    -------
    ndarray, shape (2, 2)
        Rows are the two lattice vectors in nm; ``|det| = area``.

    Examples
    --------
    >>> lattice_vectors(1j, 160000.0)
    array([[400.,   0.],
           [  0., 400.]])
    """
    t = _check_tau(tau)
    if not area > 0:
        raise ValueError(f"area must be > 0 (nm^2); received {area!r}")
    a = math.sqrt(area / t.imag)
    return np.array([[a, 0.0], [a * t.real, a * t.imag]])


def nearest_neighbour_distance(tau, area: float) -> float:
    """Length in nm of the shortest nonzero vector of the lattice (Lagrange-Gauss reduction)."""
    u, v = lattice_vectors(tau, area)
    for _ in range(100):
        if u @ u > v @ v:
            u, v = v, u
        m = round((u @ v) / (u @ u))
        if m == 0:
            break
        v = v - m * u
    return float(min(np.hypot(*u), np.hypot(*v), np.hypot(*(u + v)), np.hypot(*(u - v))))


def _check_geometry(tau: complex, config: MonolayerConfig) -> None:
    d = nearest_neighbour_distance(tau, config.area)
    if d <= 2 * config.radius:
        raise ValueError(
            f"spheres overlap: at tau={tau!r} and area={config.area:g} nm^2 the nearest-neighbour distance is "
            f"{d:.1f} nm <= 2 * radius = {2 * config.radius:g} nm; increase area or use a tau with smaller Im(tau) "
            "(in the fundamental domain)"
        )


def _check_wavelength(wavelength) -> float:
    w = float(wavelength)
    if not (math.isfinite(w) and w > 0):
        raise ValueError(f"wavelength must be a finite number > 0 (nm); received {wavelength!r}")
    return w


def _array_smatrix(treams, tau: complex, k0: float, kpar, config: MonolayerConfig):
    lattice = treams.Lattice(lattice_vectors(tau, config.area))
    materials = [treams.Material(complex(config.index) ** 2), treams.Material()]
    tm = treams.TMatrix.sphere(config.lmax, k0, config.radius, materials, poltype="parity")
    coupled = tm.latticeinteraction.solve(lattice, kpar)
    basis = treams.PlaneWaveBasisByComp.diffr_orders(kpar, lattice, config.diffraction_radius * k0)
    return treams.SMatrices.from_array(coupled, basis), basis


@dataclass(frozen=True)
class MonolayerResponse:
    """Reflectance and transmittance for one lattice, wavelength and angle, in both planes.

    Attributes
    ----------
    reflectance, transmittance : dict of (str, str) -> float
        Keyed by ``(plane, pol)``, plane in ``PLANES`` (``"xz"``, ``"yz"``), pol ``"s"`` or
        ``"p"``; power fractions summed over the propagating diffraction orders.
    n_orders : int
        Number of diffraction orders (plane-wave directions) kept in the S-matrix.
    """

    reflectance: dict
    transmittance: dict
    n_orders: int

    def energy_error(self) -> float:
        """``max |R + T - 1|`` over the four channels (0 for lossless spheres)."""
        return max(abs(self.reflectance[k] + self.transmittance[k] - 1.0) for k in self.reflectance)


def _field_vectors(theta: float, phi: float) -> dict:
    # s: E normal to the plane of incidence; p: E in it, perpendicular to k = (sin t cos f, sin t sin f, cos t)
    c, s = math.cos(theta), math.sin(theta)
    return {
        "s": [-math.sin(phi), math.cos(phi), 0.0],
        "p": [c * math.cos(phi), c * math.sin(phi), -s],
    }


def solve_monolayer(tau, wavelength, theta=0.0, *, config: MonolayerConfig = MonolayerConfig(), planes=("xz", "yz")):
    """Solve the monolayer for s and p plane waves in the given planes of incidence.

    Parameters
    ----------
    tau : complex
        Lattice shape (``Im tau > 0``); the cell area is ``config.area``.
    wavelength : float
        Vacuum wavelength in nm.
    theta : float
        Angle of incidence in radians, ``0 <= theta < pi/2``, measured from ``+z``.
    config : MonolayerConfig
        Sphere, area and truncation.
    planes : sequence of str
        Planes of incidence (keys of ``PLANES``). At ``theta = 0`` one solve serves all.

    Returns
    -------
    MonolayerResponse

    Raises
    ------
    ValueError
        Bad ``tau``, wavelength or angle, or overlapping spheres.
    ModuleNotFoundError
        treams is not installed.
    """
    treams = require_treams()
    tau = _check_tau(tau)
    wavelength = _check_wavelength(wavelength)
    theta = float(theta)
    if not (0.0 <= theta < 0.5 * math.pi):
        raise ValueError(f"theta must be in [0, pi/2) radians; received {theta!r}")
    unknown = [p for p in planes if p not in PLANES]
    if unknown:
        raise ValueError(f"unknown plane(s) of incidence {unknown}; known: {sorted(PLANES)}")
    _check_geometry(tau, config)
    k0 = 2.0 * math.pi / wavelength
    refl, trans = {}, {}
    n_orders = 0
    # at normal incidence every plane of incidence shares one S-matrix
    cache = None
    for plane in planes:
        phi = PLANES[plane]
        kpar = [k0 * math.sin(theta) * math.cos(phi), k0 * math.sin(theta) * math.sin(phi)]
        if theta > 0 or cache is None:
            cache = _array_smatrix(treams, tau, k0, kpar, config)
        sm, basis = cache
        n_orders = max(n_orders, len(basis) // 2)
        for pol, field in _field_vectors(theta, phi).items():
            illu = treams.plane_wave(
                kpar, field, k0=k0, basis=basis, material=treams.Material(), modetype="up", poltype="parity"
            )
            t, r = sm.tr(illu)
            refl[plane, pol] = float(r)
            trans[plane, pol] = float(t)
    return MonolayerResponse(refl, trans, n_orders)


def normal_incidence_jones(tau, wavelength, *, config: MonolayerConfig = MonolayerConfig()):
    """Zeroth-order transmission and reflection Jones matrices at normal incidence.

    Parameters
    ----------
    tau : complex
        Lattice shape (``Im tau > 0``).
    wavelength : float
        Vacuum wavelength in nm.
    config : MonolayerConfig

    Returns
    -------
    t, r : ndarray of complex128, shape (2, 2)
        Cartesian Jones matrices: rows are the outgoing ``(E_x, E_y)``, columns the
        incident ``(E_x, E_y)`` of unit amplitude, both evaluated in the plane ``z = 0``
        of the sphere centres. ``t`` includes the unscattered wave.
    """
    treams = require_treams()
    import treams.special as sc

    tau = _check_tau(tau)
    wavelength = _check_wavelength(wavelength)
    _check_geometry(tau, config)
    k0 = 2.0 * math.pi / wavelength
    sm, basis = _array_smatrix(treams, tau, k0, [0.0, 0.0], config)
    idx = [basis.index((0.0, 0.0, pol)) for pol in (0, 1)]
    amps_up, amps_down = np.zeros((2, 2), complex), np.zeros((2, 2), complex)
    for col, pol in enumerate((0, 1)):
        illu = treams.plane_wave(
            [0.0, 0.0], pol, k0=k0, basis=basis, material=treams.Material(), modetype="up", poltype="parity"
        )
        up, down = sm.illuminate(illu)
        amps_up[:, col] = np.asarray(up)[idx]
        amps_down[:, col] = np.asarray(down)[idx]
    # columns: Cartesian (E_x, E_y) of treams' parity modes 0 (M, TE) and 1 (N, TM) for k = +-k0 z
    u_up = np.array([[sc.vpw_M(0, 0, k0, 0, 0, 0), sc.vpw_N(0, 0, k0, 0, 0, 0)]])[0, :, :2].T
    u_down = np.array([[sc.vpw_M(0, 0, -k0, 0, 0, 0), sc.vpw_N(0, 0, -k0, 0, 0, 0)]])[0, :, :2].T
    inv = np.linalg.inv(u_up)
    return u_up @ amps_up @ inv, u_down @ amps_down @ inv


def convergence(
    tau,
    wavelengths,
    thetas,
    *,
    config: MonolayerConfig = MonolayerConfig(),
    lmax_values=(2, 3, 4, 5, 6),
    diffraction_radii=(0.5, 1.65, 2.0, 4.0),
) -> dict:
    """Change of ``R`` and ``T`` with the multipole order and the kept diffraction orders.

    Parameters
    ----------
    tau : complex
    wavelengths : sequence of float
        nm.
    thetas : sequence of float
        Radians.
    config : MonolayerConfig
        Everything but the varied setting.
    lmax_values : sequence of int
        Compared against the largest.
    diffraction_radii : sequence of float
        In units of k0, compared against the largest. A radius below ``1 + sin(theta)``
        drops propagating orders, which ``R + T < 1`` reveals.

    Returns
    -------
    dict
        ``lmax``: list of ``{lmax, max_abs_diff, energy_error, seconds}``;
        ``diffraction``: list of ``{diffraction_radius, max_abs_diff, energy_error, n_orders}``.
        ``max_abs_diff`` is over every R and T channel, wavelength and angle.
    """
    import time

    def sweep(cfg):
        t0 = time.perf_counter()
        vals, err, orders = [], 0.0, 0
        for w in wavelengths:
            for th in thetas:
                res = solve_monolayer(tau, w, th, config=cfg)
                keys = sorted(res.reflectance)
                vals.extend([res.reflectance[k] for k in keys] + [res.transmittance[k] for k in keys])
                err = max(err, res.energy_error())
                orders = max(orders, res.n_orders)
        return np.array(vals), err, orders, time.perf_counter() - t0

    out = {"tau": [complex(tau).real, complex(tau).imag], "wavelengths": list(map(float, wavelengths))}
    out["thetas_deg"] = [math.degrees(t) for t in thetas]
    runs = {l: sweep(dataclasses.replace(config, lmax=l)) for l in lmax_values}
    ref = runs[max(lmax_values)][0]
    out["lmax"] = [
        {"lmax": l, "max_abs_diff": float(np.max(np.abs(v - ref))), "energy_error": e, "seconds": s}
        for l, (v, e, _, s) in runs.items()
    ]
    runs = {d: sweep(dataclasses.replace(config, diffraction_radius=d)) for d in diffraction_radii}
    ref = runs[max(diffraction_radii)][0]
    out["diffraction"] = [
        {"diffraction_radius": d, "max_abs_diff": float(np.max(np.abs(v - ref))), "energy_error": e, "n_orders": n}
        for d, (v, e, n, _) in runs.items()
    ]
    return out
