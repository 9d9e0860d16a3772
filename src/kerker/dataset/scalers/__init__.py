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
- :class:`DesignEncoder`: :class:`~kerker.dataset.Designs` <-> the design vector
  ``[mm(r_core), mm(t_shell), onehot(core), onehot(shell)]`` of length 2 + 2M, fitted on
  the parameter *ranges* so [-1, 1] is exactly the design space.

One module per concept: ``_base.py`` (the contract), ``_onehot.py``, ``_minmax.py``,
``_design.py``.

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

from kerker.dataset.scalers._base import NotFittedError, Transformer
from kerker.dataset.scalers._design import DesignEncoder
from kerker.dataset.scalers._minmax import Log1pMinMaxScaler, MinMaxScaler
from kerker.dataset.scalers._onehot import OneHotEncoder

__all__ = [
    "DesignEncoder",
    "Log1pMinMaxScaler",
    "MinMaxScaler",
    "NotFittedError",
    "OneHotEncoder",
    "Transformer",
]
