"""The token-classification task: cleanlab's token audit, one report row per token.

Flags and their order are `token_classification.filter.find_label_issues(labels, pred_probs)`'s
(sentence, token) pairs; `label_quality` and `sentence_quality` are its
`rank.get_label_quality_scores` (token self-confidence, sentence "min"). The sentence and token
positions, the given and the suggested tag (the model's argmax) and the labels table's other
columns (per sentence, or per token for list columns such as `tokens`) complete each row.
"""

from __future__ import annotations

import numpy as np

from labelaudit._version import __version__
from labelaudit.report import SCHEMA_VERSION, Report


def audit_tokens(evidence, *, observer=None) -> Report:
    """Audit every token of evidence (pipeline/loaders/tokens.TokenEvidence); a Report."""
    from labelaudit.pipeline.observer import SILENT
    from labelaudit.token_classification.filter import find_label_issues
    from labelaudit.token_classification.rank import label_quality_arrays

    observer = observer or SILENT
    offsets, flat, probs = evidence.offsets, evidence.labels, evidence.probs
    total, k = probs.shape
    _check(evidence)
    labels = np.split(flat, offsets[1:-1])  # views, one per sentence
    per_sentence = np.split(np.asarray(probs), offsets[1:-1])
    with observer.stage(f"Auditing {total:,} tokens of {evidence.sentences:,} sentences × {k}"):
        issues = find_label_issues(labels, per_sentence)
        sentence_scores, token_scores, _ = label_quality_arrays(labels, per_sentence)
    sentence = np.repeat(np.arange(evidence.sentences, dtype=np.int64), np.diff(offsets))
    flagged_rows = np.asarray([offsets[s] + t for s, t in issues], dtype=np.int64)
    rank = np.zeros(total, dtype=np.int64)
    rank[flagged_rows] = np.arange(1, len(flagged_rows) + 1)
    suggested = np.asarray(probs).argmax(axis=1).astype(np.int64)
    columns = {
        "row": np.arange(total, dtype=np.int64),
        "sentence": sentence,
        "token": np.arange(total, dtype=np.int64) - offsets[sentence],
        "given_label": flat,
        "suggested_label": suggested,
        "suggestion_confidence": np.asarray(probs)[np.arange(total), suggested].astype(np.float64),
        "label_quality": np.asarray(token_scores, dtype=np.float64),
        "sentence_quality": np.asarray(sentence_scores, dtype=np.float64)[sentence],
        "is_label_issue": rank > 0,
        "issue_rank": rank,
    }
    for name, values in evidence.carried.items():
        columns.setdefault("id" if name == "id" else f"sentence_{name}", values)
    metadata = {
        "labelaudit_version": __version__,
        "schema_version": SCHEMA_VERSION,
        "task": "token",
        "detector": "confident_learning",
        "options": {"token_score_method": "self_confidence", "sentence_score_method": "min"},
        "inputs": [],
        "class_names": evidence.class_names,
        "n": total,
        "k": k,
        "sentences": evidence.sentences,
        "num_issues": len(flagged_rows),
        "details": {"class_counts": np.bincount(flat, minlength=k).tolist()},
    }
    return Report(columns, metadata)


def _check(evidence) -> None:
    """Tags within K, finite probabilities, K ≥ 2: one sentence naming the token."""
    from labelaudit.errors import InvalidInputError

    k = evidence.probs.shape[1]
    if k < 2:
        raise InvalidInputError(f"{evidence.source} has K = {k} class; at least 2 are needed.")
    bad = np.flatnonzero((evidence.labels < 0) | (evidence.labels >= k))
    if len(bad):
        s = int(np.searchsorted(evidence.offsets, bad[0], side="right")) - 1
        raise InvalidInputError(
            f"sentence {s}, token {bad[0] - evidence.offsets[s]} has tag {evidence.labels[bad[0]]}, "
            f"outside [0, {k}) for the {k} columns of {evidence.source}."
        )
    finite = np.isfinite(evidence.probs).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        s = int(np.searchsorted(evidence.offsets, row, side="right")) - 1
        raise InvalidInputError(
            f"{evidence.source}: token row {row} (sentence {s}) holds a non-finite probability."
        )
