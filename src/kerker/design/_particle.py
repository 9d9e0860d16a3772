"""Everything the package reports about one particle (core-shell or layered): spectra, multipoles, pattern."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerker.mie import efficiencies, efficiencies_layered

__all__ = ["ParticleSpectra", "RadiationPattern", "layered_particle_spectra", "particle_spectra"]

_EFFICIENCIES = ("q_ext", "q_sca", "q_abs", "q_fwd", "q_back")
_MULTIPOLES = ("ED", "MD", "EQ", "MQ")
#: Every spectrum of :meth:`ParticleSpectra.to_dict`, in column order.
SPECTRA = (
    *_EFFICIENCIES, *(f"q_sca_{name}" for name in _MULTIPOLES), "c_ext", "c_sca", "c_abs", "g", "q_pr",
    *(f"q_{kind}_{name}" for kind in ("ext", "abs") for name in _MULTIPOLES),
)


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
        Differential scattering efficiency (``kerker.mie.Amplitudes``: ``q_unpolarized``,
        ``q_per``, ``q_par``) for unpolarized incident light and for the electric field
        perpendicular and parallel to the scattering plane.
    degree_of_polarization : ndarray, shape (T,)
        ``(|S1|^2 - |S2|^2) / (|S1|^2 + |S2|^2)`` of the light scattered from unpolarized light.
    s1, s2 : ndarray of complex, shape (T,)
        The amplitudes (Bohren & Huffman eq. 4.74).
    """

    wavelength: float
    theta: np.ndarray
    unpolarized: np.ndarray
    perpendicular: np.ndarray
    parallel: np.ndarray
    degree_of_polarization: np.ndarray | None = None
    s1: np.ndarray | None = None
    s2: np.ndarray | None = None

    def to_dict(self) -> dict:
        """The pattern by name (angles in degrees; complex amplitudes as ``[re, im]`` pairs)."""
        out = {"wavelength_nm": self.wavelength, "theta_deg": np.degrees(self.theta), "q_unpolarized": self.unpolarized,
               "q_perpendicular": self.perpendicular, "q_parallel": self.parallel}
        if self.degree_of_polarization is not None:
            out["degree_of_polarization"] = self.degree_of_polarization
        for name in ("s1", "s2"):
            value = getattr(self, name)
            if value is not None:
                out[name] = np.stack([value.real, value.imag], axis=-1)
        return out


