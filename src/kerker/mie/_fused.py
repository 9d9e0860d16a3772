"""The fused kernel behind :func:`kerker.efficiencies`: selection, threads and the adjoint.

``KERKER_MIE_KERNEL`` selects the implementation, read at every call:

* ``auto`` (default): the fused Numba kernel (:mod:`kerker.mie._fused_kernel`) when Numba
  is importable, else the torch path;
* ``fused``: the fused kernel, an ImportError without Numba;
* ``torch``: the torch path (``kerker.mie._blocks.layered_flat``), the reference the fused
  kernel is tested against.

The fused kernel accepts every input the public API accepts (every regime of the torch
path: exponent-carrying elements, absorbing layers, homogeneous spheres, vanishing
cores), so no element is routed elsewhere and each element's result is bit-identical to
the same element computed alone, whatever the batch. Numba and the compiled kernel are
loaded on the first call (not at ``import kerker``); the compiled code is cached on disk
(``__pycache__`` beside the module, or Numba's user-wide cache directory for read-only
installs), so only the first call after installation compiles.

Gradients: :class:`_FusedEfficiencies` runs the kernel with each element's Jacobian of the
five efficiencies w.r.t. ``(m_core, m_shell, x_core, x_shell)`` (30 doubles per element,
forward-mode in the same pass), and its backward is ``J^T v``; nothing per order is kept.
"""

from __future__ import annotations

import os
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

__all__ = ["fused_available", "fused_efficiencies", "selected_kernel"]

_KERNELS = ("auto", "fused", "torch")
#: Below this many elements a call runs on the calling thread (a thread pool costs ~50 us).
_MIN_PARALLEL = 256
#: Work items per thread: cost per element varies with its order, so ranges are cut by
#: estimated cost and a few more than threads are queued.
_ITEMS_PER_THREAD = 4

_lock = threading.Lock()
_state: dict = {}


def selected_kernel() -> str:
    """``"fused"`` or ``"torch"``: what :func:`kerker.efficiencies` runs now (``KERKER_MIE_KERNEL``)."""
    choice = os.environ.get("KERKER_MIE_KERNEL", "auto").strip().lower() or "auto"
    if choice not in _KERNELS:
        raise ValueError(f"KERKER_MIE_KERNEL must be one of {_KERNELS}, got {choice!r}")
    if choice == "torch":
        return "torch"
    if choice == "fused":
        _load()  # raises ImportError without Numba
        return "fused"
    return "fused" if fused_available() else "torch"


def fused_available() -> bool:
    """Whether Numba can be imported (the fused kernel is then compiled on first use)."""
    try:
        _load()
    except ImportError:
        return False
    return True


def _load():
    """The compiled kernel (imported, and compiled or loaded from the cache, once per process)."""
    kernel = _state.get("kernel")
    if kernel is not None:
        return kernel
    if "error" in _state:
        raise ImportError(_state["error"])
    with _lock:
        if "kernel" not in _state:
            try:
                from kerker.mie import _fused_kernel
            except ImportError as err:
                _state["error"] = f"the fused Mie kernel needs numba ({err}); pip install numba, or set KERKER_MIE_KERNEL=torch"
                raise ImportError(_state["error"]) from err
            _compile(_fused_kernel.kernel)
            _state["kernel"] = _fused_kernel.kernel
    return _state["kernel"]


