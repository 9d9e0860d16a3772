"""One verification run: spectra and contrast maps, the bridge and the convergence study.

``run_verification(VerifyConfig())`` is what ``kerker lattice verify`` calls; it returns a
JSON-ready dict (plus the result objects for the plots) and computes no figures.
"""

from __future__ import annotations

import cmath
import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from kerker.lattice import TAU_STAR
from kerker.verify._bridge import DEFAULT_BRIDGE_TAUS, bridge
from kerker.verify._maps import FAMILIES, PLANE_NAMES, POL_NAMES, compute_maps
from kerker.verify._treams_array import (
    MonolayerConfig,
    convergence,
    lattice_vectors,
    nearest_neighbour_distance,
)

__all__ = ["DEFAULT_LATTICES", "VerifyConfig", "grazing_points", "run_verification"]

DEFAULT_LATTICES = (
    ("square", 1j),
    ("tau_star", TAU_STAR),
    ("hexagonal", cmath.exp(1j * math.pi / 3)),
    ("rectangular", 1.5j),
)
"""Named lattices of the maps: ``i``, ``tau*`` (optimum of J), ``exp(i pi/3)``, ``1.5 i``."""


@dataclass(frozen=True)
class VerifyConfig:
    """Settings of ``kerker lattice verify``; defaults are the documented run.

    Attributes
    ----------
    monolayer : MonolayerConfig
        Sphere (radius 100 nm, n = 3.5), cell area 400^2 nm^2, lmax 3.
    lattices : tuple of (str, complex)
        Lattices of the spectra and contrast maps.
    wl_min, wl_max : float
        Wavelength range of the maps in nm (default 500-1500: the isolated sphere's
        magnetic quadrupole (~500 nm), electric dipole (~550 nm) and magnetic dipole
        (~725 nm) resonances and the long-wavelength tail, where only the electric dipole
        is left; at normal incidence every default lattice diffracts only below 490 nm).
    n_wl : int
        Number of wavelengths (default 101: 10 nm steps).
    angles_deg : tuple of float
        Angles of incidence in degrees (default 0, 5, ..., 40).
    bridge_taus : tuple of complex
        Lattices of the bridge (``DEFAULT_BRIDGE_TAUS``).
    bridge_wavelengths : tuple of float
        nm; the correlation is reported at each. ``bridge_wavelength`` is the headline.
    convergence_wavelengths, convergence_angles_deg, convergence_lmax, convergence_radii
        Points and settings of the convergence study (run on ``i`` and ``tau*``).
    workers : int
        Processes for the maps.
    """

    monolayer: MonolayerConfig = field(default_factory=MonolayerConfig)
    lattices: tuple = DEFAULT_LATTICES
    wl_min: float = 500.0
    wl_max: float = 1500.0
    n_wl: int = 101
    angles_deg: tuple = tuple(float(a) for a in np.linspace(0.0, 40.0, 9))
    bridge_taus: tuple = DEFAULT_BRIDGE_TAUS
    bridge_wavelengths: tuple = (700.0, 1000.0, 1500.0, 2000.0, 3000.0, 5000.0, 10000.0, 20000.0)
    bridge_wavelength: float = 3000.0
    convergence_wavelengths: tuple = (500.0, 550.0, 725.0, 1000.0)
    convergence_angles_deg: tuple = (0.0, 40.0)
    convergence_lmax: tuple = (2, 3, 4, 5, 6)
    convergence_radii: tuple = (0.5, 1.65, 2.0, 4.0)
    workers: int = 1
    skip: tuple = field(default=())

    def __post_init__(self):
        if not (0 < self.wl_min < self.wl_max):
            raise ValueError(f"need 0 < wl_min < wl_max (nm); received wl_min={self.wl_min!r}, wl_max={self.wl_max!r}")
        if not (isinstance(self.n_wl, int) and self.n_wl >= 2):
            raise ValueError(f"n_wl must be an integer >= 2; received {self.n_wl!r}")
        a = np.asarray(self.angles_deg, dtype=float)
        if a.ndim != 1 or a.size == 0 or np.any(a < 0) or np.any(a >= 90):
            raise ValueError(f"angles_deg must be a non-empty list in [0, 90) degrees; received {self.angles_deg!r}")
        if not self.lattices:
            raise ValueError("lattices must name at least one (name, tau) pair")
        if self.bridge_wavelength not in self.bridge_wavelengths:
            raise ValueError(
                f"bridge_wavelength {self.bridge_wavelength!r} must be one of bridge_wavelengths {self.bridge_wavelengths!r}"
            )
        unknown = set(self.skip) - {"maps", "bridge", "convergence"}
        if unknown:
            raise ValueError(f"skip may contain 'maps', 'bridge', 'convergence'; received {sorted(unknown)}")

    @property
    def wavelengths(self) -> np.ndarray:
        return np.linspace(self.wl_min, self.wl_max, self.n_wl)

    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["monolayer"] = self.monolayer.to_dict()
        d["lattices"] = [[name, [complex(t).real, complex(t).imag]] for name, t in self.lattices]
        d["bridge_taus"] = [[complex(t).real, complex(t).imag] for t in self.bridge_taus]
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def _cplx(z) -> list:
    z = complex(z)
    return [z.real, z.imag]


