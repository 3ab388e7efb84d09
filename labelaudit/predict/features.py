"""Read a feature matrix (.npy, .csv, .parquet) and check it is numeric and complete."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.formats import check_readable, read_npy, read_table

FEATURE_SUFFIXES = (".npy", ".csv", ".parquet")


def read_features(
    path: Path, *, columns: list[str] | None = None, exclude: tuple[str, ...] = ()
) -> np.ndarray:
    """N×D float64 features. Tables use `columns`, else every column except `exclude`."""
    path = Path(path)
    suffix = check_readable(path, FEATURE_SUFFIXES, "features")
    if suffix == ".npy":
        matrix = read_npy(path)
        if matrix.ndim == 1:
            matrix = matrix[:, None]
        if matrix.ndim != 2:
            raise InvalidInputError(
                f"{path}: features must be an N×D matrix, got shape {matrix.shape}."
            )
        if matrix.dtype.kind not in "fiub":
            raise InvalidInputError(f"{path}: features must be numeric, got dtype {matrix.dtype}.")
        return matrix.astype(np.float64)
    table = read_table(path, suffix)
    if columns:
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise InvalidInputError(f"{path}: no column {missing[0]!r} (from --feature-columns).")
        table = table[columns]
    else:
        table = table[[c for c in table.columns if c not in exclude]]
    for name in table.columns:
        if table[name].dtype.kind not in "fiub":
            raise InvalidInputError(
                f"{path}: column {name!r} is not numeric; choose numeric columns with "
                "--feature-columns."
            )
    if table.shape[1] == 0:
        raise InvalidInputError(f"{path}: has no feature columns.")
    return table.to_numpy(dtype=np.float64)


def check_complete(features: np.ndarray, source: str, *, impute: bool) -> None:
    """NaN or inf features are an error unless the caller imputes them."""
    finite = np.isfinite(features)
    if finite.all():
        return
    if impute and not np.isinf(features).any():
        return
    row, col = (int(v[0]) for v in np.nonzero(~finite))
    hint = "" if impute else " (pass --impute to fill missing values with column medians)"
    raise InvalidInputError(f"{source}: row {row}, column {col} is {features[row, col]}{hint}.")


def features_to_probabilities(
    features: Path,
    labels: Path,
    *,
    label_column: str = "label",
    model: str = "logreg",
    folds: int = 5,
    seed: int = 0,
    impute: bool = False,
    feature_columns: list[str] | None = None,
    on_fold=None,
) -> np.ndarray:
    """Read features and labels, then cross-validate `model` into out-of-sample N×K
    probabilities; on_fold(i) is called as each fold finishes."""
    from labelaudit.io.labels import DEFAULT_ID_COLUMN, read_labels
    from labelaudit.predict.cross_val import cross_val_probabilities

    label_data = read_labels(labels, label_column=label_column)
    X = read_features(features, columns=feature_columns, exclude=(label_column, DEFAULT_ID_COLUMN))
    check_complete(X, str(features), impute=impute)
    names = label_data.class_names
    k = len(names) if names else int(label_data.labels.max()) + 1
    return cross_val_probabilities(
        X,
        label_data.labels,
        num_classes=k,
        model=model,
        folds=folds,
        seed=seed,
        impute=impute,
        on_fold=on_fold or (lambda _i: None),
    )
