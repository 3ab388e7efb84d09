"""Refuse a class order that looks permuted against the probability columns.

A --class-names list (or label encoding) in a different order than the model's columns makes
most rows disagree with their label, and the audit flags them all. The check is decided over
the whole dataset, not per class: the K×K matrix M[i, j] = mean P[:, j] over rows labelled i is
built in one pass (a bincount-style class mean, O(N·K)), and the best one-to-one assignment of
columns to labels (scipy's linear_sum_assignment) is compared with the identity. A class whose
labels are mostly wrong moves a little mass off its diagonal but does not make a permutation
fit far better, so it is still audited.
"""

from __future__ import annotations

import numpy as np

from labelaudit.errors import InvalidInputError

# The assignment must beat the identity by this much in mean probability per class before the
# order is refused. With 40% uniform label noise the identity still fits at ~0.6 of the
# diagonal and no permutation comes close; a swapped pair turns a ~0.9 diagonal into ~0.1.
MIN_GAIN = 0.25
# The assignment must also fit at least this well, so that a model that barely knows the
# classes (every column near 1/K) never triggers a refusal on noise.
MIN_ASSIGNMENT_FIT = 0.5


# Above this many classes the K×K comparison costs more than it is worth (and K² memory).
MAX_CHECKED_CLASSES = 1000


def class_means(labels: np.ndarray, pred_probs: np.ndarray) -> np.ndarray:
    """K×K matrix: row i is the mean probability vector of the examples labelled i (0 when absent)."""
    labels = np.asarray(labels, dtype=np.int64)
    k = pred_probs.shape[1]
    from scipy.sparse import csr_matrix

    n = len(labels)
    # One sparse (K×N one-hot) times dense product: a single pass over pred_probs.
    onehot = csr_matrix((np.ones(n), (labels, np.arange(n))), shape=(k, n))
    sums = np.asarray(onehot @ np.asarray(pred_probs, dtype=np.float64))
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    return np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0)


def check_class_order(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    source: str = "the probabilities",
    class_names: list[str] | None = None,
    force: bool = False,
) -> None:
    """Raise InvalidInputError when the columns of pred_probs (N×K) look permuted against labels (N,).

    Only classes that occur are compared. force=True skips the check (--force, or force = true
    in the gate's config). The error names the permutation and both fits as evidence.
    """
    k = pred_probs.shape[1]
    if force or k > MAX_CHECKED_CLASSES:
        return
    means = class_means(labels, pred_probs)
    present = np.flatnonzero(np.bincount(np.asarray(labels, dtype=np.int64), minlength=k) > 0)
    if len(present) < 2:
        return
    from scipy.optimize import linear_sum_assignment

    sub = means[present]  # labelled classes × all K columns
    rows, cols = linear_sum_assignment(sub, maximize=True)
    assigned = float(sub[rows, cols].mean())
    identity = float(means[present, present].mean())
    if assigned - identity < MIN_GAIN or assigned < MIN_ASSIGNMENT_FIT:
        return
    moved = [(int(present[r]), int(c)) for r, c in zip(rows, cols, strict=True) if present[r] != c]

    def name(i: int) -> str:
        return repr(class_names[i]) if class_names is not None and i < len(class_names) else str(i)

    shown = ", ".join(f"{name(a)}→column {b}" for a, b in moved[:6])
    more = f" and {len(moved) - 6} more" if len(moved) > 6 else ""
    raise InvalidInputError(
        f"{source}: the probability columns look permuted against the labels: the assignment "
        f"{shown}{more} fits mean P {assigned:.2f} per class vs {identity:.2f} for the given "
        "order; check --class-names and the column order, or pass --force if the order is right."
    )
