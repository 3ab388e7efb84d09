"""Integer rounding of K×K count matrices that keeps row totals (cleanlab's exact procedure).

These run on K×K matrices only, so they follow cleanlab's code line by line: its tie order comes
from np.argsort on the same small arrays, which is what bit-exact parity needs.
"""

from __future__ import annotations

import numpy as np

# cleanlab's FLOATING_POINT_COMPARISON.
FLOATING_POINT_COMPARISON = 1e-6


def round_preserving_sum(values: np.ndarray) -> np.ndarray:
    """Round to integers so that the rounded values sum to the rounded total."""
    floats = np.asarray(values, dtype=float)
    ints = floats.round()
    orig_sum = np.sum(floats).round()
    int_sum = np.sum(ints).round()
    while abs(int_sum - orig_sum) > FLOATING_POINT_COMPARISON:
        diff = np.round(orig_sum - int_sum)
        increment = -1 if diff < 0.0 else 1
        changes = min(int(abs(diff)), len(floats))
        indices = np.argsort(floats - ints)[::-increment][:changes]
        ints[indices] += increment
        int_sum = np.sum(ints).round()
    return ints.astype(int)


def round_preserving_row_totals(matrix: np.ndarray) -> np.ndarray:
    """Apply round_preserving_sum to every row of a K×K matrix."""
    return np.apply_along_axis(round_preserving_sum, 1, matrix).astype(int)
