"""The shipped material catalogue: the paper's seven materials by name.

Each name maps to a refractiveindex.info YAML file in ``data/`` (see ``data/SOURCES.md``
for its page, range and licence), read once per process by
:mod:`kerker.materials._refractiveindex`.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources

from kerker.materials._material import Material
from kerker.materials._refractiveindex import _parse

__all__ = ["PAPER_MATERIALS", "available", "material"]

#: The paper's seven materials, in the paper's order.
PAPER_MATERIALS = ("Au", "Ag", "Si", "SiO2", "Si3N4", "ZrO2", "TiO2")

# name -> (data file, short citation, full reference). SOURCES.md in the data folder
# gives the database page, range and licence of each file.
_SHIPPED = {
    "Au": (
        "Au_Johnson1972.yml",
        "Johnson & Christy 1972",
        "P. B. Johnson and R. W. Christy, Optical constants of the noble metals, "
        "Phys. Rev. B 6, 4370-4379 (1972), doi:10.1103/PhysRevB.6.4370",
    ),
    "Ag": (
        "Ag_Johnson1972.yml",
        "Johnson & Christy 1972",
        "P. B. Johnson and R. W. Christy, Optical constants of the noble metals, "
        "Phys. Rev. B 6, 4370-4379 (1972), doi:10.1103/PhysRevB.6.4370",
    ),
    "Si": (
        "Si_Schinke2015.yml",
        "Schinke et al. 2015",
        "C. Schinke et al., Uncertainty analysis for the coefficient of band-to-band absorption of "
        "crystalline silicon, AIP Advances 5, 067168 (2015), doi:10.1063/1.4923379",
    ),
    "SiO2": (
        "SiO2_Malitson1965.yml",
        "Malitson 1965",
        "I. H. Malitson, Interspecimen comparison of the refractive index of fused silica, "
        "J. Opt. Soc. Am. 55, 1205-1208 (1965), doi:10.1364/JOSA.55.001205",
    ),
    "Si3N4": (
        "Si3N4_Luke2015.yml",
        "Luke et al. 2015",
        "K. Luke, Y. Okawachi, M. R. E. Lamont, A. L. Gaeta, M. Lipson, Broadband mid-infrared "
        "frequency comb generation in a Si3N4 microresonator, Opt. Lett. 40, 4823-4826 (2015), "
        "doi:10.1364/OL.40.004823",
    ),
    "ZrO2": (
        "ZrO2_Wood1982.yml",
        "Wood & Nassau 1982",
        "D. L. Wood and K. Nassau, Refractive index of cubic zirconia stabilized with yttria, "
        "Appl. Opt. 21, 2978-2981 (1982), doi:10.1364/AO.21.002978",
    ),
    "TiO2": (
        "TiO2_Devore1965.yml",
        "DeVore 1951",
        "J. R. DeVore, Refractive indices of rutile and sphalerite, J. Opt. Soc. Am. 41, 416-419 (1951), "
        "doi:10.1364/JOSA.41.000416; average n = (2 n_o + n_e) / 3 of the ordinary and extraordinary indices",
    ),
}
_BY_LOWER = {key.lower(): key for key in _SHIPPED}


def available() -> tuple[str, ...]:
    """Names of the shipped materials, in the paper's order.

    Returns
    -------
    tuple of str
        Accepted (case-insensitively) by :func:`material`.
    """
    return tuple(_SHIPPED)


def material(name) -> Material:
    """A shipped material by name (case-insensitive), e.g. ``material("Si")``.

    Parameters
    ----------
    name : str or Material
        One of :func:`available` (``"Au", "Ag", "Si", "SiO2", "Si3N4", "ZrO2",
        "TiO2"``), in any letter case. A ``Material`` is returned unchanged.

    Returns
    -------
    Material
        With ``extrapolate="error"``; data are read once per process and cached.

    Raises
    ------
    ValueError
        If the name is not a shipped material (the message lists them).
    TypeError
        If ``name`` is neither a string nor a ``Material``.

    Examples
    --------
    >>> si = material("si")
    >>> si.name, si.wavelength_range
    ('Si', (250.0, 1450.0))
    """
    if isinstance(name, Material):
        return name
    if not isinstance(name, str):
        raise TypeError(f"material(name): name must be a str; received type {type(name).__name__}")
    key = _BY_LOWER.get(name.strip().lower())
    if key is None:
        raise ValueError(
            f"unknown material {name!r}; known materials are {', '.join(_SHIPPED)}. "
            "For other data use load_refractiveindex_yaml(path) or constant(n)."
        )
    return _shipped(key)


@functools.lru_cache(maxsize=None)
def _shipped(key: str) -> Material:
    filename, citation, reference = _SHIPPED[key]
    content = (resources.files("kerker.materials") / "data" / filename).read_bytes()
    index, span, _, types = _parse(content, filename)
    mat = Material(
        key,
        index,
        wavelength_range=span,
        reference=reference,
        source=f"kerker/materials/data/{filename}",
        sha256=hashlib.sha256(content).hexdigest(),
        citation=citation,
        data_types=types,
    )
    mat._lookup = f"material({key!r})"
    return mat