def _lattice_info(name, tau, cfg: MonolayerConfig) -> dict:
    vec = lattice_vectors(tau, cfg.area)
    rec = 2 * np.pi * np.linalg.inv(vec).T
    # first Rayleigh anomaly at normal incidence: lambda = 2 pi / |G_min|
    g = [np.hypot(*(i * rec[0] + j * rec[1])) for i in range(-3, 4) for j in range(-3, 4) if (i, j) != (0, 0)]
    return {
        "name": name,
        "tau": _cplx(tau),
        "lattice_vectors_nm": vec.tolist(),
        "nearest_neighbour_nm": nearest_neighbour_distance(tau, cfg.area),
        "rayleigh_anomaly_normal_nm": float(2 * np.pi / min(g)),
    }


def _map_payload(m) -> dict:
    out = {
        "R": {f"{p}_{s}": m.channel("R", p, s) for p in PLANE_NAMES for s in POL_NAMES},
        "T": {f"{p}_{s}": m.channel("T", p, s) for p in PLANE_NAMES for s in POL_NAMES},
        "n_orders": m.n_orders,
        "contrast": {fam: {q: m.contrast(fam, q) for q in ("R", "T")} for fam in FAMILIES},
    }
    return out


def grazing_points(tau, area: float, wavelength, theta, *, tol: float = 1e-6) -> np.ndarray:
    """Grid points on a Rayleigh anomaly: some diffraction order travels in the plane (``|k_z| = 0``).

    There the order's normalisation divides by ``k_z ~ 0`` and every solver loses digits.

    Parameters
    ----------
    tau : complex
    area : float
        nm^2.
    wavelength : ndarray, shape (W,)
        nm.
    theta : ndarray, shape (A,)
        Radians.
    tol : float
        Relative tolerance on ``|k_par + G| = k0``.

    Returns
    -------
    ndarray of bool, shape (W, A)
        True where, in either plane of incidence, an order is within ``tol`` of grazing.
    """
    rec = 2 * np.pi * np.linalg.inv(lattice_vectors(tau, area)).T
    idx = np.arange(-6, 7)
    g = (idx[:, None, None] * rec[0] + idx[None, :, None] * rec[1]).reshape(-1, 2)
    k0 = 2 * np.pi / np.asarray(wavelength, dtype=float)[:, None, None]
    out = np.zeros((np.size(wavelength), np.size(theta)), bool)
    for phi in (0.0, 0.5 * np.pi):
        kpar = np.sin(np.asarray(theta, dtype=float))[None, :, None] * k0
        qx = kpar * np.cos(phi) + g[None, None, :, 0]
        qy = kpar * np.sin(phi) + g[None, None, :, 1]
        out |= np.any(np.abs(np.hypot(qx, qy) / k0 - 1.0) < tol, axis=-1)
    return out


def _map_summary(m, area: float) -> dict:
    normal = int(np.argmin(m.theta))
    grazing = grazing_points(m.tau, area, m.wavelength, m.theta)
    err = np.max(np.abs(m.reflectance + m.transmittance - 1.0), axis=(0, 1))
    s = {
        "energy_error": m.energy_error(),
        "n_points": int(grazing.size),
        "n_grazing_points": int(grazing.sum()),
        "energy_error_off_grazing": float(err[~grazing].max()) if (~grazing).any() else None,
    }
    for fam in FAMILIES:
        dr, dt = m.contrast(fam, "R"), m.contrast(fam, "T")
        i, j = np.unravel_index(np.argmax(dr), dr.shape)
        s[fam] = {
            "max_contrast_R": float(dr.max()),
            "at_wavelength_nm": float(m.wavelength[i]),
            "at_theta_deg": float(np.degrees(m.theta[j])),
            "max_contrast_T": float(dt.max()),
            "max_contrast_R_normal_incidence": float(dr[:, normal].max()),
            "max_contrast_R_off_grazing": float(dr[~grazing].max()) if (~grazing).any() else None,
            "max_abs_contrast_T_minus_R": float(np.max(np.abs(dt - dr))),
        }
    # the paper's TE/TM pair in one plane of incidence (xz): differs even for isotropic lattices
    s["same_plane_TE_TM_max_abs_dR"] = float(np.max(np.abs(m.channel("R", "xz", "s") - m.channel("R", "xz", "p"))))
    return s


