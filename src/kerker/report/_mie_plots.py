"""Figures for single particles: efficiency spectra and polar radiation patterns.

Reads arrays that were computed elsewhere; no physics here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

__all__ = ["plot_radiation_pattern", "plot_spectra"]


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
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    return out


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
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=130)
    return out
