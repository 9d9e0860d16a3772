"""The one type of a batch of core-shell designs, hard (discrete materials) or soft (material weights).

Everything that reads, makes or scores designs speaks it: :meth:`Dataset.designs`, the
:class:`~kerker.dataset.scalers.DesignEncoder`, the surrogate's ``predict``, the
generator's ``sample``/``decode`` and the fidelity metrics.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Designs"]

# Rows of material weights must sum to 1 within this (softmax in float32 is ~1e-7 off).
_WEIGHT_SUM_TOL = 1e-4


def _is_torch(x) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def _torch():
    import torch

    return torch


def _as_array(name: str, value, kind: str, device):
    """``value`` as a NumPy array, or a torch tensor on ``device`` (None: NumPy); kind "index" -> int64,
    "real" -> float64 for converted values (given tensors are kept as they are)."""
    if _is_torch(value):
        return value
    arr = np.asarray(value)
    if arr.dtype.kind not in ("iu" if kind == "index" else "iuf"):
        what = "integer material indices" if kind == "index" else "real numbers"
        raise TypeError(f"Designs: {name} must hold {what}; received dtype {arr.dtype} ({value!r:.60})")
    arr = arr.astype(np.int64 if kind == "index" else np.float64, copy=False)
    return arr if device is None else _torch().as_tensor(arr, device=device)


def _values(x) -> np.ndarray:
    """A NumPy view of ``x`` for validation (tensors detached)."""
    return x.detach().cpu().numpy() if _is_torch(x) else np.asarray(x)


class Designs:
    """A batch of P core-shell designs over a list of M named materials.

    A design is a core material, a shell material, a core radius and a shell thickness.
    The materials are stored in one of two forms:

    - **hard** (discrete): ``core_index``, ``shell_index`` of shape (P,), integer indices
      into :attr:`materials`;
    - **soft** (a relaxation): ``p_core``, ``p_shell`` of shape (P, M), material weights
      whose rows are probability vectors over :attr:`materials` (e.g. a generator's
      softmax). :meth:`hard` takes the argmax.

    Both forms offer every view: ``core_index``/``shell_index`` (the argmax of a soft
    design), ``p_core``/``p_shell`` (one-hot rows of a hard design), ``core_names``/
    ``shell_names``.

    Parameters
    ----------
    materials : sequence of str, length M
        Distinct material names; the indices and the weight columns refer to this order.
    r_core : array_like, shape (P,)
        Core radii in nm, finite and > 0.
    t_shell : array_like, shape (P,)
        Shell thicknesses in nm, finite and >= 0 (0: a homogeneous sphere);
        ``r_shell = r_core + t_shell`` is the outer radius.
    core_index, shell_index : array_like of int, shape (P,)
        Hard form: material indices in ``0 .. M-1``.
    p_core, p_shell : array_like of float, shape (P, M)
        Soft form: material weights, >= 0, each row summing to 1.

    Raises
    ------
    TypeError
        A material name that is not a str, indices that are not integers, sizes or
        weights that are not real numbers.
    ValueError
        No or both material forms, an empty or repeated material list, a shape that does
        not match (the message names the argument, the expected and the received shape),
        an index outside ``0 .. M-1``, a non-finite or non-positive ``r_core``, a
        non-finite or negative ``t_shell``, weights that are NaN, infinite or negative
        (naming the row, the column and the value) or whose rows do not sum to 1.

    Notes
    -----
    Give either ``core_index`` and ``shell_index`` or ``p_core`` and ``p_shell``.
    Arrays are NumPy (indices int64, sizes and weights float64) or, if any argument is a
    torch tensor, torch (tensors are kept as given, with their dtype and graph, so sizes
    and weights can carry gradients; the others are converted).

    Examples
    --------
    >>> from kerker.dataset import Designs
    >>> d = Designs(("Si", "SiO2", "Au"), core_index=[0, 2], shell_index=[1, 1], r_core=[40.0, 25.0],
    ...             t_shell=[10.0, 5.0])
    >>> len(d), d.core_names.tolist(), d.r_shell.tolist()
    (2, ['Si', 'Au'], [50.0, 30.0])
    >>> d.p_core.tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> soft = Designs(d.materials, p_core=[[0.7, 0.2, 0.1]], p_shell=[[0.0, 0.4, 0.6]], r_core=[30.0],
    ...                t_shell=[2.0])
    >>> soft.is_soft, soft.hard().core_index.tolist(), soft.hard().shell_names.tolist()
    (True, [0], ['Au'])
    >>> Designs.from_dict(d.to_dict())[1]
    Designs(1 hard designs over ('Si', 'SiO2', 'Au'), r_core 25-25 nm, t_shell 5-5 nm)
    """

    __slots__ = ("_materials", "_r_core", "_t_shell", "_core", "_shell", "_soft")

    def __init__(self, materials, *, r_core, t_shell, core_index=None, shell_index=None, p_core=None,
                 p_shell=None):
        materials = _check_materials(materials)
        hard_given = (core_index is not None, shell_index is not None)
        soft_given = (p_core is not None, p_shell is not None)
        if any(hard_given) and any(soft_given):
            raise ValueError("Designs takes either core_index and shell_index (hard) or p_core and p_shell (soft), "
                             "not both")
        if all(hard_given):
            soft, core, shell = False, core_index, shell_index
        elif all(soft_given):
            soft, core, shell = True, p_core, p_shell
        else:
            raise ValueError(
                "Designs needs both core_index and shell_index (hard form) or both p_core and p_shell (soft form); "
                f"received core_index={'given' if hard_given[0] else None}, shell_index="
                f"{'given' if hard_given[1] else None}, p_core={'given' if soft_given[0] else None}, "
                f"p_shell={'given' if soft_given[1] else None}"
            )
        tensors = [a for a in (r_core, t_shell, core, shell) if _is_torch(a)]
        device = tensors[0].device if tensors else None
        kind = "real" if soft else "index"
        arrays = {}
        for name, value, k in (("r_core", r_core, "real"), ("t_shell", t_shell, "real"),
                               ("p_core" if soft else "core_index", core, kind),
                               ("p_shell" if soft else "shell_index", shell, kind)):
            arrays[name] = _as_array(name, value, k, device)
        _validate(materials, arrays, soft)
        self._materials = materials
        self._r_core, self._t_shell = arrays["r_core"], arrays["t_shell"]
        self._core = arrays["p_core" if soft else "core_index"]
        self._shell = arrays["p_shell" if soft else "shell_index"]
        self._soft = soft

    @classmethod
    def _unchecked(cls, materials, r_core, t_shell, core, shell, soft) -> Designs:
        """Build from parts already known to be valid (subsets, argmax) without re-validating."""
        new = object.__new__(cls)
        new._materials, new._r_core, new._t_shell = materials, r_core, t_shell
        new._core, new._shell, new._soft = core, shell, soft
        return new

    # -- views -------------------------------------------------------------------------
    @property
    def materials(self) -> tuple[str, ...]:
        """Material names, length M; indices and weight columns refer to this order."""
        return self._materials

    @property
    def is_soft(self) -> bool:
        """True for material weights (soft form), False for indices (hard form)."""
        return self._soft

    @property
    def is_torch(self) -> bool:
        """True if the arrays are torch tensors."""
        return _is_torch(self._r_core)

    @property
    def r_core(self):
        """Core radii in nm, shape (P,)."""
        return self._r_core

    @property
    def t_shell(self):
        """Shell thicknesses in nm, shape (P,)."""
        return self._t_shell

    @property
    def r_shell(self):
        """Outer radii ``r_core + t_shell`` in nm, shape (P,)."""
        return self._r_core + self._t_shell

    @property
    def core_index(self):
        """Core material indices, shape (P,), int64 (argmax of the weights for a soft design)."""
        return self._argmax(self._core) if self._soft else self._core

    @property
    def shell_index(self):
        """Shell material indices, shape (P,), int64 (argmax of the weights for a soft design)."""
        return self._argmax(self._shell) if self._soft else self._shell

    @property
    def p_core(self):
        """Core material weights, shape (P, M) (one-hot rows, float64, for a hard design)."""
        return self._core if self._soft else self._one_hot(self._core)

    @property
    def p_shell(self):
        """Shell material weights, shape (P, M) (one-hot rows, float64, for a hard design)."""
        return self._shell if self._soft else self._one_hot(self._shell)

    @property
    def core_names(self) -> np.ndarray:
        """Core material names, object array of str, shape (P,)."""
        return np.asarray(self._materials, dtype=object)[_values(self.core_index)]

    @property
    def shell_names(self) -> np.ndarray:
        """Shell material names, object array of str, shape (P,)."""
        return np.asarray(self._materials, dtype=object)[_values(self.shell_index)]

    def _argmax(self, weights):
        if _is_torch(weights):
            return weights.detach().argmax(-1)
        return np.asarray(weights).argmax(-1).astype(np.int64)

    def _one_hot(self, index):
        m = len(self._materials)
        if _is_torch(index):
            torch = _torch()
            return torch.nn.functional.one_hot(index.long(), m).to(torch.float64)
        return (np.asarray(index)[:, None] == np.arange(m)).astype(np.float64)

    # -- batch ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._r_core.shape[0])

    def __getitem__(self, key) -> Designs:
        """The designs at ``key`` (an int, a slice, an index array or a boolean mask), always a batch."""
        if _is_torch(key):
            key = key.detach().cpu().numpy()
        pick = np.atleast_1d(np.arange(len(self))[key])
        if self.is_torch:
            pick = _torch().as_tensor(pick, device=self._r_core.device)
        return Designs._unchecked(self._materials, self._r_core[pick], self._t_shell[pick], self._core[pick],
                                  self._shell[pick], self._soft)

    def hard(self) -> Designs:
        """The discrete designs: argmax materials, the same sizes (``self`` if already hard)."""
        if not self._soft:
            return self
        return Designs._unchecked(self._materials, self._r_core, self._t_shell, self.core_index, self.shell_index,
                                  False)

    def numpy(self) -> Designs:
        """The same designs as NumPy arrays (tensors detached; indices int64, sizes and weights float64)."""
        conv = lambda a, dt: _values(a).astype(dt)  # noqa: E731
        kind = np.float64 if self._soft else np.int64
        return Designs._unchecked(self._materials, conv(self._r_core, np.float64), conv(self._t_shell, np.float64),
                                  conv(self._core, kind), conv(self._shell, kind), self._soft)

    def __repr__(self) -> str:
        form = "soft" if self._soft else "hard"
        text = f"Designs({len(self)} {form} designs over {self._materials}"
        if len(self):
            r, t = _values(self._r_core), _values(self._t_shell)
            text += f", r_core {r.min():.4g}-{r.max():.4g} nm, t_shell {t.min():.4g}-{t.max():.4g} nm"
        return text + ")"

    # -- plain data ----------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-able dict: ``materials``, ``r_core``, ``t_shell`` and the form's two material entries."""
        keys = ("p_core", "p_shell") if self._soft else ("core_index", "shell_index")
        return {
            "materials": list(self._materials),
            "r_core": _values(self._r_core).tolist(),
            "t_shell": _values(self._t_shell).tolist(),
            keys[0]: _values(self._core).tolist(),
            keys[1]: _values(self._shell).tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> Designs:
        """Designs from :meth:`to_dict` output (NumPy arrays); unknown keys are refused."""
        if not isinstance(data, dict):
            raise TypeError(f"Designs.from_dict needs a dict; received {type(data).__name__}")
        known = {"materials", "r_core", "t_shell", "core_index", "shell_index", "p_core", "p_shell"}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown Designs keys {unknown}; known: {sorted(known)}")
        if "materials" not in data:
            raise ValueError("Designs.from_dict needs a 'materials' entry")
        kw = {}
        for k, v in data.items():
            if k != "materials":
                arr = np.asarray(v)
                kw[k] = arr if arr.size else arr.astype(np.int64 if k.endswith("_index") else np.float64)
        for k in ("r_core", "t_shell"):
            if k not in kw:
                raise ValueError(f"Designs.from_dict needs an {k!r} entry")
        return cls(data["materials"], **kw)

    @classmethod
    def broadcast(cls, core, shell, r_core, t_shell, *, materials) -> Designs:
        """Designs from the arguments of :func:`kerker.efficiencies`, broadcast over particles.

        Parameters
        ----------
        core, shell : str, Material, list of those, or array_like/Tensor of shape (M,) or (P, M)
            Materials by name (exact, else case-insensitive; one for all particles or one
            per particle), or material weights in ``materials`` order. If either is
            weights, the result is soft (names become one-hot rows).
        r_core, t_shell : float, array_like or Tensor, shape () or (P,)
            Sizes in nm.
        materials : sequence of str
            The material list of the result.

        Raises
        ------
        ValueError
            Unknown material (the message lists the known ones), weights of the wrong
            shape, arguments whose lengths are neither 1 nor P, invalid values (see the class).
        TypeError
            Complex values (permittivities instead of materials) or anything else.
        """
        materials = _check_materials(materials)
        tensors = [a for a in (core, shell, r_core, t_shell) if _is_torch(a)]
        device = tensors[0].device if tensors else None
        parts = {"core": _material_arg("core", core, materials), "shell": _material_arg("shell", shell, materials)}
        sizes = {"r_core": _size_arg("r_core", r_core), "t_shell": _size_arg("t_shell", t_shell)}
        lengths = {k: int(v.shape[0]) for k, v in {**sizes, **{k: v[1] for k, v in parts.items()}}.items()}
        n = max(lengths.values())
        if any(v not in (1, n) for v in lengths.values()):
            raise ValueError(f"arguments must broadcast over particles (length 1 or P), got lengths {lengths}")
        soft = any(form == "weights" for form, _ in parts.values())
        out = {}
        for name, (form, value) in parts.items():
            if soft and form == "index":
                value = np.eye(len(materials))[value]
            out[name] = _expand(value, n, device)
        for name, value in sizes.items():
            out[name] = _expand(value, n, device)
        if soft:
            return cls(materials, p_core=out["core"], p_shell=out["shell"], r_core=out["r_core"],
                       t_shell=out["t_shell"])
        return cls(materials, core_index=out["core"], shell_index=out["shell"], r_core=out["r_core"],
                   t_shell=out["t_shell"])


def _check_materials(materials) -> tuple[str, ...]:
    if isinstance(materials, str) or not hasattr(materials, "__iter__"):
        raise TypeError(f"Designs: materials must be a sequence of material names; received {materials!r}")
    names = tuple(materials)
    if not names:
        raise ValueError("Designs: materials must name at least one material; received an empty sequence")
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"Designs: materials must hold names (str); received {name!r} ({type(name).__name__})")
    if len(set(names)) != len(names):
        raise ValueError(f"Designs: materials must be distinct; received {names}")
    return names


