"""PyTorch entry points: lattice sums and the objective as autograd functions.

The forward pass calls the NumPy engine; the backward pass uses the analytic Wirtinger
derivatives it returns (never autograd through the series). PyTorch's convention for
complex inputs (https://pytorch.org/docs/stable/notes/autograd.html, "Autograd for
Complex Numbers"): for ``s = f(tau)`` and incoming ``g = dL/ds*`` (conjugate Wirtinger),
``dL/dtau* = g * conj(d s) + conj(g) * dbar s``; for a real loss the leaf gradient is
``dL/dx + i dL/dy``, so ``tau -= lr * tau.grad`` descends.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from kerker.lattice._basis import lattice_sum
from kerker.lattice._objective import fixed_area_sum, objective


def _as_complex_numpy(tau: torch.Tensor, name: str = "tau") -> np.ndarray:
    if not isinstance(tau, torch.Tensor):
        raise TypeError(f"{name}: must be a torch.Tensor; received {type(tau).__name__}")
    if not tau.is_complex():
        raise TypeError(f"{name}: must be a complex tensor (e.g. torch.complex(x, y)); received dtype {tau.dtype}")
    return tau.detach().to(torch.complex128).cpu().numpy()


class _LatticeSumFunction(torch.autograd.Function):
    """``S(n, l)`` or ``P(n, l)`` with the analytic backward pass."""

    @staticmethod
    def forward(ctx, tau, n, l, area):
        t = _as_complex_numpy(tau)
        res = lattice_sum(n, l, t) if area is None else fixed_area_sum(n, l, t, area)
        d = torch.as_tensor(np.asarray(res.d, dtype=complex), device=tau.device)
        dbar = torch.as_tensor(np.asarray(res.dbar, dtype=complex), device=tau.device)
        ctx.save_for_backward(d, dbar)
        return torch.as_tensor(np.asarray(res.value, dtype=complex), device=tau.device)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        d, dbar = ctx.saved_tensors
        return grad_out * d.conj() + grad_out.conj() * dbar, None, None, None


class _ObjectiveFunction(torch.autograd.Function):
    """Real objective ``J(tau)`` with the analytic backward pass."""

    @staticmethod
    def forward(ctx, tau, kappa):
        res = objective(_as_complex_numpy(tau), kappa)
        d = torch.as_tensor(np.asarray(res.d, dtype=complex), device=tau.device)
        ctx.save_for_backward(d)
        return torch.as_tensor(np.asarray(res.value, dtype=float), device=tau.device)

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        (d,) = ctx.saved_tensors
        # real output: dL/dtau* = g (conj(dJ) + dbar J) = 2 g conj(dJ)
        return 2.0 * grad_out.to(d.dtype) * d.conj(), None


def lattice_sum_torch(n: int, l: int, tau: torch.Tensor, area: float | None = None) -> torch.Tensor:
    """Differentiable ``S(n, l)(tau)`` (or ``P(n, l)`` at cell ``area``) for PyTorch.

    Parameters
    ----------
    n, l : int
        As in :func:`kerker.lattice.lattice_sum` (series method, disk summation).
    tau : torch.Tensor, complex, any shape
        ``Im tau > 0``; computed in complex128 on the CPU, returned on ``tau.device``.
    area : float, optional
        If given, return the fixed-area ``P(n, l) = (y/A)^(n/2) S(n, l)``.

    Returns
    -------
    torch.Tensor, complex128, shape of ``tau``
        Backward uses the exact Wirtinger derivatives (first order only).

    Raises
    ------
    TypeError
        ``tau`` not a complex tensor.
    ValueError
        As :func:`kerker.lattice.lattice_sum`.

    Examples
    --------
    >>> import torch
    >>> from kerker.lattice import lattice_sum_torch
    >>> tau = torch.tensor(0.2 + 1.3j, dtype=torch.complex128, requires_grad=True)
    >>> lattice_sum_torch(4, 0, tau).real.backward()
    >>> tau.grad.dtype
    torch.complex128
    """
    return _LatticeSumFunction.apply(tau, n, l, area)


def objective_torch(tau: torch.Tensor, kappa: float = 1.0) -> torch.Tensor:
    """Differentiable ``J(tau) = y |G2*| - kappa y^2 S(4, 0)`` (float64) for PyTorch.

    ``tau.grad`` after ``backward()`` is ``dJ/dx + i dJ/dy``.

    Parameters
    ----------
    tau : torch.Tensor, complex, any shape
        ``Im tau > 0``.
    kappa : float, default 1.0
        See :func:`kerker.lattice.objective`.

    Returns
    -------
    torch.Tensor, float64, shape of ``tau``
    """
    return _ObjectiveFunction.apply(tau, kappa)
