"""The confident joint C[given, true] and its calibration into a joint distribution estimate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from labelaudit.confident._blocks import BLOCK_VALUES, ClassGroups, for_each, row_blocks
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
    "above threshold" test of every class is needed only for the rows whose argmax does not
    pass, and it runs on the block while it is still in cache.
    """
    n, k = pred_probs.shape
    cut = thresholds - THRESHOLD_SLACK  # in the thresholds' dtype, as cleanlab computes it
    block_rows = max(1, BLOCK_VALUES // max(k, 1))
    if hasattr(pred_probs, "row_stats"):  # engines/: the whole pass runs on the cluster
        argmax, row_max, guess, confident, smallest = pred_probs.row_stats(np.asarray(cut))
    elif not isinstance(pred_probs, np.ndarray):  # backend.DeviceMatrix: the full pass on device
        from labelaudit.backend import row_pass

        argmax, row_max, confident, smallest = row_pass(pred_probs, np.asarray(cut))
        guess = argmax.copy()
        rest = np.flatnonzero(~confident)
        for start in range(0, len(rest), block_rows):
            idx = rest[start : start + block_rows]
            _settle(pred_probs[idx], cut, idx, confident, guess)
    else:
        argmax = np.empty(n, dtype=np.intp)
        row_max = np.empty(n, dtype=pred_probs.dtype)
        confident = np.empty(n, dtype=bool)
        guess = np.empty(n, dtype=np.intp)

        def one_block(rows: slice) -> float:
            block = pred_probs[rows]
            top = block.argmax(axis=1)
            top_value = np.take_along_axis(block, top[:, None], axis=1)[:, 0]
            argmax[rows], row_max[rows], guess[rows] = top, top_value, top
            ok = top_value >= cut[top]
            confident[rows] = ok
            miss = np.flatnonzero(~ok)
            if len(miss):
                _settle(block[miss], cut, rows.start + miss, confident, guess)
            return block.min()

        minima = for_each(one_block, row_blocks(n, k))
        smallest = np.min(minima) if minima else np.inf  # NaN propagates
    # The same pass validates the values: NaN reaches row_max through argmax, which returns the
    # first NaN, and the minimum is the only extra reduction.
    check_value_range(pred_probs, smallest, row_max.max())
    return RowStats(argmax=argmax, row_max=row_max, guess=guess, confident=confident)


def _settle(values: np.ndarray, cut: np.ndarray, positions: np.ndarray, confident, guess) -> None:
    """Rows whose argmax misses its threshold: confident iff some class passes; the guess is the
    single passing class when exactly one passes (with two or more it stays the argmax)."""
    above = values >= cut
    n_above = np.count_nonzero(above, axis=1)
    confident[positions] = n_above > 0
    single = n_above == 1
    guess[positions[single]] = above[single].argmax(axis=1)


def raw_confident_joint(labels: np.ndarray, stats: RowStats, num_classes: int) -> np.ndarray:
    """Uncalibrated confident joint (K×K int64, rows = given, cols = guessed true).

    Built F-ordered, like cleanlab's `confusion_matrix(...).T`, because calibration sums the matrix
    in memory order and the layout changes the last bit of that sum.
    """
    k = num_classes
    cells = stats.guess * k  # cell (guess, given) of every row, then of the confident ones
    cells += labels
    cells = cells[stats.confident]
    if len(cells) == 0:
        cj = np.zeros((k, k), dtype=np.int64)
    else:
        cj = np.bincount(cells, minlength=k * k).astype(np.int64, copy=False).reshape(k, k).T
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
    # cleanlab's expressions, evaluated in place to avoid K×K temporaries (same roundings).
    calibrated = confident_joint.T / np.clip(
        confident_joint.sum(axis=1), a_min=TINY_VALUE, a_max=None
    )
    calibrated *= label_counts
    calibrated = calibrated.T
    calibrated /= np.clip(np.sum(calibrated), a_min=TINY_VALUE, a_max=None)
    calibrated *= sum(label_counts)
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
