"""Figures for single particles: efficiency spectra and polar radiation patterns.

Reads arrays that were computed elsewhere; no physics here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_particle", "plot_radiation_pattern", "plot_spectra"]


def plot_spectra(
    wavelength: np.ndarray,
    spectra: dict[str, np.ndarray],
    out: str | Path,
    *,
    title: str = "",
    marker_wavelength: float | None = None,
) -> Path:
    """Plot efficiency spectra against wavelength and save the figure.

    Parameters
    ----------
    wavelength : ndarray, shape (W,)
        Wavelengths in nm.
    spectra : dict of str -> ndarray, shape (W,)
        Curves by label, e.g. ``{"Q_fwd": ..., "Q_back": ...}``.
    out : path
        Image file; the format follows the suffix.
    title : str
        Figure title.
    marker_wavelength : float, optional
        Draws a vertical line at this wavelength (nm), e.g. the design wavelength.
    """
    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = fig.add_subplot()
    styles = {"q_fwd": "-", "q_back": "--", "q_sca": ":", "q_ext": "-.", "q_abs": (0, (1, 3))}
    for label, values in spectra.items():
        ax.plot(wavelength, values, linestyle=styles.get(label.lower(), "-"), label=label)
    if marker_wavelength is not None:
        ax.axvline(marker_wavelength, color="0.6", linewidth=0.8)
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("efficiency")
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False)
    return write_figure_atomic(fig, out, dpi=130)


def plot_radiation_pattern(
    theta: np.ndarray,
    intensity: dict[str, np.ndarray],
    out: str | Path,
    *,
    title: str = "",
) -> Path:
    """Polar plot of differential scattering versus angle (forward = 0 deg at the right).

    Parameters
    ----------
    theta : ndarray, shape (T,)
        Scattering angles in radians over [0, pi]; the pattern is mirrored to [pi, 2 pi]
        (it is symmetric about the propagation axis in the scattering plane shown).
    intensity : dict of str -> ndarray, shape (T,)
        Patterns by label, e.g. parallel/perpendicular polarisation or unpolarised.
    out : path
        Image file.
    title : str
        Figure title.
    """
    fig = Figure(figsize=(4.8, 4.8), layout="constrained")
    ax = fig.add_subplot(projection="polar")
    full_theta = np.concatenate([theta, 2 * np.pi - theta[::-1]])
    for label, values in intensity.items():
        ax.plot(full_theta, np.concatenate([values, values[::-1]]), label=label)
    ax.set_title(title, fontsize=10)
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(-0.1, -0.12), fontsize=8)
    return write_figure_atomic(fig, out, dpi=130)


def plot_particle(spectra, out: str | Path, *, title: str = "") -> dict[str, Path]:
    """Write ``spectrum.png`` and, if the spectra carry a pattern, ``pattern.png`` into ``out``.

    Parameters
    ----------
    spectra : kerker.design.ParticleSpectra
        Spectra of one particle (:func:`kerker.design.particle_spectra`); its pattern's
        wavelength is marked on the spectrum.
    out : path
        Output folder (created if missing).
    title : str
        Figure title, e.g. the particle's materials and sizes.

    Returns
    -------
    dict
        ``{"spectrum": path}`` and, with a pattern, ``"pattern": path``.
    """
    out = Path(out)
    pattern = spectra.pattern
    files = {
        "spectrum": plot_spectra(
            spectra.wavelength,
            {"Q_fwd": spectra.q_fwd, "Q_back": spectra.q_back, "Q_sca": spectra.q_sca},
            out / "spectrum.png",
            title=title,
            marker_wavelength=None if pattern is None else pattern.wavelength,
        )
    }
    if pattern is not None:
        files["pattern"] = plot_radiation_pattern(
            pattern.theta,
            {
                "unpolarised": pattern.unpolarized,
                "perpendicular |S1|^2": pattern.perpendicular,
                "parallel |S2|^2": pattern.parallel,
            },
            out / "pattern.png",
            title=f"{title}\nλ = {pattern.wavelength:g} nm (differential efficiency)",
        )
    return files
