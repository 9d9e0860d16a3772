"""The design vector of a batch of designs: ``[mm(r_core), mm(t_shell), core (M), shell (M)]``."""

from __future__ import annotations

import numpy as np

from kerker.dataset._designs import Designs
from kerker.dataset.scalers._base import Transformer, _as_float, _check_range, _is_torch
from kerker.dataset.scalers._minmax import MinMaxScaler
from kerker.dataset.scalers._onehot import OneHotEncoder

__all__ = ["DesignEncoder"]


class DesignEncoder(Transformer):
    """:class:`~kerker.dataset.Designs` <-> design vectors of length 2 + 2M.

    The vector is ``[mm(r_core), mm(t_shell), core (M), shell (M)]`` with ``mm`` the
    min-max map of the parameter *range* (not of data) onto ``feature_range``, so [-1, 1]
    is exactly the design space, and the material blocks one-hot rows (hard designs) or
    the material weights (soft designs). The surrogate's input and the WGAN-GP's design
    vector both use it.

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
    >>> from kerker.dataset import Designs
    >>> enc = DesignEncoder(("Si", "SiO2", "Au"), (1, 100), (1, 100)).fit()
    >>> d = Designs(enc.materials, core_index=[0], shell_index=[2], r_core=[1.0], t_shell=[100.0])
    >>> enc.transform(d)
    array([[-1.,  1.,  1.,  0.,  0.,  0.,  0.,  1.]])
    >>> back = enc.inverse_transform(enc.transform(Designs(enc.materials, core_index=[0], shell_index=[2],
    ...                                                    r_core=[50.5], t_shell=[100.0])))
    >>> back.core_index.tolist(), back.shell_index.tolist(), back.r_core.tolist(), back.t_shell.tolist()
    ([0], [2], [50.5], [100.0])
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

    def fit(self, designs=None):
        """Fit on the parameter ranges; designs passed (sklearn style) are only checked. Returns self."""
        if isinstance(self.materials, str) or not len(self.materials):
            raise ValueError(
                f"DesignEncoder.materials must be a non-empty sequence of names; received {self.materials!r}"
            )
        r_lo, r_hi = _check_range("DesignEncoder.r_range", self.r_range)
        t_lo, t_hi = _check_range("DesignEncoder.t_range", self.t_range)
        self.r_scaler_ = MinMaxScaler(self.feature_range).fit(np.array([r_lo, r_hi]))
        self.t_scaler_ = MinMaxScaler(self.feature_range).fit(np.array([t_lo, t_hi]))
        self.onehot_ = OneHotEncoder(len(self.materials)).fit()
        if designs is not None:
            self._check_designs(designs)
        return self

    def _check_designs(self, designs) -> None:
        if not isinstance(designs, Designs):
            raise TypeError(
                f"DesignEncoder takes a kerker.dataset.Designs batch; received {type(designs).__name__} "
                "(build one with Designs(...) or Dataset.designs(indices))"
            )
        if tuple(designs.materials) != tuple(self.materials):
            raise ValueError(
                f"the designs' materials {list(designs.materials)} differ from the encoder's {list(self.materials)}"
            )

    def transform(self, designs: Designs):
        """Designs -> design vectors, shape (P, 2 + 2M).

        Parameters
        ----------
        designs : Designs
            Over this encoder's materials; hard (one-hot blocks) or soft (weight blocks).

        Returns
        -------
        ndarray or Tensor, shape (P, 2 + 2M)
            NumPy for NumPy designs, torch for torch designs, in the dtype of ``r_core``
            (torch: differentiable in the sizes and weights).
        """
        self._check_fitted()
        self._check_designs(designs)
        r, t = _as_float(designs.r_core), _as_float(designs.t_shell)
        t = t.to(r.dtype) if _is_torch(t) else t
        if designs.is_soft:
            cast = (lambda p: p.to(r.dtype)) if _is_torch(r) else (lambda p: np.asarray(p, dtype=r.dtype))
            core, shell = cast(designs.p_core), cast(designs.p_shell)
        else:
            core = self.onehot_.transform(designs.core_index, dtype=r.dtype)
            shell = self.onehot_.transform(designs.shell_index, dtype=r.dtype)
        parts = [self.r_scaler_.transform(r)[:, None], self.t_scaler_.transform(t)[:, None], core, shell]
        if _is_torch(r):
            import torch

            return torch.cat(parts, dim=1)
        return np.concatenate(parts, axis=1)

    def fit_transform(self, designs: Designs):
        """``fit()`` then ``transform(designs)``."""
        return self.fit().transform(designs)

    def inverse_transform(self, design, *, soft: bool = False) -> Designs:
        """Design vectors (P, 2 + 2M) -> :class:`~kerker.dataset.Designs` (sizes in nm).

        Parameters
        ----------
        design : ndarray or Tensor, shape (P, 2 + 2M)
            Design vectors; torch in gives torch designs (sizes differentiable).
        soft : bool
            False: hard designs, materials by argmax (also of soft codes such as a
            generator's softmax). True: soft designs whose weights are the material blocks
            (rows must be probability vectors).

        Returns
        -------
        Designs
            Hard or soft designs over :attr:`materials`.

        Notes
        -----
        Sizes are not clipped to the ranges; vectors whose sizes map to ``r_core <= 0`` or
        ``t_shell < 0`` are refused by :class:`~kerker.dataset.Designs`.
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
        sizes = {"r_core": self.r_scaler_.inverse_transform(design[:, 0]),
                 "t_shell": self.t_scaler_.inverse_transform(design[:, 1])}
        if soft:
            return Designs(tuple(self.materials), p_core=design[:, 2 : 2 + m], p_shell=design[:, 2 + m :], **sizes)
        return Designs(
            tuple(self.materials),
            core_index=self.onehot_.inverse_transform(design[:, 2 : 2 + m]),
            shell_index=self.onehot_.inverse_transform(design[:, 2 + m :]),
            **sizes,
        )

    def _restore(self, state: dict) -> None:
        for name in self._state:
            setattr(self, name, Transformer.from_state_dict(state[name]))
