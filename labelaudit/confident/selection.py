"""Exact "q smallest" selections that reproduce cleanlab's `np.argsort(x)[:q]`.

cleanlab selects with a full quicksort. Without ties at the cut any correct selection picks the same
set, so we use O(n) partitions. numpy's quicksort is not stable and its tie order depends on the CPU
kernel, so where the cut falls inside a group of equal values we call np.argsort on the very same
array, which is the only way to reproduce cleanlab's choice on the machine it runs on.
"""

from __future__ import annotations

import numpy as np


def smallest_mask(values: np.ndarray, q: int) -> np.ndarray:
    """Boolean mask of the positions np.argsort(values)[:q] would pick."""
    n = len(values)
    mask = np.zeros(n, dtype=bool)
    if q <= 0:
        return mask
    if q >= n:
        mask[:] = True
        return mask
    part = np.partition(values, (q - 1, q))
    cut, after = part[q - 1], part[q]
    if cut < after:
        return values <= cut
    mask[np.argsort(values)[:q]] = True  # tie at the cut: defer to numpy's own order
    return mask


def row_cuts(values: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of an M×n matrix, the q-th smallest value (+inf where q is not in 1..n) and
    whether it is clean: strictly below the (q+1)-th, so that `row <= cut` picks exactly q.

    One partition of the whole matrix at the largest q, then a sort of only that many leading
    columns, finds every row's cut.
    """
    m, n = values.shape
    q = np.asarray(q, dtype=np.int64)
    cut = np.full(m, np.inf, dtype=np.result_type(values.dtype, np.float16))
    clean = np.ones(m, dtype=bool)
    rows = np.flatnonzero((q >= 1) & (q <= n))
    if len(rows) == 0:
        return cut, clean
    width = min(int(q[rows].max()) + 1, n)
    head = np.sort(np.partition(values, width - 1, axis=1)[:, :width], axis=1)
    at = q[rows]
    cut[rows] = head[rows, at - 1]
    inside = rows[at < n]
    clean[inside] = cut[inside] < head[inside, q[inside]]
    return cut, clean


def smallest_rows(values: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise q smallest of an M×n matrix with a per-row count q (M,), and the tied rows.

    Rows whose cut falls inside a group of equal values are returned in `tied` with their mask
    row left empty: the caller resolves them with the reference implementation's own
    np.argsort, whose tie order no other method reproduces.
    """
    n = values.shape[1]
    q = np.minimum(np.asarray(q, dtype=np.int64), n)
    cut, clean = row_cuts(values, q)
    mask = values <= cut[:, None]
    mask[(q <= 0) | ~clean] = False
    mask[q >= n] = True
    return mask, np.flatnonzero((q > 0) & (q < n) & ~clean)
