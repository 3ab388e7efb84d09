"""Flatten cleanlab-style token inputs into one total_tokens×K matrix, validating as we go.

Every error names the sentence (and token) at fault in one sentence, so a user can find it.
"""

from __future__ import annotations

from dataclasses import dataclass

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


def _sentence_probs(i: int, probs: object) -> np.ndarray:
    try:
        p = np.asarray(probs)
    except ValueError:  # numpy refuses ragged nested lists
        raise InvalidInputError(
            f"pred_probs[{i}] has rows of different lengths; every row needs one probability "
            "per class."
        ) from None
    if p.dtype == object:
        raise InvalidInputError(f"pred_probs[{i}] has rows of different lengths.")
    return p


def flatten(labels: object, pred_probs: object) -> Tokens:
    """Validate and concatenate once: lengths per sentence, K, label range, finite values."""
    if len(labels) != len(pred_probs):
        raise InvalidInputError(
            f"labels has {len(labels)} sentences but pred_probs has {len(pred_probs)}."
        )
    if len(labels) == 0:
        raise InvalidInputError("labels and pred_probs hold no sentences: nothing to audit.")
    probs = [_sentence_probs(i, p) for i, p in enumerate(pred_probs)]
    lengths = np.fromiter(map(len, labels), dtype=np.int64, count=len(labels))
    shapes = [p.shape for p in probs]
    rows = np.array([s[0] if s else -1 for s in shapes], dtype=np.int64)
    wrong = np.flatnonzero(rows != lengths)
    if wrong.size:
        i = int(wrong[0])
        raise InvalidInputError(
            f"sentence {i} has {lengths[i]} labels but pred_probs[{i}] has shape {shapes[i]}; "
            "each sentence needs one probability row per token."
        )
    k = shapes[0][1] if len(shapes[0]) == 2 else -1
    for i, s in enumerate(shapes):
        if len(s) != 2 or s[1] != k:
            raise InvalidInputError(
                f"pred_probs[{i}] has shape {s} but pred_probs[0] has {shapes[0]}; every "
                "sentence needs a T×K array with the same K."
            )
    if k < 2:
        raise InvalidInputError(f"pred_probs has K = {k} class; token labels need at least 2.")
    tokens = Tokens(
        labels=as_label_array(np.concatenate([np.asarray(s, dtype=None) for s in labels])),
        pred_probs=np.concatenate(probs),
        offsets=np.concatenate([[0], np.cumsum(lengths)]),
    )
    _check_values(tokens, k)
    return tokens


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
