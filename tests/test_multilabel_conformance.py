"""Multi-label conformance with cleanlab 2.9's cleanlab.multilabel_classification: every
filter_by × ranking and every score, on generated data with ties, rare and absent classes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelaudit.confident import multilabel
from labelaudit.confident.methods import FILTER_METHODS, RANK_METHODS
from tests.parity import same

ml_filter = pytest.importorskip("cleanlab.multilabel_classification.filter")
ml_rank = pytest.importorskip("cleanlab.multilabel_classification.rank")


def make_multilabel(seed: int, n: int, k: int, *, quantum: float | None, float32: bool):
    """Label sets with planted noise and per-class probabilities that mostly agree with them."""
    rng = np.random.default_rng(seed)
    truth = rng.random((n, k)) < rng.uniform(0.05, 0.5, k)
    truth[:, -1] = False  # a class nobody has
    given = truth ^ (rng.random((n, k)) < 0.08)
    given[:, -1] = False
    P = np.clip(np.where(truth, rng.beta(5, 2, (n, k)), rng.beta(2, 5, (n, k))), 0, 1)
    if quantum:
        P = np.round(P / quantum) * quantum
    labels = [list(np.flatnonzero(row)) for row in given]
    return labels, P.astype(np.float32) if float32 else P


def _outcome(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(*args, **kwargs)
        except (ValueError, IndexError, TypeError):
            return "error", None


def compare(labels, P) -> list[str]:
    failures = []
    for filter_by in FILTER_METHODS:
        for ranked in (None, *RANK_METHODS):
            kw = dict(filter_by=filter_by, return_indices_ranked_by=ranked)
            theirs = _outcome(ml_filter.find_label_issues, labels, P, n_jobs=1, **kw)
            ours = _outcome(multilabel.find_label_issues, labels, P, **kw)
            if ours[0] != theirs[0] or (ours[0] == "ok" and not same(ours[1], theirs[1])):
                failures.append(str(kw))
    for method in RANK_METHODS:
        for adjust in (False, True):
            kw = dict(method=method, adjust_pred_probs=adjust)
            theirs = _outcome(ml_rank.get_label_quality_scores, labels, P, **kw)
            ours = _outcome(multilabel.get_label_quality_scores, labels, P, **kw)
            if ours[0] != theirs[0] or (ours[0] == "ok" and not same(ours[1], theirs[1])):
                failures.append(f"scores {kw}")
    return failures


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(20, 250),
    k=st.sampled_from([2, 3, 6]),
    quantum=st.sampled_from([None, 0.1]),
    float32=st.booleans(),
)
def test_multilabel_matches_cleanlab(seed, n, k, quantum, float32):
    labels, P = make_multilabel(seed, n, k, quantum=quantum, float32=float32)
    assert compare(labels, P) == []


def test_options_and_matrix_labels_match_cleanlab():
    labels, P = make_multilabel(5, 300, 4, quantum=None, float32=False)
    for kw in (
        dict(min_examples_per_class=30),
        dict(frac_noise=0.5),
        dict(num_to_remove_per_class=[3, 2, 5, 0], filter_by="prune_by_class"),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ml_filter.find_label_issues(labels, P, n_jobs=1, **kw)
        assert np.array_equal(multilabel.find_label_issues(labels, P, **kw), theirs)
    matrix = multilabel.one_hot(labels, 4)
    assert np.array_equal(
        multilabel.find_label_issues(matrix, P), multilabel.find_label_issues(labels, P)
    )


def test_bad_multilabel_input():
    from labelaudit.errors import InvalidInputError

    P = np.full((3, 3), 0.5)
    with pytest.raises(InvalidInputError, match="row 1 has class 5"):
        multilabel.find_label_issues([[0], [5], []], P)
    with pytest.raises(InvalidInputError, match="only 0 and 1"):
        multilabel.find_label_issues(np.array([[0, 2, 0]] * 3), P)
