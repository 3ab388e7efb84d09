"""Multi-label confident learning, exact to cleanlab 2.9's `cleanlab.multilabel_classification`.

Each class is audited as its own binary problem (one-vs-rest, probabilities [1 - p_c, p_c]) with
the single-label engine, and per-row scores are an exponential moving average of the per-class
scores. The steps follow cleanlab's code so that results match bit for bit, including its
tie orders and the order quirk of the `low_*` methods with ranking.
"""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from labelaudit.confident.filter import find_label_issues as find_single
from labelaudit.confident.methods import FILTER_METHODS, LOW_SCORE_METHODS, RANK_METHODS
from labelaudit.confident.rank import adjust_from_kwargs
from labelaudit.confident.rank import get_label_quality_scores as score_single
from labelaudit.errors import ConfigError, InvalidInputError

# cleanlab's default aggregation of per-class scores: EMA with alpha = 0.8 over the scores
# sorted in descending order, so the worst class weighs most.
DEFAULT_ALPHA = 0.8


def one_hot(labels: Any, num_classes: int) -> np.ndarray:
    """N×K int matrix from a list of label lists, or a validated N×K 0/1 matrix."""
    if isinstance(labels, np.ndarray) and labels.ndim == 2:
        if labels.shape[1] != num_classes:
            raise InvalidInputError(
                f"the label matrix has {labels.shape[1]} columns but pred_probs has {num_classes}."
            )
        if not np.isin(labels, (0, 1)).all():
            raise InvalidInputError("a multi-label matrix must hold only 0 and 1.")
        return labels.astype(int)
    y = np.zeros((len(labels), num_classes), dtype=int)
    for row, classes in enumerate(labels):
        try:
            members = [int(c) for c in classes]
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(
                f"labels row {row} is {classes!r}, not a list of class indices."
            ) from exc
        bad = [c for c in members if c < 0 or c >= num_classes]
        if bad:
            raise InvalidInputError(
                f"labels row {row} has class {bad[0]}, outside [0, {num_classes})."
            )
        y[row, members] = 1
    return y


def _check(labels: Any, pred_probs: Any) -> tuple[np.ndarray, np.ndarray]:
    P = np.asarray(pred_probs)
    if P.ndim != 2:
        raise InvalidInputError(f"pred_probs must be N×K, got shape {P.shape}.")
    if len(labels) != len(P):
        raise InvalidInputError(f"{len(labels)} labels but {len(P)} rows of pred_probs.")
    if not np.isfinite(P).all():
        raise InvalidInputError("pred_probs must be finite.")
    return one_hot(labels, P.shape[1]), P


def stack_complement(p: np.ndarray) -> np.ndarray:
    """The binary problem of one class: columns [1 - p, p]."""
    return np.vstack((1 - p, p)).T


