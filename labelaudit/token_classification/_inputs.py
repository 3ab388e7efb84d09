"""Flatten cleanlab-style token inputs into one total_tokens×K matrix, validating as we go.

Every error names the sentence (and token) at fault in one sentence, so a user can find it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from labelaudit.confident._validation import as_label_array
from labelaudit.errors import InvalidInputError


@dataclass(frozen=True)
class Tokens:
    """labels (total_tokens,) int64, pred_probs (total_tokens, K), and sentence offsets (N+1,)."""

    labels: np.ndarray
    pred_probs: np.ndarray
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def locate(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sentence, token) of flat token indices."""
        sentence = np.searchsorted(self.offsets, flat, side="right") - 1
        return sentence, flat - self.offsets[sentence]


def flatten(labels: object, pred_probs: object) -> Tokens:
    """Validate and concatenate once: lengths per sentence, K, label range, finite values.

    The happy path is a few C-level passes (len per sentence, one np.concatenate, one
    np.fromiter); only when numpy refuses the arrays does a per-sentence loop find the culprit.
    """
    if len(labels) != len(pred_probs):
        raise InvalidInputError(
            f"labels has {len(labels)} sentences but pred_probs has {len(pred_probs)}."
        )
    if len(labels) == 0:
        raise InvalidInputError("labels and pred_probs hold no sentences: nothing to audit.")
    lengths = _lengths(labels, "labels")
    rows = _lengths(pred_probs, "pred_probs")
    wrong = np.flatnonzero(rows != lengths)
    if wrong.size:
        i = int(wrong[0])
        raise InvalidInputError(
            f"sentence {i} has {lengths[i]} labels but pred_probs[{i}] has shape "
            f"{np.shape(pred_probs[i])}; each sentence needs one probability row per token."
        )
    probs = _concatenate_probs(pred_probs, rows)
    tokens = Tokens(
        labels=_flat_labels(labels, int(lengths.sum())),
        pred_probs=probs,
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
    )
    _check_values(tokens, probs.shape[1])
    return tokens


def checked(labels: np.ndarray, pred_probs: np.ndarray, offsets: np.ndarray) -> Tokens:
    """Tokens that are already concatenated (labels (T,), pred_probs (T, K), sentence offsets
    (N+1,), as the audit pipeline reads them), checked as flatten checks its joined arrays."""
    k = pred_probs.shape[1]
    if k < 2:
        raise InvalidInputError(f"pred_probs has K = {k} class; token labels need at least 2.")
    tokens = Tokens(np.asarray(labels, dtype=np.int64), pred_probs, np.asarray(offsets, np.int64))
    _check_values(tokens, k)
    return tokens


def _lengths(sentences: object, name: str) -> np.ndarray:
    try:
        return np.fromiter(map(len, sentences), dtype=np.int64, count=len(sentences))
    except TypeError:
        i = next(i for i, s in enumerate(sentences) if not hasattr(s, "__len__") or np.ndim(s) == 0)
        raise InvalidInputError(f"{name}[{i}] is not a sequence of tokens.") from None


def _concatenate_probs(pred_probs: object, rows: np.ndarray) -> np.ndarray:
    """total_tokens×K; sentences without tokens are skipped (cleanlab's flattening ignores them)."""
    parts = pred_probs if rows.all() else [p for p, n in zip(pred_probs, rows, strict=True) if n]
    try:
        probs = np.concatenate(parts) if len(parts) else np.empty((0, 0))
    except ValueError:
        probs = None
    if probs is None or probs.ndim != 2:
        _explain_shapes(pred_probs, rows)
    k = probs.shape[1]
    if k < 2:
        raise InvalidInputError(f"pred_probs has K = {k} class; token labels need at least 2.")
    return probs


def _explain_shapes(pred_probs: object, rows: np.ndarray) -> None:
    """Raise naming the first sentence whose probabilities are ragged or disagree on K."""
    first = None
    for i, p in enumerate(pred_probs):
        if not rows[i]:
            continue
        try:
            shape = np.shape(p)
        except ValueError:  # numpy refuses ragged nested lists
            shape = None
        if shape is None or len(shape) != 2:
            raise InvalidInputError(
                f"pred_probs[{i}] has rows of different lengths or is not T×K; every row needs "
                "one probability per class."
            )
        if first is None:
            first = (i, shape)
        elif shape[1] != first[1][1]:
            raise InvalidInputError(
                f"pred_probs[{i}] has shape {shape} but pred_probs[{first[0]}] has {first[1]}; "
                "every sentence needs the same K."
            )
    raise InvalidInputError("pred_probs could not be joined into one total_tokens×K array.")


def _flat_labels(labels: object, total: int) -> np.ndarray:
    """Labels as int64 (total,). float64 is the fast carrier: exact for any class index, and
    as_label_array refuses fractional values (np.fromiter to int64 would truncate 1.5 to 1)."""
    try:
        flat = np.fromiter(chain.from_iterable(labels), dtype=np.float64, count=total)
    except (TypeError, ValueError):  # strings or nested lists: let as_label_array explain
        flat = np.concatenate([np.asarray(s).reshape(-1) for s in labels])
    return as_label_array(flat)


def _check_values(tokens: Tokens, k: int) -> None:
    bad = (tokens.labels < 0) | (tokens.labels >= k)
    if bad.any():
        at = int(np.argmax(bad))
        (s,), (t,) = tokens.locate(np.array([at]))
        raise InvalidInputError(
            f"sentence {s}, token {t} has label {tokens.labels[at]}, outside 0..{k - 1} for the "
            f"K = {k} classes of pred_probs."
        )
    if tokens.pred_probs.dtype.kind != "f":
        raise InvalidInputError(
            f"pred_probs must be floating point, got {tokens.pred_probs.dtype}."
        )
    finite = np.isfinite(tokens.pred_probs)
    if not finite.all():
        at = int(np.argmax(~finite.all(axis=1)))
        (s,), (t,) = tokens.locate(np.array([at]))
        raise InvalidInputError(
            f"sentence {s}, token {t} has a non-finite probability; probabilities must be finite."
        )
