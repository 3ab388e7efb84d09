"""The confident joint C[given, true] and its calibration into a joint distribution estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelaudit.confident._blocks import BLOCK_VALUES, ClassGroups, row_blocks
from labelaudit.confident._validation import check_inputs, check_value_range
from labelaudit.confident.rounding import round_preserving_row_totals
from labelaudit.confident.thresholds import self_confidence, thresholds_from_groups

# cleanlab's TINY_VALUE: guards divisions by empty rows or columns.
TINY_VALUE = 1e-100
# Probabilities within this of a class threshold count as confident (cleanlab's 1e-6 slack).
THRESHOLD_SLACK = 1e-6


@dataclass(frozen=True)
class RowStats:
    """Per-row facts gathered in one pass over pred_probs, shared by every later step."""

    argmax: np.ndarray  # (N,) first index of the row maximum
    row_max: np.ndarray  # (N,) the row maximum
    guess: np.ndarray  # (N,) confident-learning guess of the true label
    confident: np.ndarray  # (N,) bool: at least one class passed its threshold


def row_stats(pred_probs: np.ndarray, thresholds: np.ndarray) -> RowStats:
    """One blocked pass: argmax, max, and the confident guess of every row.

    cleanlab's guess is the argmax over all K classes when two or more classes pass their
    thresholds, the single confident class when one does, and meaningless (confident=False) when
    none does. Whenever the argmax itself passes, the guess is the argmax either way, so the
    N×K "above threshold" matrix is only needed for the rows whose argmax does not pass.
    """
    n, k = pred_probs.shape
    cut = thresholds - THRESHOLD_SLACK  # in the thresholds' dtype, as cleanlab computes it
    argmax = np.empty(n, dtype=np.intp)
    row_max = np.empty(n, dtype=pred_probs.dtype)
    confident = np.empty(n, dtype=bool)
    smallest = np.inf
    if not isinstance(pred_probs, np.ndarray):  # backend.DeviceMatrix: the full pass on device
        from labelaudit.backend import row_pass

        argmax, row_max, confident, smallest = row_pass(
            pred_probs, np.asarray(cut), max(1, BLOCK_VALUES // max(k, 1))
        )
    for rows in row_blocks(n, k) if isinstance(pred_probs, np.ndarray) else ():
        block = pred_probs[rows]
        block_min = block.min()
        if block_min < smallest or np.isnan(block_min):  # NaN, once seen, is kept
            smallest = block_min
        top = block.argmax(axis=1)
        top_value = np.take_along_axis(block, top[:, None], axis=1)[:, 0]
        argmax[rows], row_max[rows] = top, top_value
        confident[rows] = top_value >= cut[top]
    # The same pass validates the values: NaN reaches row_max through argmax, which returns the
    # first NaN, and the minimum is the only extra reduction.
    check_value_range(pred_probs, smallest, row_max.max())
    guess = argmax.copy()
    rest = np.flatnonzero(~confident)
    for start in range(0, len(rest), max(1, BLOCK_VALUES // max(k, 1))):
        idx = rest[start : start + BLOCK_VALUES // max(k, 1)]
        above = pred_probs[idx] >= cut
        n_above = np.count_nonzero(above, axis=1)
        confident[idx] = n_above > 0
        single = n_above == 1
        guess[idx[single]] = above[single].argmax(axis=1)
    return RowStats(argmax=argmax, row_max=row_max, guess=guess, confident=confident)


def raw_confident_joint(labels: np.ndarray, stats: RowStats, num_classes: int) -> np.ndarray:
    """Uncalibrated confident joint (K×K int64, rows = given, cols = guessed true).

    Built F-ordered, like cleanlab's `confusion_matrix(...).T`, because calibration sums the matrix
    in memory order and the layout changes the last bit of that sum.
    """
    y = labels[stats.confident]
    g = stats.guess[stats.confident]
    k = num_classes
    if len(y) == 0:
        cj = np.zeros((k, k), dtype=np.int64)
    else:
        cj = np.bincount(g * k + y, minlength=k * k).astype(np.int64).reshape(k, k).T
    np.fill_diagonal(cj, cj.diagonal().clip(min=1))
    return cj


def off_diagonal_indices(labels: np.ndarray, stats: RowStats) -> np.ndarray:
    """Ascending indices of confident rows whose guess differs from the given label."""
    return np.flatnonzero(stats.confident & (stats.guess != labels))


def calibrate_confident_joint(confident_joint: np.ndarray, labels: object) -> np.ndarray:
    """Rescale a confident joint so row k sums to the count of label k and the total is N."""
    y = np.asarray(labels)
    num_classes = len(confident_joint)
    label_counts = np.bincount(y, minlength=num_classes)
    calibrated = (
        confident_joint.T
        / np.clip(confident_joint.sum(axis=1), a_min=TINY_VALUE, a_max=None)
        * label_counts
    ).T
    calibrated = (
        calibrated / np.clip(np.sum(calibrated), a_min=TINY_VALUE, a_max=None) * sum(label_counts)
    )
    return round_preserving_row_totals(calibrated)


def compute_confident_joint(
    labels: object,
    pred_probs: object,
    *,
    thresholds: object = None,
    calibrate: bool = True,
    return_indices_of_off_diagonals: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Confident joint C (K×K): C[i, j] counts examples labelled i that confidently belong to j.

    Same arguments and results as cleanlab.count.compute_confident_joint (single-label).
    """
    y, P = check_inputs(labels, pred_probs, allow_one_class=True)
    k = P.shape[1]
    if thresholds is None:
        t = thresholds_from_groups(self_confidence(y, P), ClassGroups.of(y, k))
    else:
        t = np.asarray(thresholds)
    stats = row_stats(P, t)
    cj = raw_confident_joint(y, stats, k)
    if calibrate:
        cj = calibrate_confident_joint(cj, y)
    if return_indices_of_off_diagonals:
        return cj, off_diagonal_indices(y, stats)
    return cj


def estimate_joint(
    labels: object, pred_probs: object, *, confident_joint: np.ndarray | None = None
) -> np.ndarray:
    """Joint distribution P(given=i, true=j) (K×K, sums to 1) from the calibrated confident joint."""
    if confident_joint is None:
        calibrated = compute_confident_joint(labels, pred_probs, calibrate=True)
    elif labels is not None:
        calibrated = calibrate_confident_joint(confident_joint, labels)
    else:
        calibrated = confident_joint
    return calibrated / np.clip(float(np.sum(calibrated)), a_min=TINY_VALUE, a_max=None)
