"""The contract of kerker's fitted transformers (scikit-learn style) and their array helpers.

``__init__`` only stores parameters; ``fit`` learns state into trailing-underscore
attributes and returns ``self``; ``transform`` / ``inverse_transform`` refuse to run
unfitted (:class:`NotFittedError`). ``state_dict()`` returns a plain JSON-able dict and
``Transformer.from_state_dict(d)`` rebuilds an identical, fitted transformer of the
recorded class (dispatch by class name, so checkpoints carry their preprocessing).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

__all__ = ["NotFittedError", "Transformer"]


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
