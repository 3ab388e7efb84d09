"""Token-classification drop-ins against cleanlab 2.9 itself, on generated B/I-tagged sentences."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from labelaudit.errors import InvalidInputError
from labelaudit.token_classification.filter import find_label_issues
from labelaudit.token_classification.rank import get_label_quality_scores, label_quality_arrays

cl_filter = pytest.importorskip("cleanlab.token_classification.filter")
cl_rank = pytest.importorskip("cleanlab.token_classification.rank")


def tagged(n, k, *, seed=0, dtype=np.float64, max_len=12, one_token=False, repeats=0, unused=False):
    """n sentences tagged O / B-x / I-x (class 0, odd B, even I) with ~8% labels flipped, and
    softmax outputs of a model that mostly knows the truth. repeats: that many copies of the
    first sentence appended (identical scores, so ties). unused: class K-1 is never a label."""
    rng = np.random.default_rng(seed)
    classes = k - 1 if unused else k
    labels, probs = [], []
    for _ in range(n):
        t = 1 if one_token else int(rng.integers(1, max_len + 1))
        truth = np.zeros(t, dtype=np.int64)
        for j in range(t):
            if rng.random() < 0.3:
                b = 1 + 2 * int(rng.integers(0, (classes - 1) // 2 or 1))
                truth[j] = min(b + (j > 0 and truth[j - 1] in (b, b + 1)), classes - 1)
        logits = rng.normal(0, 1, (t, k))
        logits[np.arange(t), truth] += 3
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        given = truth.copy()
        flip = rng.random(t) < 0.08
        given[flip] = rng.integers(0, classes, int(flip.sum()))
        labels.append(given.tolist())
        probs.append(p.astype(dtype))
    labels += [list(labels[0]) for _ in range(repeats)]
    probs += [probs[0].copy() for _ in range(repeats)]
    return labels, probs


def cleanlab_answers(labels, probs, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cl_filter.find_label_issues(labels, probs, n_jobs=1, **kwargs)


CASES = {
    "K=5 BIO": dict(n=300, k=5),
    "K=9 BIO, float32": dict(n=300, k=9, dtype=np.float32),
    "one-token sentences": dict(n=200, k=5, one_token=True),
    "repeated identical sentences": dict(n=60, k=5, repeats=40),
    "repeated sentences, float32": dict(n=60, k=9, repeats=40, dtype=np.float32),
    "a class never labelled": dict(n=200, k=9, unused=True),
    "2000 sentences": dict(n=2000, k=9, dtype=np.float32),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_issues_and_scores_equal_cleanlabs(case):
    labels, probs = tagged(**CASES[case], seed=len(case))
    expected = cleanlab_answers(labels, probs)
    issues = find_label_issues(labels, probs)
    assert expected and issues == expected
    want_sentences, want_tokens = cl_rank.get_label_quality_scores(labels, probs)
    sentences, token_scores = get_label_quality_scores(labels, probs)
    assert sentences.dtype == want_sentences.dtype
    np.testing.assert_allclose(sentences, want_sentences, rtol=0, atol=1e-9)
    assert len(token_scores) == len(want_tokens)
    for ours, theirs in zip(token_scores, want_tokens, strict=True):
        np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=0, atol=1e-9)


def test_repeated_sentences_tie_and_keep_cleanlabs_order():
    labels, probs = tagged(60, 5, seed=3)
    # One sentence whose third token is confidently another class, repeated 40 more times.
    wrong = np.array([[0.9, 0.05, 0.02, 0.02, 0.01]] * 4)
    wrong[2] = [0.02, 0.9, 0.05, 0.02, 0.01]
    labels += [[0, 0, 3, 0] for _ in range(41)]
    probs += [wrong.copy() for _ in range(41)]
    issues = find_label_issues(labels, probs)
    repeated = [pair for pair in issues if pair[0] >= 60]
    assert sorted(repeated) == [(i, 2) for i in range(60, 101)]
    # 41 equal scores: numpy's unstable argsort orders them (not ascending on numpy 2.4); ours is
    # the same call on the same array, so the order must be cleanlab's.
    assert issues == cleanlab_answers(labels, probs)


@pytest.mark.parametrize("method", ["normalized_margin", "confidence_weighted_entropy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_other_rankings_and_token_methods_equal_cleanlabs(method, dtype):
    labels, probs = tagged(150, 9, seed=11, dtype=dtype, repeats=10)
    assert find_label_issues(labels, probs, return_indices_ranked_by=method) == cleanlab_answers(
        labels, probs, return_indices_ranked_by=method
    )
    want, _ = cl_rank.get_label_quality_scores(labels, probs, token_score_method=method)
    ours, _ = get_label_quality_scores(labels, probs, token_score_method=method)
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("filter_by", ["prune_by_class", "both", "confident_learning"])
def test_filter_kwargs_reach_the_confident_core(filter_by):
    labels, probs = tagged(150, 5, seed=5)
    kwargs = dict(filter_by=filter_by)
    assert find_label_issues(labels, probs, **kwargs) == cleanlab_answers(labels, probs, **kwargs)


@pytest.mark.parametrize("temperature", [None, 0.5, 0, np.inf])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmin_sentence_scores_equal_cleanlabs(temperature, dtype):
    labels, probs = tagged(300, 9, seed=2, dtype=dtype, repeats=5)
    kwargs = {} if temperature is None else {"temperature": temperature}
    want, _ = cl_rank.get_label_quality_scores(
        labels, probs, sentence_score_method="softmin", sentence_score_kwargs=kwargs
    )
    ours, _ = get_label_quality_scores(
        labels, probs, sentence_score_method="softmin", sentence_score_kwargs=kwargs
    )
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-9)


def test_token_strings_index_the_series():
    labels, probs = [[0, 1], [1]], [np.array([[0.8, 0.2], [0.3, 0.7]]), np.array([[0.4, 0.6]])]
    _, series = get_label_quality_scores(labels, probs, tokens=[["New", "York"], ["is"]])
    assert list(series[0].index) == ["New", "York"] and series[1]["is"] == 0.6


def test_an_unknown_sentence_method_is_refused():
    labels, probs = tagged(5, 3, seed=1)
    with pytest.raises(ValueError, match="sentence_score_method"):
        get_label_quality_scores(labels, probs, sentence_score_method="mean")


def _good():
    return [[0, 1], [1, 0, 0]], [np.full((2, 3), 1 / 3), np.full((3, 3), 1 / 3)]


def _bad(kind):
    labels, probs = _good()
    if kind == "length":
        probs[1] = probs[1][:2]
    elif kind == "label":
        labels[1][2] = 3
    elif kind == "nan":
        probs[1][1, 2] = np.nan
    elif kind == "k1":
        labels, probs = [[0, 0], [0]], [np.ones((2, 1)), np.ones((1, 1))]
    elif kind == "ragged":
        probs[1] = [[0.5, 0.5, 0.0], [1.0, 0.0], [0.2, 0.3, 0.5]]
    elif kind == "sentences":
        probs = probs[:1]
    return labels, probs


@pytest.mark.parametrize(
    "kind, fragment",
    [
        ("length", "sentence 1 has 3 labels but pred_probs\\[1\\] has shape \\(2, 3\\)"),
        ("label", "sentence 1, token 2 has label 3, outside 0..2"),
        ("nan", "sentence 1, token 1 has a non-finite probability"),
        ("k1", "K = 1 class"),
        ("ragged", "pred_probs\\[1\\] has rows of different lengths"),
        ("sentences", "labels has 2 sentences but pred_probs has 1"),
    ],
)
def test_bad_input_is_one_sentence(kind, fragment):
    for call in (find_label_issues, get_label_quality_scores):
        labels, probs = _bad(kind)
        with pytest.raises(InvalidInputError, match=fragment) as caught:
            call(labels, probs)
        assert "\n" not in str(caught.value)


def test_token_series_match_cleanlabs_and_flat_arrays_agree():
    labels, probs = tagged(40, 5, seed=8)
    _, want = cl_rank.get_label_quality_scores(labels, probs)
    sentences, series = get_label_quality_scores(labels, probs)
    for ours, theirs in zip(series, want, strict=True):
        pd.testing.assert_series_equal(ours, theirs)
    flat_sentences, flat, offsets = label_quality_arrays(labels, probs)
    np.testing.assert_array_equal(flat_sentences, sentences)
    np.testing.assert_array_equal(flat[offsets[3] : offsets[4]], series[3].to_numpy())
