"""Out-of-sample probabilities by stratified K-fold cross-validation with scikit-learn models."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from labelaudit.errors import ConfigError, InvalidInputError

MODELS = ("logreg", "hgb", "knn", "rf")


def make_model(name: str, *, seed: int, impute: bool):
    """A scikit-learn pipeline for one of MODELS (standardised inputs where the model needs it)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "logreg":
        steps = [StandardScaler(), LogisticRegression(max_iter=2000, C=0.1, random_state=seed)]
    elif name == "hgb":
        steps = [HistGradientBoostingClassifier(random_state=seed)]
    elif name == "knn":
        steps = [StandardScaler(), KNeighborsClassifier(n_neighbors=10)]
    elif name == "rf":
        steps = [RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)]
    else:
        raise ConfigError(f"model {name!r} is not one of {', '.join(MODELS)}.")
    if impute:
        steps.insert(0, SimpleImputer(strategy="median"))
    return make_pipeline(*steps)


def cross_val_probabilities(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    num_classes: int | None = None,
    model: str = "logreg",
    folds: int = 5,
    seed: int = 0,
    impute: bool = False,
    on_fold: Callable[[int], None] | None = None,
) -> np.ndarray:
    """N×K probabilities, each row predicted by a model that never saw it.

    Stratified K-fold with shuffling (seeded). A class missing from a fold's training part gets
    probability 0 in that fold; the columns always follow class indices 0..K-1.
    """
    from sklearn.model_selection import StratifiedKFold

    n = len(labels)
    if features.shape[0] != n:
        raise InvalidInputError(
            f"features have {features.shape[0]} rows but there are {n} labels; they must "
            "describe the same examples in the same order."
        )
    k = int(num_classes or labels.max() + 1)
    if folds < 2:
        raise ConfigError(f"--folds must be at least 2, got {folds}.")
    if folds > n:
        raise ConfigError(f"--folds {folds} is more than the {n} examples.")
    make_model(model, seed=seed, impute=impute)  # fail on a bad name before any work
    pred = np.zeros((n, k), dtype=np.float64)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        # Classes rarer than `folds` are expected in label audits; their columns stay aligned.
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(splitter.split(np.zeros(n), labels))
    for i, (train, test) in enumerate(splits):
        estimator = make_model(model, seed=seed, impute=impute)
        if len(np.unique(labels[train])) < 2:
            raise InvalidInputError(f"fold {i} has a single class to train on; use fewer --folds.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            estimator.fit(features[train], labels[train])
        pred[np.ix_(test, estimator.classes_)] = estimator.predict_proba(features[test])
        if on_fold is not None:
            on_fold(i)
    return pred
