"""Everything the package reports about one core-shell design: spectra, multipoles, pattern."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerker.mie import efficiencies, multipoles, scattering_pattern

__all__ = ["ParticleSpectra", "RadiationPattern", "particle_spectra"]

_EFFICIENCIES = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")


@dataclass(frozen=True)
class RadiationPattern:
    """Differential scattering efficiency of one particle at one wavelength.

    Attributes
    ----------
    wavelength : float
        Vacuum wavelength in nm.
    theta : ndarray, shape (T,)
        Scattering angles in radians, 0 (forward) to pi (backward).
    unpolarized, perpendicular, parallel : ndarray, shape (T,)
        ``q_diff`` of :func:`kerker.mie.scattering_pattern` for unpolarized incident light
        and for the electric field perpendicular and parallel to the scattering plane.
    """

    wavelength: float
    theta: np.ndarray
    unpolarized: np.ndarray
    perpendicular: np.ndarray
    parallel: np.ndarray


@dataclass(frozen=True)
class ParticleSpectra:
    """Spectra of one core-shell particle; every spectrum has shape (W,).

    Attributes
    ----------
    wavelength : ndarray, shape (W,)
        Vacuum wavelengths in nm.
    q_ext, q_sca, q_abs, q_fwd, q_back : ndarray, shape (W,)
        Efficiencies as in :func:`kerker.mie.efficiencies`.
    q_sca_ED, q_sca_MD, q_sca_EQ, q_sca_MQ : ndarray, shape (W,)
        Scattering efficiency of the electric and magnetic dipole and quadrupole
        (:func:`kerker.mie.multipoles`).
    pattern : RadiationPattern or None
        Radiation pattern at one wavelength, if one was asked for.
    """

    wavelength: np.ndarray
    q_ext: np.ndarray
    q_sca: np.ndarray
    q_abs: np.ndarray
    q_fwd: np.ndarray
    q_back: np.ndarray
    q_sca_ED: np.ndarray
    q_sca_MD: np.ndarray
    q_sca_EQ: np.ndarray
    q_sca_MQ: np.ndarray
    pattern: RadiationPattern | None = None

    def to_dict(self) -> dict:
        """The spectra by name (``wavelength_nm``, ``q_*``), arrays as given (JSON via ``tolist``)."""
        names = (*_EFFICIENCIES, "q_sca_ED", "q_sca_MD", "q_sca_EQ", "q_sca_MQ")
        return {"wavelength_nm": self.wavelength, **{name: getattr(self, name) for name in names}}


def particle_spectra(
    core,
    shell,
    r_core: float,
    t_shell: float,
    wavelength,
    env: float = 1.0,
    *,
    pattern_wavelength: float | None = None,
    n_theta: int = 361,
) -> ParticleSpectra:
    """Efficiency and multipole spectra of one particle, and optionally its radiation pattern.

    Parameters
    ----------
    core, shell : str or kerker.Material
        Core and shell materials.
    r_core : float
        Core radius in nm, > 0.
    t_shell : float
        Shell thickness in nm, >= 0.
    wavelength : array_like, shape (W,)
        Vacuum wavelengths in nm.
    env : float, default 1.0
        Real refractive index of the embedding medium.
    pattern_wavelength : float, optional
        Wavelength in nm of the radiation pattern; none is computed if omitted.
    n_theta : int, default 361
        Number of scattering angles of the pattern, evenly spaced over [0, pi] (361: 0.5 deg).

    Returns
    -------
    ParticleSpectra

    Raises
    ------
    ValueError
        ``n_theta < 2``, and the input errors of :func:`kerker.mie.efficiencies`.
    """
    if int(n_theta) < 2:
        raise ValueError(f"n_theta must be >= 2; received {n_theta!r}")
    q = efficiencies(core, shell, r_core, t_shell, wavelength, env)
    mp = multipoles(core, shell, r_core, t_shell, wavelength, env)
    pattern = None
    if pattern_wavelength is not None:
        theta = np.linspace(0.0, np.pi, int(n_theta))
        q_diff = {
            polarization: scattering_pattern(
                core, shell, r_core, t_shell, [pattern_wavelength], theta, env, polarization=polarization
            )[2][0, 0]
            for polarization in ("unpolarized", "perpendicular", "parallel")
        }
        pattern = RadiationPattern(float(pattern_wavelength), theta, **q_diff)
    return ParticleSpectra(
        np.asarray(wavelength, dtype=float),
        *(getattr(q, name)[0] for name in _EFFICIENCIES),
        q_sca_ED=mp.electric[0, :, 0],
        q_sca_MD=mp.magnetic[0, :, 0],
        q_sca_EQ=mp.electric[0, :, 1],
        q_sca_MQ=mp.magnetic[0, :, 1],
        pattern=pattern,
    )
