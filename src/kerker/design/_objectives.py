"""Design objectives: small composable losses over Q_fwd / Q_back spectra.

Every objective states the vacuum wavelengths (nm) it needs (:attr:`Objective.wavelength`),
so the physics evaluates only those, and maps spectra on exactly those wavelengths to one
loss per design (lower is better). Objectives add (``a + b``) and scale (``2.0 * a``);
the sum needs the union of the wavelengths of its terms.

Examples
--------
>>> import torch
>>> from kerker.design import Directional, SpectrumMatch
>>> obj = Directional(705.0, weight=1.0) + 0.5 * SpectrumMatch([600.0], q_fwd=[2.0])
>>> obj.wavelength.tolist()
[600.0, 705.0]
>>> q_fwd = torch.tensor([[2.0, 3.0]], dtype=torch.float64)   # (N, W) on obj.wavelength
>>> q_back = torch.tensor([[0.5, 1.0]], dtype=torch.float64)
>>> obj(q_fwd, q_back).tolist()          # (-3 + 1) + 0.5 * (2 - 2)^2
[-2.0]
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import torch

__all__ = ["Custom", "Directional", "Objective", "Ratio", "SpectrumMatch", "WeightedSum", "as_objective", "read_target_csv"]

# Two wavelengths closer than this (nm) are the same point.
_WL_TOL = 1e-6


def _wavelengths(name: str, value) -> np.ndarray:
    wl = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if wl.ndim != 1 or wl.size == 0:
        raise ValueError(f"{name} must be one wavelength or a 1-D array of them (nm), got shape {wl.shape}")
    if not np.isfinite(wl).all() or (wl <= 0).any():
        raise ValueError(f"{name} must be finite and > 0 nm, got {wl[~np.isfinite(wl) | (wl <= 0)][:3].tolist()}")
    if np.unique(np.round(wl / _WL_TOL)).size != wl.size:
        raise ValueError(f"{name} must not repeat a wavelength, got {wl.tolist()}")
    return wl


def _finite_number(name: str, value, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or (minimum is not None and value < minimum):
        rule = "finite" if minimum is None else f"finite and >= {minimum}"
        raise ValueError(f"{name} must be {rule}, got {value!r}")
    return value


def _columns(needed: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Indices of ``needed`` wavelengths among ``available`` (all must be present)."""
    diff = np.abs(available[None, :] - needed[:, None])
    idx = diff.argmin(axis=1)
    missing = diff[np.arange(needed.size), idx] > _WL_TOL
    if missing.any():
        raise ValueError(f"wavelengths {needed[missing].tolist()} nm are not among the evaluated {available.tolist()}")
    return idx


class Objective(ABC):
    """Base of every objective: ``loss = objective(q_fwd, q_back)``.

    Subclasses set :attr:`wavelength` (ndarray (W,), nm, increasing) and implement
    :meth:`evaluate`, which receives torch tensors of shape (N, W) on exactly those
    wavelengths and returns the loss of each design, shape (N,).
    """

    wavelength: np.ndarray

    @abstractmethod
    def evaluate(self, q_fwd: torch.Tensor, q_back: torch.Tensor) -> torch.Tensor:
        """Loss per design, shape (N,), from spectra (N, W) on :attr:`wavelength`."""

    def __call__(self, q_fwd, q_back) -> torch.Tensor:
        """Loss per design, shape (N,), from spectra of shape (N, W) on :attr:`wavelength`."""
        q_fwd = torch.as_tensor(q_fwd, dtype=torch.float64)
        q_back = torch.as_tensor(q_back, dtype=torch.float64)
        w = self.wavelength.size
        for name, q in (("q_fwd", q_fwd), ("q_back", q_back)):
            if q.ndim != 2 or q.shape[1] != w:
                raise ValueError(f"{name} must have shape (N, {w}) on the objective's wavelengths, got {tuple(q.shape)}")
        loss = self.evaluate(q_fwd, q_back)
        if loss.shape != (q_fwd.shape[0],):
            raise ValueError(f"{type(self).__name__} returned shape {tuple(loss.shape)}, expected ({q_fwd.shape[0]},)")
        return loss

    def on(self, wavelength, q_fwd, q_back) -> torch.Tensor:
        """Loss from spectra on a superset ``wavelength`` (W',) of :attr:`wavelength`."""
        idx = torch.as_tensor(_columns(self.wavelength, np.asarray(wavelength, dtype=np.float64)))
        return self(torch.as_tensor(q_fwd)[:, idx], torch.as_tensor(q_back)[:, idx])

    def describe(self) -> dict:
        """JSON-able description (recorded in every design result)."""
        return {"type": type(self).__name__, "wavelength": self.wavelength.tolist()}

    def __add__(self, other: Objective) -> WeightedSum:
        if not isinstance(other, Objective):
            return NotImplemented
        return WeightedSum([(1.0, self), (1.0, other)])

    def __mul__(self, factor: float) -> WeightedSum:
        return WeightedSum([(_finite_number("factor", factor), self)])

    __rmul__ = __mul__


