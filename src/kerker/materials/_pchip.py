"""Shape-preserving piecewise cubic Hermite interpolation (PCHIP) for NumPy and torch.

The slopes are computed once, with NumPy, when a table is built; evaluation is a cubic
polynomial per interval, written so that the same code runs on NumPy arrays and on torch
tensors (where autograd differentiates it with respect to the query points). The result
is C1: value and first derivative are continuous at the knots, so wavelength gradients
have no kinks.

Convention: Fritsch & Carlson, SIAM J. Numer. Anal. 17, 238 (1980),
doi:10.1137/0717021, with the weighted-harmonic-mean interior slopes and the
three-point, shape-preserving end slopes of Moler's ``pchip`` (Numerical Computing
with MATLAB, 2004, sec. 3.4) -- the same convention as
``scipy.interpolate.PchipInterpolator``, which the tests use as the reference.
"""

from __future__ import annotations

import numpy as np
import torch


def pchip_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Return the PCHIP derivative dy/dx at every knot.

    Parameters
    ----------
    x : numpy.ndarray, shape (n,)
        Strictly increasing knot abscissae, n >= 2.
    y : numpy.ndarray, shape (n,) or (n, m)
        Values at the knots; each column is interpolated independently.

    Returns
    -------
    numpy.ndarray, same shape as y
        Slopes d_i. Where the data change monotonicity (or are flat) the slope is 0,
        which is what keeps the interpolant free of overshoot; elsewhere it is the
        weighted harmonic mean of the neighbouring secant slopes.
    """
    if y.ndim == 2:
        return np.stack([pchip_slopes(x, column) for column in y.T], axis=1)
    h = np.diff(x)
    delta = np.diff(y) / h
    if x.size == 2:
        # One interval: the interpolant is the straight line.
        return np.array([delta[0], delta[0]])
    d = np.zeros_like(y)
    left, right = delta[:-1], delta[1:]
    # Interior: zero at local extrema and flat stretches, else weighted harmonic mean
    # with weights w1 = 2 h_k + h_{k-1}, w2 = h_k + 2 h_{k-1}.
    monotone = (np.sign(left) == np.sign(right)) & (left != 0) & (right != 0)
    w1 = 2.0 * h[1:] + h[:-1]
    w2 = h[1:] + 2.0 * h[:-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        harmonic = (w1 / left + w2 / right) / (w1 + w2)
    d[1:-1][monotone] = 1.0 / harmonic[monotone]
    d[0] = _end_slope(h[0], h[1], delta[0], delta[1])
    d[-1] = _end_slope(h[-1], h[-2], delta[-1], delta[-2])
    return d


def _end_slope(h0: float, h1: float, m0: float, m1: float) -> float:
    """Three-point end slope, limited so the end interval stays shape-preserving."""
    d = ((2.0 * h0 + h1) * m0 - h0 * m1) / (h0 + h1)
    if np.sign(d) != np.sign(m0):
        return 0.0
    if np.sign(m0) != np.sign(m1) and abs(d) > 3.0 * abs(m0):
        return 3.0 * m0
    return float(d)


class PchipTable:
    """A tabulated function y(x) interpolated by PCHIP, evaluable in NumPy and torch.

    Parameters
    ----------
    x : array_like, shape (n,)
        Strictly increasing, finite knot abscissae, n >= 2.
    y : array_like, shape (n,) or (n, m)
        Finite values at the knots; the m columns (e.g. n and k) share the knots and
        are interpolated independently.

    Raises
    ------
    ValueError
        If the shapes differ, there are fewer than two knots, a value is not finite,
        or ``x`` is not strictly increasing.

    Notes
    -----
    The cubic on interval i is stored in the power basis of s = x - x_i,
    ``y = c3 + c2 s + c1 s**2 + c0 s**3``, and summed in ascending powers, the
    same arithmetic as ``scipy.interpolate.PPoly``; results agree with
    ``PchipInterpolator`` to rounding. Queries outside [x_0, x_{n-1}] continue the end
    cubics; callers are expected to enforce the range.

    Examples
    --------
    >>> table = PchipTable([0.0, 1.0, 2.0], [0.0, 1.0, 1.0])
    >>> float(table(np.array(0.5)))
    0.6875
    """

    def __init__(self, x, y) -> None:
        x = np.array(x, dtype=np.float64)
        y = np.array(y, dtype=np.float64)
        if x.ndim != 1 or y.ndim not in (1, 2) or y.shape[0] != x.shape[0]:
            raise ValueError(
                f"PchipTable needs x of shape (n,) and y of shape (n,) or (n, m); "
                f"received shapes {x.shape} and {y.shape}"
            )
        if x.size < 2:
            raise ValueError(f"PchipTable needs at least 2 knots; received {x.size}")
        if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
            raise ValueError("PchipTable needs finite x and y; received NaN or infinite values")
        steps = np.diff(x)
        if np.any(steps <= 0):
            i = int(np.argmax(steps <= 0))
            raise ValueError(
                f"PchipTable needs strictly increasing x; x[{i}] = {float(x[i])!r} is followed by "
                f"x[{i + 1}] = {float(x[i + 1])!r}"
            )
        d = pchip_slopes(x, y)
        steps = steps.reshape((-1,) + (1,) * (y.ndim - 1))
        secant = np.diff(y, axis=0) / steps
        t = (d[:-1] + d[1:] - 2.0 * secant) / steps
        self.x = x
        self.y = y
        self.slopes = d
        # Power-basis coefficients per interval, shape (4, n - 1[, m]), highest power first.
        self.coefficients = np.stack([t / steps, (secant - d[:-1]) / steps - t, d[:-1], y[:-1]])
        self._torch_cache: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def __call__(self, xq):
        """Evaluate at ``xq`` (numpy.ndarray or float64 torch.Tensor, any shape).

        Returns an array of the same kind, of shape ``xq.shape`` for 1-D ``y`` and
        ``xq.shape + (m,)`` for ``y`` of shape (n, m).
        """
        if isinstance(xq, torch.Tensor):
            knots, coefficients = self._torch_arrays(xq.device)
            interval = torch.searchsorted(knots, xq.detach().contiguous(), right=True) - 1
            interval = interval.clamp_(0, knots.numel() - 2)
        else:
            knots, coefficients = self.x, self.coefficients
            interval = np.clip(np.searchsorted(knots, xq, side="right") - 1, 0, knots.size - 2)
        s = xq - knots[interval]
        if self.y.ndim == 2:
            s = s[..., None]
        c0, c1, c2, c3 = coefficients[:, interval]
        z = s
        value = c3 + c2 * z
        z = z * s
        value = value + c1 * z
        z = z * s
        return value + c0 * z

    def _torch_arrays(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        # Converted once per device; on the CPU torch.from_numpy shares the memory.
        cached = self._torch_cache.get(device)
        if cached is None:
            cached = (
                torch.from_numpy(self.x).to(device),
                torch.from_numpy(self.coefficients).to(device),
            )
            self._torch_cache[device] = cached
        return cached
