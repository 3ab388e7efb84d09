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
    from labelaudit.confident.filter import issues_and_analysis
    from labelaudit.errors import InvalidInputError
    from labelaudit.pipeline.observer import SILENT
    from labelaudit.token_classification._inputs import checked
    from labelaudit.token_classification.rank import scores_of_tokens

    observer = observer or SILENT
    offsets, flat, probs = evidence.offsets, evidence.labels, evidence.probs
    total, k = probs.shape
    try:  # the library's own checks, once, on the arrays as read (no split and re-join)
        tokens = checked(flat, probs, offsets)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{evidence.source}: {exc}") from exc
    with observer.stage(f"Auditing {total:,} tokens of {evidence.sentences:,} sentences × {k}"):
        # The filter token_classification.filter.find_label_issues runs, keeping its analysis:
        # the suggestions are its argmax and row maxima, not another pass over the tokens.
        ranked, analysis = issues_and_analysis(
            tokens.labels, tokens.pred_probs, return_indices_ranked_by="self_confidence"
        )
        flagged_rows = np.asarray(ranked, dtype=np.int64)
        sentence_scores, token_scores, _ = scores_of_tokens(tokens)
    sentence = np.repeat(np.arange(evidence.sentences, dtype=np.int64), np.diff(offsets))
    rank = np.zeros(total, dtype=np.int64)
    rank[flagged_rows] = np.arange(1, len(flagged_rows) + 1)
    suggested = analysis.stats.argmax.astype(np.int64)
    columns = {
        "row": np.arange(total, dtype=np.int64),
        "sentence": sentence,
        "token": np.arange(total, dtype=np.int64) - offsets[sentence],
        "given_label": flat,
        "suggested_label": suggested,
        "suggestion_confidence": analysis.stats.row_max.astype(np.float64),
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