def _validate(materials: tuple, arrays: dict, soft: bool) -> None:
    m = len(materials)
    n = None
    for name, value in arrays.items():
        shape = tuple(value.shape)
        want_2d = soft and name.startswith("p_")
        if _is_torch(value):
            torch = _torch()
            integral = not (torch.is_floating_point(value) or torch.is_complex(value)) and value.dtype != torch.bool
            if name.endswith("_index") and not integral:
                raise TypeError(f"Designs: {name} must hold integer indices; received a {value.dtype} tensor")
            if not name.endswith("_index") and not torch.is_floating_point(value):
                raise TypeError(f"Designs: {name} must be a real floating tensor; received dtype {value.dtype}")
        if len(shape) != (2 if want_2d else 1):
            expected = "(P, M)" if want_2d else "(P,)"
            raise ValueError(f"Designs: {name} must have shape {expected}; received shape {shape}")
        if n is None:
            n = shape[0]
        expected = (n, m) if want_2d else (n,)
        if shape != expected:
            raise ValueError(
                f"Designs: {name} must have shape {expected} (P = {n} designs from r_core, M = {m} materials); "
                f"received shape {shape}"
            )
    if not n:
        return
    r, t = _values(arrays["r_core"]), _values(arrays["t_shell"])
    bad = ~(np.isfinite(r) & (r > 0))
    if bad.any():
        raise ValueError(f"Designs: r_core must be finite and > 0 (nm); received {r[bad][:3].tolist()}")
    bad = ~(np.isfinite(t) & (t >= 0))
    if bad.any():
        raise ValueError(f"Designs: t_shell must be finite and >= 0 (nm); received {t[bad][:3].tolist()}")
    for name in ("p_core", "p_shell") if soft else ("core_index", "shell_index"):
        v = _values(arrays[name])
        if soft:
            bad = ~(np.isfinite(v) & (v >= 0))  # NaN fails v >= 0 too
            if bad.any():
                row, col = (int(i) for i in np.argwhere(bad)[0])
                part = name.removeprefix("p_")
                raise ValueError(
                    f"Designs: {name} (the {part} material weights) must be finite and >= 0; row {row}, column {col} "
                    f"({materials[col]}) holds {float(v[row, col])!r} ({int(bad.sum())} of {v.size} entries break the "
                    "rule; NaN or inf weights often come from a softmax of non-finite logits)"
                )
            dev = np.abs(v.sum(axis=1) - 1.0)
            if dev.max() > _WEIGHT_SUM_TOL:
                row = int(dev.argmax())
                raise ValueError(
                    f"Designs: each row of {name} must sum to 1 (material probabilities); row {row} sums to "
                    f"{float(v[row].sum())!r}"
                )
        else:
            lo, hi = int(v.min()), int(v.max())
            if lo < 0 or hi >= m:
                raise ValueError(
                    f"Designs: {name} must lie in 0..{m - 1} (indices into {list(materials)}); received "
                    f"{lo if lo < 0 else hi}"
                )


