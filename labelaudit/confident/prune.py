"""Pruning: turn the calibrated confident joint into the set of flagged examples.

`prune_by_class` flags the lowest self-confidences of each class; `prune_by_noise_rate` flags, for
each (given k, true j) cell of the prune-count matrix, the examples with the largest p_j - p_k.
Work is per class on a contiguous gather of that class's rows, so each class costs O(n_k · K)
instead of cleanlab's Python loop over K² cells with a full argsort in each.
"""

from __future__ import annotations

import warnings

import numpy as np

from labelaudit.confident._blocks import ClassGroups
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
        warnings.warn(
            f"May not flag all label issues in classes {small.tolist()}: they have too few "
            "examples (see min_examples_per_class).",
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


def prune_by_noise_rate(
    pred_probs: np.ndarray,
    sc: np.ndarray,
    row_max: np.ndarray,
    groups: ClassGroups,
    pcm: np.ndarray,
    classes: np.ndarray,
) -> np.ndarray:
    """Flag, for each k and j != k, the PCM[j, k] examples labelled k with the largest p_j - p_k.

    Only examples whose label is not their row maximum can have p_j - p_k > 0. When a cell asks
    for no more examples than have a positive margin, its selection lies among those few rows
    (every other row's margin is <= 0 < the cut), so the full class is gathered only for the
    cells that ask for more.
    """
    mask = np.zeros(len(sc), dtype=bool)
    for k in classes:
        counts = pcm[:, k].copy()
        counts[k] = 0
        if not counts.any():
            continue
        members = groups.members(k)
        sc_k = sc[members]
        chosen = np.zeros(len(members), dtype=bool)
        below_max = np.flatnonzero(sc_k < row_max[members])
        keys = sc_k[below_max][None, :] - pred_probs.take(members[below_max], axis=0).T
        positive = np.count_nonzero(keys < 0, axis=1)
        easy = counts <= positive
        _select(keys, np.where(easy, counts, 0), below_max, chosen, pred_probs, members, sc_k)
        hard = np.flatnonzero(~easy)
        if len(hard):
            keys = sc_k[None, :] - pred_probs.take(members, axis=0).T[hard]
            _select(
                keys, counts[hard], np.arange(len(members)), chosen, pred_probs, members, sc_k, hard
            )
        mask[members] = chosen
    return mask


def _select(
    keys: np.ndarray,
    counts: np.ndarray,
    positions: np.ndarray,
    chosen: np.ndarray,
    pred_probs: np.ndarray,
    members: np.ndarray,
    sc_k: np.ndarray,
    columns: np.ndarray | None = None,
) -> None:
    """Mark in `chosen` (class positions) the counts[r] smallest keys of each row r; a row whose
    cut is tied takes cleanlab's own pick: np.argsort(-(p_j - p_k)) over the whole class."""
    picked, tied = smallest_rows(keys, counts)
    chosen[positions[picked.any(axis=0)]] = True
    for r in tied:
        j = int(r if columns is None else columns[r])
        exact_key = -(pred_probs[members, j] - sc_k)
        chosen[np.argsort(exact_key)[: counts[r]]] = True
