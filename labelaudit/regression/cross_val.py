"""Out-of-fold predictions for a regression audit (--task regression --features)."""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from labelaudit.errors import ConfigError, InvalidInputError

MODELS = ("hgb", "ridge", "knn", "rf")
DEFAULT_MODEL = "hgb"


def make_regressor(name: str, *, seed: int, impute: bool):
    """A scikit-learn pipeline for one of MODELS. hgb fits the absolute error: the conditional
    median is not pulled towards the gross label errors the audit looks for."""
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import RidgeCV
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if name == "hgb":
        steps = [HistGradientBoostingRegressor(loss="absolute_error", random_state=seed)]
    elif name == "ridge":
        steps = [StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))]
    elif name == "knn":
        steps = [StandardScaler(), KNeighborsRegressor(n_neighbors=10)]
    elif name == "rf":
        steps = [RandomForestRegressor(n_estimators=200, random_state=seed, n_jobs=1)]
    else:
        raise ConfigError(f"--model {name!r} is not a regressor; use one of {', '.join(MODELS)}.")
    if impute:
        steps.insert(0, SimpleImputer(strategy="median"))
    return make_pipeline(*steps)


def cross_val_predictions(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    model: str = DEFAULT_MODEL,
    folds: int = 5,
    seed: int = 0,
    impute: bool = False,
    on_fold: Callable[[int], None] | None = None,
) -> np.ndarray:
    """(N,) float64 predictions, each from a model that never saw its row (shuffled K-fold)."""
    from sklearn.model_selection import KFold

    n = len(labels)
    if features.shape[0] != n:
        raise InvalidInputError(
            f"features have {features.shape[0]} rows but there are {n} labels; they must "
            "describe the same examples in the same order."
        )
    if folds < 2:
        raise ConfigError(f"--folds must be at least 2, got {folds}.")
    if folds > n:
        raise ConfigError(f"--folds {folds} is more than the {n} examples.")
    make_regressor(model, seed=seed, impute=impute)  # fail on a bad name before any work
    out = np.zeros(n, dtype=np.float64)
    splits = KFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(n))
    for i, (train, test) in enumerate(splits):
        estimator = make_regressor(model, seed=seed, impute=impute)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=UserWarning)
            estimator.fit(features[train], labels[train])
        out[test] = estimator.predict(features[test])
        if on_fold is not None:
            on_fold(i)
    return out
