"""Integer category indices (materials) <-> one-hot rows."""

from __future__ import annotations

import numbers

import numpy as np

from kerker.dataset.scalers._base import Transformer, _is_torch

__all__ = ["OneHotEncoder"]


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
