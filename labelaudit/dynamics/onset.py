"""ADELE's beginning-of-memorisation epoch per class, detected online.

Each class's curve is the IoU, per epoch, between the model's argmax and the *given* labels.
ADELE fits f(t) = a(1 - exp(-t^b / c)) to the curve seen so far and triggers at the first epoch
where the fitted slope has fallen by more than r = 0.9 from its slope at epoch 1. Only epochs
already seen are fitted (look-ahead fits land late and lose most of the signal; see
docs/early-learning.md).
"""

from __future__ import annotations

import warnings

import numpy as np

RATIO = 0.9  # ADELE's r
MIN_POINTS = 3  # three parameters need at least three points


def _curve(x, a, b, c):
    return a * (1 - np.exp(-(x**b) / c))


def _slope(x, a, b, c):
    x = x + 1e-6
    return a * b / c * np.exp(-(x**b) / c) * x ** (b - 1)


def update_epoch(x: np.ndarray, y: np.ndarray, horizon: int, ratio: float = RATIO) -> float:
    """ADELE's `label_update_epoch`: the epoch at which the fitted curve has flattened."""
    from scipy.optimize import OptimizeWarning, curve_fit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OptimizeWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        params, _ = curve_fit(
            _curve,
            x,
            y,
            p0=(1, 1, 1),
            method="trf",
            sigma=np.geomspace(1, 0.1, len(y)),
            absolute_sigma=True,
            bounds=([0, 0, 0], [1, 1, np.inf]),
        )
        first = abs(_slope(1.0, *params))
        if not np.isfinite(first) or first == 0:
            return np.inf
        t = np.arange(1, max(horizon, 2), dtype=np.float64)
        rel = np.abs(np.abs(_slope(t, *params)) - first) / first
    rel[~np.isfinite(rel) | (rel > 1)] = 0
    return float(np.count_nonzero(rel <= ratio) + 1)


def online_onset(x: np.ndarray, curve: np.ndarray, ratio: float = RATIO) -> int | None:
    """Index of the first epoch at which the fit on epochs seen so far triggers; None if never.

    x holds the epoch numbers (sparse recordings keep their real spacing), curve the class's
    agreement with the given labels at each.
    """
    horizon = int(x[-1] - x[0]) + 1
    x0 = np.asarray(x - x[0], dtype=np.float64)
    for e in range(MIN_POINTS - 1, len(curve)):
        try:
            ue = update_epoch(x0[: e + 1], curve[: e + 1], horizon, ratio)
        except (RuntimeError, ValueError):
            continue  # a failed fit: wait for more points
        if x0[e] >= ue:
            return e
    return None


def agreement_curves(preds: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """E×K IoU of argmax predictions with the given labels, per epoch and class."""
    e = len(preds)
    curves = np.zeros((e, k))
    given = np.bincount(labels, minlength=k)
    for i, pred in enumerate(preds):
        hit = pred == labels
        tp = np.bincount(labels[hit], minlength=k)
        predicted = np.bincount(pred, minlength=k)
        union = given + predicted - tp
        curves[i] = np.divide(tp, union, out=np.zeros(k), where=union > 0)
    return curves
