"""Drop-in for `cleanlab.token_classification.rank.get_label_quality_scores`."""

from __future__ import annotations

from itertools import pairwise

import numpy as np

from labelaudit.confident.rank import get_label_quality_scores as flat_scores
from labelaudit.errors import ConfigError, InvalidInputError
from labelaudit.token_classification._inputs import Tokens, flatten

SENTENCE_METHODS = ("min", "softmin")
# cleanlab's defaults: softmin temperature, and the floor (internal.constants.EPSILON) it divides by.
SOFTMIN_TEMPERATURE = 0.05
EPSILON = 1e-6


def get_label_quality_scores(
    labels: list,
    pred_probs: list,
    *,
    tokens: list | None = None,
    token_score_method: str = "self_confidence",
    sentence_score_method: str = "min",
    sentence_score_kwargs: dict | None = None,
) -> tuple[np.ndarray, list]:
    """(sentence_scores (N,), token_scores: N pd.Series) as cleanlab 2.9 returns them.

    Token scores are `labelaudit.confident.rank.get_label_quality_scores` on the concatenated
    tokens ("self_confidence", "normalized_margin", "confidence_weighted_entropy"); a sentence's
    score is the min of its tokens' or their softmin <s, softmax((1 - s) / t)> (temperature t
    from sentence_score_kwargs, default 0.05). `tokens[i]`, when given, indexes the i-th Series.
    Building N Series dominates the time; `label_quality_arrays` gives the same numbers flat.
    """
    sentence_scores, scores, offsets = label_quality_arrays(
        labels,
        pred_probs,
        token_score_method=token_score_method,
        sentence_score_method=sentence_score_method,
        sentence_score_kwargs=sentence_score_kwargs,
    )
    return sentence_scores, _series(scores, offsets, tokens)


def label_quality_arrays(
    labels: list,
    pred_probs: list,
    *,
    token_score_method: str = "self_confidence",
    sentence_score_method: str = "min",
    sentence_score_kwargs: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sentence_scores (N,), token_scores (total_tokens,), offsets (N+1,)): the numbers of
    get_label_quality_scores without one pd.Series per sentence; sentence i's tokens are
    token_scores[offsets[i]:offsets[i + 1]]."""
    _check_sentence_method(sentence_score_method)  # before any work on the inputs
    return scores_of_tokens(
        flatten(labels, pred_probs),
        token_score_method=token_score_method,
        sentence_score_method=sentence_score_method,
        sentence_score_kwargs=sentence_score_kwargs,
    )


def scores_of_tokens(
    flat: Tokens,
    *,
    token_score_method: str = "self_confidence",
    sentence_score_method: str = "min",
    sentence_score_kwargs: dict | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """label_quality_arrays on tokens already flattened and checked (_inputs.Tokens)."""
    _check_sentence_method(sentence_score_method)
    scores = flat_scores(flat.labels, flat.pred_probs, method=token_score_method)
    if sentence_score_method == "min":
        sentence_scores = _segment_min(scores, flat)
    else:
        temperature = (sentence_score_kwargs or {}).get("temperature", SOFTMIN_TEMPERATURE)
        sentence_scores = softmin_scores(scores, flat, temperature)
    return sentence_scores, scores, flat.offsets


def _check_sentence_method(method: str) -> None:
    if method not in SENTENCE_METHODS:
        raise ConfigError(
            f"sentence_score_method {method!r} is not one of {', '.join(SENTENCE_METHODS)}."
        )


def _check_nonempty(flat: Tokens) -> None:
    empty = np.flatnonzero(flat.lengths == 0)
    if empty.size:
        raise InvalidInputError(f"sentence {int(empty[0])} has no tokens, so it has no score.")


def _segment_min(scores: np.ndarray, flat: Tokens) -> np.ndarray:
    _check_nonempty(flat)
    return np.minimum.reduceat(scores, flat.offsets[:-1])


def softmin_scores(scores: np.ndarray, flat: Tokens, temperature: float) -> np.ndarray:
    """cleanlab's `_softmin_sentence_score`, per sentence.

    float64 runs as segment reductions over all tokens (equal to cleanlab's per-sentence np.dot
    within float64 rounding, ~1e-16). float32 scores keep cleanlab's own per-sentence calls: its
    float32 arithmetic (BLAS dot, pairwise sums) rounds at ~1e-7, and only the same calls in the
    same order land on the same float32 values.
    """
    _check_nonempty(flat)
    starts = flat.offsets[:-1]
    if temperature == 0:
        return np.minimum.reduceat(scores, starts)
    if scores.dtype != np.float64:
        return _softmin_per_sentence(scores, flat, temperature)
    if temperature == np.inf:
        return np.add.reduceat(scores, starts) / flat.lengths
    x = (1 - scores) / max(temperature, EPSILON)
    x -= np.repeat(np.maximum.reduceat(x, starts), flat.lengths)
    weights = np.exp(x)
    return np.add.reduceat(scores * weights, starts) / np.add.reduceat(weights, starts)


def _softmin_per_sentence(scores: np.ndarray, flat: Tokens, temperature: float) -> np.ndarray:
    parts = _parts(scores, flat.offsets)
    if temperature == np.inf:
        return np.array([np.mean(s) for s in parts])
    out = []
    for s in parts:
        x = (1 - s) / max(temperature, EPSILON)
        x = x - np.max(x, axis=0, keepdims=True)
        e = np.exp(x)
        out.append(np.dot(s, e / np.sum(e, axis=0, keepdims=True)))
    return np.array(out)


def _series(scores: np.ndarray, offsets: np.ndarray, tokens: list | None) -> list:
    """One pd.Series per sentence, indexed by its tokens when given (cleanlab's token_scores).

    Each Series views its slice of the flat scores (copy=False) and sentences of one length share
    one RangeIndex (indexes are immutable): that halves pandas' per-Series cost.
    """
    import pandas as pd

    parts = _parts(scores, offsets)
    if tokens:
        return [pd.Series(s, index=t) for s, t in zip(parts, tokens, strict=False)]  # as cleanlab
    indexes: dict[int, object] = {}
    out = []
    for s in parts:
        n = len(s)
        index = indexes.get(n)
        if index is None:
            index = indexes[n] = pd.RangeIndex(n)
        out.append(pd.Series(s, index=index, copy=False))
    return out


def _parts(scores: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    """Each sentence's slice (a view) of the flat token scores."""
    return [scores[a:b] for a, b in pairwise(offsets.tolist())]
