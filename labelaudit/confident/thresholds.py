"""Per-class confident thresholds: the mean self-confidence of each class (cleanlab's t_k)."""

from __future__ import annotations

import numpy as np

from labelaudit.confident._blocks import (
    BLOCK_VALUES,
    ClassGroups,
    block_hook_set,
    for_each,
    gather,
    row_blocks,
    value_range,
)
from labelaudit.confident._validation import check_inputs, check_value_range

# cleanlab's CONFIDENT_THRESHOLDS_LOWER_BOUND: thresholds are clipped below at 2 * 1e-6.
THRESHOLD_LOWER_BOUND = 2e-6
# cleanlab's BIG_VALUE: the threshold of a class absent from the labels, above any probability.
ABSENT_CLASS_THRESHOLD = 2


# Above this many values, gathers from a streamed input run in row blocks: one value per row
# still touches every page of the matrix, and a single NumPy call would keep all of them
# resident until it returns (io/stream.py releases mapped pages between blocks).
BLOCKED_GATHER_VALUES = BLOCK_VALUES * 64


def self_confidence(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """P[i, labels[i]] for every row (N,); with `labels` any column per row, a row-wise pick."""
    n, k = pred_probs.shape
    if n * k > BLOCKED_GATHER_VALUES and block_hook_set() and isinstance(pred_probs, np.ndarray):
        out = np.empty(n, dtype=pred_probs.dtype)

        def pick(rows: slice) -> None:
            block = pred_probs[rows]
            out[rows] = gather(block, np.arange(len(block)), labels[rows])

        for_each(pick, row_blocks(n, k))
        return out
    return gather(pred_probs, np.arange(n), labels)


def checked_self_confidence(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """self_confidence and the range check of every value (check_value_range) in one blocked
    pass: each block is checked while its picks are read, instead of reading P twice."""
    n, k = pred_probs.shape
    if not isinstance(pred_probs, np.ndarray):
        check_value_range(pred_probs, *value_range(pred_probs))
        return self_confidence(labels, pred_probs)
    out = np.empty(n, dtype=pred_probs.dtype)

    def one_block(rows: slice) -> tuple[float, float]:
        block = pred_probs[rows]
        out[rows] = gather(block, np.arange(len(block)), labels[rows])
        return block.min(), block.max()

    ranges = for_each(one_block, row_blocks(n, k))
    lows, highs = np.array(ranges).T  # NaN anywhere propagates into min or max
    check_value_range(pred_probs, lows.min(), highs.max())
    return out


def _mean(values: np.ndarray) -> np.generic:
    """np.mean of a 1-D float array without its Python wrapper: the same pairwise sum
    (np.add.reduce) and the same division, `sum.dtype.type(sum / np.intp(n))`."""
    total = np.add.reduce(values)
    return total.dtype.type(total / np.intp(len(values)))


def thresholds_from_groups(sc: np.ndarray, groups: ClassGroups) -> np.ndarray:
    """Mean self-confidence per class, bit-identical to cleanlab.

    np.mean over each contiguous class slice (ascending example order) reproduces numpy's pairwise
    summation exactly; bincount- or cumsum-based means differ in the last bit. The list of numpy
    scalars and the int 2 for absent classes give the same result dtype as cleanlab (float64 as soon
    as a class is absent, even for float32 input).
    """
    sc_sorted = sc[groups.order]
    bounds = groups.bounds.tolist()
    means = [
        _mean(sc_sorted[bounds[k] : bounds[k + 1]])
        if bounds[k + 1] > bounds[k]
        else ABSENT_CLASS_THRESHOLD
        for k in range(len(bounds) - 1)
    ]
    return np.clip(means, a_min=THRESHOLD_LOWER_BOUND, a_max=None)


def get_confident_thresholds(labels: object, pred_probs: object) -> np.ndarray:
    """Per-class thresholds t (K,): the average P[i, k] over examples labelled k; 2 for absent k."""
    y, P = check_inputs(labels, pred_probs, allow_one_class=True)
    groups = ClassGroups.of(y, P.shape[1])
    return thresholds_from_groups(self_confidence(y, P), groups)