class SpectrumMatch(Objective):
    """Mean squared error to a target spectrum (the paper's test-set task, Sec. III.A).

    Parameters
    ----------
    wavelength : array_like, shape (W,)
        Wavelengths of the target in nm (any subset of wavelengths).
    q_fwd, q_back : array_like, shape (W,) or (G, W), optional
        Target differential efficiencies; at least one. With both, the loss is the sum
        of the two mean squared errors. Shape (G, W) holds G targets solved in one batch:
        the N designs form G equal, contiguous groups and group ``g`` is compared with
        target row ``g`` (N must be a multiple of G).
    weights : array_like, shape (W,), optional
        Non-negative weight of each wavelength (default 1); the MSE is a weighted mean.
    relative : bool
        Divide each spectrum's MSE by the (weighted) mean square of its target, so the
        loss is scale-free: a weakly scattering target (efficiencies of 1e-3) is matched
        as closely, in relative terms, as a strong one. The test-set study uses it, since
        its figure of merit (rMAE) is relative too.
    """

    def __init__(self, wavelength, q_fwd=None, q_back=None, weights=None, relative: bool = False):
        wl = _wavelengths("wavelength", wavelength)
        order = np.argsort(wl)
        self.wavelength = wl[order]
        if q_fwd is None and q_back is None:
            raise ValueError("SpectrumMatch needs a target: give q_fwd, q_back or both")
        self.targets = {}
        for name, value in (("q_fwd", q_fwd), ("q_back", q_back)):
            if value is None:
                continue
            t = np.atleast_1d(np.asarray(value, dtype=np.float64))
            if t.shape[-1:] != wl.shape or t.ndim > 2:
                raise ValueError(
                    f"{name} must have one value per wavelength, shape ({wl.size},) or (N, {wl.size}), got {t.shape}"
                )
            if not np.isfinite(t).all():
                raise ValueError(f"{name} must be finite, got NaN or inf")
            self.targets[name] = torch.as_tensor(t[..., order])
        if weights is None:
            w = np.ones_like(wl)
        else:
            w = np.atleast_1d(np.asarray(weights, dtype=np.float64))
            if w.shape != wl.shape or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
                raise ValueError(f"weights must be {wl.size} finite non-negative numbers, not all 0; got {w.tolist()}")
        self.weights = torch.as_tensor(w[order] / w.sum())
        if not isinstance(relative, bool):
            raise ValueError(f"relative must be True or False, got {relative!r}")
        self.relative = relative
        self.scales = {}
        for name, t in self.targets.items():
            scale = (t**2 * self.weights).sum(-1) if relative else torch.ones(t.shape[:-1], dtype=torch.float64)
            if relative and not bool((scale > 0).all()):
                raise ValueError(f"relative=True needs a {name} target that is not zero at every weighted wavelength")
            self.scales[name] = scale

    def evaluate(self, q_fwd, q_back):
        spectra = {"q_fwd": q_fwd, "q_back": q_back}
        n = q_fwd.shape[0]
        total = 0.0
        for name, t in self.targets.items():
            scale = self.scales[name]
            if t.ndim == 2:
                if n % t.shape[0]:
                    raise ValueError(f"{n} designs cannot form {t.shape[0]} equal groups, one per target row of {name}")
                t = t.repeat_interleave(n // t.shape[0], dim=0)
                scale = scale.repeat_interleave(n // scale.shape[0], dim=0)
            total = total + ((spectra[name] - t) ** 2 * self.weights).sum(1) / scale
        return total

    def describe(self) -> dict:
        d = super().describe()
        d.update({k: v.tolist() for k, v in self.targets.items()})
        d["weights"] = self.weights.tolist()
        d["relative"] = self.relative
        return d


class Directional(Objective):
    """Directional-scattering loss ``L_dir = -Q_fwd + w Q_back`` (Soun et al., Eq. 3).

    Parameters
    ----------
    wavelength : float or array_like, default 705.0
        Design wavelength in nm; a band (several wavelengths) averages the loss.
    weight : float, default 1.0
        Backscattering weight ``w`` (>= 0).
    """

    def __init__(self, wavelength=705.0, weight: float = 1.0):
        self.wavelength = np.sort(_wavelengths("wavelength", wavelength))
        self.weight = _finite_number("weight", weight, minimum=0.0)

    def evaluate(self, q_fwd, q_back):
        return (-q_fwd + self.weight * q_back).mean(1)

    def describe(self) -> dict:
        return {**super().describe(), "weight": self.weight}


class Ratio(Objective):
    """Maximise the front-to-back ratio: ``loss = -mean(Q_fwd / (Q_back + eps))``.

    Parameters
    ----------
    wavelength : float or array_like
        Wavelengths in nm (a band averages).
    eps : float, default 1e-3
        Added to Q_back so a vanishing backscattering keeps the loss finite (> 0).
    """

    def __init__(self, wavelength, eps: float = 1e-3):
        self.wavelength = np.sort(_wavelengths("wavelength", wavelength))
        self.eps = _finite_number("eps", eps)
        if self.eps <= 0:
            raise ValueError(f"eps must be > 0, got {eps!r}")

    def evaluate(self, q_fwd, q_back):
        return -(q_fwd / (q_back + self.eps)).mean(1)

    def describe(self) -> dict:
        return {**super().describe(), "eps": self.eps}


class Custom(Objective):
    """Any callable ``fn(q_fwd, q_back) -> loss (N,)`` on torch tensors (N, W).

    Parameters
    ----------
    fn : callable
        Differentiable in torch for gradient-based methods.
    wavelength : float or array_like
        The wavelengths (nm) ``fn`` expects, in the order of its columns (sorted).
    name : str, optional
        Recorded in results.
    """

    def __init__(self, fn: Callable, wavelength, name: str | None = None):
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn
        self.wavelength = np.sort(_wavelengths("wavelength", wavelength))
        self.name = name or getattr(fn, "__name__", "custom")

    def evaluate(self, q_fwd, q_back):
        loss = torch.as_tensor(self.fn(q_fwd, q_back))
        return loss.reshape(-1) if loss.ndim == 2 and loss.shape[1] == 1 else loss

    def describe(self) -> dict:
        return {**super().describe(), "name": self.name}


class WeightedSum(Objective):
    """``sum_k c_k L_k`` of objectives; needs the union of their wavelengths.

    Parameters
    ----------
    terms : sequence of (float, Objective)
        Coefficients and objectives.
    """

    def __init__(self, terms: Sequence[tuple[float, Objective]]):
        flat: list[tuple[float, Objective]] = []
        for c, obj in terms:
            if not isinstance(obj, Objective):
                raise TypeError(f"terms must be (float, Objective) pairs, got {type(obj).__name__}")
            c = _finite_number("coefficient", c)
            if isinstance(obj, WeightedSum):
                flat += [(c * c2, o2) for c2, o2 in obj.terms]
            else:
                flat.append((c, obj))
        if not flat:
            raise ValueError("WeightedSum needs at least one term")
        self.terms = flat
        self.wavelength = np.unique(np.concatenate([o.wavelength for _, o in flat]))
        self._cols = [torch.as_tensor(_columns(o.wavelength, self.wavelength)) for _, o in flat]

    def evaluate(self, q_fwd, q_back):
        return sum(c * obj(q_fwd[:, i], q_back[:, i]) for (c, obj), i in zip(self.terms, self._cols))

    def describe(self) -> dict:
        return {
            "type": "WeightedSum",
            "wavelength": self.wavelength.tolist(),
            "terms": [{"coefficient": c, **o.describe()} for c, o in self.terms],
        }


def as_objective(objective) -> Objective:
    """Validate the ``objective`` argument of :func:`kerker.inverse_design`."""
    if isinstance(objective, Objective):
        return objective
    raise TypeError(
        "objective must be a kerker.design objective (SpectrumMatch, Directional, Ratio, Custom or a sum of "
        f"them), got {type(objective).__name__}; wrap a function as Custom(fn, wavelength=...)"
    )


def read_target_csv(path) -> SpectrumMatch:
    """A :class:`SpectrumMatch` from a CSV file with header ``wavelength,q_fwd,q_back``.

    ``wavelength`` in nm; either spectrum column may be missing (then only the other is
    matched); an optional ``weight`` column weights the wavelengths.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        Missing ``wavelength`` column, no spectrum column, or values that are not numbers.
    """
    import csv
    from pathlib import Path

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no target file at {path}")
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise ValueError(f"{path}: no rows below the header; expected columns wavelength,q_fwd,q_back")
    columns = {c.strip() for c in rows[0]}
    if "wavelength" not in columns or not columns & {"q_fwd", "q_back"}:
        raise ValueError(f"{path}: columns must include wavelength and q_fwd and/or q_back; got {sorted(columns)}")

    def column(name):
        if name not in columns:
            return None
        try:
            return [float(r[name]) for r in rows]
        except (TypeError, ValueError) as err:
            raise ValueError(f"{path}: column {name} must hold numbers ({err})") from None

    return SpectrumMatch(column("wavelength"), q_fwd=column("q_fwd"), q_back=column("q_back"), weights=column("weight"))
