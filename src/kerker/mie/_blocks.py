"""The torch path of the efficiencies: L-layer spheres in cache-sized blocks of equal order.

Elements are sorted by truncation order once, cut into blocks, and put back by one
inverse permutation, so that both the forward pass and autograd's backward pass stay
linear in the batch. When gradients are needed, the blocks beyond a graph budget of
1 GiB are recomputed in the backward pass instead of keeping autograd's ~12 KB per
element (see ``_RecomputedBlock``): peak memory is then about 1 GiB plus ~1.5 KB per
element, whatever the batch size. :func:`efficiencies_flat` also chooses the fused kernel
of :mod:`kerker.mie._fused` for spheres of up to two layers.
"""

from __future__ import annotations

import torch

from kerker.mie._fused import fused_efficiencies, selected_kernel
from kerker.mie._inputs import GRAPH_BUDGET
from kerker.mie.layers import layer_coefficients_orders_first

__all__ = ["efficiencies_flat", "layered_flat", "sums"]

# Elements per kernel call (two layers): large enough to amortise per-operation overhead
# over two threads, small enough to keep the (n_max, block) intermediates near the caches.
# Measured on this project's 2-core machine (2000 x 64 benchmark workload, spectra/s
# forward / forward+backward): 2048: 7.7-8.2k / 2.2-2.3k, 4096: 8.9-9.8k / 3.0-3.2k,
# 8192: 9.4-10.6k / 3.0-3.5k, 12288: 12.6-12.7k / 3.5-3.6k, 16384: 10.3-12.5k / 3.2-3.3k.
_BLOCK = 12288
# Rows (orders + 1) x elements per block at most (two layers): blocks of high-order or
# many-layer particles shrink, so that one block's ~60 complex (n_max + 1, block)
# intermediates per two layers stay near 300 MB.
_BLOCK_ROWS = 24 * _BLOCK
# Autograd keeps ~12 KB per element of a two-layer block at n_max + 1 = 13 rows (measured
# with benchmarks/bench_gradient_memory.py), i.e. ~930 bytes per row and element, and
# about half that per layer. Blocks whose graphs fit in _GRAPH_BUDGET together keep them;
# the others are recomputed in the backward pass (_RecomputedBlock), which costs about
# one more forward pass per block.
_GRAPH_BYTES_PER_ROW = 930
_GRAPH_BUDGET = GRAPH_BUDGET