def _material_index(arg: str, spec, materials: tuple) -> int:
    label = spec if isinstance(spec, str) else spec.name
    if label in materials:
        return materials.index(label)
    folded = [m.lower() for m in materials]
    if label.lower() in folded:
        return folded.index(label.lower())
    raise ValueError(f"{arg} material {label!r} is unknown; known materials: {list(materials)}")


def _is_material(spec) -> bool:
    return isinstance(spec, str) or hasattr(spec, "permittivity")


def _material_arg(arg: str, spec, materials: tuple):
    """("index", int64 (1 or P,)) for names, ("weights", float (1 or P, M)) for weights."""
    m = len(materials)
    if _is_material(spec):
        return "index", np.array([_material_index(arg, spec, materials)], dtype=np.int64)
    if isinstance(spec, (list, tuple)) and spec and all(_is_material(s) for s in spec):
        return "index", np.array([_material_index(arg, s, materials) for s in spec], dtype=np.int64)
    if _is_torch(spec):
        weights = spec
        if weights.is_complex():
            raise TypeError(f"{arg}: materials are given by name or weights, not permittivities (got a complex "
                            f"tensor); known materials: {list(materials)}")
    else:
        try:
            weights = np.asarray(spec)
        except ValueError as err:  # ragged nesting
            raise TypeError(f"{arg} must be a material name, a kerker.Material, a list of those, or material "
                            f"weights of shape (M,) or (P, M) with M = {m}; got {spec!r:.80}") from err
        if np.iscomplexobj(weights):
            raise TypeError(f"{arg}: materials are given by name or weights, not permittivities (got complex "
                            f"values); known materials: {list(materials)}")
        if weights.dtype.kind not in "iuf":
            raise TypeError(f"{arg} must be a material name, a kerker.Material, a list of those, or material "
                            f"weights of shape (M,) or (P, M) with M = {m}; got {spec!r:.80}")
        weights = weights.astype(np.float64)
    if weights.ndim == 1:
        weights = weights.reshape(1, -1)
    if weights.ndim != 2 or weights.shape[1] != m:
        raise ValueError(f"{arg} weights must have shape (M,) or (P, M) with M = {m} materials {list(materials)}, "
                         f"got shape {tuple(spec.shape) if hasattr(spec, 'shape') else np.shape(spec)}")
    return "weights", weights


def _size_arg(name: str, value):
    if _is_torch(value):
        if value.is_complex():
            raise TypeError(f"{name} must be real, got dtype {value.dtype}")
        return value.reshape(-1)
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be real numbers in nm, got dtype {arr.dtype}")
    return arr.astype(np.float64).reshape(-1)


def _expand(value, n: int, device):
    """``value`` (length 1 or n) repeated to length n; a torch tensor on ``device`` unless that is None."""
    if device is not None:
        torch = _torch()
        t = value if _is_torch(value) else torch.as_tensor(value, device=device)
        return t.expand(n, *t.shape[1:]) if t.shape[0] != n else t
    return np.broadcast_to(value, (n, *value.shape[1:])).copy() if value.shape[0] != n else value
