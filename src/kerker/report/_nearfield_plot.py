"""Figure of a near-field map: ``|E|^2 / |E_0|^2`` in the xz plane of a layered sphere.

Reads a grid computed elsewhere (:func:`kerker.mie.nearfield.near_field_xz`); no physics here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from kerker._artifacts import write_figure_atomic

__all__ = ["plot_near_field_xz"]


def _title(materials, radii, wavelength) -> str:
    parts = []
    if materials is not None:
        names = [m if isinstance(m, str) else getattr(m, "name", None) or "custom" for m in materials]
        parts.append(" / ".join(f"{n} {r:g} nm" for n, r in zip(names, radii)))
    else:
        parts.append("radii " + ", ".join(f"{r:g}" for r in radii) + " nm")
    if wavelength is not None:
        parts.append(f"λ = {wavelength:g} nm")
    return ", ".join(parts)


def plot_near_field_xz(
    x: np.ndarray,
    z: np.ndarray,
    intensity: np.ndarray,
    radii,
    *,
    materials=None,
    wavelength: float | None = None,
    log: bool = True,
    title: str | None = None,
    out: str | Path | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    """Draw ``|E|^2 / |E_0|^2`` on the xz plane with the layer boundaries as circles.

    Parameters
    ----------
    x, z : ndarray, shape (M,) and (K,)
        Grid coordinates in nm (increasing).
    intensity : ndarray, shape (K, M)
        ``|E|^2`` relative to the incident intensity at ``(x[j], 0, z[i])``, e.g. one
        ``NearFieldXZ.intensity[p, w]``.
    radii : sequence of float
        Outer radius of each layer in nm, innermost first (drawn as circles; zero radii skipped).
    materials : sequence, optional
        Layer materials, innermost first, for the title (names; other entries show as "custom").
    wavelength : float, optional
        Vacuum wavelength in nm, for the title.
    log : bool, default True
        Logarithmic colour scale (the enhancement spans decades near metals).
    title : str, optional
        Figure title; by default the materials, radii and wavelength.
    out : path, optional
        Also write the figure there (format from the suffix), atomically.
    vmin, vmax : float, optional
        Colour limits; default the data's range (its positive part on the log scale).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        ``intensity`` not of shape (len(z), len(x)), or with no finite value.
    """
    x, z, data = np.asarray(x, dtype=float), np.asarray(z, dtype=float), np.asarray(intensity, dtype=float)
    if data.shape != (z.size, x.size):
        raise ValueError(f"intensity must have shape (len(z), len(x)) = ({z.size}, {x.size}), got {data.shape}")
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        raise ValueError("intensity has no finite value to draw")
    if log:
        positive = finite[finite > 0]
        low = vmin if vmin is not None else (positive.min() if positive.size else 1e-3)
        high = vmax if vmax is not None else max(finite.max(), low * 10)
        norm = LogNorm(vmin=low, vmax=high)
        data = np.clip(data, low, None)
    else:
        norm = Normalize(vmin=finite.min() if vmin is None else vmin, vmax=finite.max() if vmax is None else vmax)
    fig = Figure(figsize=(5.6, 4.6), layout="constrained")
    ax = fig.add_subplot()
    mesh = ax.pcolormesh(x, z, data, shading="nearest", cmap="inferno", norm=norm, rasterized=True)
    for r in radii:
        if r > 0:
            ax.add_patch(Circle((0.0, 0.0), float(r), fill=False, edgecolor="white", linewidth=0.8, linestyle="--"))
    ax.set_aspect("equal")
    ax.set_xlim(x.min(), x.max())
    ax.set_ylim(z.min(), z.max())
    ax.set_xlabel("x (nm)  [E_inc along x]")
    ax.set_ylabel("z (nm)  [k along z]")
    ax.set_title(_title(materials, radii, wavelength) if title is None else title, fontsize=10)
    fig.colorbar(mesh, ax=ax, label="|E|² / |E₀|²", shrink=0.9)
    if out is not None:
        write_figure_atomic(fig, out, dpi=130)
    return fig