@dataclass(frozen=True)
class ParticleSpectra:
    """Spectra of one particle; every spectrum has shape (W,).

    Attributes
    ----------
    wavelength : ndarray, shape (W,)
        Vacuum wavelengths in nm.
    q_ext, q_sca, q_abs, q_fwd, q_back : ndarray, shape (W,)
        Efficiencies as in :func:`kerker.mie.efficiencies`.
    q_sca_ED, q_sca_MD, q_sca_EQ, q_sca_MQ : ndarray, shape (W,)
        Scattering efficiency of the electric and magnetic dipole and quadrupole.
    pattern : RadiationPattern or None
        Radiation pattern at one wavelength, if one was asked for.
    extra : dict
        The other spectra of :data:`SPECTRA` (cross sections ``c_*`` in nm^2, ``g``,
        ``q_pr``, multipole extinction ``q_ext_*`` and absorption ``q_abs_*``), by name.
    layers : list of (str, float) or None
        The particle: (material name, outer radius in nm) per layer, innermost first.
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
    extra: dict | None = None
    layers: list | None = None

    def to_dict(self) -> dict:
        """The spectra by name (``wavelength_nm``, then :data:`SPECTRA`), arrays as given (JSON via ``tolist``)."""
        out = {"wavelength_nm": self.wavelength}
        for name in SPECTRA:
            value = getattr(self, name, None) if hasattr(self, name) else (self.extra or {}).get(name)
            if value is not None:
                out[name] = value
        return out

    def to_csv(self) -> str:
        """The spectra of :meth:`to_dict` as CSV text: a header row, then one row per wavelength (17 digits)."""
        table = self.to_dict()
        columns = [np.asarray(v, dtype=float).reshape(-1) for v in table.values()]
        lines = [",".join(table)]
        lines += [",".join(f"{c[i]:.17g}" for c in columns) for i in range(len(columns[0]))]
        return "\n".join(lines) + "\n"


def _from_result(res, wavelength, layers, pattern_wavelength, pattern_result, n_theta) -> ParticleSpectra:
    mp = res.multipoles(2)
    extra = {"c_ext": res.c_ext[0], "c_sca": res.c_sca[0], "c_abs": res.c_abs[0], "g": res.g[0], "q_pr": res.q_pr[0]}
    for kind in ("ext", "abs"):
        for name in _MULTIPOLES:
            terms = getattr(mp, f"{kind}_{'electric' if name[0] == 'E' else 'magnetic'}")
            extra[f"q_{kind}_{name}"] = terms[0, :, 0 if name[1] == "D" else 1]
    pattern = None
    if pattern_result is not None:
        theta = np.linspace(0.0, np.pi, int(n_theta))
        amp = pattern_result.amplitudes(theta)
        pattern = RadiationPattern(
            float(pattern_wavelength), theta, amp.q_unpolarized[0, 0], amp.q_per[0, 0], amp.q_par[0, 0],
            degree_of_polarization=amp.degree_of_polarization[0, 0], s1=amp.s1[0, 0], s2=amp.s2[0, 0],
        )
    return ParticleSpectra(
        np.asarray(wavelength, dtype=float),
        *(getattr(res, name)[0] for name in _EFFICIENCIES),
        q_sca_ED=mp.sca_electric[0, :, 0],
        q_sca_MD=mp.sca_magnetic[0, :, 0],
        q_sca_EQ=mp.sca_electric[0, :, 1],
        q_sca_MQ=mp.sca_magnetic[0, :, 1],
        pattern=pattern,
        extra=extra,
        layers=layers,
    )


def _name(mat) -> str:
    return mat if isinstance(mat, str) else getattr(mat, "name", "custom")


def _check_n_theta(n_theta) -> None:
    if int(n_theta) < 2:
        raise ValueError(f"n_theta must be >= 2; received {n_theta!r}")


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
    _check_n_theta(n_theta)
    res = efficiencies(core, shell, r_core, t_shell, wavelength, env)
    at = None if pattern_wavelength is None else efficiencies(core, shell, r_core, t_shell, [pattern_wavelength], env)
    layers = [(_name(core), float(r_core)), (_name(shell), float(r_core) + float(t_shell))]
    return _from_result(res, wavelength, layers, pattern_wavelength, at, n_theta)


def layered_particle_spectra(materials, radii, wavelength, env: float = 1.0, *, pattern_wavelength: float | None = None,
                             n_theta: int = 361) -> ParticleSpectra:
    """:func:`particle_spectra` of one sphere of L concentric layers.

    Parameters
    ----------
    materials : sequence of str or kerker.Material, length L
        Layer materials, innermost first.
    radii : array_like, shape (L,)
        Outer radius of each layer in nm, non-decreasing (see :func:`kerker.efficiencies_layered`).
    wavelength, env, pattern_wavelength, n_theta
        As in :func:`particle_spectra`.

    Raises
    ------
    ValueError
        ``n_theta < 2``, and the input errors of :func:`kerker.efficiencies_layered`.
    """
    _check_n_theta(n_theta)
    radii = np.asarray(radii, dtype=float).reshape(1, -1)
    res = efficiencies_layered(materials, radii, wavelength, env)
    at = None if pattern_wavelength is None else efficiencies_layered(materials, radii, [pattern_wavelength], env)
    layers = [(_name(m), float(r)) for m, r in zip(materials, radii[0])]
    return _from_result(res, wavelength, layers, pattern_wavelength, at, n_theta)
