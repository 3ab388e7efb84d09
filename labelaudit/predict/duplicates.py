"""Near-duplicates among embeddings, from the leave-one-out cosine neighbour list the kNN vote
already found (predict/embeddings.py): which rows have a near-duplicate with another label
(`conflicting_duplicate_of`), and which an exact copy with the same label (`duplicate_of`).

The threshold is learned from the data. Under a locally uniform sample of intrinsic dimension m,
a row's nearest-neighbour distance d obeys (c_i · d)^m ~ Exp(1), so log d is a scaled
log-exponential: its median and MAD fix the location and 1/m without knowing m. A pair is a
near-duplicate when its distance falls below that law's NEAR_DUPLICATE_QUANTILE quantile:

    log t = median(log d1) − FENCE · MAD(log d1),
    FENCE = (median(log E) − log(−log(1 − q))) / MAD(log E)  for E ~ Exp(1),

over the rows' positive nearest-neighbour cosine distances d1. Data with no duplicates then has
about q of its rows under t (fewer where density varies, which widens the MAD); copies and tiny
perturbations sit orders of magnitude lower. A zero distance and identical embeddings are always
near-duplicates, whatever t, and zero distances do not enter the fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# q: the share of rows of duplicate-free data the rule may call near-duplicates (one in a
# thousand), the quantile of the nearest-neighbour law the cut sits at.
NEAR_DUPLICATE_QUANTILE = 1e-3
# Median and MAD of log E for E ~ Exp(1): log(log 2), and the root of
# F(med + δ) − F(med − δ) = 1/2 with F(s) = 1 − exp(−e^s) (tests check both numerically).
LOG_EXP_MEDIAN = float(np.log(np.log(2.0)))
LOG_EXP_MAD = 0.7670492513257081
FENCE = (LOG_EXP_MEDIAN - float(np.log(-np.log1p(-NEAR_DUPLICATE_QUANTILE)))) / LOG_EXP_MAD
# Fewer positive nearest-neighbour distances than this and no law is fitted: only identical
# embeddings count (a median and MAD of a handful of rows say nothing about a tail of 1/1000).
MIN_FIT_ROWS = 20
NO_ROW = -1  # a nullable row column's null, as the report stores it (report.py)


@dataclass(frozen=True)
class Duplicates:
    """Row pointers (N,) int64, NO_ROW where null, and what the metadata records."""

    conflicting_duplicate_of: np.ndarray
    duplicate_of: np.ndarray | None
    details: dict[str, Any]


def duplicate_threshold(nearest: np.ndarray) -> tuple[float, dict[str, Any]]:
    """The cosine-distance cut t from each row's nearest-neighbour distance (N,), and how it was
    fitted; t = 0 (identical embeddings only) when too few distances are positive, or when
    most of them are equal (MAD 0: a lattice, not a continuous law to take a tail of)."""
    positive = nearest[nearest > 0]
    fit: dict[str, Any] = {
        "rule": "log-exponential lower fence: log t = median(log d1) - fence * MAD(log d1)",
        "quantile": NEAR_DUPLICATE_QUANTILE,
        "fence": FENCE,
        "fitted_rows": int(positive.size),
    }
    median = mad = None
    if positive.size >= MIN_FIT_ROWS:
        logs = np.log(positive.astype(np.float64))
        median = float(np.median(logs))
        mad = float(np.median(np.abs(logs - median)))
    fitted = mad is not None and mad > 0
    fit.update(
        median_log_distance=median,
        mad_log_distance=mad,
        # m from MAD(log d1) = LOG_EXP_MAD / (m / 2): cosine distance grows as the square of the
        # euclidean, so the law's exponent is half the dimension
        implied_dimension=2 * LOG_EXP_MAD / mad if fitted else None,
    )
    return (float(np.exp(median - FENCE * mad)) if fitted else 0.0), fit


def find_duplicates(
    X: np.ndarray, labels: np.ndarray, dist: np.ndarray, ind: np.ndarray, *, exact: bool
) -> Duplicates:
    """Near-duplicates of each row among its cosine neighbours (dist, ind: N × M, nearest first,
    the row itself left out): the nearest one with another label, and with `exact` the lowest
    row holding an identical embedding and the same label."""
    n = len(labels)
    threshold, fit = duplicate_threshold(dist[:, 0])
    near = (dist < threshold) | (dist <= 0)  # a zero distance always counts
    # Identical rows can come out of the search a rounding error above 0: check the embeddings.
    maybe = np.nonzero(dist <= max(threshold, _rounding(X)))
    i, j = maybe[0], ind[maybe]
    same = np.all(X[i] == X[j], axis=1)
    identical = np.zeros_like(near)
    identical[maybe[0][same], maybe[1][same]] = True
    close = near | identical
    conflicting = _first(close & (labels[ind] != labels[:, None]), ind)
    duplicate_of = None
    if exact:
        twin = identical & (labels[ind] == labels[:, None])
        duplicate_of = np.where(twin, ind, n).min(axis=1)
        duplicate_of[duplicate_of == n] = NO_ROW
    details = {
        "duplicate_threshold": threshold,
        "duplicate_metric": "cosine",
        "duplicate_fit": fit,
        "near_duplicate_rows": int(close.any(axis=1).sum()),
        "identical_rows": int(identical.any(axis=1).sum()),
        "conflicting_duplicate_rows": int((conflicting != NO_ROW).sum()),
        "neighbours_searched": int(ind.shape[1]),
    }
    if duplicate_of is not None:
        details["duplicate_rows"] = int((duplicate_of != NO_ROW).sum())
    return Duplicates(conflicting, duplicate_of, details)


def _rounding(X: np.ndarray) -> float:
    """A cosine distance below which two rows may be identical but for the search's rounding."""
    return float(64 * np.finfo(X.dtype).eps)


def _first(mask: np.ndarray, ind: np.ndarray) -> np.ndarray:
    """Per row, the neighbour at the first True of mask (the nearest), else NO_ROW."""
    hit = mask.any(axis=1)
    out = np.full(len(mask), NO_ROW, dtype=np.int64)
    out[hit] = ind[hit, mask[hit].argmax(axis=1)]
    return out


def pairs(pointers: np.ndarray, rows: np.ndarray | None = None) -> list[tuple[int, int]]:
    """The (row, other) pairs a pointer column names, each unordered pair once, by first row."""
    rows = np.arange(len(pointers)) if rows is None else rows
    has = pointers != NO_ROW
    a, b = rows[has], pointers[has]
    found = np.unique(np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1), axis=0)
    return [(int(x), int(y)) for x, y in found]
