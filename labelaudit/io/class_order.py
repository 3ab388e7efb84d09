"""Refuse a class order that looks permuted against the probability columns.

A --class-names list (or label encoding) in a different order than the model's columns makes
most rows disagree with their label, and the audit flags them all. The check is decided over
the whole dataset, not per class: the K×K matrix A[i, j] = the fraction of rows labelled i whose
argmax column is j (one argmax per row and one bincount, O(N·K) reads and K² counts), and the
best one-to-one assignment of columns to labels (scipy's linear_sum_assignment) is compared with
the identity. When every label's most frequent argmax is its own column the identity is already
the best assignment and nothing more is computed. A class whose labels are mostly wrong moves
mass off its diagonal but does not make a permutation fit far better, so it is still audited.
"""

from __future__ import annotations

import numpy as np

from labelaudit.errors import InvalidInputError

# The assignment must beat the identity by this much in agreement per class before the order
# is refused. With 40% uniform label noise the identity still agrees on ~0.6 of each class and
# no permutation comes close; a swapped pair turns a ~0.9 diagonal into ~0.1.
MIN_GAIN = 0.25
# The assignment must also agree at least this well, so that a model that barely knows the
# classes (argmax close to random) never triggers a refusal on noise.
MIN_ASSIGNMENT_FIT = 0.5


# Above this many classes the K×K comparison costs more than it is worth (and K² memory).
MAX_CHECKED_CLASSES = 1000


def argmax_agreement(
    labels: np.ndarray, pred_probs: np.ndarray, argmax: np.ndarray | None = None
) -> np.ndarray:
    """K×K matrix: row i is the distribution of argmax columns among the rows labelled i.

    argmax, when the caller already has it (the detector's row pass), saves a pass over pred_probs.
    """
    labels = np.asarray(labels, dtype=np.int64)
    k = pred_probs.shape[1]
    argmax = np.asarray(pred_probs).argmax(axis=1) if argmax is None else np.asarray(argmax)
    counts = np.bincount(labels * k + argmax, minlength=k * k).reshape(k, k).astype(np.float64)
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def check_class_order(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    *,
    source: str = "the probabilities",
    class_names: list[str] | None = None,
    force: bool = False,
    argmax: np.ndarray | None = None,
) -> None:
    """Raise InvalidInputError when the columns of pred_probs (N×K) look permuted against labels (N,).

    Only classes that occur are compared. force=True skips the check (--force, or force = true
    in the gate's config). The error names the permutation and both fits as evidence.
    """
    k = pred_probs.shape[1]
    if force or k > MAX_CHECKED_CLASSES:
        return
    agreement = argmax_agreement(labels, pred_probs, argmax)
    present = np.flatnonzero(np.bincount(np.asarray(labels, dtype=np.int64), minlength=k) > 0)
    if len(present) < 2:
        return
    sub = agreement[present]  # labelled classes × all K columns
    diagonal = agreement[present, present]
    if np.all(diagonal >= sub.max(axis=1)):
        return  # each label's row maximum is its own column: no assignment can fit better
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(sub, maximize=True)
    assigned = float(sub[rows, cols].mean())
    identity = float(diagonal.mean())
    if assigned - identity < MIN_GAIN or assigned < MIN_ASSIGNMENT_FIT:
        return
    moved = [(int(present[r]), int(c)) for r, c in zip(rows, cols, strict=True) if present[r] != c]

    def name(i: int) -> str:
        return repr(class_names[i]) if class_names is not None and i < len(class_names) else str(i)

    shown = ", ".join(f"{name(a)}→column {b}" for a, b in moved[:6])
    more = f" and {len(moved) - 6} more" if len(moved) > 6 else ""
    raise InvalidInputError(
        f"{source}: the probability columns look permuted against the labels: the assignment "
        f"{shown}{more} agrees with the model's top class on {assigned:.0%} of each class's rows "
        f"vs {identity:.0%} in the given order; check --class-names and the column order, or pass --force if the order is right."
    )
