"""`predict` as library calls: probabilities from ONNX models, and writing them safely."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from labelaudit.errors import ConfigError, InvalidInputError


def guard_probabilities_output(out: Path, inputs: Sequence[object]) -> Path:
    """Check --out before any work: a .npy in an existing folder that is none of the inputs."""
    from labelaudit.io.outputs import guard_output

    return guard_output(out, inputs, suffixes=(".npy",), what="probabilities are written as .npy")


def write_probabilities(probs: np.ndarray, out: Path) -> None:
    """Save the N×K matrix as .npy, atomically (temp file, fsync, rename)."""
    from labelaudit.io.atomic import atomic_path

    with atomic_path(out) as tmp, tmp.open("wb") as fh:
        np.save(fh, probs)


def _fold_ids(inputs: Path, fold_column: str) -> np.ndarray:
    from labelaudit.io.formats import read_table

    if inputs.suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError("--fold-column needs --inputs as a .csv or .parquet table.")
    table = read_table(inputs, inputs.suffix.lower())
    if fold_column not in table.columns:
        raise InvalidInputError(f"{inputs}: no fold column {fold_column!r}.")
    fold_ids = table[fold_column].to_numpy()
    if fold_ids.dtype.kind not in "iu":
        raise InvalidInputError(f"{inputs}: fold column {fold_column!r} must hold integers 0..M-1.")
    return fold_ids


def probabilities_from_onnx(
    models: Sequence[Path],
    inputs: Path | None,
    *,
    labels: Path | None = None,
    label_column: str = "label",
    fold_column: str | None = None,
    providers: Sequence[str] | None = None,
    output_name: str | None = None,
    batch_size: int = 4096,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Score inputs with one ONNX classifier, or with per-fold models chosen by fold_column.

    labels, when given, must describe the same rows, and the model must output at least one
    column per class they use. Logit outputs get a softmax (predict/onnx_model.py); float64 out.
    """
    from labelaudit.io.labels import read_labels
    from labelaudit.predict.features import check_complete, read_features
    from labelaudit.predict.onnx_model import score

    if inputs is None:
        raise ConfigError("--onnx needs --inputs: the rows to score.")
    fold_ids = None if fold_column is None else _fold_ids(inputs, fold_column)
    X = read_features(inputs, exclude=(fold_column,) if fold_column else ())
    check_complete(X, str(inputs), impute=False)
    label_data = None
    if labels is not None:
        label_data = read_labels(labels, label_column=label_column)
        if len(label_data.labels) != len(X):
            raise InvalidInputError(
                f"{labels} has {len(label_data.labels)} labels but {inputs} has {len(X)} rows."
            )
    names = label_data.class_names if label_data is not None else None
    probs = score(
        list(models),
        X,
        folds=fold_ids,
        providers=list(providers) if providers else None,
        output=output_name,
        batch_size=batch_size,
        num_classes=len(names) if names else None,
        on_batch=on_batch,
    )
    if label_data is not None and probs.shape[1] <= label_data.labels.max():
        raise InvalidInputError(
            f"the model outputs {probs.shape[1]} classes but {labels} has label "
            f"{label_data.labels.max()}; the output width must match the number of classes."
        )
    return probs.astype(np.float64)
