"""Reader for refractiveindex.info database YAML files.

File format and dispersion formulas: M. N. Polyanskiy, "Refractiveindex.info database of
optical constants", Sci. Data 11, 94 (2024), doi:10.1038/s41597-023-02898-2, and the
database's ``doc/Dispersion formulas.pdf``. In the files wavelengths are in µm; kerker
converts them to nm on reading. Formulas are evaluated in µm, exactly as written there,
on NumPy arrays or torch tensors (differentiable); tabulated n and k are interpolated by
PCHIP (see ``_pchip.py``).
"""

from __future__ import annotations

import functools
import hashlib
import html
import math
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import torch
import yaml

from kerker.materials._material import Material
from kerker.materials._pchip import PchipTable

__all__ = ["load_refractiveindex_yaml"]

# -- dispersion formulas ------------------------------------------------------------
# Each takes wavelength in µm (float64 numpy.ndarray or torch.Tensor) and the coefficient
# vector c (c[0] is the database's C1), and returns the real refractive index n.


def _sqrt(x):
    return torch.sqrt(x) if isinstance(x, torch.Tensor) else np.sqrt(x)


def _pairs(c, start):
    """(C_i, C_{i+1}) for i = start, start+2, ...; terms with zero amplitude are dropped."""
    return [(c[i], c[i + 1]) for i in range(start, len(c) - 1, 2) if c[i] != 0.0]


def _sellmeier(lam, c):
    # (1) n^2 - 1 = C1 + sum_i C_{2i} lam^2 / (lam^2 - C_{2i+1}^2)
    lam2 = lam * lam
    rhs = 1.0 + c[0] + lam * 0.0
    for b, res in _pairs(c, 1):
        rhs = rhs + b * lam2 / (lam2 - res * res)
    return _sqrt(rhs)


def _sellmeier2(lam, c):
    # (2) n^2 - 1 = C1 + sum_i C_{2i} lam^2 / (lam^2 - C_{2i+1})
    lam2 = lam * lam
    rhs = 1.0 + c[0] + lam * 0.0
    for b, res in _pairs(c, 1):
        rhs = rhs + b * lam2 / (lam2 - res)
    return _sqrt(rhs)


def _power_series(lam, c):
    # C1 + sum_i C_{2i} lam^{C_{2i+1}}
    out = c[0] + lam * 0.0
    for a, power in _pairs(c, 1):
        out = out + a * lam**power
    return out


def _polynomial(lam, c):
    # (3) n^2 = C1 + sum_i C_{2i} lam^{C_{2i+1}}
    return _sqrt(_power_series(lam, c))


def _refractiveindex_info(lam, c):
    # (4) n^2 = C1 + C2 lam^C3 / (lam^2 - C4^C5) + C6 lam^C7 / (lam^2 - C8^C9)
    #          + sum_{i >= 10, even} C_i lam^{C_{i+1}}
    lam2 = lam * lam
    rhs = c[0] + lam * 0.0
    for j in (1, 5):
        if c[j] != 0.0:
            rhs = rhs + c[j] * lam ** c[j + 1] / (lam2 - c[j + 2] ** c[j + 3])
    for a, power in _pairs(c, 9):
        rhs = rhs + a * lam**power
    return _sqrt(rhs)


def _cauchy(lam, c):
    # (5) n = C1 + sum_i C_{2i} lam^{C_{2i+1}}
    return _power_series(lam, c)


def _gases(lam, c):
    # (6) n - 1 = C1 + sum_i C_{2i} / (C_{2i+1} - lam^-2)
    inv2 = 1.0 / (lam * lam)
    out = 1.0 + c[0] + lam * 0.0
    for b, res in _pairs(c, 1):
        out = out + b / (res - inv2)
    return out


def _herzberger(lam, c):
    # (7) n = C1 + C2 / (lam^2 - 0.028) + C3 (1 / (lam^2 - 0.028))^2 + C4 lam^2 + C5 lam^4 + C6 lam^6
    lam2 = lam * lam
    pole = 1.0 / (lam2 - 0.028)
    return c[0] + c[1] * pole + c[2] * pole * pole + c[3] * lam2 + c[4] * lam2**2 + c[5] * lam2**3


