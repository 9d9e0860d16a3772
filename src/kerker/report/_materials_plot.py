"""Plot of a material's refractive index n and extinction coefficient k versus wavelength."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from kerker._artifacts import write_figure_atomic


def plot_refractive_index(wavelength_nm, refractive_index, *, title: str = "", out=None) -> Figure:
    """Plot n and k of one material against wavelength.

    Computes nothing: the caller evaluates the material (e.g.
    ``material("Si").refractive_index(wavelength_nm)``) and passes the values.

    Parameters
    ----------
    wavelength_nm : array_like, shape (w,)
        Vacuum wavelengths in nm, increasing.
    refractive_index : array_like, complex, shape (w,)
        n + i k at those wavelengths.
    title : str, optional
        Figure title, e.g. the material name and reference.
    out : str or os.PathLike, optional
        If given, the figure is saved there (format from the suffix, e.g. ``.png``).

    Returns
    -------
    matplotlib.figure.Figure
        n on the left axis, k on the right axis. Built without pyplot, so no GUI
        backend or global figure state is involved.

    Raises
    ------
    ValueError
        If the two arrays are not 1-D of equal length.
    """
    wavelength_nm = np.asarray(wavelength_nm, dtype=float)
    index = np.asarray(refractive_index, dtype=complex)
    if wavelength_nm.ndim != 1 or index.shape != wavelength_nm.shape:
        raise ValueError(
            "plot_refractive_index needs 1-D wavelength_nm and refractive_index of equal length; "
            f"received shapes {wavelength_nm.shape} and {index.shape}"
        )
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(wavelength_nm, index.real, color="C0", label="n")
    ax.set_xlabel("wavelength (nm)")
    ax.set_ylabel("n", color="C0")
    ax_k = ax.twinx()
    ax_k.plot(wavelength_nm, index.imag, color="C3", linestyle="--", label="k")
    ax_k.set_ylabel("k", color="C3")
    handles = ax.get_lines() + ax_k.get_lines()
    ax.legend(handles, [h.get_label() for h in handles], loc="best")
    if title:
        ax.set_title(title, fontsize="medium")
    if out is not None:
        write_figure_atomic(fig, out, dpi=150)
    return fig
