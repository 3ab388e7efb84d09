"""Pruning: turn the calibrated confident joint into the set of flagged examples.

`prune_by_class` flags the lowest self-confidences of each class; `prune_by_noise_rate` flags, for
each (given k, true j) cell of the prune-count matrix, the examples with the largest p_j - p_k.
Each cell reads only its class's candidate rows (whole rows once per class, or its own column
of them), and one partition selects for many cells at once, instead of cleanlab's Python loop
over K² cells with a full argsort of the class in each.
"""

from __future__ import annotations

import bisect
import warnings
from functools import partial
from typing import NamedTuple

import numpy as np

from labelaudit.confident._blocks import (
    BLOCK_VALUES,
    ClassGroups,
    block_done,
    block_hook_set,
    for_each,
    gather,
)
from labelaudit.confident.rounding import round_preserving_row_totals
from labelaudit.confident.selection import row_cuts, smallest_mask
from labelaudit.confident.sparse_joint import SparseJoint
from labelaudit.confident.sparse_joint import prune_count_matrix as sparse_prune_count_matrix


def prune_count_matrix(
    confident_joint: np.ndarray | SparseJoint,
    *,
    min_examples_per_class: int,
    frac_noise: float,
    num_to_remove_per_class: object,
    label_counts: np.ndarray,
) -> np.ndarray | SparseJoint:
    """PCM[j, k]: how many examples with given label k and true label j to prune (cleanlab's
    rules); sparse for a sparse joint (sparse_joint.prune_count_matrix)."""
    if isinstance(confident_joint, SparseJoint):
        return sparse_prune_count_matrix(
            confident_joint,
            min_examples_per_class=min_examples_per_class,
            frac_noise=frac_noise,
            num_to_remove_per_class=num_to_remove_per_class,
            label_counts=label_counts,
        )
    pcm = confident_joint.T
    diagonal = np.diagonal(pcm)
    new_diagonal = np.maximum(diagonal, min_examples_per_class)
    diff_per_col = new_diagonal - diagonal
    if (
        frac_noise == 1.0
        and num_to_remove_per_class is None
        and pcm.dtype.kind in "iu"
        and not diff_per_col.any()
        and pcm.min() >= 0
    ):
        # Nothing to raise, clip or reduce: every step below is the identity on these integers
        # (x - 0.0 == x exactly below 2**53), so skip its six K×K passes.
        return pcm.astype(np.int64, copy=False)
    noise_rates_per_col = np.maximum(np.count_nonzero(pcm, axis=0) - 1.0, 1.0)
    new_mat = pcm - diff_per_col / noise_rates_per_col
    new_mat[new_mat < 0] = 0
    np.fill_diagonal(new_mat, new_diagonal)
    # Keep only frac_noise of each off-diagonal count, moving the rest back to the diagonal.
    # With frac_noise = 1 that is the identity, bit for bit (x * 1.0 == x, x - x == 0), so the
    # three K×K temporaries are skipped.
    reduced = new_mat
    if frac_noise != 1.0:
        reduced = new_mat * frac_noise
        np.fill_diagonal(reduced, new_mat.diagonal())
        np.fill_diagonal(reduced, new_mat.diagonal() + np.sum(new_mat - reduced, axis=0))
    # cleanlab rounds the truncated matrix again here; rounding integers preserving row totals
    # changes nothing, so only its C layout is kept.
    pcm = np.ascontiguousarray(reduced.astype(int))
    if num_to_remove_per_class is not None:
        psy = pcm / np.sum(pcm, axis=1)
        noise_per_s = psy.sum(axis=1) - psy.diagonal()
        tmp = (psy.T * num_to_remove_per_class / noise_per_s).T
        np.fill_diagonal(tmp, label_counts - num_to_remove_per_class)
        pcm = round_preserving_row_totals(tmp)
    return pcm


def prunable_classes(groups: ClassGroups, min_examples_per_class: int) -> np.ndarray:
    """Classes the pruning methods may flag: more than min_examples_per_class examples, and at
    least 2 (cleanlab never writes back the mask of a one-example class)."""
    counts = groups.counts
    eligible = counts > min_examples_per_class
    small = np.flatnonzero(~eligible & (counts > 0))
    if len(small):
        shown = ", ".join(map(str, small[:10].tolist())) + (
            f" and {len(small) - 10} more" if len(small) > 10 else ""
        )
        warnings.warn(
            f"May not flag all label issues in classes {shown}: they have too few examples "
            "(see min_examples_per_class).",
            stacklevel=3,
        )
    return np.flatnonzero(eligible & (counts > 1))


def prune_by_class(
    sc: np.ndarray, groups: ClassGroups, pcm: np.ndarray | SparseJoint, classes: np.ndarray
) -> np.ndarray:
    """Flag, in each class k, the n_k - PCM[k, k] examples of lowest self-confidence."""
    mask = np.zeros(len(sc), dtype=bool)
    keep = pcm.diagonal()
    for k in classes:
        members = groups.members(k)
        num = int(groups.counts[k] - keep[k])
        if num >= 1:
            mask[members] = smallest_mask(sc[members], num)
    return mask