def sums(a: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The five efficiencies from coefficients a, b (N, B) (orders first) and x (B,)."""
    n = torch.arange(1, a.shape[0] + 1, dtype=torch.float64, device=a.device).unsqueeze(-1)
    w = 2.0 * n + 1.0
    alt = torch.where(n.remainder(2) == 0, 1.0, -1.0)
    inv_x2 = 1.0 / (x * x)
    fwd = (w * (a + b)).sum(0)
    q_ext = 2.0 * inv_x2 * fwd.real
    q_sca = 2.0 * inv_x2 * (w * (a * a.conj() + b * b.conj())).sum(0).real
    back = (w * alt * (a - b)).sum(0)
    q_fwd = inv_x2 * (fwd.real**2 + fwd.imag**2)
    q_back = inv_x2 * (back.real**2 + back.imag**2)
    return torch.stack([q_ext, q_sca, q_ext - q_sca, q_fwd, q_back])


def _block_efficiencies(m: torch.Tensor, x: torch.Tensor, n_max: int) -> torch.Tensor:
    a, b = layer_coefficients_orders_first(m, x, n_max)
    return sums(a, b, x[-1])


class _RecomputedBlock(torch.autograd.Function):
    """Efficiencies of one kernel block whose backward pass recomputes the block.

    The forward runs without a graph and keeps only the block's inputs (24 bytes per
    layer and element); the backward rebuilds the block's graph, differentiates it, and
    frees it before the next block's turn -- autograd's saved tensors would otherwise keep
    ~6 KB per layer and element for the whole backward pass. Results and gradients are
    those of the plain graph (the same operations run again).
    """

    @staticmethod
    def forward(m, x, n_max):  # noqa: D102 - see class docstring
        return _block_efficiencies(m, x, n_max)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs[:2])
        ctx.n_max = inputs[2]

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_q):  # noqa: D102
        needs = ctx.needs_input_grad[:2]
        with torch.enable_grad():
            inputs = [t.detach().requires_grad_(need) for t, need in zip(ctx.saved_tensors, needs)]
            q = _block_efficiencies(*inputs, ctx.n_max)
            grads = iter(torch.autograd.grad(q, [t for t, need in zip(inputs, needs) if need], grad_q))
        return (*(next(grads) if need else None for need in needs), None)


def _block_size(n_max: int, n_layers: int = 2) -> int:
    """Elements per kernel block: ``_BLOCK``, fewer for high orders and many layers so that
    one block's (n_max + 1, block) intermediates stay within ``_BLOCK_ROWS`` rows per two layers."""
    return max(1, min(_BLOCK, (2 * _BLOCK_ROWS) // ((n_max + 1) * max(n_layers, 2))))


def layered_flat(m: torch.Tensor, x: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
    """Efficiencies (5, B) by the torch path, of flat inputs ``m`` (L, B) complex and ``x`` (L, B)
    real (``L >= 1``), with truncation orders ``orders`` (B,)."""
    n_layers = m.shape[0]
    if x.shape[1] <= _block_size(int(orders[0]), n_layers) and bool((orders == orders[0]).all()):
        return _block_efficiencies(m, x, int(orders[0]))
    perm = torch.argsort(orders, stable=True)
    sorted_orders = orders[perm]
    values, counts = torch.unique_consecutive(sorted_orders, return_counts=True)
    sizes, block_orders = [], []
    for order, count in zip(values.tolist(), counts.tolist()):
        block = _block_size(order, n_layers)
        full, rest = divmod(count, block)
        sizes += [block] * full + ([rest] if rest else [])
        block_orders += [order] * (full + (1 if rest else 0))
    blocks = zip(block_orders, m[:, perm].split(sizes, dim=1), x[:, perm].split(sizes, dim=1))
    grad = torch.is_grad_enabled() and (m.requires_grad or x.requires_grad)
    bytes_per_row = _GRAPH_BYTES_PER_ROW * n_layers // 2
    results, graph_bytes = [], 0
    for order, mb, xb in blocks:
        graph_bytes += bytes_per_row * (order + 1) * xb.shape[1]
        if grad and graph_bytes > _GRAPH_BUDGET:
            results.append(_RecomputedBlock.apply(mb, xb, order))
        else:
            results.append(_block_efficiencies(mb, xb, order))
    inverse = torch.empty_like(perm)
    inverse[perm] = torch.arange(perm.shape[0])
    return torch.cat(results, dim=1)[:, inverse]


def _coreshell_flat(m_core, m_shell, x_core, x_shell, orders):
    """The torch path with the fused kernel's signature (its differentiable backward uses it)."""
    return layered_flat(torch.stack([m_core, m_shell]), torch.stack([x_core, x_shell]), orders)


def efficiencies_flat(m: torch.Tensor, x: torch.Tensor, orders: torch.Tensor) -> torch.Tensor:
    """Efficiencies (5, B) of flat inputs ``m`` (L, B), ``x`` (L, B), ``orders`` (B,), ``L >= 1``.

    One and two layers run the fused kernel (one layer as a core-shell sphere with a
    zero-thickness shell of its material) unless ``KERKER_MIE_KERNEL=torch`` or Numba is
    missing (second derivatives of the fused kernel differentiate the torch path); more
    layers run the torch path.
    """
    if m.shape[0] <= 2 and selected_kernel() == "fused":
        return fused_efficiencies(m[0], m[-1], x[0], x[-1], orders, torch_path=_coreshell_flat)
    return layered_flat(m, x, orders)
