"""--embeddings: N×D embeddings turned into out-of-sample probabilities without training (a
leave-one-out kNN vote or a cross-validated linear probe, predict/embeddings.py)."""

from __future__ import annotations

from pathlib import Path

from labelaudit.io.evidence import Probabilities


def load(request, engine, observer) -> Probabilities:
    from labelaudit.pipeline.loaders import labels as label_loader
    from labelaudit.pipeline.observer import SILENT
    from labelaudit.predict.embeddings import embedding_pred_probs

    del engine
    spec = request.embeddings
    labels = label_loader.load(request, SILENT)  # the vote needs them as class indices
    names = labels.class_names
    X, source = _read(spec.source, observer)
    with observer.stage(f"Voting over the neighbours in {source} ({spec.model})"):
        result = embedding_pred_probs(
            X,
            labels.labels,
            num_classes=len(names) if names else None,
            model=spec.model,
            folds=spec.folds,
            seed=spec.seed,
            source=source,
            near_duplicates=True,
            exact_duplicates=spec.duplicates,
        )
    found = result.duplicates
    columns = {"conflicting_duplicate_of": found.conflicting_duplicate_of}
    if found.duplicate_of is not None:
        columns["duplicate_of"] = found.duplicate_of
    probs = result.pred_probs
    return Probabilities(probs, [probs], [source], True, result.details, columns)


def _read(value, observer):
    """The embeddings as an array and the name messages use for them."""
    if not isinstance(value, (str, Path)):
        return value, "--embeddings"
    from labelaudit.io.formats import check_readable, read_npy

    path = Path(value)
    check_readable(path, (".npy",), "embeddings")
    with observer.stage(f"Reading {path}"):
        return read_npy(path), str(path)
