"""Network calls whose rows do not depend on the rest of the batch.

oneDNN and MKL choose their kernels (and so their float32 rounding) by the shapes of a
call: on this project's CPUs a design's surrogate prediction moved by up to 2e-5 between a
call of 1 row and one of 500, and a generator output by 2e-7 between 1 row and 18. Rows of
calls of one fixed shape were found equal whatever their position or their companions. So
the frozen networks of design and evaluation run in calls of exactly :data:`ROWS_PER_CALL`
rows, the last one padded with zeros: every row then gets the same numbers alone or in any
batch, which is what lets a study's target get the same result in any batch of targets.
Measured: 500 designs forward + backward through the ResNet in calls of 128 rows take the
time of one call of 500.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["ROWS_PER_CALL", "in_fixed_row_calls"]

#: Rows of every call (the last one padded).
ROWS_PER_CALL = 128


def in_fixed_row_calls(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                       rows: int = ROWS_PER_CALL) -> torch.Tensor:
    """``fn(x)`` computed as ``fn`` of consecutive blocks of exactly ``rows`` rows of ``x``.

    ``fn`` must act on rows independently (eval-mode networks: no batch statistics); the
    padding rows are zeros and are dropped from the result, so gradients flow to ``x``'s
    rows only. A call of fewer rows costs a whole block (one ResNet prediction: one call
    of 128 rows, a few ms); no rows give ``fn`` of the empty input.
    """
    n = x.shape[0]
    pad = (-n) % rows
    if pad:
        x = torch.cat([x, x.new_zeros((pad, *x.shape[1:]))])
    return torch.cat([fn(block) for block in x.split(rows)])[:n]
