"""Multi-label classification: cleanlab.multilabel_classification's answer, as a Report."""

from __future__ import annotations

import numpy as np

from labelaudit._version import __version__
from labelaudit.confident.methods import LOW_SCORE_METHODS
from labelaudit.errors import InvalidInputError
from labelaudit.report import SCHEMA_VERSION, Report

# A class is suggested for a row when its independent probability reaches this.
MULTILABEL_SUGGESTION_THRESHOLD = 0.5


def classify_multilabel(
    labels: object,
    pred_probs: object,
    *,
    filter_by: str = "prune_by_noise_rate",
    rank_by: str = "self_confidence",
    frac_noise: float = 1.0,
    num_to_remove_per_class: list[int] | None = None,
    min_examples_per_class: int = 1,
    class_names: list[str] | None = None,
    ids: object = None,
) -> Report:
    """Audit label sets (list of lists or an N×K 0/1 matrix) against independent per-class
    probabilities (N, K); cleanlab.multilabel_classification's answer, as a Report."""
    from labelaudit.confident import multilabel
    from labelaudit.pipeline.explain import multilabel_explanations

    P = np.asarray(pred_probs)
    y = multilabel.one_hot(labels, P.shape[1] if P.ndim == 2 else 0)
    n, k = P.shape
    if class_names is not None and len(class_names) != k:
        raise InvalidInputError(f"{len(class_names)} class names for {k} probability columns.")
    pruning = dict(
        filter_by=filter_by,
        frac_noise=frac_noise,
        num_to_remove_per_class=num_to_remove_per_class,
        min_examples_per_class=min_examples_per_class,
    )
    options = {**pruning, "rank_by": rank_by, "multi_label": True}
    ranked = multilabel.find_label_issues(y, P, return_indices_ranked_by=rank_by, **pruning)
    per_class = (
        multilabel.issues_per_class(y, P, **pruning)
        if filter_by not in LOW_SCORE_METHODS
        else np.zeros_like(y, dtype=bool)
    )
    rank = np.zeros(n, dtype=np.int64)
    rank[ranked] = np.arange(1, len(ranked) + 1)
    suggested = P >= MULTILABEL_SUGGESTION_THRESHOLD
    columns: dict[str, np.ndarray] = {"row": np.arange(n, dtype=np.int64)}
    if ids is not None:
        columns["id"] = np.asarray(ids)
    columns["given_labels"] = _sets(y.astype(bool))
    columns["suggested_labels"] = _sets(suggested)
    columns["label_quality"] = multilabel.row_scores(y, P, rank_by).astype(np.float64)
    columns["is_label_issue"] = rank > 0
    columns["issue_rank"] = rank
    columns["issue_classes"] = _sets(per_class & (rank > 0)[:, None])
    columns["explanation"] = multilabel_explanations(
        y, P, columns, filter_by=filter_by, class_names=class_names
    )
    metadata = {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "detector": "confident_learning",
        "options": options,
        "inputs": [],
        "class_names": class_names,
        "n": n,
        "k": k,
        "num_issues": len(ranked),
        "details": {},
    }
    return Report(columns, metadata)


def _sets(matrix: np.ndarray) -> np.ndarray:
    """Row-wise class indices of a boolean N×K matrix, as an object array of int64 arrays."""
    rows, cols = np.nonzero(matrix)
    splits = np.searchsorted(rows, np.arange(1, len(matrix)))
    out = np.empty(len(matrix), dtype=object)
    out[:] = np.split(cols.astype(np.int64), splits)
    return out
