"""--features: cross-validate a model on the features into out-of-sample probabilities."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.evidence import Probabilities


def load(request, engine, observer) -> Probabilities:
    from labelaudit.pipeline.loaders.labels import class_names
    from labelaudit.predict.features import features_to_probabilities

    spec = request.features
    names = class_names(request)
    with (
        observer.progress(f"Cross-validating {spec.model_for(None)}", spec.folds) as advance,
        _naming(spec.path),
    ):
        probs = features_to_probabilities(
            spec.path,
            Path(request.labels),
            label_column=request.label_column,
            model=spec.model_for(None),
            folds=spec.folds,
            seed=spec.seed,
            impute=spec.impute,
            feature_columns=list(spec.columns) if spec.columns else None,
            on_fold=lambda _i: advance(1),
        )
    if names is not None and probs.shape[1] < len(names):  # classes absent from the labels
        probs = np.pad(probs, ((0, 0), (0, len(names) - probs.shape[1])))
    return Probabilities(probs, [probs], [str(spec.path)], True)


@contextlib.contextmanager
def _naming(path: Path) -> Iterator[None]:
    """Refusals from the features reader that do not say which file, prefixed with it."""
    try:
        yield
    except InvalidInputError as exc:
        if str(path) in str(exc):
            raise
        raise InvalidInputError(f"{path}: {exc}") from exc
