"""Anisotropy contrast maps ``Delta(lambda, theta) = |R_x - R_y|`` (and ``|T_x - T_y|``).

"x-polarized" and "y-polarized" at oblique incidence need a rule, because the plane of
incidence breaks the symmetry between ``s`` and ``p`` for *any* lattice, even a square one
(the paper's TE/TM pair in one plane differs by Fresnel-like amounts that have nothing to do
with the lattice). Here the y-experiment is the x-experiment rotated by 90 degrees about
``z``, so a lattice with a four-fold axis gives ``Delta = 0`` at every angle and any
nonzero contrast measures the lattice's anisotropy. Two families satisfy this:

- ``"s"``: ``E`` stays exactly along ``x`` (plane of incidence ``yz``, s-polarized) or along
  ``y`` (plane ``xz``, s-polarized);
- ``"p"``: ``E`` lies in the plane of incidence, which is ``xz`` (x-like) or ``yz`` (y-like).

At normal incidence both families reduce to plain x- and y-polarized light.
"""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from kerker.verify._treams_array import MonolayerConfig, solve_monolayer

__all__ = ["FAMILIES", "ContrastMap", "compute_map", "compute_maps", "xy_channels"]

PLANE_NAMES = ("xz", "yz")
POL_NAMES = ("s", "p")

FAMILIES = {
    # family: ((plane, pol) of the x-experiment, (plane, pol) of the y-experiment)
    "s": (("yz", "s"), ("xz", "s")),
    "p": (("xz", "p"), ("yz", "p")),
}


@dataclass(frozen=True)
class ContrastMap:
    """Reflectance and transmittance of one lattice over wavelength and angle of incidence.

    Attributes
    ----------
    tau : complex
        Lattice shape.
    wavelength : ndarray, shape (W,)
        Vacuum wavelengths in nm.
    theta : ndarray, shape (A,)
        Angles of incidence in radians.
    reflectance, transmittance : ndarray, shape (2, 2, W, A)
        Axes: plane of incidence (``PLANE_NAMES``: xz, yz), polarization (``POL_NAMES``:
        s, p), wavelength, angle.
    n_orders : ndarray of int, shape (W, A)
        Diffraction orders kept in the S-matrix.
    """

    tau: complex
    wavelength: np.ndarray
    theta: np.ndarray
    reflectance: np.ndarray
    transmittance: np.ndarray
    n_orders: np.ndarray

    def channel(self, quantity: str, plane: str, pol: str) -> np.ndarray:
        """``R`` or ``T`` (``quantity``) for one plane and polarization, shape (W, A)."""
        data = {"R": self.reflectance, "T": self.transmittance}[quantity]
        return data[PLANE_NAMES.index(plane), POL_NAMES.index(pol)]

    def energy_error(self) -> float:
        """``max |R + T - 1|`` over every channel, wavelength and angle."""
        return float(np.max(np.abs(self.reflectance + self.transmittance - 1.0)))

    def contrast(self, family: str = "s", quantity: str = "R") -> np.ndarray:
        """``|X_x - X_y|`` for ``X`` = ``quantity`` (``"R"`` or ``"T"``) in one family; shape (W, A)."""
        ch = xy_channels(self, family)
        return np.abs(ch[quantity + "_x"] - ch[quantity + "_y"])


def xy_channels(result: ContrastMap, family: str = "s") -> dict:
    """The x- and y-experiments of one family.

    Parameters
    ----------
    result : ContrastMap
    family : str
        ``"s"`` or ``"p"`` (module docstring).

    Returns
    -------
    dict
        ``R_x``, ``R_y``, ``T_x``, ``T_y``, each of shape (W, A).
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {sorted(FAMILIES)}; received {family!r}")
    (px, sx), (py, sy) = FAMILIES[family]
    return {
        "R_x": result.channel("R", px, sx),
        "R_y": result.channel("R", py, sy),
        "T_x": result.channel("T", px, sx),
        "T_y": result.channel("T", py, sy),
    }


def _solve_wavelength(args):
    # one task = one lattice at one wavelength, all angles (top level so worker processes can pickle it)
    tau, wavelength, thetas, config = args
    refl = np.empty((2, 2, len(thetas)))
    trans = np.empty_like(refl)
    orders = np.empty(len(thetas), int)
    for j, theta in enumerate(thetas):
        res = solve_monolayer(tau, wavelength, theta, config=config, planes=PLANE_NAMES)
        for a, plane in enumerate(PLANE_NAMES):
            for b, pol in enumerate(POL_NAMES):
                refl[a, b, j] = res.reflectance[plane, pol]
                trans[a, b, j] = res.transmittance[plane, pol]
        orders[j] = res.n_orders
    return refl, trans, orders


def _check_grid(name, values, *, upper=None):
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a non-empty 1-D array of finite numbers; received shape {arr.shape}")
    if np.any(arr < 0) or (upper is not None and np.any(arr >= upper)):
        raise ValueError(f"{name} must lie in [0, {upper}); received min {arr.min()!r}, max {arr.max()!r}")
    return arr


def compute_maps(taus, wavelengths, thetas, *, config: MonolayerConfig = MonolayerConfig(), workers: int = 1):
    """Solve several lattices over a wavelength-angle grid.

    Parameters
    ----------
    taus : sequence of complex
        Lattice shapes, all at the cell area ``config.area``.
    wavelengths : array_like, shape (W,)
        Vacuum wavelengths in nm (> 0).
    thetas : array_like, shape (A,)
        Angles of incidence in radians, in ``[0, pi/2)``.
    config : MonolayerConfig
    workers : int
        Processes to use (1 = in this process). Each task is one lattice at one wavelength.

    Returns
    -------
    list of ContrastMap
        In the order of ``taus``.
    """
    wl = _check_grid("wavelengths", wavelengths)
    if np.any(wl <= 0):
        raise ValueError(f"wavelengths must be > 0 nm; received min {wl.min()!r}")
    th = _check_grid("thetas", thetas, upper=0.5 * math.pi)
    if not (isinstance(workers, int) and workers >= 1):
        raise ValueError(f"workers must be an integer >= 1; received {workers!r}")
    taus = [complex(t) for t in taus]
    # validate every lattice once, up front, before any worker starts
    for t in taus:
        solve_monolayer(t, wl[-1], 0.0, config=config, planes=("xz",))
    tasks = [(t, float(w), th, config) for t in taus for w in wl]
    if workers == 1:
        rows = [_solve_wavelength(task) for task in tasks]
    else:
        # the platform's default start method (fork on Linux): spawn would re-import the
        # caller's __main__, which breaks scripts without an ``if __name__ == "__main__"`` guard
        with ProcessPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(_solve_wavelength, tasks, chunksize=1))
    out = []
    n = len(wl)
    for i, t in enumerate(taus):
        part = rows[i * n : (i + 1) * n]
        refl = np.stack([r[0] for r in part], axis=2)
        trans = np.stack([r[1] for r in part], axis=2)
        orders = np.stack([r[2] for r in part], axis=0)
        out.append(ContrastMap(t, wl, th, refl, trans, orders))
    return out


def compute_map(tau, wavelengths, thetas, *, config: MonolayerConfig = MonolayerConfig(), workers: int = 1):
    """One lattice over a wavelength-angle grid; see :func:`compute_maps`."""
    return compute_maps([tau], wavelengths, thetas, config=config, workers=workers)[0]
