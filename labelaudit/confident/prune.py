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
from labelaudit.confident.selection import smallest_mask, smallest_mask_rows


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
    pcm = round_preserving_row_totals(reduced.astype(int)).astype(int)
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
    groups: ClassGroups,
    pcm: np.ndarray,
    classes: np.ndarray,
) -> np.ndarray:
    """Flag, for each k and j != k, the PCM[j, k] examples labelled k with the largest p_j - p_k."""
    mask = np.zeros(len(sc), dtype=bool)
    for k in classes:
        counts = pcm[:, k].copy()
        counts[k] = 0
        columns = np.flatnonzero(counts > 0)
        if len(columns) == 0:
            continue
        members = groups.members(k)
        # cleanlab sorts -(p_j - p_k); the same expression gives the same bits, so ties match.
        neg_margin = -(pred_probs[np.ix_(members, columns)] - sc[members, None])
        chosen = smallest_mask_rows(np.ascontiguousarray(neg_margin.T), counts[columns])
        mask[members] = chosen.any(axis=0)
    return mask
