"""Audits from embeddings, no training: `audit_embeddings(labels, embeddings)` returns the same
Report as `labelaudit audit --labels L --embeddings E`; `embedding_pred_probs` and
`knn_pred_probs` give the out-of-sample probabilities alone (docs/embeddings.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from labelaudit.predict.embeddings import (
    EmbeddingProbabilities,
    embedding_pred_probs,
    knn_pred_probs,
)

__all__ = ["EmbeddingProbabilities", "audit_embeddings", "embedding_pred_probs", "knn_pred_probs"]


def audit_embeddings(
    labels: object,
    embeddings: object,
    *,
    model: str = "auto",
    folds: int = 5,
    seed: int = 0,
    class_names: Sequence[str] | None = None,
    ids: object = None,
    **options: Any,
) -> Any:
    """Audit labels (N,) with out-of-sample probabilities from N×D embeddings (arrays or
    paths): model "knn", "probe" or "auto" (predict/embeddings.py). `options` are confident
    learning's (filter_by, rank_by, ...), as in labelaudit.audit. metadata["embeddings"] records
    the model chosen, its settings and both log-losses."""
    from labelaudit.pipeline.request import AuditRequest, EmbeddingSpec
    from labelaudit.pipeline.runner import run

    request = AuditRequest(
        labels=labels,
        embeddings=EmbeddingSpec(embeddings, model=model, folds=folds, seed=seed),
        class_names=None if class_names is None else tuple(class_names),
        ids=ids,
        options=options,
    )
    return run(request)
