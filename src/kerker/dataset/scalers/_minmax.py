"""Min-max scaling, plain and after ``log1p`` (efficiency spectra)."""

from __future__ import annotations

import numpy as np

from kerker.dataset.scalers._base import Transformer, _as_float, _check_range, _is_torch, _like

__all__ = ["Log1pMinMaxScaler", "MinMaxScaler"]


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
