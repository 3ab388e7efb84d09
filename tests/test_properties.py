"""Properties confident learning guarantees (from cleanlab's own test suite), on planted noise."""

from __future__ import annotations

import numpy as np
import pytest

import labelaudit
from labelaudit.confident.methods import FILTER_METHODS, LOW_SCORE_METHODS
from tests.helpers import planted


@pytest.fixture(scope="module")
def data():
    return planted(n=1500, k=5, noise=0.25, seed=42)


@pytest.mark.parametrize("filter_by", [m for m in FILTER_METHODS if m not in LOW_SCORE_METHODS])
def test_no_flagged_example_has_its_label_as_the_prediction(data, filter_by):
    labels, P, _ = data
    mask = labelaudit.find_label_issues(labels, P, filter_by=filter_by)
    assert mask.any()
    assert not np.any(P[mask].argmax(axis=1) == labels[mask])


def test_calibrated_joint_has_label_counts_as_rows_and_n_in_total(data):
    labels, P, _ = data
    cj = labelaudit.compute_confident_joint(labels, P)
    assert cj.sum(axis=1).tolist() == np.bincount(labels).tolist()
    assert cj.sum() == len(labels)
    raw = labelaudit.compute_confident_joint(labels, P, calibrate=False)
    assert np.array_equal(labelaudit.calibrate_confident_joint(raw, labels), cj)
    assert np.isclose(labelaudit.estimate_joint(labels, P).sum(), 1.0)


def test_both_is_the_intersection_of_the_two_pruning_methods(data):
    labels, P, _ = data
    by_class = labelaudit.find_label_issues(labels, P, filter_by="prune_by_class")
    by_noise = labelaudit.find_label_issues(labels, P, filter_by="prune_by_noise_rate")
    both = labelaudit.find_label_issues(labels, P, filter_by="both")
    assert np.array_equal(both, by_class & by_noise)


def test_low_score_methods_flag_as_many_as_confident_learning(data):
    labels, P, _ = data
    count = labelaudit.num_label_issues(labels, P)
    assert count == labelaudit.find_label_issues(labels, P, filter_by="confident_learning").sum()
    for method in LOW_SCORE_METHODS:
        assert labelaudit.find_label_issues(labels, P, filter_by=method).sum() == count


def test_planted_errors_are_found(data):
    labels, P, true = data
    mask = labelaudit.find_label_issues(labels, P)
    wrong = labels != true
    precision = (mask & wrong).sum() / mask.sum()
    recall = (mask & wrong).sum() / wrong.sum()
    assert precision > 0.85 and recall > 0.85


def test_ranked_indices_follow_the_scores(data):
    labels, P, _ = data
    for method in ("self_confidence", "normalized_margin", "confidence_weighted_entropy"):
        ranked = labelaudit.find_label_issues(labels, P, return_indices_ranked_by=method)
        scores = labelaudit.get_label_quality_scores(labels, P, method=method)
        assert np.all(np.diff(scores[ranked]) >= 0)


def test_small_classes_are_not_pruned():
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    P = np.full((9, 3), 0.1)
    P[np.arange(9), (labels + 1) % 3] = 0.8  # every label disagrees with the model
    for filter_by in ("prune_by_noise_rate", "prune_by_class", "both"):
        mask = labelaudit.find_label_issues(
            labels, P, filter_by=filter_by, min_examples_per_class=3
        )
        assert not mask.any()


def test_library_errors_are_value_errors_with_a_sentence():
    labels, P, _ = planted(n=20, k=3)
    with pytest.raises(ValueError, match="pred_probs has only 3 columns"):
        labelaudit.find_label_issues(np.where(labels == 0, 3, labels), P)
    with pytest.raises(ValueError, match="probabilities must be finite"):
        labelaudit.find_label_issues(labels, np.where(P > 0.5, np.nan, P))
    with pytest.raises(ValueError, match="not one of"):
        labelaudit.find_label_issues(labels, P, filter_by="magic")
    with pytest.raises(ValueError, match="num_to_remove_per_class works only"):
        labelaudit.find_label_issues(
            labels, P, filter_by="confident_learning", num_to_remove_per_class=[1, 1, 1]
        )


@pytest.mark.parametrize("bad, message", [(np.nan, "must be finite"), (1.5, "must lie in")])
@pytest.mark.parametrize("order", ["C", "F"])
def test_quality_scores_check_every_value_in_their_one_pass(bad, message, order):
    """The default scores read P once: the range check and the picks share that pass."""
    labels, P, _ = planted(n=30_000, k=40, seed=3)
    P = np.array(P, order=order)
    assert np.array_equal(
        labelaudit.get_label_quality_scores(labels, P), P[np.arange(len(labels)), labels]
    )
    P[29_123, 7] = bad  # in the last of the pass's blocks
    with pytest.raises(ValueError, match=rf"row 29123, column 7 is .*{message}"):
        labelaudit.get_label_quality_scores(labels, P)


def test_results_do_not_depend_on_the_number_of_threads(monkeypatch, data):
    labels, P, _ = data
    results = []
    for threads in ("1", "3"):
        monkeypatch.setenv("LABELAUDIT_THREADS", threads)
        results.append(
            [
                labelaudit.find_label_issues(
                    labels, P, filter_by=f, return_indices_ranked_by="self_confidence"
                )
                for f in FILTER_METHODS
            ]
        )
    for single, multi in zip(*results, strict=True):
        assert np.array_equal(single, multi)
