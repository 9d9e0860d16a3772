"""Fitted, invertible preprocessing with the scikit-learn contract.

``__init__`` only stores parameters; ``fit`` learns state into trailing-underscore
attributes and returns ``self``; ``transform`` / ``inverse_transform`` refuse to run
unfitted; ``fit_transform`` is ``fit`` then ``transform``. ``state_dict()`` returns a plain
JSON-able dict (parameters and learned state) and ``Transformer.from_state_dict(d)``
rebuilds an identical, fitted transformer, so checkpoints can carry their preprocessing.

Every transformer accepts NumPy arrays or torch tensors and returns the same kind;
floating inputs keep their dtype (others become float64, or torch's default dtype for
one-hot codes); on torch tensors the continuous maps are differentiable.

- :class:`OneHotEncoder`: material indices <-> one-hot rows (inverse: argmax).
- :class:`MinMaxScaler`: per-feature affine map of [min, max] onto ``feature_range``.
- :class:`Log1pMinMaxScaler`: ``log1p`` then min-max, for efficiency spectra (as in the
  paper); by default one global min/max over all wavelengths (see the class).
- :class:`DesignEncoder`: (core, shell, r_core, t_shell) <-> the design vector
  ``[mm(r_core), mm(t_shell), onehot(core), onehot(shell)]`` of length 2 + 2M, fitted on
  the parameter *ranges* so [-1, 1] is exactly the design space.

Examples
--------
>>> import numpy as np
>>> from kerker.dataset.scalers import Log1pMinMaxScaler, Transformer
>>> q = np.array([[0.0, 1.0], [3.0, 7.0]])
>>> scaler = Log1pMinMaxScaler().fit(q)
>>> scaler.transform(q)
array([[-1.        , -0.33333333],
       [ 0.33333333,  1.        ]])
>>> restored = Transformer.from_state_dict(scaler.state_dict())
>>> np.allclose(restored.inverse_transform(restored.transform(q)), q)
True
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from typing import NamedTuple

import numpy as np

__all__ = [
    "Design",
    "DesignEncoder",
    "Log1pMinMaxScaler",
    "MinMaxScaler",
    "NotFittedError",
    "OneHotEncoder",
    "Transformer",
]


class NotFittedError(ValueError, AttributeError):
    """A transformer was used before ``fit`` (or ``from_state_dict``)."""


def _is_torch(x) -> bool:
    return type(x).__module__.split(".")[0] == "torch"


def _as_float(x):
    """NumPy array or torch tensor in a floating dtype (ints -> float64); keeps float dtypes."""
    if _is_torch(x):
        import torch

        return x if torch.is_floating_point(x) else x.to(torch.float64)
    x = np.asarray(x)
    if x.dtype.kind == "f":
        return x
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    raise TypeError(f"expected a real numeric array; received dtype {x.dtype}")


def _like(value: np.ndarray, x):
    """A fitted NumPy constant in the array kind, dtype and device of ``x``."""
    if _is_torch(x):
        import torch

        return torch.as_tensor(value, dtype=x.dtype, device=x.device)
    return np.asarray(value, dtype=x.dtype)


def _check_range(name: str, value) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be two numbers (lo, hi); received {value!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must satisfy lo < hi (finite); received {value!r}")
    return lo, hi


_REGISTRY: dict[str, type] = {}


class Transformer(ABC):
    """Base of the fitted transformers: fit_transform, state round trip, fitted check."""

    _params: tuple[str, ...] = ()
    _state: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _REGISTRY[cls.__name__] = cls

    def get_params(self) -> dict:
        """Constructor parameters as a dict."""
        return {name: getattr(self, name) for name in self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def is_fitted(self) -> bool:
        return all(hasattr(self, name) for name in self._state)

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(...) first or restore it with "
                "Transformer.from_state_dict(...)"
            )

    @abstractmethod
    def fit(self, X):
        """Learn the state from ``X``; return ``self``."""

    @abstractmethod
    def transform(self, X):
        """Apply the fitted map to ``X``."""

    def fit_transform(self, X):
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def state_dict(self) -> dict:
        """Plain JSON-able dict: ``{"class", "params", "state"}`` (state empty if unfitted)."""
        params = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.get_params().items()}
        state = {}
        if self.is_fitted:
            for name in self._state:
                value = getattr(self, name)
                state[name] = value.state_dict() if isinstance(value, Transformer) else np.asarray(value).tolist()
        return {"class": type(self).__name__, "params": params, "state": state}

    @classmethod
    def from_state_dict(cls, data: dict) -> Transformer:
        """Rebuild a transformer from :meth:`state_dict` output (fitted if the state is there).

        Called on :class:`Transformer` it dispatches on ``data["class"]``; called on a
        subclass it also checks that the class matches.
        """
        if not isinstance(data, dict) or not {"class", "params", "state"} <= set(data):
            raise ValueError(f"not a transformer state dict (keys class, params, state); received {data!r:.200}")
        target = _REGISTRY.get(data["class"])
        if target is None or not issubclass(target, cls):
            raise ValueError(f"state dict is for {data['class']!r}, which is not a {cls.__name__}")
        params = {k: (tuple(v) if isinstance(v, list) else v) for k, v in data["params"].items()}
        obj = target(**params)
        if data["state"]:
            missing = set(obj._state) - set(data["state"])
            if missing:
                raise ValueError(f"{data['class']} state dict lacks {sorted(missing)}")
            obj._restore(data["state"])
        return obj

    def _restore(self, state: dict) -> None:
        for name in self._state:
            setattr(self, name, np.asarray(state[name], dtype=self._state_dtype(name)))

    def _state_dtype(self, name):
        return np.float64


class OneHotEncoder(Transformer):
    """Integer category indices (N,) <-> one-hot rows (N, n_categories).

    Parameters
    ----------
    n_categories : int
        Number of categories (materials); indices must lie in ``0 .. n_categories-1``.

    Attributes
    ----------
    categories_ : ndarray, int64, shape (n_categories,)
        ``arange(n_categories)``, set by ``fit``.

    Notes
    -----
    ``inverse_transform`` takes the argmax of each row, so it also decodes soft codes
    (softmax outputs, noisy one-hots); ties go to the lowest index.
    """

    _params = ("n_categories",)
    _state = ("categories_",)

    def __init__(self, n_categories: int):
        self.n_categories = n_categories

    def _state_dtype(self, name):
        return np.int64

    def fit(self, X=None):
        """Validate ``n_categories`` and (if given) that ``X`` holds valid indices; returns self."""
        n = self.n_categories
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"OneHotEncoder.n_categories must be an int >= 1; received {n!r}")
        self.categories_ = np.arange(n, dtype=np.int64)
        if X is not None:
            self._indices(X)
        return self

    def _indices(self, X):
        if _is_torch(X):
            import torch

            if torch.is_floating_point(X) or torch.is_complex(X):
                raise TypeError(f"OneHotEncoder expects integer indices; received a {X.dtype} tensor")
            lo, hi = (int(X.min()), int(X.max())) if X.numel() else (0, 0)
        else:
            X = np.asarray(X)
            if X.dtype.kind == "f" and X.size and np.all(X == np.round(X)):
                X = X.astype(np.int64)
            if X.dtype.kind not in "iu":
                raise TypeError(f"OneHotEncoder expects integer indices; received dtype {X.dtype}")
            lo, hi = (int(X.min()), int(X.max())) if X.size else (0, 0)
        if lo < 0 or hi >= len(self.categories_):
            bad = lo if lo < 0 else hi
            raise ValueError(
                f"OneHotEncoder index {bad} is outside 0..{len(self.categories_) - 1} "
                f"(n_categories={self.n_categories})"
            )
        return X

    def transform(self, X, dtype=None):
        """Indices, shape (...,) -> one-hot, shape (..., n_categories).

        ``dtype``: output dtype (default float64 for NumPy, torch's default dtype for tensors).
        """
        self._check_fitted()
        X = self._indices(X)
        n = len(self.categories_)
        if _is_torch(X):
            import torch

            return torch.nn.functional.one_hot(X.long(), n).to(dtype or torch.get_default_dtype())
        return (X[..., None] == self.categories_).astype(dtype or np.float64)

    def inverse_transform(self, Y):
        """One-hot (or soft) codes, shape (..., n_categories) -> int64 indices (...,) by argmax."""
        self._check_fitted()
        n = len(self.categories_)
        if Y.shape[-1:] != (n,):
            raise ValueError(f"OneHotEncoder.inverse_transform expects shape (..., {n}); received {tuple(Y.shape)}")
        if _is_torch(Y):
            return Y.argmax(-1)
        return np.asarray(Y).argmax(-1).astype(np.int64)


class MinMaxScaler(Transformer):
    """Per-feature affine map of the fitted [min, max] onto ``feature_range``.

    Statistics are taken over the first axis, so ``X`` of shape (N,) has one feature and
    (N, F...) has features of shape (F...). A constant feature (max == min) is shifted
    to ``feature_range[0]`` (its range is taken as 1), so the map stays invertible.
    Values outside the fitted range map outside ``feature_range``; nothing is clipped.

    Parameters
    ----------
    feature_range : (float, float)
        Target interval, default (-1, 1).

    Attributes
    ----------
    data_min_, data_max_ : ndarray, shape (F...)
        Fitted per-feature minimum and maximum.
    scale_, min_ : ndarray, shape (F...)
        ``transform(X) = X * scale_ + min_``.
    """

    _params = ("feature_range",)
    _state = ("data_min_", "data_max_", "scale_", "min_")

    def __init__(self, feature_range=(-1.0, 1.0)):
        self.feature_range = feature_range

    # Hooks for Log1pMinMaxScaler: the map applied before / after the affine part.
    def _forward(self, X):
        return X

    def _backward(self, Y):
        return Y

    def _axes(self, X):
        return 0

    def fit(self, X):
        """Learn per-feature min and max from ``X`` (N, F...), N >= 1; returns self."""
        lo, hi = _check_range(f"{type(self).__name__}.feature_range", self.feature_range)
        if _is_torch(X):
            X = X.detach().cpu().numpy()
        X = np.asarray(_as_float(X), dtype=np.float64)
        if X.ndim == 0 or X.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit needs at least one sample; received shape {X.shape}")
        if not np.all(np.isfinite(X)):
            raise ValueError(f"{type(self).__name__}.fit received non-finite values (NaN or inf)")
        self._check_domain(X)
        Z = self._forward(X)
        data_min = Z.min(axis=self._axes(Z))
        data_max = Z.max(axis=self._axes(Z))
        data_range = data_max - data_min
        data_range = np.where(data_range == 0.0, 1.0, data_range)
        self.data_min_ = np.asarray(data_min)
        self.data_max_ = np.asarray(data_max)
        self.scale_ = (hi - lo) / data_range
        self.min_ = lo - data_min * self.scale_
        return self

    def _check_domain(self, X) -> None:
        pass

    def _check_shape(self, X) -> None:
        expected = self.scale_.shape
        if expected and tuple(X.shape[-len(expected) :]) != expected or X.ndim < len(expected):
            raise ValueError(
                f"{type(self).__name__} was fitted on features of shape {expected}; received an array of shape "
                f"{tuple(X.shape)}"
            )

    def transform(self, X):
        """``X * scale_ + min_`` (after the pre-map), same shape and kind as ``X``."""
        self._check_fitted()
        X = _as_float(X)
        self._check_shape(X)
        self._check_domain(X)
        return self._forward(X) * _like(self.scale_, X) + _like(self.min_, X)

    def inverse_transform(self, Y):
        """Exact inverse of :meth:`transform`."""
        self._check_fitted()
        Y = _as_float(Y)
        self._check_shape(Y)
        return self._backward((Y - _like(self.min_, Y)) / _like(self.scale_, Y))


class Log1pMinMaxScaler(MinMaxScaler):
    """``log1p`` followed by min-max scaling onto ``feature_range`` (efficiency targets).

    Efficiencies span orders of magnitude (Q_back of a 1 nm particle is ~1e-8, of a
    resonant one ~10); ``log1p`` compresses the large values while staying linear near 0
    and defined at 0, as in Soun et al.

    Parameters
    ----------
    feature_range : (float, float)
        Target interval, default (-1, 1).
    unit : float
        The map is ``log1p(X / unit)``: linear for ``X << unit``, logarithmic above.
        Default 1 (the paper's plain ``log1p``). The min-max step then puts the smallest
        values next to ``feature_range[0]`` where an absolute error ``e`` of the
        transformed value is a relative error ``~ e (unit + X) / (scale_ unit X)`` of
        ``X``; with ``unit = 1`` a Q_back of 1e-6 needs ``e`` below ~1e-7 for 10 %.
        A smaller ``unit`` (e.g. 1e-6) keeps small efficiencies relatively accurate.
    per_feature : bool
        False (default): one global min and max over all samples *and* wavelengths, so the
        same monotone map applies at every wavelength: a spectrum's shape is kept, the
        scaler works on any wavelength grid (the per-wavelength MLP needs this) and no
        weakly varying wavelength is blown up to the full range. True: min and max per
        feature (per wavelength), over the first axis, like :class:`MinMaxScaler`.

    Attributes
    ----------
    data_min_, data_max_ : ndarray, shape () or (F...)
        Fitted min and max of ``log1p(X / unit)``.
    scale_, min_ : ndarray
        ``transform(X) = log1p(X / unit) * scale_ + min_``.

    Raises
    ------
    ValueError
        For values <= -1 (outside log1p's domain). Tiny negative values (``q_abs`` of a
        lossless particle is ~ -1e-16 by rounding) are fine.
    """

    _params = ("feature_range", "unit", "per_feature")

    def __init__(self, feature_range=(-1.0, 1.0), unit: float = 1.0, per_feature: bool = False):
        self.feature_range = feature_range
        self.unit = unit
        self.per_feature = per_feature

    def fit(self, X):
        """Learn the min and max of ``log1p(X / unit)`` (global or per feature); returns self."""
        if isinstance(self.unit, bool) or not isinstance(self.unit, (int, float)) or not 0 < self.unit < np.inf:
            raise ValueError(f"Log1pMinMaxScaler.unit must be a finite number > 0; received {self.unit!r}")
        if not isinstance(self.per_feature, bool):
            raise TypeError(f"Log1pMinMaxScaler.per_feature must be a bool; received {self.per_feature!r}")
        return super().fit(X)

    def _axes(self, X):
        return 0 if self.per_feature else None

    def _check_domain(self, X) -> None:
        n = X.numel() if _is_torch(X) else X.size
        low = float(X.min()) if n else 0.0
        if low <= -self.unit:
            raise ValueError(
                f"Log1pMinMaxScaler needs values > -unit = {-self.unit:g} (log1p); received a minimum of {low}"
            )

    def _forward(self, X):
        if _is_torch(X):
            import torch

            return torch.log1p(X / self.unit)
        return np.log1p(X / self.unit)

    def _backward(self, Y):
        if _is_torch(Y):
            import torch

            return torch.expm1(Y) * self.unit
        return np.expm1(Y) * self.unit


class Design(NamedTuple):
    """A batch of particles: material indices and sizes (nm), each of shape (N,)."""

    core_index: object
    shell_index: object
    r_core: object
    t_shell: object


class DesignEncoder(Transformer):
    """(core_index, shell_index, r_core, t_shell) <-> design vector of length 2 + 2M.

    The vector is ``[mm(r_core), mm(t_shell), onehot(core) (M), onehot(shell) (M)]`` with
    ``mm`` the min-max map of the parameter *range* (not of data) onto ``feature_range``,
    so [-1, 1] is exactly the design space. The surrogate's input and the WGAN-GP's design
    vector (issue 4) both use it.

    Parameters
    ----------
    materials : tuple of str
        Material names, in index order (e.g. ``Dataset.materials``).
    r_range, t_range : (float, float)
        Core radius and shell thickness ranges in nm (e.g. ``Dataset.r_range``).
    feature_range : (float, float)
        Target interval of the size coordinates, default (-1, 1).

    Attributes
    ----------
    r_scaler_, t_scaler_ : MinMaxScaler
        Fitted on the two ends of ``r_range`` / ``t_range``.
    onehot_ : OneHotEncoder
        Fitted with ``n_categories = len(materials)``.

    Examples
    --------
    >>> enc = DesignEncoder(("Si", "SiO2", "Au"), (1, 100), (1, 100)).fit()
    >>> enc.transform([0], [2], [1.0], [100.0])
    array([[-1.,  1.,  1.,  0.,  0.,  0.,  0.,  1.]])
    >>> enc.inverse_transform(enc.transform([0], [2], [50.5], [1.0]))
    Design(core_index=array([0]), shell_index=array([2]), r_core=array([50.5]), t_shell=array([1.]))
    """

    _params = ("materials", "r_range", "t_range", "feature_range")
    _state = ("r_scaler_", "t_scaler_", "onehot_")

    def __init__(self, materials, r_range, t_range, feature_range=(-1.0, 1.0)):
        self.materials = materials
        self.r_range = r_range
        self.t_range = t_range
        self.feature_range = feature_range

    @property
    def n_features(self) -> int:
        """Length of the design vector, 2 + 2 * len(materials)."""
        return 2 + 2 * len(self.materials)

    def fit(self, *args, **kwargs):
        """Fit on the parameter ranges; any data passed (sklearn style) is ignored. Returns self."""
        if isinstance(self.materials, str) or not len(self.materials):
            raise ValueError(
                f"DesignEncoder.materials must be a non-empty sequence of names; received {self.materials!r}"
            )
        r_lo, r_hi = _check_range("DesignEncoder.r_range", self.r_range)
        t_lo, t_hi = _check_range("DesignEncoder.t_range", self.t_range)
        self.r_scaler_ = MinMaxScaler(self.feature_range).fit(np.array([r_lo, r_hi]))
        self.t_scaler_ = MinMaxScaler(self.feature_range).fit(np.array([t_lo, t_hi]))
        self.onehot_ = OneHotEncoder(len(self.materials)).fit()
        return self

    def fit_transform(self, core_index, shell_index, r_core, t_shell):
        """``fit()`` then ``transform(...)``."""
        return self.fit().transform(core_index, shell_index, r_core, t_shell)

    def transform(self, core_index, shell_index, r_core, t_shell):
        """Particles -> design vectors, shape (N, 2 + 2M).

        Parameters
        ----------
        core_index, shell_index : int array or tensor, shape (N,)
            Indices into ``materials``.
        r_core, t_shell : float array or tensor, shape (N,)
            Sizes in nm. If any argument is a torch tensor the result is a tensor in the
            sizes' dtype (float64 if they are not tensors), differentiable in the sizes.
        """
        self._check_fitted()
        torch_mode = any(_is_torch(a) for a in (core_index, shell_index, r_core, t_shell))
        if torch_mode:
            import torch

            sizes = [a for a in (r_core, t_shell) if _is_torch(a) and torch.is_floating_point(a)]
            dtype = sizes[0].dtype if sizes else torch.float64
            conv = lambda a, dt: a.to(dt) if _is_torch(a) else torch.as_tensor(np.asarray(a), dtype=dt)  # noqa: E731
            ci, si = conv(core_index, torch.int64), conv(shell_index, torch.int64)
            r, t = conv(r_core, dtype), conv(t_shell, dtype)
            shapes = {tuple(a.shape) for a in (ci, si, r, t)}
        else:
            ci, si = np.asarray(core_index), np.asarray(shell_index)
            r, t = _as_float(r_core), _as_float(t_shell)
            shapes = {a.shape for a in (ci, si, r, t)}
        if len(shapes) != 1 or len(next(iter(shapes))) != 1:
            raise ValueError(
                "DesignEncoder.transform needs core_index, shell_index, r_core, t_shell as 1-D arrays of one "
                f"length N; received shapes {[tuple(np.shape(a)) for a in (core_index, shell_index, r_core, t_shell)]}"
            )
        parts = [
            self.r_scaler_.transform(r)[:, None],
            self.t_scaler_.transform(t)[:, None],
            self.onehot_.transform(ci, dtype=r.dtype),
            self.onehot_.transform(si, dtype=r.dtype),
        ]
        if torch_mode:
            return torch.cat(parts, dim=1)
        return np.concatenate(parts, axis=1)

    def inverse_transform(self, design) -> Design:
        """Design vectors (N, 2 + 2M) -> :class:`Design` (indices by argmax, sizes in nm).

        Works on soft material codes (e.g. a generator's softmax). Sizes are not clipped
        to the ranges. Torch in, torch out (sizes differentiable).
        """
        self._check_fitted()
        m = len(self.materials)
        if design.ndim != 2 or design.shape[1] != self.n_features:
            raise ValueError(
                f"DesignEncoder.inverse_transform expects shape (N, {self.n_features}) for {m} materials; "
                f"received {tuple(design.shape)}"
            )
        if not _is_torch(design):
            design = _as_float(design)
        return Design(
            self.onehot_.inverse_transform(design[:, 2 : 2 + m]),
            self.onehot_.inverse_transform(design[:, 2 + m :]),
            self.r_scaler_.inverse_transform(design[:, 0]),
            self.t_scaler_.inverse_transform(design[:, 1]),
        )

    def _restore(self, state: dict) -> None:
        for name in self._state:
            setattr(self, name, Transformer.from_state_dict(state[name]))
