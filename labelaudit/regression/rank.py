"""cleanlab.regression.rank.get_label_quality_scores, exact (1e-15) and in bounded memory.

OUTRE: each row is a point (standardised label, 5 × standardised residual); its score is
exp(-d / median(d)), where d is its mean Euclidean distance to its ceil(N/2) nearest points,
itself included. cleanlab asks scikit-learn's NearestNeighbors for an N × N/2 distance matrix
(16 bytes per entry: 10 GB at N = 35,000); here blocks of rows are measured against all rows
and partitioned, so memory is BLOCK_BYTES whatever N and time is O(N²) as before.
"""

from __future__ import annotations

import numpy as np

from labelaudit.errors import InvalidInputError

# cleanlab's constants (cleanlab/internal/constants.py, regression/rank.py, internal/outlier.py).
TINY_VALUE = 1e-100
EPSILON = 1e-6
RESIDUAL_SCALE = 5.0
FRAC_NEIGHBORS = 0.5
# Distances below sqrt(100 eps) count as zero (cleanlab's correct_precision_errors, euclidean).
ZERO_DISTANCE = np.sqrt(100 * np.finfo(np.float64).eps)
BLOCK_BYTES = 32 << 20  # one block of the distance matrix, with its two temporaries
METHODS = ("outre", "residual")


def check_inputs(labels, predictions, *, names=("labels", "predictions")) -> tuple:
    """(labels, predictions) as float64 (N,) arrays, or one sentence on what is wrong."""
    arrays = []
    for name, values in zip(names, (labels, predictions), strict=True):
        array = np.asarray(values)
        if array.ndim != 1:
            array = np.squeeze(array)
        if array.ndim != 1:
            raise InvalidInputError(f"{name} must be one value per row, got shape {array.shape}.")
        if array.dtype.kind not in "iufb":
            raise InvalidInputError(f"{name} must be numeric, got dtype {array.dtype}.")
        array = array.astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
        if len(bad):
            raise InvalidInputError(f"{name}: row {int(bad[0])} is {array[bad[0]]}, not a number.")
        arrays.append(array)
    y, yhat = arrays
    if len(y) != len(yhat):
        raise InvalidInputError(
            f"{names[0]} have {len(y)} rows but {names[1]} have {len(yhat)}; they must describe "
            "the same examples in the same order."
        )
    if len(y) < 2:
        raise InvalidInputError(f"{names[0]}: a regression audit needs at least 2 rows.")
    return y, yhat


def get_label_quality_scores(labels, predictions, *, method: str = "outre") -> np.ndarray:
    """(N,) scores in [0, 1], low = label likely wrong; cleanlab 2.9's, computed in float64."""
    if method not in METHODS:
        raise InvalidInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    y, yhat = check_inputs(labels, predictions)
    residual = yhat - y
    if method == "residual":
        return np.exp(-np.abs(residual))
    return _outre(y, residual)


def _outre(y: np.ndarray, residual: np.ndarray) -> np.ndarray:
    a = (y - y.mean()) / (y.std() + TINY_VALUE)
    b = RESIDUAL_SCALE * ((residual - residual.mean()) / (residual.std() + TINY_VALUE))
    n = len(a)
    k = int(np.ceil(FRAC_NEIGHBORS * n))
    mean_distance = np.empty(n)
    rows = max(1, BLOCK_BYTES // (3 * 8 * n))
    for start in range(0, n, rows):
        da = a[start : start + rows, None] - a[None, :]
        db = b[start : start + rows, None] - b[None, :]
        da *= da
        db *= db
        da += db
        np.sqrt(da, out=da)
        nearest = np.partition(da, k - 1, axis=1)[:, :k]
        mean_distance[start : start + rows] = nearest.mean(axis=1)
    scale = float(max(np.median(mean_distance), 100 * np.finfo(np.float64).eps))
    scores = np.exp(-mean_distance / max(scale, EPSILON))
    scores[mean_distance < ZERO_DISTANCE] = 1.0
    return scores