# Keys (cell × candidate values) per chunk of pruning work: 2 MiB of float64 keys stay in a
# core's L2 cache through the few passes made over them, and a 50,000×1,000 audit still splits
# into enough chunks to keep two threads busy.
CHUNK_KEYS = 1 << 18
# Which way a class's keys are built, from their measured costs on 2 cores (50,000×1,000 to
# 500,000×100): gathering one cell's value costs about 3 units, reading a whole candidate row
# about 1 unit per class, and a class of its own a fixed WHOLE_ROWS_OVERHEAD units (one job's
# Python and NumPy call overhead). Whole rows win for classes whose cells cover many columns.
CELL_GATHER_COST = 3
WHOLE_ROWS_OVERHEAD = 20_000


def prune_by_noise_rate(
    pred_probs: np.ndarray,
    sc: np.ndarray,
    row_max: np.ndarray,
    groups: ClassGroups,
    pcm: np.ndarray | SparseJoint,
    classes: np.ndarray,
) -> np.ndarray:
    """Flag, for each k and j != k, the PCM[j, k] examples labelled k with the largest p_j - p_k.

    Only examples whose label is not their row maximum ("candidates") can have p_j - p_k > 0.
    When a cell (j, k) asks for no more examples than have a positive margin, its selection lies
    among the candidates (every other row's margin is <= 0 < the cut), so the full class is read
    only for cells that ask for more. A cell's keys are one row of a matrix: either of its
    class's (a class whose cells cover many columns reads its candidates' rows once, transposed),
    or of a chunk of cells from many classes, sorted by candidate count and padded, so that one
    partition selects for hundreds of small cells at once. Classes and chunks run on threads.
    """
    k_all = len(pcm)
    eligible = np.zeros(k_all, dtype=bool)
    eligible[classes] = True
    # The cells to prune, grouped by class: PCM[j, k] > 0 off the diagonal, k eligible.
    col, cls, q = _positive_cells(pcm)
    keep = (col != cls) & eligible[cls]
    col, cls, q = col[keep], cls[keep], q[keep]
    mask = np.zeros(len(sc), dtype=bool)
    if len(q) == 0:
        return mask
    candidate = sc < row_max
    if hasattr(pred_probs, "prefetch"):  # a cluster matrix: fetch the candidates once
        pred_probs.prefetch(np.flatnonzero(candidate))
    in_order = candidate[groups.order]
    ordered = groups.order[in_order]  # candidates grouped by class, ascending inside each
    seen = np.concatenate(([0], np.cumsum(in_order)))
    per_class = seen[groups.bounds[1:]] - seen[groups.bounds[:-1]]
    starts = seen[groups.bounds[:-1]]
    context = _PruneContext(pred_probs, sc, groups, ordered, sc[ordered], starts)
    cells_of = np.bincount(cls, minlength=k_all)
    whole_rows = reads_whole_rows(cells_of, per_class, k_all)
    by_class = whole_rows[cls]
    mine = np.flatnonzero(by_class)
    edges = np.cumsum(cells_of[whole_rows])[:-1]
    # (with no such class, split still returns one empty piece, which zip drops)
    jobs = [
        partial(_prune_class, context, int(k), col[cells], q[cells], int(per_class[k]))
        for k, cells in zip(np.flatnonzero(whole_rows), np.split(mine, edges), strict=False)
    ]
    rest = np.flatnonzero(~by_class)
    width = per_class[cls[rest]]
    by_width = rest[np.lexsort((cls[rest], width))]  # a class's cells stay together
    cells = _Cells(col[by_width], cls[by_width], q[by_width], per_class[cls[by_width]])
    jobs += [partial(_prune_cells, context, cells, chunk) for chunk in _chunks(cells, k_all)]
    found = for_each(lambda job: job(), jobs)
    mask[np.concatenate(found)] = True
    return mask


