r"""The bridge: full-wave polarization splitting against the quasi-static lattice sums.

At wavelengths long compared with the lattice constant and the sphere's resonances, each
sphere is an electric point dipole with polarizability ``alpha`` (Gaussian units, volume)
and the monolayer at normal incidence reflects ``r = c alpha_eff`` per eigen-polarization,
``c = 2 pi i k / A`` (a sheet of dipoles ``p`` per area ``A`` radiates ``E = 2 pi i k p / A``).
The dipoles couple through the static in-plane tensor ``sum' (3 r^ r^ - 1) / r^3``, whose
traceless part has eigenvalues ``+-(3/2) a^-3 |S(3,2)|`` with
``S(3,2) = sum' exp(2 i arg w) / |w|^3`` over ``w = m + n tau`` and ``a^-3 = (y/A)^(3/2)``.
So ``1/alpha_eff = 1/alpha - C`` and

.. math::

    D = \frac{A^{3/2}}{3} \left|\frac{c}{t_1 - 1} - \frac{c}{t_2 - 1}\right|
      \;\to\; y^{3/2} |S(3,2)(\tau)| \quad (\lambda \to \infty),

with ``t_1, t_2`` the eigenvalues of the zeroth-order transmission Jones matrix
(``t - 1 = r`` for electric dipoles). ``D`` does not depend on the particle at all, which is
what makes it a clean test of the lattice part of the physics. The principal axis with
the stronger coupling lies at ``arg S(3,2) / 2``.

The engine's objective uses the *line-dipole* (rod) kernel ``1/r^2`` instead: its
anisotropy is ``y |G2*(tau)|`` with poling axis ``-arg G2* / 2`` (docs/lattice-math.md §7.1).
For spheres ``y |G2*|`` is a proxy, not the exact quasi-static quantity; both vanish at
``i`` and ``rho`` by symmetry and grow together towards the chain limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from kerker.lattice import TAU_STAR, lattice_sum
from kerker.verify._treams_array import MonolayerConfig, normal_incidence_jones

__all__ = [
    "DEFAULT_BRIDGE_TAUS",
    "BridgeResult",
    "bridge",
    "dipole_lattice_sum",
    "polarization_splitting",
    "quasi_static_anisotropy",
]

DEFAULT_BRIDGE_TAUS = (
    1j,
    1.15j,
    1.3j,
    1.5j,
    1.75j,
    2j,
    0.25 + 0.97j,
    0.25 + 1.1j,
    0.25 + 1.3j,
    0.25 + 1.6j,
    0.25 + 2j,
    complex(0.5, math.sqrt(3) / 2),
    0.5 + 1j,
    TAU_STAR,
    0.5 + 1.5j,
    0.5 + 2j,
)
"""16 shapes in the fundamental domain, ``0 <= Re tau <= 1/2`` (the mirror ``x -> -x``
leaves every quantity here unchanged), ``Im tau <= 2``: at the default area 400^2 nm^2 the
closest spheres stay 283 nm > 200 nm apart. Includes ``i``, ``rho``, ``tau*`` and ``1.5 i``."""


def _smooth_step(t):
    # C-infinity: 1 for t <= 1/2, 0 for t >= 1
    u = np.clip(2.0 * t - 1.0, 0.0, 1.0)
    with np.errstate(divide="ignore", over="ignore"):
        a = np.where(u < 1, np.exp(-1.0 / np.where(u < 1, 1.0 - u, 1.0)), 0.0)
        b = np.where(u > 0, np.exp(-1.0 / np.where(u > 0, u, 1.0)), 0.0)
    return a / (a + b)


def dipole_lattice_sum(tau, *, cutoff: float = 120.0) -> complex:
    r"""``S(3, 2) = sum' exp(2 i arg w) / |w|^3`` over ``w = m + n tau``, ``(m, n) != 0``.

    The sum converges absolutely; it is evaluated with a smooth radial cutoff ``chi(|w|/R)``
    (1 below ``R/2``, 0 above ``R``). The continuum integral of an ``exp(2 i theta)`` term
    vanishes, and by Poisson summation the lattice-minus-integral error of a smooth
    summand decays faster than any power of ``R``: ``R = 80`` and ``R = 160`` agree to
    1e-12 at ``tau*`` and ``0.2 + 1.3 i`` (``tests/verify``).

    Parameters
    ----------
    tau : complex
        ``Im tau > 0``; best in or near the fundamental domain (cost ~ ``R^2 / Im tau``).
    cutoff : float
        ``R`` in units of the first period.

    Returns
    -------
    complex

    Examples
    --------
    >>> abs(dipole_lattice_sum(1j)) < 1e-14        # four-fold symmetry
    True
    """
    tau = complex(tau)
    if not (math.isfinite(tau.real) and math.isfinite(tau.imag)) or tau.imag <= 0:
        raise ValueError(f"tau must be finite with Im(tau) > 0; received {tau!r}")
    if not cutoff >= 10:
        raise ValueError(f"cutoff must be >= 10 (units of the first period); received {cutoff!r}")
    n_max = int(cutoff / tau.imag) + 2
    m_max = int(cutoff + abs(tau.real) * n_max) + 2
    n = np.arange(-n_max, n_max + 1)[:, None]
    m = np.arange(-m_max, m_max + 1)[None, :]
    w = (m + n * tau).ravel()
    r = np.abs(w)
    keep = (r > 0) & (r < cutoff)
    w, r = w[keep], r[keep]
    return complex(np.sum((w / r) ** 2 / r**3 * _smooth_step(r / cutoff)))


def quasi_static_anisotropy(tau) -> dict:
    """Quasi-static in-plane anisotropies at equal cell area (dimensionless).

    Returns
    -------
    dict
        ``rod``: ``y |G2*(tau)|`` (line dipoles, the engine's objective term);
        ``rod_axis_deg``: its poling axis ``-arg G2* / 2`` in degrees, in [0, 180);
        ``dipole``: ``y^(3/2) |S(3,2)|`` (point dipoles, spheres);
        ``dipole_axis_deg``: ``arg S(3,2) / 2`` in degrees, in [0, 180).
    """
    tau = complex(tau)
    g2 = complex(lattice_sum(2, -2, tau).value)
    s32 = dipole_lattice_sum(tau)
    y = tau.imag
    return {
        "rod": y * abs(g2),
        "rod_axis_deg": math.degrees(-0.5 * math.atan2(g2.imag, g2.real)) % 180.0,
        "dipole": y**1.5 * abs(s32),
        "dipole_axis_deg": math.degrees(0.5 * math.atan2(s32.imag, s32.real)) % 180.0,
    }


def polarization_splitting(tau, wavelength, *, config: MonolayerConfig = MonolayerConfig()) -> dict:
    """Normal-incidence polarization splitting of the monolayer from treams.

    Parameters
    ----------
    tau : complex
    wavelength : float
        Vacuum wavelength in nm; only the zeroth order should propagate
        (``wavelength > sqrt(area * Im tau)`` for ``tau`` in the fundamental domain).
    config : MonolayerConfig

    Returns
    -------
    dict
        ``t_split``: ``|t_1 - t_2|``, eigenvalues of the zeroth-order transmission Jones
        matrix; ``r_split``: ``sigma_1^2 - sigma_2^2``, the spread of reflectance over all
        incident polarizations (singular values of the reflection Jones matrix);
        ``retardance_deg``: ``|arg(t_1 / t_2)|``; ``dipole_measured``: ``D`` of the module
        docstring; ``axis_deg``: principal axis of the stronger coupling, in [0, 180);
        ``reflectance_mean``: mean of ``sigma_1^2`` and ``sigma_2^2``.
    """
    t, r = normal_incidence_jones(tau, wavelength, config=config)
    k = 2.0 * math.pi / float(wavelength)
    ev = np.linalg.eigvals(t)
    sv = np.linalg.svd(r, compute_uv=False)
    mu, vec = np.linalg.eig(np.linalg.inv(t - np.eye(2)))
    kappa = -(2j * math.pi * k / config.area) * mu  # = C_j - 1/alpha in the dipole model
    j = int(np.argmax(kappa.real))
    v = vec[:, j] * np.exp(-1j * np.angle(vec[np.argmax(np.abs(vec[:, j])), j]))
    return {
        "t_split": float(abs(ev[0] - ev[1])),
        "r_split": float(sv[0] ** 2 - sv[1] ** 2),
        "retardance_deg": float(abs(math.degrees(np.angle(ev[0] / ev[1])))),
        "dipole_measured": float(config.area**1.5 / 3.0 * abs(kappa[0] - kappa[1])),
        "axis_deg": float(math.degrees(math.atan2(v[1].real, v[0].real)) % 180.0),
        "reflectance_mean": float(0.5 * (sv[0] ** 2 + sv[1] ** 2)),
    }


def _axis_gap(a, b):
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


@dataclass(frozen=True)
class BridgeResult:
    """Splittings over lattices and wavelengths, and their correlation with the lattice sums.

    Attributes
    ----------
    taus : list of complex, length L
    wavelengths : ndarray, shape (W,)
        nm.
    rod, dipole : ndarray, shape (L,)
        ``y |G2*|`` and ``y^(3/2) |S(3,2)|``.
    rod_axis_deg, dipole_axis_deg : ndarray, shape (L,)
    measured : dict of str -> ndarray, shape (W, L)
        The keys of :func:`polarization_splitting`.
    """

    taus: list
    wavelengths: np.ndarray
    rod: np.ndarray
    dipole: np.ndarray
    rod_axis_deg: np.ndarray
    dipole_axis_deg: np.ndarray
    measured: dict

    def correlations(self, quantity: str = "t_split", reference: str = "rod") -> list[dict]:
        """Pearson and Spearman coefficients per wavelength of ``measured[quantity]`` vs ``rod``/``dipole``."""
        from scipy.stats import pearsonr, spearmanr

        ref = {"rod": self.rod, "dipole": self.dipole}[reference]
        out = []
        for i, wl in enumerate(self.wavelengths):
            y = self.measured[quantity][i]
            out.append(
                {
                    "wavelength": float(wl),
                    "pearson": float(pearsonr(ref, y).statistic),
                    "spearman": float(spearmanr(ref, y).statistic),
                    # least-squares slope through the origin: 1 when D equals the dipole sum
                    "slope": float(ref @ y / (ref @ ref)),
                }
            )
        return out

    def axis_errors_deg(self, wavelength_index: int = -1, *, min_dipole: float = 0.05) -> dict:
        """Largest gap between the measured principal axis and the two quasi-static ones.

        Lattices with ``dipole < min_dipole`` (``i``, ``rho``: no preferred axis) are skipped.
        """
        m = self.dipole >= min_dipole
        ax = self.measured["axis_deg"][wavelength_index][m]
        return {
            "dipole": float(max(_axis_gap(a, b) for a, b in zip(ax, self.dipole_axis_deg[m]))),
            "rod": float(max(_axis_gap(a, b) for a, b in zip(ax, self.rod_axis_deg[m]))),
        }


def bridge(taus=DEFAULT_BRIDGE_TAUS, wavelengths=(3000.0,), *, config: MonolayerConfig = MonolayerConfig()):
    """Polarization splitting from treams and quasi-static anisotropy for each ``tau``.

    Parameters
    ----------
    taus : sequence of complex
        Lattice shapes at the equal cell area ``config.area``.
    wavelengths : sequence of float
        Vacuum wavelengths in nm.
    config : MonolayerConfig

    Returns
    -------
    BridgeResult
    """
    taus = [complex(t) for t in taus]
    if len(taus) < 3:
        raise ValueError(f"bridge needs at least 3 lattices for a correlation; received {len(taus)}")
    wl = np.asarray(wavelengths, dtype=float).ravel()
    qs = [quasi_static_anisotropy(t) for t in taus]
    keys = ("t_split", "r_split", "retardance_deg", "dipole_measured", "axis_deg", "reflectance_mean")
    measured = {k: np.empty((len(wl), len(taus))) for k in keys}
    for i, w in enumerate(wl):
        for j, t in enumerate(taus):
            row = polarization_splitting(t, w, config=config)
            for k in keys:
                measured[k][i, j] = row[k]
    return BridgeResult(
        taus=taus,
        wavelengths=wl,
        rod=np.array([q["rod"] for q in qs]),
        dipole=np.array([q["dipole"] for q in qs]),
        rod_axis_deg=np.array([q["rod_axis_deg"] for q in qs]),
        dipole_axis_deg=np.array([q["dipole_axis_deg"] for q in qs]),
        measured=measured,
    )
