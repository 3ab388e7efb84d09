"""--task regression: numeric labels and predictions (.npy, or a column of .csv/.parquet), or
--features cross-validated into out-of-fold predictions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError

VALUE_SUFFIXES = (".npy", ".csv", ".parquet")


@dataclass(frozen=True)
class RegressionEvidence:
    """The given values and the model's out-of-sample predictions, float64 (N,)."""

    labels: np.ndarray
    predictions: np.ndarray
    ids: np.ndarray | None
    id_column: str | None
    source: str  # the predictions file, or the features file they were cross-validated from


def read_values(path: Path, column: str, option: str, *, id_column=None, what="labels"):
    """(float64 values, ids, id column name) from a .npy or a table's column."""
    from labelaudit.io.formats import check_readable, read_npy, read_table
    from labelaudit.io.labels import label_table_columns

    path = Path(path)
    suffix = check_readable(path, VALUE_SUFFIXES, what)
    ids, id_name = None, None
    if suffix == ".npy":
        raw = np.asarray(read_npy(path))
    else:
        table = read_table(path, suffix)
        try:
            series, ids, id_name = label_table_columns(table, path, column, id_column)
        except InvalidInputError as exc:
            raise InvalidInputError(str(exc).replace("--label-column", option)) from exc
        raw = series.to_numpy()
        if raw.dtype.kind == "O":
            import pandas as pd

            numeric = pd.to_numeric(series, errors="coerce").to_numpy()
            bad = np.flatnonzero(np.isnan(numeric) & series.notna().to_numpy())
            if len(bad):
                raise InvalidInputError(
                    f"{path}: row {int(bad[0])} of column {column!r} holds {raw[bad[0]]!r}, "
                    "not a number."
                )
            raw = numeric
    if raw.ndim == 2 and 1 in raw.shape:
        raw = raw.reshape(-1)
    if raw.ndim != 1:
        raise InvalidInputError(f"{path}: {what} must be one number per row, got {raw.shape}.")
    if raw.dtype.kind not in "iufb":
        raise InvalidInputError(f"{path}: {what} must be numbers, got dtype {raw.dtype}.")
    values = raw.astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if len(bad):
        raise InvalidInputError(f"{path}: row {int(bad[0])} is {values[bad[0]]}, not a number.")
    return values, ids, id_name


def load(request, engine, observer) -> RegressionEvidence:
    del engine
    if not isinstance(request.labels, (str, Path)):  # in-memory arrays (the library)
        from labelaudit.regression.rank import check_inputs

        y, yhat = check_inputs(request.labels, request.predictions)
        ids = None if request.ids is None else np.asarray(request.ids)
        return RegressionEvidence(y, yhat, ids, None, "the predictions")
    path = Path(request.labels)
    with observer.stage("Reading regression labels"):
        y, ids, id_name = read_values(
            path, request.label_column, "--label-column", id_column=request.id_column
        )
    if request.features is not None:
        yhat, source = _cross_validate(request, y, observer), str(request.features.path)
    else:
        source = str(request.predictions)
        with observer.stage("Reading predictions"):
            yhat, _, _ = read_values(
                Path(request.predictions), request.prediction_column, "--prediction-column",
                what="predictions",
            )  # fmt: skip
    if len(yhat) != len(y):
        raise InvalidInputError(
            f"{path} has {len(y)} labels but {source} has {len(yhat)} predictions; they must "
            "describe the same examples in the same order."
        )
    if len(y) < 2:
        raise InvalidInputError(f"{path}: a regression audit needs at least 2 rows.")
    return RegressionEvidence(y, yhat, ids, id_name, source)


def _cross_validate(request, y: np.ndarray, observer) -> np.ndarray:
    from labelaudit.io.labels import DEFAULT_ID_COLUMN
    from labelaudit.predict.features import check_complete, read_features
    from labelaudit.regression.cross_val import cross_val_predictions

    spec = request.features
    model = spec.model_for("regression")
    X = read_features(
        spec.path,
        columns=list(spec.columns) if spec.columns else None,
        exclude=(request.label_column, DEFAULT_ID_COLUMN),
    )
    check_complete(X, str(spec.path), impute=spec.impute)
    with observer.progress(f"Cross-validating {model}", spec.folds) as advance:
        try:
            return cross_val_predictions(
                X, y, model=model, folds=spec.folds, seed=spec.seed, impute=spec.impute,
                on_fold=lambda _i: advance(1),
            )  # fmt: skip
        except InvalidInputError as exc:
            raise InvalidInputError(f"{spec.path}: {exc}") from exc
