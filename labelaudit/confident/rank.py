"""Label quality scores (low = likely mislabelled) and the ranking of flagged examples."""

from __future__ import annotations

import numpy as np

from labelaudit.confident._blocks import ClassGroups, row_blocks, value_range
from labelaudit.confident._validation import check_inputs
from labelaudit.confident.methods import RANK_METHODS
from labelaudit.confident.thresholds import (
    checked_self_confidence,
    self_confidence,
    thresholds_from_groups,
)
from labelaudit.errors import ConfigError, InvalidInputError

# cleanlab's CLIPPING_LOWER_BOUND, used by confidence_weighted_entropy.
CLIPPING_LOWER_BOUND = 1e-6


def adjust_from_kwargs(rank_by_kwargs: dict | None) -> bool:
    """The only meaningful rank_by_kwargs key is adjust_pred_probs; anything else is an error."""
    kwargs = dict(rank_by_kwargs or {})
    adjust = bool(kwargs.pop("adjust_pred_probs", False))
    if kwargs:
        raise ConfigError(f"rank_by_kwargs accepts only adjust_pred_probs, got {sorted(kwargs)}.")
    return adjust


def check_method(method: str) -> None:
    if method not in RANK_METHODS:
        raise ConfigError(f"rank_by {method!r} is not one of {', '.join(RANK_METHODS)}.")


def adjust_probabilities(pred_probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Subtract per-class thresholds, shift positive and renormalise rows (adjust_pred_probs)."""
    adjusted = pred_probs - thresholds
    adjusted += thresholds.max()
    adjusted /= adjusted.sum(axis=1, keepdims=True)
    return adjusted


def normalized_margin(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """(p_y - max_{j != y} p_j + 1) / 2, computed in row blocks without an N×K copy."""
    n, k = pred_probs.shape
    scores = np.empty(n, dtype=np.result_type(pred_probs.dtype, np.float16))
    for rows in row_blocks(n, k):
        block = pred_probs[rows].copy()
        idx = np.arange(block.shape[0])
        sc = block[idx, labels[rows]]
        block[idx, labels[rows]] = -np.inf
        scores[rows] = (sc - block.max(axis=1) + 1) / 2
    return scores


def confidence_weighted_entropy(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """Normalised entropy divided by self-confidence, squashed into (0, 1] by log(s + 1) / s."""
    low, high = value_range(pred_probs)
    if low < 0 or high > 1:
        raise InvalidInputError(
            "confidence_weighted_entropy needs every probability in [0, 1]; renormalise the rows."
        )
    sc = np.clip(self_confidence(labels, pred_probs), a_min=CLIPPING_LOWER_BOUND, a_max=None)
    n, k = pred_probs.shape
    # np.log(k) is a float64 scalar, so float32 input yields float64 entropy, as in cleanlab.
    entropy = np.concatenate(
        [_entropy(pred_probs[rows], np.log(k)) for rows in row_blocks(n, k)] or [np.empty(0)]
    )
    ratio = entropy / sc
    clipped = np.clip(ratio, a_min=CLIPPING_LOWER_BOUND, a_max=None)
    return np.log(ratio + 1) / clipped


def _entropy(block: np.ndarray, log_k: np.floating) -> np.ndarray:
    from scipy.special import xlogy  # scipy is heavy; only this score needs it

    return -np.sum(xlogy(block, block), axis=1) / log_k


def _within_unit(pred_probs) -> bool:
    low, high = value_range(pred_probs)
    return low >= 0 and high <= 1


def scores_for(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    method: str,
    *,
    adjust_pred_probs: bool = False,
    thresholds: np.ndarray | None = None,
) -> np.ndarray:
    """Scores of already validated inputs. thresholds are needed only with adjust_pred_probs."""
    check_method(method)
    if adjust_pred_probs:
        if method == "confidence_weighted_entropy":
            raise ConfigError(
                "adjust_pred_probs is not supported for confidence_weighted_entropy (as in cleanlab)."
            )
        if thresholds is None:
            raise ConfigError("adjust_pred_probs needs the confident thresholds of the full data.")
        if not isinstance(pred_probs, np.ndarray):  # a device matrix: adjust on the host
            pred_probs = pred_probs[np.arange(pred_probs.shape[0])]
        pred_probs = adjust_probabilities(pred_probs, thresholds)
    if method == "self_confidence":
        return self_confidence(labels, pred_probs)
    if method == "normalized_margin":
        return normalized_margin(labels, pred_probs)
    return confidence_weighted_entropy(labels, pred_probs)


def get_label_quality_scores(
    labels: object,
    pred_probs: object,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
) -> np.ndarray:
    """Label quality score of every example (N,), in [0, 1]; low means likely mislabelled.

    Same arguments and results as cleanlab.rank.get_label_quality_scores.
    """
    check_method(method)
    if method == "self_confidence" and not adjust_pred_probs:  # the range check rides along
        y, P = check_inputs(labels, pred_probs, allow_one_class=True, check_values=False)
        return checked_self_confidence(y, P)
    y, P = check_inputs(labels, pred_probs, allow_one_class=True)
    thresholds = None
    if adjust_pred_probs and method != "confidence_weighted_entropy":
        thresholds = thresholds_from_groups(self_confidence(y, P), ClassGroups.of(y, P.shape[1]))
    return scores_for(y, P, method, adjust_pred_probs=adjust_pred_probs, thresholds=thresholds)


def rank_flagged(
    mask: np.ndarray,
    labels: np.ndarray,
    pred_probs: np.ndarray,
    method: str,
    *,
    adjust_pred_probs: bool = False,
    thresholds: np.ndarray | None = None,
) -> np.ndarray:
    """Indices of flagged rows, worst score first, in cleanlab's (unstable argsort) order.

    Every score is a function of its own row, so scoring only the M flagged rows gives the very
    values cleanlab computes for all N, and np.argsort on them the very same order.
    """
    idx = np.flatnonzero(mask)
    if method == "confidence_weighted_entropy" and not _within_unit(pred_probs):
        raise InvalidInputError(
            "confidence_weighted_entropy needs every probability in [0, 1]; renormalise the rows."
        )
    if method == "self_confidence" and not adjust_pred_probs:
        scores = self_confidence(labels, pred_probs)[idx]  # no need to gather whole rows
    else:
        scores = scores_for(
            labels[idx],
            np.asarray(pred_probs[idx]),
            method,
            adjust_pred_probs=adjust_pred_probs,
            thresholds=thresholds,
        )
    return idx[np.argsort(scores)]


def order_label_issues(
    label_issues_mask: object,
    labels: object,
    pred_probs: object,
    *,
    rank_by: str = "self_confidence",
    rank_by_kwargs: dict | None = None,
) -> np.ndarray:
    """Indices where label_issues_mask is True, sorted by label quality score, worst first."""
    check_method(rank_by)
    y, P = check_inputs(labels, pred_probs, allow_one_class=True)
    mask = np.asarray(label_issues_mask, dtype=bool)
    adjust = adjust_from_kwargs(rank_by_kwargs)
    thresholds = None
    if adjust and rank_by != "confidence_weighted_entropy":
        thresholds = thresholds_from_groups(self_confidence(y, P), ClassGroups.of(y, P.shape[1]))
    return rank_flagged(mask, y, P, rank_by, adjust_pred_probs=adjust, thresholds=thresholds)