def _compile(kernel) -> None:
    """Compile (or load from the cache) the one signature the kernel is called with.

    Numba may warn while it compiles or caches (pytest runs with warnings as errors), and
    saving to the cache may fail on a directory that turned read-only; neither changes
    the compiled code, which is registered before it is saved.
    """
    c128 = np.zeros(1, dtype=np.complex128)
    f64 = np.ones(1)
    args = (c128 + 1.5, c128 + 1.5, f64, f64, np.ones(1, dtype=np.int64), 0, 1, np.zeros((5, 1)), np.zeros((1, 30)), True, False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            kernel(*args)
        except OSError:  # the cache could not be written: the overload is registered already
            kernel(*args)


def _after_fork_in_child() -> None:
    """A forked child has none of the parent's pool threads, and the lock may have been held."""
    global _lock
    _lock = threading.Lock()
    _state.pop("pool", None)
    _state.pop("pool_key", None)


os.register_at_fork(after_in_child=_after_fork_in_child)


def _executor(threads: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``threads`` workers (a new one after fork or a thread-count change)."""
    key = (os.getpid(), threads)
    pool = _state.get("pool")
    if pool is None or _state.get("pool_key") != key:
        with _lock:
            if _state.get("pool_key") != key:
                old = _state.get("pool")
                _state["pool"] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="kerker-mie")
                _state["pool_key"] = key
                if old is not None:
                    old.shutdown(wait=False)  # its queued work still runs; idle threads exit
            pool = _state["pool"]
    return pool


def _ranges(orders: np.ndarray, items: int) -> list[tuple[int, int]]:
    """``items`` contiguous ranges of about equal cost (an element costs ~ its order + 20)."""
    cost = np.cumsum(orders.astype(np.float64) + 20.0)
    cuts = np.searchsorted(cost, cost[-1] * np.arange(1, items) / items)
    bounds = np.unique(np.concatenate([[0], cuts, [len(orders)]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist()))


def run_kernel(m_core, m_shell, x_core, x_shell, orders, want_jac: bool, *, exact_only: bool = False):
    """The kernel on NumPy inputs (B,): ``q`` (5, B) and ``jac`` (B, 30) (None without ``want_jac``).

    Threads: ``torch.get_num_threads()`` (one below ``_MIN_PARALLEL`` elements); the
    threads take contiguous ranges of about equal cost, and every element is computed by
    the same scalar code whichever thread takes it. ``exact_only`` runs every element on
    the exponent-carrying path (for tests).
    """
    kernel = _load()
    b = len(orders)
    q = np.empty((5, b))
    jac = np.empty((b, 30)) if want_jac else np.empty((1, 30))
    args = (m_core, m_shell, x_core, x_shell, orders)
    threads = max(1, torch.get_num_threads())
    if threads == 1 or b < _MIN_PARALLEL:
        kernel(*args, 0, b, q, jac, want_jac, exact_only)
    else:
        pool = _executor(threads)
        ranges = _ranges(orders, threads * _ITEMS_PER_THREAD)
        futures = [pool.submit(kernel, *args, lo, hi, q, jac, want_jac, exact_only) for lo, hi in ranges]
        for future in futures:
            future.result()
    return q, (jac if want_jac else None)


def _numpy(t: torch.Tensor, dtype) -> np.ndarray:
    return np.ascontiguousarray(t.detach().cpu().numpy(), dtype=dtype)


class _FusedEfficiencies(torch.autograd.Function):
    """The five efficiencies (5, B) of flat inputs by the fused kernel, with ``J^T v`` backward.

    The forward keeps each element's Jacobian (B, 30) and its inputs (B, 6 doubles); the
    backward contracts the Jacobian with the incoming gradient. PyTorch's convention for
    a real output ``q`` and a complex input ``m``: the propagated gradient is
    ``conj(2 dq/dm) v`` (Wirtinger), which the kernel stores as ``(Re, Im)`` of
    ``G = 2 dq/dm``; real inputs get ``dq/dx v``. A backward that must itself be
    differentiable (``create_graph=True``, e.g. for Hessians) differentiates the torch path
    on the saved inputs instead, with a graph.
    """

    @staticmethod
    def forward(m_core, m_shell, x_core, x_shell, orders, torch_path):  # noqa: D102 - see class docstring
        q, jac = run_kernel(
            _numpy(m_core, np.complex128), _numpy(m_shell, np.complex128),
            _numpy(x_core, np.float64), _numpy(x_shell, np.float64), _numpy(orders, np.int64), True,
        )
        return torch.from_numpy(q), torch.from_numpy(jac)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs[:5], output[1])
        ctx.torch_path = inputs[5]
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    def backward(ctx, grad_q, _grad_jac):  # noqa: D102
        *inputs, orders, jac = ctx.saved_tensors
        needs = ctx.needs_input_grad[:4]
        if torch.is_grad_enabled():  # create_graph: a differentiable gradient, from the torch path
            wanted = [t for t, need in zip(inputs, needs) if need]
            q = ctx.torch_path(*inputs, orders)
            grads = iter(torch.autograd.grad(q, wanted, grad_q, create_graph=True))
            return (*(next(grads) if need else None for need in needs), None, None)
        g = torch.einsum("jb,bjk->bk", grad_q, jac.view(-1, 5, 6))  # (B, 6)
        grad_mc = torch.complex(g[:, 0], -g[:, 1]) if needs[0] else None
        grad_ms = torch.complex(g[:, 2], -g[:, 3]) if needs[1] else None
        return grad_mc, grad_ms, g[:, 4] if needs[2] else None, g[:, 5] if needs[3] else None, None, None


def _no_second_derivatives(*_args):
    raise RuntimeError("a differentiable backward (create_graph=True) of the fused Mie kernel needs the torch path")


def fused_efficiencies(m_core, m_shell, x_core, x_shell, orders, torch_path=None) -> torch.Tensor:
    """Efficiencies (5, B) of flat inputs (B,) by the fused kernel: q_ext, q_sca, q_abs, q_fwd, q_back.

    Parameters
    ----------
    m_core, m_shell : torch.Tensor, complex128, shape (B,)
        Relative refractive indices (may require grad).
    x_core, x_shell : torch.Tensor, float64, shape (B,)
        Size parameters of the core and the outer radius (may require grad).
    orders : torch.Tensor, int64, shape (B,)
        Truncation orders.
    torch_path : callable, optional
        The torch path with the same signature (``kerker.mie._blocks.layered_flat``), which a
        differentiable backward (``create_graph=True``) differentiates; without it such a
        backward raises.

    Returns
    -------
    torch.Tensor, float64, shape (5, B)
        Differentiable (through :class:`_FusedEfficiencies`) when an input requires grad.
    """
    inputs = (m_core, m_shell, x_core, x_shell)
    if torch.is_grad_enabled() and any(t.requires_grad for t in inputs):
        return _FusedEfficiencies.apply(*inputs, orders, torch_path or _no_second_derivatives)[0]
    q, _ = run_kernel(
        _numpy(m_core, np.complex128), _numpy(m_shell, np.complex128),
        _numpy(x_core, np.float64), _numpy(x_shell, np.float64), _numpy(orders, np.int64), False,
    )
    return torch.from_numpy(q)