def _retro(lam, c):
    # (8) (n^2 - 1) / (n^2 + 2) = C1 + C2 lam^2 / (lam^2 - C3) + C4 lam^2
    lam2 = lam * lam
    r = c[0] + c[1] * lam2 / (lam2 - c[2]) + c[3] * lam2
    return _sqrt((1.0 + 2.0 * r) / (1.0 - r))


def _exotic(lam, c):
    # (9) n^2 = C1 + C2 / (lam^2 - C3) + C4 (lam - C5) / ((lam - C5)^2 + C6)
    shifted = lam - c[4]
    rhs = c[0] + c[1] / (lam * lam - c[2]) + c[3] * shifted / (shifted * shifted + c[5])
    return _sqrt(rhs)


# formula number -> (name, function, number of coefficients it reads (None: any))
_FORMULAS = {
    1: ("Sellmeier", _sellmeier, None),
    2: ("Sellmeier-2", _sellmeier2, None),
    3: ("Polynomial", _polynomial, None),
    4: ("RefractiveIndex.INFO", _refractiveindex_info, None),
    5: ("Cauchy", _cauchy, None),
    6: ("Gases", _gases, None),
    7: ("Herzberger", _herzberger, 6),
    8: ("Retro", _retro, 4),
    9: ("Exotic", _exotic, 6),
}
_MAX_COEFFICIENTS = 17  # the database allows C1..C17


class _FormulaPart:
    """n(lambda_nm) from one of the refractiveindex.info dispersion formulas; k = None."""

    def __init__(self, number: int, coefficients: list[float]) -> None:
        self.number = number
        self.name, self._function, size = _FORMULAS[number]
        # Missing trailing coefficients are zero, as in the database.
        width = size if size is not None else max(_MAX_COEFFICIENTS, len(coefficients))
        self.coefficients = tuple(coefficients) + (0.0,) * (width - len(coefficients))

    def __call__(self, wavelength_nm):
        return self._function(wavelength_nm / 1000.0, self.coefficients), None


class _TablePart:
    """(n, k) or (n, None) or (None, k) from tabulated columns, interpolated by PCHIP."""

    def __init__(self, wavelength_nm: np.ndarray, values: np.ndarray, columns: str) -> None:
        self.columns = columns  # "nk", "n" or "k"
        # n and k share their knots: one table, one search, both columns at once.
        self.table = PchipTable(wavelength_nm, values if columns == "nk" else values[:, 0])

    def __call__(self, wavelength_nm):
        values = self.table(wavelength_nm)
        if self.columns == "nk":
            return values[..., 0], values[..., 1]
        return (values, None) if self.columns == "n" else (None, values)


class _CombinedPart:
    """n from one DATA block and k from another."""

    def __init__(self, n_part, k_part) -> None:
        self.n_part, self.k_part = n_part, k_part

    def __call__(self, wavelength_nm):
        return self.n_part(wavelength_nm)[0], self.k_part(wavelength_nm)[1]


# -- YAML reading -------------------------------------------------------------------


def _um_to_nm(token: str) -> float:
    # Decimal arithmetic so that "0.43" µm becomes exactly 430.0 nm (0.43 * 1000 in binary
    # floating point is 430.00000000000006, which would reject 430.0 as out of range).
    return float(Decimal(token) * 1000)


