"""Figures of the full-wave lattice verification: contrast maps, spectra, the bridge scatter.

Reads arrays computed by :mod:`kerker.verify`; no physics here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_bridge", "plot_contrast_maps", "plot_normal_spectra", "plot_verification"]


def _save(fig, out) -> Path:
    return write_figure_atomic(fig, out, dpi=110)


def plot_contrast_maps(
    wavelength: np.ndarray,
    theta_deg: np.ndarray,
    contrasts: dict[str, dict[str, np.ndarray]],
    out: str | Path,
    *,
    row_labels: dict[str, str] | None = None,
    titles: dict[str, str] | None = None,
    title: str = "",
    floor: float = 1e-4,
) -> Path:
    """Anisotropy contrast maps, one row per polarization family and one column per lattice.

    Parameters
    ----------
    wavelength : ndarray, shape (W,)
        nm.
    theta_deg : ndarray, shape (A,)
        Angles of incidence in degrees.
    contrasts : dict of str -> dict of str -> ndarray, shape (W, A)
        ``contrasts[lattice][row]`` is ``|R_x - R_y|`` (or ``|T_x - T_y|``); columns follow
        the order of ``contrasts``, rows that of the first lattice's dict.
    out : path
        Image file.
    row_labels, titles : dict, optional
        Row labels by row key and column titles by lattice key.
    title : str
        Figure title.
    floor : float
        Lower end of the logarithmic colour scale (upper end 1).
    """
    names = list(contrasts)
    rows = list(contrasts[names[0]])
    fig = Figure(figsize=(3.0 * len(names) + 0.8, 2.5 * len(rows) + 0.5), layout="constrained")
    axes = fig.subplots(len(rows), len(names), squeeze=False, sharex=True, sharey=True)
    wl = np.asarray(wavelength, dtype=float)
    th = np.asarray(theta_deg, dtype=float)
    # log colour scale: the resonant splitting (~1) and the long-wavelength tail (~1e-3) both show;
    # values below ``floor`` (the symmetric lattices' round-off, ~1e-15) are drawn as the floor
    norm = LogNorm(vmin=floor, vmax=1.0)
    for i, row in enumerate(rows):
        for j, name in enumerate(names):
            ax = axes[i, j]
            data = np.asarray(contrasts[name][row], dtype=float)
            mesh = ax.pcolormesh(wl, th, np.clip(data, floor, 1.0).T, shading="nearest", cmap="magma", norm=norm)
            ax.text(
                0.03,
                0.95,
                f"max {data.max():.2g}\nθ=0: {data[:, int(np.argmin(th))].max():.2g}",
                transform=ax.transAxes,
                va="top",
                fontsize=7,
                color="w",
                bbox={"facecolor": "k", "alpha": 0.55, "edgecolor": "none", "pad": 1.5},
            )
            if i == 0:
                ax.set_title((titles or {}).get(name, name), fontsize=9)
            if i == len(rows) - 1:
                ax.set_xlabel("wavelength (nm)")
            if j == 0:
                ax.set_ylabel(f"{(row_labels or {}).get(row, row)}\nθ (deg)", fontsize=8)
        fig.colorbar(mesh, ax=axes[i, :], shrink=0.9, label="|R_x − R_y|")
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def plot_normal_spectra(
    wavelength: np.ndarray,
    spectra: dict[str, dict[str, np.ndarray]],
    out: str | Path,
    *,
    titles: dict[str, str] | None = None,
    title: str = "",
) -> Path:
    """Normal-incidence reflectance spectra for x- and y-polarized light, one panel per lattice.

    Parameters
    ----------
    wavelength : ndarray, shape (W,)
        nm.
    spectra : dict of str -> dict of str -> ndarray, shape (W,)
        ``spectra[lattice]`` holds ``R_x`` and ``R_y`` (and optionally ``T_x``, ``T_y``).
    out : path
    titles : dict, optional
        Panel titles by lattice key.
    title : str
    """
    names = list(spectra)
    fig = Figure(figsize=(2.9 * len(names) + 0.4, 2.9), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False, sharey=True)[0]
    for ax, name in zip(axes, names):
        s = spectra[name]
        ax.plot(wavelength, s["R_x"], "-", label="R_x")
        ax.plot(wavelength, s["R_y"], "--", label="R_y")
        ax.set_title((titles or {}).get(name, name), fontsize=9)
        ax.set_xlabel("wavelength (nm)")
    axes[0].set_ylabel("reflectance, θ = 0")
    axes[0].legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


def plot_bridge(
    rod: np.ndarray,
    dipole: np.ndarray,
    t_split: np.ndarray,
    dipole_measured: np.ndarray,
    wavelengths: np.ndarray,
    out: str | Path,
    *,
    headline: int,
    stats: dict,
    highlight: dict[str, int] | None = None,
    title: str = "",
) -> Path:
    """Full-wave splitting against the quasi-static lattice sums (two panels).

    Parameters
    ----------
    rod, dipole : ndarray, shape (L,)
        ``y |G2*|`` and ``y^(3/2) |S(3,2)|`` per lattice.
    t_split, dipole_measured : ndarray, shape (W, L)
        ``|t_1 - t_2|`` and the measured dipolar anisotropy ``D`` per wavelength and lattice.
    wavelengths : ndarray, shape (W,)
        nm.
    out : path
    headline : int
        Index of the wavelength shown in the left panel.
    stats : dict
        ``pearson`` and ``spearman`` of the left panel, and ``slopes`` (list, one per
        wavelength) of ``D`` against ``dipole`` for the legend of the right panel.
    highlight : dict of str -> int, optional
        Labels for chosen lattices (index into L), e.g. ``{"τ*": 13}``.
    title : str
    """
    fig = Figure(figsize=(10.0, 4.0), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    wl = np.asarray(wavelengths, dtype=float)
    ax1.plot(rod, t_split[headline], "o", color="C0")
    for label, k in (highlight or {}).items():
        ax1.annotate(label, (rod[k], t_split[headline][k]), textcoords="offset points", xytext=(5, -10), fontsize=8)
    ax1.set_xlabel(r"quasi-static $y\,|G_2^*(\tau)|$  (kerker.lattice, rods)")
    ax1.set_ylabel(f"|t₁ − t₂| at λ = {wl[headline]:g} nm  (treams)")
    ax1.set_title(f"Pearson r = {stats['pearson']:.4f}, Spearman ρ = {stats['spearman']:.4f}", fontsize=9)
    # log-log: the identity is the diagonal and a constant ratio is a parallel offset.
    # Lattices with no anisotropy (i, rho: both sides ~1e-16) cannot be shown and are left out.
    show = np.asarray(dipole) > 1e-3
    lo = 0.5 * float(np.min(np.asarray(dipole)[show]))
    hi = 2.0 * float(max(np.max(np.asarray(dipole)[show]), np.max(np.asarray(dipole_measured)[:, show])))
    ax2.plot([lo, hi], [lo, hi], color="0.6", linewidth=0.8, label=r"$D = y^{3/2}\,|S(3,2)|$")
    cmap = colormaps["viridis"]
    for i, w in enumerate(wl):
        ax2.plot(
            np.asarray(dipole)[show],
            np.asarray(dipole_measured[i])[show],
            "o",
            ms=3.5,
            color=cmap(i / max(len(wl) - 1, 1)),
            label=f"{w:g} nm (slope {stats['slopes'][i]:.3f})",
        )
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlim(lo, hi)
    ax2.set_ylim(lo, hi)
    ax2.set_xlabel(r"quasi-static $y^{3/2}\,|S(3,2)(\tau)|$  (point dipoles)")
    ax2.set_ylabel(r"measured dipolar anisotropy $D$  (treams)")
    ax2.legend(frameon=False, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    return _save(fig, out)


_TITLES = {
    "square": "square τ = i",
    "tau_star": "τ* = ½ + 1.2462i (optimum of J)",
    "hexagonal": r"hexagonal τ = $e^{i\pi/3}$",
    "rectangular": "rectangular τ = 1.5i",
}


def plot_verification(data: dict, out: str | Path) -> list[Path]:
    """Write ``verify_contrast_maps.png``, ``verify_spectra.png`` and ``verify_bridge.png``.

    Parameters
    ----------
    data : dict
        ``kerker.verify.figure_data(payload, objects)``; a figure is drawn for each part
        present (``maps``: the first two, ``bridge``: the third).
    out : path
        Output folder (created if missing).

    Returns
    -------
    list of Path
        The files written, in the order above.
    """
    out = Path(out)
    files = []
    if "maps" in data:
        maps = data["maps"]
        files.append(
            plot_contrast_maps(
                maps["wavelength"],
                maps["theta_deg"],
                maps["contrasts"],
                out / "verify_contrast_maps.png",
                row_labels={"s": "E ∥ x vs E ∥ y (s)", "p": "E in xz vs yz plane (p)"},
                titles=_TITLES,
                title="Anisotropy contrast |R_x − R_y| (|T_x − T_y| is identical: lossless)",
            )
        )
        files.append(
            plot_normal_spectra(maps["wavelength"], maps["normal_spectra"], out / "verify_spectra.png", titles=_TITLES)
        )
    if "bridge" in data:
        b = data["bridge"]
        files.append(
            plot_bridge(
                b["rod"],
                b["dipole"],
                b["t_split"],
                b["dipole_measured"],
                b["wavelengths"],
                out / "verify_bridge.png",
                headline=b["headline"],
                stats=b["stats"],
                highlight=b["highlight"],
                title=f"{b['n_lattices']} lattices at equal area: treams vs quasi-static lattice sums",
            )
        )
    return files