def run_verification(config: VerifyConfig = VerifyConfig(), *, progress=None) -> tuple[dict, dict]:
    """Run the maps, the bridge and the convergence study.

    Parameters
    ----------
    config : VerifyConfig
    progress : callable, optional
        Called with one-line status messages.

    Returns
    -------
    payload : dict
        JSON-ready results (no provenance; the caller adds it).
    objects : dict
        ``maps`` (dict name -> ContrastMap) and ``bridge`` (BridgeResult) for the plots.
    """
    say = progress or (lambda msg: None)
    cfg = config.monolayer
    payload = {
        "config": config.to_dict(),
        "lattices": [_lattice_info(n, t, cfg) for n, t in config.lattices],
        "timings_s": {},
    }
    objects = {}
    if "maps" not in config.skip:
        t0 = time.perf_counter()
        thetas = np.radians(np.asarray(config.angles_deg, dtype=float))
        say(
            f"maps: {len(config.lattices)} lattices x {config.n_wl} wavelengths x {len(thetas)} angles "
            f"x 2 planes (s and p), lmax={cfg.lmax}, workers={config.workers}"
        )
        maps = compute_maps(
            [t for _, t in config.lattices], config.wavelengths, thetas, config=cfg, workers=config.workers
        )
        objects["maps"] = {n: m for (n, _), m in zip(config.lattices, maps)}
        payload["maps"] = {
            "wavelength_nm": config.wavelengths,
            "theta_deg": list(config.angles_deg),
            "axes": "each array is [wavelength][angle]; R/T keys are plane_pol (plane of incidence xz or yz, s or p)",
            "families": {f: {"x": "_".join(v[0]), "y": "_".join(v[1])} for f, v in FAMILIES.items()},
            "lattices": {n: _map_payload(m) for n, m in objects["maps"].items()},
        }
        payload["summary"] = {n: _map_summary(m, cfg.area) for n, m in objects["maps"].items()}
        payload["timings_s"]["maps"] = time.perf_counter() - t0
    if "bridge" not in config.skip:
        t0 = time.perf_counter()
        say(f"bridge: {len(config.bridge_taus)} lattices x {len(config.bridge_wavelengths)} wavelengths")
        br = bridge(config.bridge_taus, config.bridge_wavelengths, config=cfg)
        objects["bridge"] = br
        head = list(br.wavelengths).index(config.bridge_wavelength)
        payload["bridge"] = {
            "taus": [_cplx(t) for t in br.taus],
            "wavelength_nm": br.wavelengths,
            "rod_y_abs_G2star": br.rod,
            "rod_axis_deg": br.rod_axis_deg,
            "dipole_y32_abs_S32": br.dipole,
            "dipole_axis_deg": br.dipole_axis_deg,
            "measured": br.measured,
            "correlation_t_split_vs_rod": br.correlations("t_split", "rod"),
            "correlation_t_split_vs_dipole": br.correlations("t_split", "dipole"),
            "correlation_r_split_vs_rod": br.correlations("r_split", "rod"),
            "correlation_dipole_measured_vs_dipole": br.correlations("dipole_measured", "dipole"),
            "correlation_dipole_measured_vs_rod": br.correlations("dipole_measured", "rod"),
            "headline_wavelength_nm": config.bridge_wavelength,
            "axis_errors_deg_headline": br.axis_errors_deg(head),
            "axis_errors_deg_longest": br.axis_errors_deg(-1),
        }
        payload["timings_s"]["bridge"] = time.perf_counter() - t0
    if "convergence" not in config.skip:
        t0 = time.perf_counter()
        say(f"convergence: lmax {list(config.convergence_lmax)}, diffraction radii {list(config.convergence_radii)}")
        payload["convergence"] = [
            convergence(
                t,
                config.convergence_wavelengths,
                np.radians(config.convergence_angles_deg),
                config=cfg,
                lmax_values=config.convergence_lmax,
                diffraction_radii=config.convergence_radii,
            )
            for t in (1j, TAU_STAR)
        ]
        payload["timings_s"]["convergence"] = time.perf_counter() - t0
    return payload, objects