def _plain(text: str) -> str:
    """Strip the HTML markup used in refractiveindex.info REFERENCES/COMMENTS fields."""
    text = re.sub(r"<br\s*/?>", "; ", str(text))
    text = re.sub(r"<a\s+href=\"([^\"]*)\"[^>]*>(.*?)</a>", r"\2 [\1]", text, flags=re.S)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def _parse_table(block: dict, columns: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    raw = block.get("data")
    if not isinstance(raw, str):
        raise ValueError(f"{where}: a tabulated block needs a 'data' text field; received {type(raw).__name__}")
    wavelengths, values = [], []
    for number, line in enumerate(raw.strip().splitlines(), start=1):
        tokens = line.split()
        if len(tokens) != columns:
            raise ValueError(
                f"{where}: data line {number} must have {columns} numbers (wavelength in µm, then values); "
                f"received {line.strip()!r}"
            )
        try:
            wavelengths.append(_um_to_nm(tokens[0]))
            values.append([float(t) for t in tokens[1:]])
        except (InvalidOperation, ValueError):
            raise ValueError(f"{where}: data line {number} is not numeric: {line.strip()!r}") from None
    x, y = np.array(wavelengths), np.array(values).reshape(len(values), columns - 1)
    if x.size < 2:
        raise ValueError(f"{where}: a tabulated block needs at least 2 rows; received {x.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y)) and np.all(x > 0)):
        raise ValueError(f"{where}: tabulated wavelengths must be positive and all values finite")
    if np.any(np.diff(x) <= 0):
        i = int(np.argmax(np.diff(x) <= 0))
        raise ValueError(
            f"{where}: tabulated wavelengths must be strictly increasing; row {i + 2} "
            f"({float(x[i + 1]) / 1000!r} µm) does not exceed row {i + 1} ({float(x[i]) / 1000!r} µm)"
        )
    return x, y


def _check_passive(x: np.ndarray, values: np.ndarray, columns: str, where: str) -> None:
    """Refuse tabulated n <= 0 and k < 0 (gain), as :func:`constant` does, naming the first bad row.

    PCHIP preserves the sign of the data between knots, so checked knots give an
    interpolant with n > 0 and k >= 0 everywhere.
    """
    for j, column in enumerate(columns):
        v = values[:, j]
        bad = v < 0 if column == "k" else v <= 0
        if bad.any():
            i = int(np.argmax(bad))
            rule = (
                "k >= 0 (k > 0 is loss under exp(-i omega t); k < 0 is gain, which kerker refuses)"
                if column == "k"
                else "n > 0"
            )
            hint = " If the file uses exp(+i omega t), negate its k column." if column == "k" else ""
            raise ValueError(
                f"{where}: tabulated {column} must satisfy {rule}; row {i + 1} ({float(x[i]) / 1000!r} µm) has "
                f"{column} = {float(v[i])!r} ({int(bad.sum())} of {v.size} rows break the rule).{hint}"
            )


def _parse_formula(block: dict, number: int, where: str) -> tuple[_FormulaPart, tuple[float, float]]:
    try:
        coefficients = [float(t) for t in str(block["coefficients"]).split()]
        lo, hi = (_um_to_nm(t) for t in str(block["wavelength_range"]).split())
    except KeyError as err:
        raise ValueError(f"{where}: 'formula {number}' needs a {err.args[0]!r} field") from None
    except (InvalidOperation, ValueError):
        raise ValueError(
            f"{where}: 'formula {number}' needs numeric 'coefficients' and a 'wavelength_range' of two "
            f"numbers in µm; received {block.get('coefficients')!r} and {block.get('wavelength_range')!r}"
        ) from None
    size = _FORMULAS[number][2]
    limit = size if size is not None else _MAX_COEFFICIENTS
    if not coefficients or len(coefficients) > limit or not all(map(math.isfinite, coefficients)):
        raise ValueError(
            f"{where}: 'formula {number}' ({_FORMULAS[number][0]}) takes 1 to {limit} finite coefficients; "
            f"received {coefficients!r}"
        )
    if not (0 < lo < hi):
        raise ValueError(
            f"{where}: wavelength_range must be two increasing positive numbers in µm; "
            f"received {lo / 1000!r}, {hi / 1000!r}"
        )
    return _FormulaPart(number, coefficients), (lo, hi)


@functools.lru_cache(maxsize=64)
def _parse(content: bytes, where: str):
    """Parse file content into (index, range, reference, data types); cached on content."""
    try:
        document = yaml.safe_load(content.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise ValueError(f"{where}: not a readable refractiveindex.info YAML file ({err})") from None
    if not isinstance(document, dict) or not isinstance(document.get("DATA"), list) or not document["DATA"]:
        raise ValueError(
            f"{where}: a refractiveindex.info file needs a non-empty 'DATA' list of blocks; "
            f"received top-level {type(document).__name__}"
        )
    parts: dict[str, object] = {}
    ranges: list[tuple[float, float]] = []
    types: list[str] = []

    def claim(what: str, part, data_type: str) -> None:
        if what in parts:
            raise ValueError(f"{where}: more than one DATA block defines {what} (second one: {data_type!r})")
        parts[what] = part

    for index, block in enumerate(document["DATA"]):
        here = f"{where}, DATA block {index}"
        data_type = str(block.get("type", "")).strip() if isinstance(block, dict) else ""
        if data_type == "tabulated nk":
            x, y = _parse_table(block, 3, here)
            _check_passive(x, y, "nk", here)
            part = _TablePart(x, y, "nk")
            claim("n", part, data_type)
            claim("k", part, data_type)
        elif data_type in ("tabulated n", "tabulated k"):
            x, y = _parse_table(block, 2, here)
            _check_passive(x, y, data_type[-1], here)
            claim(data_type[-1], _TablePart(x, y, data_type[-1]), data_type)
        elif re.fullmatch(r"formula \d+", data_type) and int(data_type.split()[1]) in _FORMULAS:
            part, span = _parse_formula(block, int(data_type.split()[1]), here)
            claim("n", part, data_type)
            types.append(data_type)
            ranges.append(span)
            continue
        else:
            raise ValueError(
                f"{here}: unknown data type {data_type!r}; supported are 'tabulated n', 'tabulated k', "
                f"'tabulated nk' and 'formula 1' to 'formula 9'"
            )
        types.append(data_type)
        ranges.append((float(x[0]), float(x[-1])))
    if "n" not in parts:
        raise ValueError(f"{where}: no DATA block gives the real index n (found only {types})")
    lo, hi = max(r[0] for r in ranges), min(r[1] for r in ranges)
    if not lo < hi:
        raise ValueError(f"{where}: the wavelength ranges of the DATA blocks do not overlap: {ranges} nm")
    reference = _plain(document.get("REFERENCES", "")) if document.get("REFERENCES") else ""
    n_part, k_part = parts["n"], parts.get("k")
    index = n_part if k_part is None or k_part is n_part else _CombinedPart(n_part, k_part)
    return index, (lo, hi), reference, tuple(types)


def load_refractiveindex_yaml(path, name: str | None = None) -> Material:
    """Load any refractiveindex.info database YAML file as a :class:`Material`.

    Parameters
    ----------
    path : str or os.PathLike
        The YAML file (wavelengths in µm inside; kerker converts to nm).
    name : str, optional
        Material name; defaults to the file name without extension.

    Returns
    -------
    Material
        With ``extrapolate="error"``. Supported ``DATA`` block types: ``tabulated n``,
        ``tabulated k``, ``tabulated nk`` (PCHIP-interpolated) and ``formula 1`` to
        ``formula 9`` (Sellmeier, Sellmeier-2, Polynomial, RefractiveIndex.INFO,
        Cauchy, Gases, Herzberger, Retro, Exotic; evaluated analytically). Several
        blocks are combined (e.g. a formula for n plus ``tabulated k``); the valid range
        is the intersection of theirs. Without a k block, k = 0.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not valid YAML, has no ``DATA`` list, uses an unknown data type
        or formula number, has malformed or non-increasing data, defines n or k twice,
        defines no n, or its blocks' ranges do not overlap; if a tabulated k is negative
        (gain: kerker models passive media, like :func:`constant`) or a tabulated n is
        not positive (the message names the row, its wavelength and value). A formula
        giving a non-finite n is refused when evaluated at such a wavelength.

    Examples
    --------
    >>> from kerker.materials import load_refractiveindex_yaml
    >>> from importlib import resources
    >>> path = resources.files("kerker.materials") / "data" / "SiO2_Malitson1965.yml"
    >>> silica = load_refractiveindex_yaml(path, name="SiO2")
    >>> silica.wavelength_range
    (210.0, 6700.0)
    """
    path = Path(path)
    content = path.read_bytes()
    index, span, reference, types = _parse(content, str(path))
    return Material(
        name if name is not None else path.stem,
        index,
        wavelength_range=span,
        reference=reference,
        source=str(path),
        sha256=hashlib.sha256(content).hexdigest(),
        data_types=types,
    )
