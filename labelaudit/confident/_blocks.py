"""Row blocks and class groups: the two ways the engine walks an N×K matrix without copying it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Rows per block for row-wise passes: 2**22 float64 values (32 MiB) keep temporaries bounded
# while each numpy call still works on enough data to amortise its overhead.
BLOCK_VALUES = 1 << 22


def row_blocks(n: int, k: int) -> Iterator[slice]:
    """Yield row slices covering range(n), each holding about BLOCK_VALUES values of an N×K matrix."""
    step = max(1, BLOCK_VALUES // max(k, 1))
    for start in range(0, n, step):
        yield slice(start, min(n, start + step))


@dataclass(frozen=True)
class ClassGroups:
    """Examples grouped by given label, in ascending example order inside each class.

    `order[bounds[k]:bounds[k+1]]` are the indices of class k, the same order as cleanlab's
    boolean-mask gathers `x[labels == k]`, which exactness relies on.
    """

    order: np.ndarray
    counts: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, labels: np.ndarray, num_classes: int) -> ClassGroups:
        order = np.argsort(labels, kind="stable")
        counts = np.bincount(labels, minlength=num_classes)
        bounds = np.zeros(num_classes + 1, dtype=np.int64)
        np.cumsum(counts, out=bounds[1:])
        return cls(order=order, counts=counts, bounds=bounds)

    def members(self, k: int) -> np.ndarray:
        """Indices of the examples labelled k, ascending."""
        return self.order[self.bounds[k] : self.bounds[k + 1]]
