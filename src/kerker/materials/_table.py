"""The permittivity table of a list of named materials on a wavelength grid.

Batched Mie calls over many particles index such a table by material (``eps[core_index]``)
instead of evaluating each particle's material again: the dataset build and the design
code both use it.
"""

from __future__ import annotations

import numpy as np

from kerker.materials._material import EXTRAPOLATION_POLICIES
from kerker.materials._catalogue import material

__all__ = ["permittivity_table"]


def permittivity_table(names, wavelength, *, extrapolation: str | None = None) -> np.ndarray:
    """Relative permittivities of ``names`` on a wavelength grid, one row per material.

    Parameters
    ----------
    names : sequence of str or Material, length M
        Materials (shipped names in any letter case, or ``Material`` objects), in the order
        of the rows, e.g. a dataset's ``materials``.
    wavelength : array_like, shape (W,)
        Vacuum wavelengths in nm.
    extrapolation : {"error", "hold"}, optional
        Out-of-range policy applied to every material (see
        :meth:`kerker.materials.Material.with_extrapolation`). None keeps each material's
        own policy (``"error"`` for a name).

    Returns
    -------
    ndarray, complex128, shape (M, W)
        ``eps[m, w]`` of material ``names[m]`` at ``wavelength[w]``; Im(eps) >= 0 is loss.

    Raises
    ------
    TypeError
        ``names`` is a single string or not a sequence of names/materials.
    ValueError
        ``names`` is empty, an unknown material (the message lists the known ones), an
        unknown ``extrapolation`` policy, ``wavelength`` not one-dimensional, or (policy
        "error") a wavelength outside a material's data range.

    Examples
    --------
    >>> from kerker.materials import permittivity_table
    >>> eps = permittivity_table(["Si", "TiO2"], [400.0, 600.0, 800.0], extrapolation="hold")
    >>> eps.shape, eps.dtype
    ((2, 3), dtype('complex128'))
    """
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise TypeError(f"permittivity_table: names must be a sequence of material names; received {names!r}")
    names = list(names)
    if not names:
        raise ValueError("permittivity_table: names must hold at least one material; received an empty sequence")
    if extrapolation is not None and extrapolation not in EXTRAPOLATION_POLICIES:
        raise ValueError(
            f"permittivity_table: extrapolation must be one of {EXTRAPOLATION_POLICIES} or None; "
            f"received {extrapolation!r}"
        )
    wl = np.asarray(wavelength, dtype=np.float64)
    if wl.ndim != 1:
        raise ValueError(f"permittivity_table: wavelength must have shape (W,); received shape {wl.shape}")
    rows = []
    for name in names:
        mat = material(name)
        if extrapolation is not None:
            mat = mat.with_extrapolation(extrapolation)
        rows.append(mat.permittivity(wl))
    return np.stack(rows)
