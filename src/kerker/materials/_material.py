"""The ``Material`` type: a complex refractive index n + i k as a function of wavelength.

Units: wavelengths in nm. Sign convention exp(-i omega t): k = Im(n) >= 0 is loss and
Im(eps) >= 0 with eps = (n + i k)**2.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

#: Allowed values of ``Material.extrapolate``.
EXTRAPOLATION_POLICIES = ("error", "hold")

# A dispersion maps float64 wavelengths in nm (numpy.ndarray or torch.Tensor, any shape)
# to (n, k): real arrays of the same type and shape; k may be None for a lossless medium.
Dispersion = Callable[[object], tuple[object, object]]

_MAX_LISTED = 5  # offending wavelengths quoted in an error message


class Material:
    """An optical material: complex refractive index and permittivity versus wavelength.

    Usually obtained from :func:`material` (shipped data), :func:`constant` or
    :func:`load_refractiveindex_yaml` rather than built directly. A ``Material`` is
    immutable; :meth:`with_extrapolation` returns a modified copy.

    Parameters
    ----------
    name : str
        Short material name, e.g. ``"TiO2"``.
    index : callable
        ``index(wavelength_nm) -> (n, k)``: maps float64 wavelengths in nm
        (``numpy.ndarray`` or ``torch.Tensor``, any shape) to the real index n > 0 and the
        extinction coefficient k >= 0 (loss), arrays of the same kind and shape; k
        may be None, meaning 0. Must be differentiable by torch autograd on tensors.
        Called only with validated wavelengths (already clamped under ``"hold"``). Values
        with k < 0 (gain), n <= 0 or NaN/inf are refused when evaluated (``ValueError``).
    wavelength_range : tuple of float
        ``(lo, hi)`` in nm, 0 <= lo < hi <= inf: where the data are valid.
    reference : str, optional
        Literature reference of the data, with DOI where known.
    source : str, optional
        Where the data came from (data file path, or ``"constant"``).
    sha256 : str or None, optional
        SHA-256 hex digest of the data file, for provenance.
    extrapolate : {"error", "hold"}, optional
        Behaviour outside ``wavelength_range``. ``"error"`` (default) raises
        ``ValueError``; ``"hold"`` clamps the wavelength to the nearest end of the range,
        so n and k keep their end values (and their wavelength derivative is 0 there).
    citation : str, optional
        Short citation for messages, e.g. ``"DeVore 1951"``.
    data_types : tuple of str, optional
        The refractiveindex.info data types the material was built from.

    Raises
    ------
    ValueError
        If ``extrapolate`` is not a known policy or ``wavelength_range`` is not an
        increasing pair of non-negative numbers.
    TypeError
        If ``index`` is not callable.
    """

    __slots__ = (
        "_name",
        "_index",
        "_range",
        "_reference",
        "_source",
        "_sha256",
        "_extrapolate",
        "_citation",
        "_data_types",
        "_lookup",
        "_extra",
    )

    def __init__(
        self,
        name: str,
        index: Dispersion,
        *,
        wavelength_range: tuple[float, float],
        reference: str = "",
        source: str = "",
        sha256: str | None = None,
        extrapolate: str = "error",
        citation: str = "",
        data_types: tuple[str, ...] = (),
    ) -> None:
        if not callable(index):
            raise TypeError(
                f"Material {name!r}: index must be a callable mapping wavelength in nm to (n, k); "
                f"received type {type(index).__name__}"
            )
        _check_policy(extrapolate)
        lo, hi = (float(v) for v in wavelength_range)
        if not (lo >= 0.0 and hi > lo):
            raise ValueError(
                f"Material {name!r}: wavelength_range must be (lo, hi) in nm with 0 <= lo < hi; "
                f"received {wavelength_range!r}"
            )
        self._name = str(name)
        self._index = index
        self._range = (lo, hi)
        self._reference = str(reference)
        self._source = str(source)
        self._sha256 = sha256
        self._extrapolate = extrapolate
        self._citation = str(citation)
        self._data_types = tuple(data_types)
        self._lookup: str | None = None  # how to get this material back, e.g. "material('TiO2')"
        self._extra: dict = {}  # additional describe() entries

    # -- read-only attributes -------------------------------------------------------
    @property
    def name(self) -> str:
        """Short material name."""
        return self._name

    @property
    def reference(self) -> str:
        """Literature reference of the data (empty when unknown)."""
        return self._reference

    @property
    def source(self) -> str:
        """Where the data came from: data file path, or ``"constant"``."""
        return self._source

    @property
    def wavelength_range(self) -> tuple[float, float]:
        """Valid wavelength range ``(lo, hi)`` in nm."""
        return self._range

    @property
    def extrapolate(self) -> str:
        """Out-of-range policy, ``"error"`` or ``"hold"``."""
        return self._extrapolate

    def with_extrapolation(self, policy: str) -> Material:
        """Return a copy of this material with another out-of-range policy.

        Parameters
        ----------
        policy : {"error", "hold"}
            ``"hold"`` clamps wavelengths to the valid range, keeping n and k at their
            end values (the paper held TiO2 at n(430 nm) = 2.99455 below 430 nm).

        Returns
        -------
        Material
            A new material sharing this one's data.

        Raises
        ------
        ValueError
            If ``policy`` is not ``"error"`` or ``"hold"``.

        Examples
        --------
        >>> from kerker.materials import material
        >>> tio2 = material("TiO2").with_extrapolation("hold")
        >>> float(tio2.refractive_index(400.0).real)
        2.99455
        """
        _check_policy(policy)
        new = object.__new__(Material)
        for slot in Material.__slots__:
            setattr(new, slot, getattr(self, slot))
        new._extrapolate = policy
        return new

    # -- evaluation -----------------------------------------------------------------
    def refractive_index(self, wavelength_nm):
        """Complex refractive index n + i k at the given vacuum wavelengths.

        Parameters
        ----------
        wavelength_nm : float, array_like or torch.Tensor, any shape
            Vacuum wavelengths in nm; finite and > 0, and inside
            :attr:`wavelength_range` unless :attr:`extrapolate` is ``"hold"``.

        Returns
        -------
        numpy.ndarray or torch.Tensor, complex128, same shape
            NumPy in (or a Python number / list) gives NumPy out (a NumPy scalar for a
            0-d input); a torch tensor gives a complex128 tensor on the same device,
            differentiable with respect to the wavelength (computed in float64).
            Im >= 0 is loss (exp(-i omega t)).

        Raises
        ------
        TypeError
            If the wavelengths are not real numbers.
        ValueError
            If a wavelength is NaN, infinite, <= 0, or outside the valid range while
            :attr:`extrapolate` is ``"error"``; if the material's data give k < 0 (gain),
            n <= 0 or a non-finite index at one of them (passive media only, like
            :func:`constant`).
        """
        wl, is_torch, scalar = self._prepare(wavelength_nm)
        n, k = self._index(wl)
        self._check_index(wl, n, k)
        if is_torch:
            return torch.complex(n, torch.zeros_like(n) if k is None else k)
        out = n + 1j * (0.0 if k is None else k)
        return out[()] if scalar else out

    def permittivity(self, wavelength_nm):
        """Relative permittivity eps = (n + i k)**2 at the given vacuum wavelengths.

        Parameters
        ----------
        wavelength_nm : float, array_like or torch.Tensor, any shape
            Vacuum wavelengths in nm, as in :meth:`refractive_index`.

        Returns
        -------
        numpy.ndarray or torch.Tensor, complex128, same shape
            Same type rules as :meth:`refractive_index`; Im(eps) >= 0 is loss.

        Raises
        ------
        TypeError, ValueError
            As :meth:`refractive_index`.

        Examples
        --------
        >>> from kerker.materials import constant
        >>> complex(constant(2.0).permittivity(500.0))
        (4+0j)
        """
        wl, is_torch, scalar = self._prepare(wavelength_nm)
        n, k = self._index(wl)
        self._check_index(wl, n, k)
        if k is None:
            real, imag = n * n, (torch.zeros_like(n) if is_torch else np.zeros_like(n))
        else:
            real, imag = n * n - k * k, 2.0 * n * k
        if is_torch:
            return torch.complex(real, imag)
        out = real + 1j * imag
        return out[()] if scalar else out

    def describe(self) -> dict:
        """Provenance record for dataset and report metadata (JSON-serialisable).

        Returns
        -------
        dict
            Keys ``name``, ``reference``, ``source``, ``sha256`` (of the data file, None
            for constants), ``wavelength_range_nm`` ([lo, hi]; ``hi`` is
            ``float('inf')`` when unlimited), ``extrapolate`` and ``data_types``; constant
            materials add ``refractive_index`` as [real, imag].
        """
        record = {
            "name": self._name,
            "reference": self._reference,
            "source": self._source,
            "sha256": self._sha256,
            "wavelength_range_nm": [self._range[0], self._range[1]],
            "extrapolate": self._extrapolate,
            "data_types": list(self._data_types),
        }
        record.update(self._extra)
        return record

    def __repr__(self) -> str:
        lo, hi = self._range
        return f"Material({self._name!r}, {_fmt(lo)}–{_fmt(hi)} nm, extrapolate={self._extrapolate!r})"

    # -- input checking -------------------------------------------------------------
    def _label(self) -> str:
        return f"{self._name} ({self._citation})" if self._citation else self._name

    def _prepare(self, wavelength_nm):
        """Validate wavelengths and apply the extrapolation policy.

        Returns the float64 wavelengths to evaluate, whether they are a torch tensor and
        whether a NumPy result should be returned as a scalar.
        """
        lo, hi = self._range
        if isinstance(wavelength_nm, torch.Tensor):
            if wavelength_nm.is_complex() or wavelength_nm.dtype == torch.bool:
                raise TypeError(
                    f"wavelength_nm must be real (nm); received a torch tensor of dtype {wavelength_nm.dtype}"
                )
            wl = wavelength_nm.to(torch.float64)
            if self._extrapolate == "error" and lo > 0 and math.isfinite(hi):
                # A finite, positive range already rejects NaN, inf and <= 0.
                ok = (wl >= lo) & (wl <= hi)
            else:
                ok = torch.isfinite(wl) & (wl > 0)
                if self._extrapolate == "error":
                    ok &= (wl >= lo) & (wl <= hi)
            if not bool(ok.all()):
                self._raise_invalid(wl.detach().cpu().numpy())
            if self._extrapolate == "hold":
                wl = wl.clamp(lo, hi)
            return wl, True, False
        wl = np.asarray(wavelength_nm)
        if wl.dtype.kind not in "iuf":
            raise TypeError(
                f"wavelength_nm must be real numbers in nm; received dtype {wl.dtype} "
                f"(type {type(wavelength_nm).__name__})"
            )
        wl = wl.astype(np.float64)
        ok = np.isfinite(wl) & (wl > 0)
        if self._extrapolate == "error":
            ok &= (wl >= lo) & (wl <= hi)
        if not ok.all():
            self._raise_invalid(wl)
        if self._extrapolate == "hold":
            wl = np.clip(wl, lo, hi)
        return wl, False, wl.ndim == 0

    def _check_index(self, wl, n, k) -> None:
        """Refuse a dispersion that gives gain (k < 0), n <= 0 or a non-finite value, like :func:`constant`.

        Shipped and YAML tables are checked when read; this guards formulas (a Sellmeier
        term past its pole) and hand-built ``index`` callables, at the wavelengths asked for.
        """
        if isinstance(n, torch.Tensor):
            ok = torch.isfinite(n) & (n > 0)
            if k is not None:
                ok = ok & torch.isfinite(k) & (k >= 0)
            if bool(ok.all()):
                return
            to_np = lambda t: t.detach().cpu().numpy()  # noqa: E731
            wl, n, k = to_np(wl), to_np(n), None if k is None else to_np(k)
        n = np.broadcast_to(np.asarray(n, dtype=np.float64), np.shape(wl))
        k = np.zeros_like(n) if k is None else np.broadcast_to(np.asarray(k, dtype=np.float64), np.shape(wl))
        finite = np.isfinite(n) & np.isfinite(k)
        if (finite & (n > 0) & (k >= 0)).all():
            return
        wl = np.broadcast_to(np.asarray(wl, dtype=np.float64), n.shape)
        gain = finite & (n > 0) & (k < 0)
        if gain.any() and (finite & (n > 0)).all():
            at = np.flatnonzero(gain.ravel())
            i = at[0]
            raise ValueError(
                f"material {self._label()}: extinction coefficient k = {float(k.ravel()[i])!r} < 0 (gain) at "
                f"{_fmt(wl.ravel()[i])} nm ({at.size} of {k.size} wavelengths); kerker models passive media, "
                "k >= 0 (k > 0 is loss under exp(-i omega t)), as constant() requires. If the data use "
                "exp(+i omega t), conjugate them."
            )
        at = np.flatnonzero(~(finite & (n > 0)).ravel())
        i = at[0]
        raise ValueError(
            f"material {self._label()}: the refractive index must be finite with n > 0 and k >= 0; received "
            f"n = {float(n.ravel()[i])!r}, k = {float(k.ravel()[i])!r} at {_fmt(wl.ravel()[i])} nm "
            f"({at.size} of {n.size} wavelengths); check the material's data or dispersion formula there"
        )

    def _raise_invalid(self, wl: np.ndarray) -> None:
        wl = np.atleast_1d(wl)
        bad = ~(np.isfinite(wl) & (wl > 0))
        if bad.any():
            values = wl[bad]
            raise ValueError(
                f"wavelength_nm must be finite and > 0 (nm); received {_list(values)} "
                f"({values.size} of {wl.size} values) for material {self._label()}"
            )
        lo, hi = self._range
        values = wl[(wl < lo) | (wl > hi)]
        noun = "wavelength" if values.size == 1 else "wavelengths"
        verb = "is" if values.size == 1 else f"({values.size} of {wl.size} values) are"
        hint = (
            f"{self._lookup}.with_extrapolation('hold')"
            if self._lookup
            else "call .with_extrapolation('hold') on the material"
        )
        raise ValueError(
            f"{noun} {_list(values)} nm {verb} outside the data range of {self._label()}: "
            f"{_fmt(lo)}–{_fmt(hi)} nm; pass a wavelength inside it or use {hint}"
        )


def _check_policy(policy) -> None:
    if policy not in EXTRAPOLATION_POLICIES:
        raise ValueError(
            f"extrapolate must be one of {EXTRAPOLATION_POLICIES}; received {policy!r}. "
            "Use 'error' (default: refuse wavelengths outside the data) or 'hold' (clamp to the end values)."
        )


def _fmt(value: float) -> str:
    return repr(float(value)) if math.isfinite(value) else "inf"


def _list(values: np.ndarray) -> str:
    shown = ", ".join(_fmt(v) if math.isfinite(v) else repr(float(v)) for v in values[:_MAX_LISTED])
    return shown + (", ..." if values.size > _MAX_LISTED else "")


def constant(n: complex, name: str | None = None) -> Material:
    """A non-dispersive material with a constant complex refractive index.

    Parameters
    ----------
    n : complex or float
        Refractive index n + i k; finite, Re(n) > 0 and Im(n) >= 0 (loss, exp(-i omega t)).
    name : str, optional
        Material name; defaults to ``"n=<value>"``.

    Returns
    -------
    Material
        Valid at every wavelength: ``wavelength_range == (0.0, inf)``.

    Raises
    ------
    TypeError
        If ``n`` is not a number.
    ValueError
        If ``n`` is not finite, Re(n) <= 0 or Im(n) < 0.

    Examples
    --------
    >>> water = constant(1.33, name="water")
    >>> water.wavelength_range
    (0.0, inf)
    >>> complex(water.refractive_index(500.0))
    (1.33+0j)
    """
    try:
        if isinstance(n, (str, bytes)):
            raise TypeError  # complex("1.5") would parse text; numbers only
        value = complex(n)
    except TypeError:
        raise TypeError(
            f"constant(n): n must be a real or complex number; received type {type(n).__name__}"
        ) from None
    if not (math.isfinite(value.real) and math.isfinite(value.imag)):
        raise ValueError(f"constant(n): n must be finite; received {n!r}")
    if value.real <= 0 or value.imag < 0:
        raise ValueError(
            f"constant(n): need Re(n) > 0 and Im(n) >= 0 (Im > 0 is loss under exp(-i omega t)); received {n!r}. "
            "If your data use exp(+i omega t), pass the complex conjugate."
        )
    real, imag = value.real, value.imag

    def index(wl):
        # wl * 0 keeps the result on wl's autograd graph (with zero gradient).
        zero = wl * 0.0
        return zero + real, (zero + imag if imag else None)

    label = name if name is not None else f"n={value.real:g}" + (f"{value.imag:+g}i" if value.imag else "")
    mat = Material(
        label,
        index,
        wavelength_range=(0.0, math.inf),
        reference="",
        source="constant",
        data_types=("constant",),
    )
    mat._extra = {"refractive_index": [real, imag]}
    return mat
