"""Integer rounding of K×K count matrices that keeps row totals (cleanlab's exact procedure).

These run on K×K matrices only, so they follow cleanlab's code line by line: its tie order comes
from np.argsort on the same small arrays, which is what bit-exact parity needs.
"""

from __future__ import annotations

import numpy as np

from labelaudit.confident.selection import smallest_rows

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
    """round_preserving_sum applied to every row of a K×K matrix, vectorised over rows.

    Each row goes through the same steps as cleanlab's per-row loop: the row sums are numpy's
    pairwise sums of the same values, and the `changes` entries picked in a row are the same set
    (its tie order only matters at a tie, where np.argsort of the same row decides, as in cleanlab).
    """
    # C order: row sums are then numpy's pairwise sums of each row, as in cleanlab's per-row
    # calls, and the result has the C layout np.apply_along_axis returns.
    floats = np.ascontiguousarray(matrix, dtype=float)
    ints = floats.round()
    orig_sum = np.sum(floats, axis=1).round()
    while True:
        int_sum = np.sum(ints, axis=1).round()
        todo = np.flatnonzero(np.abs(int_sum - orig_sum) > FLOATING_POINT_COMPARISON)
        if len(todo) == 0:
            return ints.astype(int)
        diff = np.round(orig_sum[todo] - int_sum[todo])
        increment = np.where(diff < 0.0, -1, 1)
        changes = np.minimum(np.abs(diff), floats.shape[1]).astype(np.int64)
        residual = floats[todo] - ints[todo]
        # +1 takes the largest residuals first, -1 the smallest: a "smallest" selection on
        # residual * -increment picks the same set; ties go to cleanlab's own argsort.
        picked, tied = smallest_rows(residual * -increment[:, None], changes)
        for r in tied:
            picked[r, np.argsort(residual[r])[:: -int(increment[r])][: changes[r]]] = True
        ints[todo] += picked * increment[:, None]