def _positive_cells(pcm: np.ndarray | SparseJoint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(j, k, PCM[j, k]) of every positive cell, ordered by (k, j)."""
    if isinstance(pcm, SparseJoint):
        cls, col, q = SparseJoint(pcm.matrix.T.tocsr()).cells()  # rows of PCM.T are classes
        order = np.lexsort((col, cls))
        col, cls, q = col[order], cls[order], q[order]
        positive = q > 0
        return col[positive], cls[positive], q[positive]
    cls, col = np.divmod(np.flatnonzero(pcm.T > 0), len(pcm))
    return col, cls, pcm[col, cls]


def reads_whole_rows(cells: np.ndarray, candidates: np.ndarray, num_classes: int) -> np.ndarray:
    """Per class: True where reading its candidates' whole rows costs less than gathering the
    values of its `cells` cells one by one (the cost model above)."""
    gather_cost = CELL_GATHER_COST * cells * candidates
    return (cells > 0) & (gather_cost > candidates * num_classes + WHOLE_ROWS_OVERHEAD)


class _Cells(NamedTuple):
    """Cells (j, k) to prune, sorted by width (candidates of class k): column, class, count."""

    col: np.ndarray
    cls: np.ndarray
    q: np.ndarray
    width: np.ndarray


class _PruneContext(NamedTuple):
    pred_probs: np.ndarray
    sc: np.ndarray
    groups: ClassGroups
    ordered: np.ndarray  # candidate rows grouped by class
    sc_ordered: np.ndarray  # their self-confidences, in the same order
    starts: np.ndarray  # where each class's candidates begin in `ordered`


def _chunks(cells: _Cells, num_classes: int) -> list[slice]:
    """Consecutive cells whose padded keys hold at most about CHUNK_KEYS values (at least one
    cell each). A streamed input also caps the candidate rows one chunk reads at a block's
    worth, so that the pages it maps are released after each chunk (io/stream.py)."""
    width = np.maximum(cells.width, 1)
    n = len(width)
    row_limit = BLOCK_VALUES // num_classes if block_hook_set() else None
    if row_limit is not None:  # rows read by cells [0, i]: each class's candidates once
        first_of_class = np.ones(n, dtype=bool)
        first_of_class[1:] = cells.cls[1:] != cells.cls[:-1]
        rows_through = np.cumsum(np.where(first_of_class, width, 0))

    def too_big(start: int, stop: int) -> bool:
        # Widths ascend, so the chunk's padding is its last cell's width.
        if (stop - start) * width[stop - 1] > CHUNK_KEYS:
            return True
        if row_limit is None:
            return False
        rows = rows_through[stop - 1] - rows_through[start] + width[start]
        return bool(rows > row_limit)

    chunks, start = [], 0
    while start < n:
        # The first stop past start + 1 that is too big; every smaller one fits.
        stop = bisect.bisect_left(range(start + 2, n + 1), True, key=lambda s: too_big(start, s))
        chunks.append(slice(start, start + 1 + stop))
        start += 1 + stop
    return chunks


def _prune_cells(context: _PruneContext, cells: _Cells, chunk: slice) -> np.ndarray:
    """Rows flagged by the cells of one chunk: each cell's q smallest keys p_k - p_j (cleanlab's
    -(p_j - p_k), bit for bit) among its class's candidates, padded with +inf."""
    col, cls, q, width = (a[chunk] for a in cells)
    offset = np.arange(max(int(width[-1]), 1))
    padding = offset[None, :] >= width[:, None]
    if len(context.ordered):
        position = context.starts[cls][:, None] + offset
        np.minimum(position, len(context.ordered) - 1, out=position)
        rows = context.ordered[position]
        keys = gather(context.pred_probs, rows, col[:, None])
        np.subtract(context.sc_ordered[position], keys, out=keys)
        np.copyto(keys, np.inf, where=padding)
    else:  # no row anywhere has a positive margin: every cell reads its whole class
        rows = np.zeros(padding.shape, dtype=np.intp)
        keys = np.full(padding.shape, np.inf)
    return _select(context, rows, keys, cls, col, q)


def _prune_class(
    context: _PruneContext, k: int, col: np.ndarray, q: np.ndarray, width: int
) -> np.ndarray:
    """Rows flagged by the cells of one class, from its candidates' rows read once: the keys
    of cell j are row j of a cells × candidates matrix."""
    start = int(context.starts[k])
    below = context.ordered[start : start + width]
    block = context.pred_probs.take(below, axis=0)
    # Transposed while subtracting (one pass): row j holds the keys of column j.
    keys = np.empty(block.shape[::-1], dtype=block.dtype)
    np.subtract(context.sc[below], block.T, out=keys)
    if 2 * len(col) >= len(keys):  # most columns are cells: keep every row, q = 0 elsewhere
        q = np.bincount(col, weights=q, minlength=len(keys)).astype(np.int64)
        col = np.arange(len(keys))
    else:
        keys = keys[col]
    return _select(context, below, keys, np.full(len(q), k), col, q)


def _select(context: _PruneContext, rows, keys, cls, col, q) -> np.ndarray:
    """Rows flagged by cells whose keys (one row of candidates' keys per cell) are given.

    A cell is settled here when its q-th smallest key is negative (q candidates have a
    positive margin, so the whole class has nothing better) and not tied with the next;
    other cells go to the whole-class reference selection.
    """
    cut, clean = row_cuts(keys, q)
    settled = (cut < 0) & clean
    # Keys are finite, so a limit of -inf picks nothing in the cells left to the reference.
    picked = keys <= np.where(settled, cut, -np.inf)[:, None]
    found = [rows[picked] if rows.ndim == 2 else rows[picked.any(axis=0)]]
    for cell in np.flatnonzero(~settled & (q > 0)):
        found.append(_exact_cell(context, int(cls[cell]), int(col[cell]), int(q[cell])))
    return np.concatenate(found)


def _exact_cell(context: _PruneContext, k: int, j: int, q: int) -> np.ndarray:
    """Cell (j, k) over the whole class with cleanlab's own key -(p_j - p_k); ties by argsort."""
    members = context.groups.members(k)
    keys = -(gather(context.pred_probs, members, j) - context.sc[members])
    block_done()  # a read of a whole class: let streamed inputs release their pages
    return members[smallest_mask(keys, q)]
