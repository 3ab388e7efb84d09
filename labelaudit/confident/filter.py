"""find_label_issues: cleanlab 2.9's single-label filter, vectorised and exact."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from labelaudit.confident._blocks import ClassGroups
from labelaudit.confident._validation import check_inputs
from labelaudit.confident.joint import (
    RowStats,
    calibrate_confident_joint,
    off_diagonal_indices,
    raw_confident_joint,
    row_stats,
)
from labelaudit.confident.methods import FILTER_METHODS, LOW_SCORE_METHODS, PRUNING_METHODS
from labelaudit.confident.prune import (
    prunable_classes,
    prune_by_class,
    prune_by_noise_rate,
    prune_count_matrix,
)
from labelaudit.confident.rank import adjust_from_kwargs, check_method, rank_flagged, scores_for
from labelaudit.confident.selection import smallest_mask
from labelaudit.confident.sparse_joint import SparseJoint, prefers_sparse
from labelaudit.confident.sparse_joint import (
    calibrate_confident_joint as calibrate_sparse_joint,
)
from labelaudit.confident.sparse_joint import raw_confident_joint as raw_sparse_joint
from labelaudit.confident.thresholds import self_confidence, thresholds_from_groups
from labelaudit.errors import ConfigError

# Given labels within this of the row maximum count as the model's prediction (cleanlab's 1e-6).
ARGMAX_SLACK = 1e-6


@dataclass(frozen=True)
class ConfidentAnalysis:
    """Everything one pass over (labels, pred_probs) yields; every filter reads from it."""

    labels: np.ndarray
    pred_probs: np.ndarray
    groups: ClassGroups
    self_confidence: np.ndarray
    thresholds: np.ndarray
    stats: RowStats

    @classmethod
    def of(cls, labels: np.ndarray, pred_probs: np.ndarray) -> ConfidentAnalysis:
        groups = ClassGroups.of(labels, pred_probs.shape[1])
        sc = self_confidence(labels, pred_probs)
        thresholds = thresholds_from_groups(sc, groups)
        stats = row_stats(pred_probs, thresholds)
        return cls(labels, pred_probs, groups, sc, thresholds, stats)

    @property
    def num_classes(self) -> int:
        return self.pred_probs.shape[1]

    @property
    def sparse(self) -> bool:
        """Whether the K×K matrices are sparse (sparse_joint.prefers_sparse: K² ≫ N)."""
        return prefers_sparse(len(self.labels), self.num_classes)

    def raw_joint(self) -> np.ndarray | SparseJoint:
        if self.sparse:
            stats = self.stats
            return raw_sparse_joint(self.labels, stats.guess, stats.confident, self.num_classes)
        return raw_confident_joint(self.labels, self.stats, self.num_classes)

    def calibrated_joint(self) -> np.ndarray | SparseJoint:
        raw = self.raw_joint()
        if isinstance(raw, SparseJoint):
            return calibrate_sparse_joint(raw, self.labels)
        return calibrate_confident_joint(raw, self.labels)

    def given_is_argmax(self) -> np.ndarray:
        """True where the given label is the argmax once 1e-6 is added to its probability.

        Closed form of cleanlab's `_reduce_issues` (which copies P): the label wins unless some
        other class is larger than p_y + 1e-6, or equal to it at a lower index.
        """
        sc_plus = self.self_confidence + self.pred_probs.dtype.type(ARGMAX_SLACK)
        wins = self.stats.row_max < sc_plus
        for i in np.flatnonzero(self.stats.row_max == sc_plus):
            first = int(np.argmax(self.pred_probs[i] == sc_plus[i]))
            wins[i] = first > self.labels[i]
        return wins

    def confident_learning_mask(self, given_is_argmax: np.ndarray) -> np.ndarray:
        mask = np.zeros(len(self.labels), dtype=bool)
        mask[off_diagonal_indices(self.labels, self.stats)] = True
        mask[given_is_argmax] = False
        return mask


def _check_options(filter_by: str, frac_noise: float, num_to_remove_per_class: object) -> None:
    if filter_by not in FILTER_METHODS:
        raise ConfigError(f"filter_by {filter_by!r} is not one of {', '.join(FILTER_METHODS)}.")
    if filter_by not in PRUNING_METHODS:
        if num_to_remove_per_class is not None:
            raise ConfigError(
                f"num_to_remove_per_class works only with {', '.join(PRUNING_METHODS)}, "
                f"not filter_by={filter_by!r}."
            )
        if frac_noise != 1.0:
            warnings.warn(
                f"frac_noise is ignored with filter_by={filter_by!r}; it applies only to "
                f"{', '.join(PRUNING_METHODS)}.",
                stacklevel=3,
            )
    if not 0.0 < frac_noise <= 1.0:
        raise ConfigError(f"frac_noise must be in (0, 1], got {frac_noise}.")


def issue_mask(
    analysis: ConfidentAnalysis,
    *,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: object = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | SparseJoint | None = None,
) -> np.ndarray:
    """The boolean issue mask (N,) of one filter method over an analysed dataset.

    confident_joint: a dense K×K array, or a SparseJoint (the pruning then stays sparse)."""
    _check_options(filter_by, frac_noise, num_to_remove_per_class)
    y, P = analysis.labels, analysis.pred_probs
    reduce = analysis.given_is_argmax()
    if filter_by in LOW_SCORE_METHODS:
        scores = scores_for(y, P, filter_by.removeprefix("low_"))
        return smallest_mask(scores, int(analysis.confident_learning_mask(reduce).sum()))
    if filter_by == "confident_learning":
        if confident_joint is not None:
            warnings.warn(
                "confident_joint is ignored with filter_by='confident_learning'.", stacklevel=3
            )
        return analysis.confident_learning_mask(reduce)
    if filter_by == "predicted_neq_given":
        return (analysis.stats.argmax != y) & ~reduce

    if confident_joint is None:
        cj = analysis.calibrated_joint()
    elif isinstance(confident_joint, SparseJoint):
        cj = confident_joint
    else:
        cj = np.asarray(confident_joint)
    pcm = prune_count_matrix(
        cj,
        min_examples_per_class=min_examples_per_class,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        label_counts=analysis.groups.counts,
    )
    classes = prunable_classes(analysis.groups, min_examples_per_class)
    sc = analysis.self_confidence
    if filter_by == "prune_by_class":
        mask = prune_by_class(sc, analysis.groups, pcm, classes)
    elif filter_by == "prune_by_noise_rate":
        mask = prune_by_noise_rate(P, sc, analysis.stats.row_max, analysis.groups, pcm, classes)
    else:  # both
        mask = prune_by_class(sc, analysis.groups, pcm, classes)
        mask &= prune_by_noise_rate(P, sc, analysis.stats.row_max, analysis.groups, pcm, classes)
    return mask & ~reduce


def find_label_issues(
    labels: object,
    pred_probs: object,
    *,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: object = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
    n_jobs: int | None = None,
    verbose: bool = False,
) -> np.ndarray:
    """Examples whose given label is likely wrong: a bool mask (N,), or indices ranked worst first.

    Same arguments and results as cleanlab.filter.find_label_issues (single-label). `n_jobs` and
    `verbose` are accepted for drop-in compatibility and ignored: the engine is vectorised.
    """
    del n_jobs, verbose
    return issues_and_analysis(
        labels,
        pred_probs,
        return_indices_ranked_by=return_indices_ranked_by,
        rank_by_kwargs=rank_by_kwargs,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=confident_joint,
    )[0]


def issues_and_analysis(
    labels: object,
    pred_probs: object,
    *,
    return_indices_ranked_by: str | None = None,
    rank_by_kwargs: dict | None = None,
    filter_by: str = "prune_by_noise_rate",
    frac_noise: float = 1.0,
    num_to_remove_per_class: object = None,
    min_examples_per_class: int = 1,
    confident_joint: np.ndarray | None = None,
) -> tuple[np.ndarray, ConfidentAnalysis]:
    """find_label_issues, and the ConfidentAnalysis it ran on (argmax, row maxima and
    self-confidence of every row), for callers that report those too without another pass."""
    if return_indices_ranked_by is not None:
        check_method(return_indices_ranked_by)
    # cleanlab tolerates all-zero labels (a multi-label leftover) except in the methods that
    # validate again without that allowance.
    one_class_ok = _all_zero(labels) and filter_by not in (
        "predicted_neq_given",
        *LOW_SCORE_METHODS,
    )
    y, P = check_inputs(labels, pred_probs, allow_one_class=one_class_ok, check_values=False)
    analysis = ConfidentAnalysis.of(y, P)
    mask = issue_mask(
        analysis,
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
        confident_joint=confident_joint,
    )
    if return_indices_ranked_by is None:
        return mask, analysis
    adjust = adjust_from_kwargs(rank_by_kwargs)
    ranked = rank_flagged(
        mask,
        y,
        P,
        return_indices_ranked_by,
        adjust_pred_probs=adjust,
        thresholds=analysis.thresholds,
    )
    return ranked, analysis


def _all_zero(labels: object) -> bool:
    """cleanlab allows a single class only when every label is 0 (multi-label leftovers)."""
    y = np.asarray(labels)
    return y.size > 0 and y.dtype.kind in "iufb" and not np.any(y)


def num_label_issues(
    labels: object,
    pred_probs: object,
    *,
    confident_joint: np.ndarray | None = None,
    estimation_method: str = "off_diagonal",
) -> int:
    """Estimated number of label issues, as cleanlab.count.num_label_issues."""
    from labelaudit.confident.joint import TINY_VALUE as TINY
    from labelaudit.confident.joint import estimate_joint

    methods = ("off_diagonal", "off_diagonal_calibrated", "off_diagonal_custom")
    if estimation_method not in methods:
        raise ConfigError(
            f"estimation_method {estimation_method!r} is not one of {', '.join(methods)}."
        )
    if confident_joint is not None and estimation_method != "off_diagonal_custom":
        warnings.warn(
            "confident_joint is ignored unless estimation_method='off_diagonal_custom'.",
            stacklevel=2,
        )
    y, P = check_inputs(labels, pred_probs, check_values=False)
    analysis = ConfidentAnalysis.of(y, P)  # validates P's values in its first pass
    if estimation_method == "off_diagonal":
        return int(analysis.confident_learning_mask(analysis.given_is_argmax()).sum())
    if estimation_method == "off_diagonal_calibrated":
        calibrated = analysis.calibrated_joint()
        if isinstance(calibrated, SparseJoint):  # estimate_joint's trace, on the stored cells
            twice = calibrate_sparse_joint(calibrated, y)
            trace = np.sum(twice.diagonal() / np.clip(float(twice.matrix.sum()), TINY, None))
            return int(np.rint((1.0 - trace) * len(y)))
        joint = estimate_joint(y, P, confident_joint=calibrated)
    else:
        if confident_joint is None:
            raise ConfigError("estimation_method='off_diagonal_custom' needs a confident_joint.")
        joint = estimate_joint(y, P, confident_joint=confident_joint)
    return int(np.rint((1.0 - joint.trace()) * len(y)))


def find_predicted_neq_given(labels: object, pred_probs: object) -> np.ndarray:
    """argmax(pred_probs) != labels (N,): the simplest baseline, as cleanlab's function."""
    y, P = check_inputs(labels, pred_probs)
    if not isinstance(P, np.ndarray):
        P = P[np.arange(P.shape[0])]
    return P.argmax(axis=1) != y
