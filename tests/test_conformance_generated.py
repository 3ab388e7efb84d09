"""Conformance with cleanlab 2.9 on generated edge cases: ties, tiny and missing classes, K=2,
K=1000, N<K, one-hot rows, float32. Every case must match exactly (masks, order, dtypes, scores)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.parity import compare_counts_and_scores, compare_filters

pytest.importorskip("cleanlab")


def make_case(
    seed: int,
    n: int,
    k: int,
    *,
    concentration: float,
    quantum: float | None,
    one_hot_share: float,
    missing: int,
    tiny: int,
    never_predicted: int,
    float32: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Planted-noise probabilities with the requested pathologies."""
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(k, concentration), size=n)
    for c in rng.choice(k, size=min(never_predicted, k - 1), replace=False):
        P[:, c] = 0.0
        P /= P.sum(axis=1, keepdims=True)
    one_hot = rng.random(n) < one_hot_share
    P[one_hot] = np.eye(k)[P[one_hot].argmax(axis=1)]
    if quantum:
        P = np.round(P / quantum) * quantum
    y = np.where(rng.random(n) < 0.7, P.argmax(axis=1), rng.integers(0, k, n))
    present = np.unique(y)
    if missing and len(present) > 2:
        dropped = rng.choice(present, size=min(missing, len(present) - 2), replace=False)
        keep = np.setdiff1d(present, dropped)
        y = np.where(np.isin(y, dropped), rng.choice(keep, size=n), y)
    present = np.unique(y)
    for c in rng.choice(present, size=max(0, min(tiny, len(present) - 2)), replace=False):
        rows = np.flatnonzero(y == c)
        keep = int(rng.integers(1, 3))
        if len(rows) > keep:
            others = np.setdiff1d(present, [c])
            y[rows[keep:]] = rng.choice(others, size=len(rows) - keep)
    return y.astype(np.int64), P.astype(np.float32) if float32 else P


cases = st.builds(
    make_case,
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 300),
    k=st.sampled_from([2, 3, 5, 12, 40]),
    concentration=st.sampled_from([0.1, 1.0, 5.0]),
    quantum=st.sampled_from([None, None, 0.1, 0.25]),
    one_hot_share=st.sampled_from([0.0, 0.0, 0.2]),
    missing=st.integers(0, 3),
    tiny=st.integers(0, 3),
    never_predicted=st.integers(0, 2),
    float32=st.booleans(),
)

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(case=cases, mepc=st.sampled_from([0, 1, 5]), frac_noise=st.sampled_from([1.0, 0.6]))
def test_filters_match_cleanlab(case, mepc, frac_noise):
    labels, pred_probs = case
    options = dict(min_examples_per_class=mepc, frac_noise=frac_noise)
    _, failures = compare_filters(labels, pred_probs, options=options)
    assert failures == []


@SETTINGS
@given(case=cases)
def test_counts_and_scores_match_cleanlab(case):
    _, failures = compare_counts_and_scores(*case)
    assert failures == []


@pytest.mark.parametrize("n", [30, 400])
def test_thousand_classes_match_cleanlab(n):
    labels, pred_probs = make_case(
        7,
        n,
        1000,
        concentration=0.05,
        quantum=None,
        one_hot_share=0.1,
        missing=0,
        tiny=0,
        never_predicted=0,
        float32=False,
    )
    _, failures = compare_filters(labels, pred_probs)
    _, more = compare_counts_and_scores(labels, pred_probs)
    assert failures + more == []


def test_heavy_ties_match_cleanlab():
    """Probabilities on a 0.5 grid: nearly every selection cut falls inside a tie group."""
    labels, pred_probs = make_case(
        3,
        500,
        3,
        concentration=1.0,
        quantum=0.5,
        one_hot_share=0.3,
        missing=0,
        tiny=0,
        never_predicted=0,
        float32=False,
    )
    _, failures = compare_filters(labels, pred_probs, options=dict(min_examples_per_class=0))
    assert failures == []


def test_num_to_remove_per_class_matches_cleanlab():
    labels, pred_probs = make_case(
        11,
        600,
        4,
        concentration=1.0,
        quantum=None,
        one_hot_share=0.0,
        missing=0,
        tiny=0,
        never_predicted=0,
        float32=False,
    )
    _, failures = compare_filters(
        labels, pred_probs, options=dict(num_to_remove_per_class=[5, 3, 0, 7])
    )
    assert failures == []


@pytest.mark.slow
@settings(SETTINGS, max_examples=1500)
@given(case=cases, mepc=st.sampled_from([0, 1, 5]), frac_noise=st.sampled_from([1.0, 0.6]))
def test_filters_match_cleanlab_long_sweep(case, mepc, frac_noise):
    labels, pred_probs = case
    options = dict(min_examples_per_class=mepc, frac_noise=frac_noise)
    _, failures = compare_filters(labels, pred_probs, options=options)
    _, more = compare_counts_and_scores(labels, pred_probs)
    assert failures + more == []


def test_no_row_with_a_positive_margin_matches_cleanlab():
    """Every label is its row's maximum (ties included), yet the joint asks for prunes; found by
    the long sweep."""
    labels, pred_probs = make_case(
        1,
        9,
        3,
        concentration=5.0,
        quantum=0.25,
        one_hot_share=0.0,
        missing=1,
        tiny=0,
        never_predicted=1,
        float32=False,
    )
    _, failures = compare_filters(labels, pred_probs, options=dict(min_examples_per_class=0))
    assert failures == []
