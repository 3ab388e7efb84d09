"""Pruning: turn the calibrated confident joint into the set of flagged examples.

`prune_by_class` flags the lowest self-confidences of each class; `prune_by_noise_rate` flags, for
each (given k, true j) cell of the prune-count matrix, the examples with the largest p_j - p_k.
Work is per class on a contiguous gather of that class's rows, so each class costs O(n_k · K)
instead of cleanlab's Python loop over K² cells with a full argsort in each.
"""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np

from labelaudit.confident._blocks import BLOCK_VALUES, ClassGroups, block_done, for_each
from labelaudit.confident.rounding import round_preserving_row_totals
from labelaudit.confident.selection import smallest_mask, smallest_rows


def prune_count_matrix(
    confident_joint: np.ndarray,
    *,
    min_examples_per_class: int,
    frac_noise: float,
    num_to_remove_per_class: object,
    label_counts: np.ndarray,
) -> np.ndarray:
    """PCM[j, k]: how many examples with given label k and true label j to prune (cleanlab's rules)."""
    pcm = confident_joint.T
    diagonal = np.diagonal(pcm)
    new_diagonal = np.maximum(diagonal, min_examples_per_class)
    diff_per_col = new_diagonal - diagonal
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
    sc: np.ndarray, groups: ClassGroups, pcm: np.ndarray, classes: np.ndarray
) -> np.ndarray:
    """Flag, in each class k, the n_k - PCM[k, k] examples of lowest self-confidence."""
    mask = np.zeros(len(sc), dtype=bool)
    for k in classes:
        members = groups.members(k)
        num = int(groups.counts[k] - pcm[k, k])
        if num >= 1:
            mask[members] = smallest_mask(sc[members], num)
    return mask


# Below this many (cell, candidate) keys a class is cheaper to batch with others than to loop
# over: per-class numpy call overhead (~50 µs) then dominates (measured at 50,000×1,000).
BATCH_CLASS_KEYS = 1 << 12


def prune_by_noise_rate(
    pred_probs: np.ndarray,
    sc: np.ndarray,
    row_max: np.ndarray,
    groups: ClassGroups,
    pcm: np.ndarray,
    classes: np.ndarray,
) -> np.ndarray:
    """Flag, for each k and j != k, the PCM[j, k] examples labelled k with the largest p_j - p_k.

    Only examples whose label is not their row maximum ("candidates") can have p_j - p_k > 0.
    When a cell (j, k) asks for no more examples than have a positive margin, its selection lies
    among the candidates (every other row's margin is <= 0 < the cut), so the full class is
    read only for cells that ask for more. Small classes are processed together in padded
    batches; large ones one at a time.
    """
    counts = np.zeros_like(pcm)
    counts[:, classes] = pcm[:, classes]
    np.fill_diagonal(counts, 0)
    counts = np.maximum(counts, 0)
    candidate = sc < row_max
    if hasattr(pred_probs, "prefetch"):  # a cluster matrix: fetch the candidates once
        pred_probs.prefetch(np.flatnonzero(candidate))
    in_order = candidate[groups.order]
    ordered = groups.order[in_order]  # candidates grouped by class, ascending inside each
    seen = np.concatenate(([0], np.cumsum(in_order)))
    per_class = seen[groups.bounds[1:]] - seen[groups.bounds[:-1]]
    starts = np.concatenate(([0], np.cumsum(per_class)[:-1]))
    cells_per_class = np.count_nonzero(counts, axis=0)
    work = cells_per_class * per_class
    mask = np.zeros(len(sc), dtype=bool)
    active = np.flatnonzero(cells_per_class > 0)
    small = active[work[active] <= BATCH_CLASS_KEYS]
    # Classes are disjoint sets of rows, so they can be pruned on several threads at once.
    jobs = [
        partial(
            _prune_batch, pred_probs, sc, groups, counts, batch, ordered, starts, per_class, mask
        )
        for batch in _batches(small, per_class, cells_per_class, BLOCK_VALUES // len(pcm))
    ]
    jobs += [
        partial(_prune_class, pred_probs, sc, candidate, groups, counts, int(k), mask)
        for k in active[work[active] > BATCH_CLASS_KEYS]
    ]
    for_each(lambda job: job(), jobs)
    return mask


def _batches(classes: np.ndarray, per_class: np.ndarray, cells: np.ndarray, row_limit: int):
    """Split classes, sorted by candidate count, into batches of about BLOCK_VALUES keys whose
    candidate rows hold at most about BLOCK_VALUES values (row_limit rows), so one batch reads
    a block's worth of the matrix."""
    classes = classes[np.argsort(per_class[classes], kind="stable")]
    batch: list[int] = []
    total_cells = total_rows = 0
    for k in classes.tolist():
        width = max(int(per_class[k]), 1)
        too_many_keys = (total_cells + cells[k]) * width > BLOCK_VALUES
        if batch and (too_many_keys or total_rows + width > row_limit):
            yield np.array(batch)
            batch, total_cells, total_rows = [], 0, 0
        batch.append(k)
        total_cells += int(cells[k])
        total_rows += width
    if batch:
        yield np.array(batch)


def _prune_batch(pred_probs, sc, groups, counts, batch, ordered, starts, per_class, mask) -> None:
    """One padded selection over every cell (j, k) of a batch of small classes."""
    col, which = np.nonzero(counts[:, batch])
    cls = batch[which]
    q = counts[col, cls]
    if len(ordered) == 0:  # no row anywhere has a positive margin: every cell reads its class
        for cell in range(len(q)):
            _exact_cell(pred_probs, sc, groups, int(cls[cell]), int(col[cell]), int(q[cell]), mask)
        return
    width = max(int(per_class[batch].max()), 1)
    offset = np.arange(width)
    valid = offset[None, :] < per_class[cls][:, None]
    idx = ordered[np.minimum(starts[cls][:, None] + offset[None, :], len(ordered) - 1)]
    keys = np.where(valid, sc[idx] - pred_probs[idx, col[:, None]], np.inf)
    positive = np.count_nonzero(keys < 0, axis=1)
    easy = np.flatnonzero(q <= positive)
    picked, tied = smallest_rows(keys[easy], q[easy])
    mask[idx[easy][picked]] = True
    for cell in np.concatenate((easy[tied], np.flatnonzero(q > positive))):
        _exact_cell(pred_probs, sc, groups, int(cls[cell]), int(col[cell]), int(q[cell]), mask)


def _prune_class(pred_probs, sc, candidate, groups, counts, k, mask) -> None:
    """All cells of one large class: its candidates gathered once, rows laid out per column."""
    members = groups.members(k)
    sc_k = sc[members]
    below = members[candidate[members]]
    keys = sc[below][None, :] - pred_probs.take(below, axis=0).T
    positive = np.count_nonzero(keys < 0, axis=1)
    easy = counts[:, k] <= positive
    picked, tied = smallest_rows(keys, np.where(easy, counts[:, k], 0))
    mask[below[picked.any(axis=0)]] = True
    for j in np.concatenate((tied, np.flatnonzero(~easy))):
        _exact_cell(pred_probs, sc, groups, k, int(j), int(counts[j, k]), mask, sc_k=sc_k)


def _exact_cell(pred_probs, sc, groups, k, j, q, mask, *, sc_k=None) -> None:
    """Cell (j, k) over the whole class with cleanlab's own key -(p_j - p_k); ties by argsort."""
    members = groups.members(k)
    sc_k = sc[members] if sc_k is None else sc_k
    mask[members[smallest_mask(-(pred_probs[members, j] - sc_k), q)]] = True
    block_done()  # a read of a whole class: let streamed inputs release their pages
