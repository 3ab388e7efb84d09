"""Validation of (labels, pred_probs) with cleanlab's acceptance rules, vectorised.

cleanlab checks its inputs with Python loops over N; these checks are the same rules as array
operations. Where cleanlab silently accepts garbage (NaN, float labels that crash later) we raise a
clear InvalidInputError instead: the results cleanlab returns for such inputs are not meaningful.
"""

from __future__ import annotations

import numpy as np

from labelaudit.confident._blocks import value_range
from labelaudit.errors import InvalidInputError

# cleanlab's `assert_valid_inputs` lets values stray this far outside [0, 1] (float noise).
PROBABILITY_SLACK = 1e-6


def as_label_array(labels: object) -> np.ndarray:
    """Return labels as a 1-D int64 array, rejecting strings and non-integer values."""
    if hasattr(labels, "to_numpy"):  # pandas Series / one-column DataFrame
        labels = labels.to_numpy()
    y = np.asarray(labels)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise InvalidInputError(f"labels must be 1-D, got an array of shape {y.shape}.")
    if y.dtype.kind == "b":
        return y.astype(np.int64)
    if y.dtype.kind in "iu":
        return y.astype(np.int64, copy=False)
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)):
            row = int(np.flatnonzero(~np.isfinite(y))[0])
            raise InvalidInputError(f"labels row {row} is {y[row]}, not a class index.")
        frac = np.mod(y, 1) != 0
        if frac.any():
            row = int(np.flatnonzero(frac)[0])
            raise InvalidInputError(f"labels row {row} is {y[row]}, not an integer class index.")
        return y.astype(np.int64)
    if y.size == 0:
        return y.astype(np.int64)
    raise InvalidInputError(
        f"labels must be integer class indices, got dtype {y.dtype}; "
        "map class names to indices first (the CLI does this with --class-names)."
    )


def as_prob_array(pred_probs: object) -> np.ndarray:
    """Return pred_probs as a 2-D floating array without copying when it already is one; arrays
    of other libraries (torch, cupy, ...) stay on their device behind a backend.DeviceMatrix."""
    from labelaudit.backend import DeviceMatrix, is_device_array

    if is_device_array(pred_probs):
        pred_probs = DeviceMatrix(pred_probs)
    if isinstance(pred_probs, DeviceMatrix):
        if pred_probs.ndim != 2:
            raise InvalidInputError(
                f"pred_probs must be a 2-D N×K array, got shape {pred_probs.shape}."
            )
        if pred_probs.dtype.kind != "f":
            raise InvalidInputError(
                f"pred_probs must be floating point, got dtype {pred_probs.dtype}."
            )
        return pred_probs
    P = np.asarray(pred_probs)
    if P.ndim != 2:
        raise InvalidInputError(
            f"pred_probs must be a 2-D N×K array, got {P.ndim}-D with shape {P.shape}."
        )
    if P.dtype.kind not in "f":
        if P.dtype.kind in "iub":
            P = P.astype(np.float64)
        else:
            raise InvalidInputError(f"pred_probs must be numeric, got dtype {P.dtype}.")
    return P


def check_inputs(
    labels: object, pred_probs: object, *, allow_one_class: bool = False, check_values: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Validate like cleanlab's `assert_valid_inputs` and return (labels int64, pred_probs).

    check_values=False skips the pass over P's values for callers that check them inside their
    own first pass (ConfidentAnalysis), which saves one full read of the matrix.
    """
    y = as_label_array(labels)
    P = as_prob_array(pred_probs)
    n, k = P.shape
    if len(y) != n:
        raise InvalidInputError(
            f"labels has {len(y)} rows but pred_probs has {n}; they must describe the same examples."
        )
    if n == 0:
        raise InvalidInputError("labels and pred_probs are empty: there is nothing to audit.")
    lo, hi = int(y.min()), int(y.max())
    if lo < 0:
        row = int(np.argmin(y))
        raise InvalidInputError(f"labels row {row} is {lo}; class indices must be >= 0.")
    if hi >= k:
        row = int(np.argmax(y))
        raise InvalidInputError(
            f"labels row {row} is {hi}, but pred_probs has only {k} columns (classes 0..{k - 1})."
        )
    if not allow_one_class and lo == hi:
        raise InvalidInputError(
            f"every label is {lo}; at least two classes must be present to find label issues."
        )
    if check_values:
        check_value_range(P, *value_range(P))
    return y, P


def check_value_range(P: np.ndarray, pmin: float, pmax: float) -> None:
    """Raise, naming the first offending cell, unless pmin..pmax is finite and within [0, 1]
    (plus cleanlab's slack). pmin and pmax may come from any pass that already read P."""
    finite = np.isfinite(pmin) and np.isfinite(pmax)
    if finite and pmin >= -PROBABILITY_SLACK and pmax <= 1 + PROBABILITY_SLACK:
        return
    if not isinstance(P, np.ndarray):  # locate the bad cell on the host (error path only)
        P = P[np.arange(P.shape[0])]
    if not finite:
        row, col = (int(v[0]) for v in np.nonzero(~np.isfinite(P)))
        raise InvalidInputError(
            f"pred_probs row {row}, column {col} is {P[row, col]}; probabilities must be finite."
        )
    bad = (P < -PROBABILITY_SLACK) | (P > 1 + PROBABILITY_SLACK)
    row, col = (int(v[0]) for v in np.nonzero(bad))
    raise InvalidInputError(
        f"pred_probs row {row}, column {col} is {P[row, col]}; "
        "probabilities must lie in [0, 1] (pass logits through a softmax first)."
    )