def exponential_moving_average(scores: np.ndarray, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """EMA over each row's scores sorted descending: ema = alpha * s_t + (1 - alpha) * ema."""
    if not 0 <= alpha <= 1:
        raise ConfigError(f"alpha must be in [0, 1], got {alpha}.")
    ordered = np.fliplr(np.sort(scores, axis=1)).T
    ema = ordered[0]
    for column in ordered[1:]:
        ema = alpha * column + (1 - alpha) * ema
    return ema


def class_scores(
    y: np.ndarray,
    P: np.ndarray,
    method: str = "self_confidence",
    *,
    adjust_pred_probs: bool = False,
) -> np.ndarray:
    """N×K binary label-quality scores, one column per class."""
    scores = np.zeros(shape=y.shape)
    for c in range(y.shape[1]):
        scores[:, c] = score_single(
            y[:, c], stack_complement(P[:, c]), method=method, adjust_pred_probs=adjust_pred_probs
        )
    return scores


def row_scores(
    y: np.ndarray,
    P: np.ndarray,
    method: str = "self_confidence",
    *,
    adjust_pred_probs: bool = False,
    alpha: float = DEFAULT_ALPHA,
) -> np.ndarray:
    """Per-row scores of a label matrix; like cleanlab's scorer it needs both 0s and 1s present
    and at least two classes (a one-row subset with a single label value is refused)."""
    if y.ndim != 2 or y.shape[1] < 2 or not np.array_equal(np.unique(y), [0, 1]):
        raise InvalidInputError(
            "multi-label scores need at least two classes and both present and absent labels."
        )
    scores = class_scores(y, P, method, adjust_pred_probs=adjust_pred_probs)
    return exponential_moving_average(scores, alpha)


def get_label_quality_scores(
    labels: Any,
    pred_probs: Any,
    *,
    method: str = "self_confidence",
    adjust_pred_probs: bool = False,
    alpha: float = DEFAULT_ALPHA,
) -> np.ndarray:
    """One score per example (N,), low = likely mislabelled (cleanlab's multi-label scores)."""
    if method not in RANK_METHODS:
        raise ConfigError(f"method {method!r} is not one of {', '.join(RANK_METHODS)}.")
    y, P = _check(labels, pred_probs)
    return row_scores(y, P, method, adjust_pred_probs=adjust_pred_probs, alpha=alpha)


def issues_per_class(
    labels: Any,
    pred_probs: Any,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
) -> np.ndarray:
    """N×K bool: where each class's binary audit flags the row."""
    y, P = _check(labels, pred_probs)
    return _per_class(
        y,
        P,
        None,
        {},
        filter_by,
        frac_noise,
        num_to_remove_per_class,
        min_examples_per_class,
        confident_joint,
    )


def _per_class(y, P, ranked_by, rank_kwargs, filter_by, frac_noise, remove, mepc, joint):
    k = y.shape[1]
    if joint is not None:
        joint = np.asarray(joint)
        if joint.shape == (k, k):
            joint = None  # cleanlab warns and ignores the old K×K format
        elif joint.shape != (k, 2, 2):
            raise ConfigError("confident_joint must have shape (K, 2, 2) for multi-label data.")
    results = []
    for c in range(k):
        results.append(
            find_single(
                y[:, c],
                stack_complement(P[:, c]),
                return_indices_ranked_by=ranked_by,
                rank_by_kwargs=rank_kwargs,
                filter_by=filter_by,
                frac_noise=frac_noise,
                num_to_remove_per_class=None if remove is None else [remove[c], 0],
                min_examples_per_class=mepc,
                confident_joint=None if joint is None else joint[c],
            )
        )
    if ranked_by is None:
        return np.stack(results, axis=1) if results else np.zeros(y.shape, dtype=bool)
    return results


def find_label_issues(
    labels: Any,
    pred_probs: Any,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> np.ndarray:
    """Rows with a likely wrong label set: bool mask (N,) or indices ranked worst first.

    Same arguments and results as cleanlab.multilabel_classification.filter.find_label_issues.
    """
    del n_jobs, verbose
    if filter_by not in FILTER_METHODS:
        raise ConfigError(f"filter_by {filter_by!r} is not one of {', '.join(FILTER_METHODS)}.")
    if return_indices_ranked_by is not None and return_indices_ranked_by not in RANK_METHODS:
        raise ConfigError(
            f"rank_by {return_indices_ranked_by!r} is not one of {', '.join(RANK_METHODS)}."
        )
    rank_kwargs = dict(rank_by_kwargs or {})
    y, P = _check(labels, pred_probs)
    if filter_by in LOW_SCORE_METHODS:
        return _low_score_issues(y, P, return_indices_ranked_by, rank_kwargs, confident_joint)
    per_class = _per_class(
        y,
        P,
        return_indices_ranked_by,
        rank_kwargs,
        filter_by,
        frac_noise,
        num_to_remove_per_class,
        min_examples_per_class,
        confident_joint,
    )
    if return_indices_ranked_by is None:
        return per_class.sum(axis=1) >= 1
    flagged = reduce(np.union1d, per_class)
    scores = row_scores(y, P, return_indices_ranked_by, **_adjust(rank_kwargs))
    return flagged[np.argsort(scores[flagged])]


def _adjust(rank_kwargs: dict) -> dict:
    return {"adjust_pred_probs": adjust_from_kwargs(rank_kwargs)}


def _low_score_issues(y, P, ranked_by, rank_kwargs, joint) -> np.ndarray:
    """cleanlab's low_* methods: as many rows as confident learning flags, by lowest score."""
    count = int(
        _per_class(y, P, None, {}, "confident_learning", 1.0, None, 1, joint).any(axis=1).sum()
    )
    worst = np.argsort(row_scores(y, P))[:count]
    mask = np.zeros(len(y), dtype=bool)
    mask[worst] = True
    if ranked_by is None:
        return mask
    subset = row_scores(y[mask], P[mask], ranked_by, **_adjust(rank_kwargs))
    # cleanlab pairs these scores (rows in index order) with `worst` in score order; kept as is.
    return worst[np.argsort(subset)]
