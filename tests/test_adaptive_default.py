"""labelaudit's adaptive default (confident/adaptive.py) at the detector level: the flag count
on generated families of both kinds (a bimodal self-confidence, and class-conditional noise under
weaker scikit-learn models where it is not bimodal), exact cleanlab parity under every explicit
option, and the decision record in the metadata."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from labelaudit.bench.families import class_conditional, long_tail, pair_flips
from labelaudit.confident.adaptive import (
    cap_per_class,
    combine_posteriors,
    error_posterior,
    expected_f1_count,
    fit_mixture,
    noise_matrix,
    separation,
)
from labelaudit.confident.methods import FILTER_METHODS
from labelaudit.detectors.confident_learning import ConfidentLearning

cleanlab_filter = pytest.importorskip("cleanlab.filter")
cleanlab_count = pytest.importorskip("cleanlab.count")


def strong_model_case(seed: int, *, n: int = 6000, k: int = 6, rate: float = 0.15):
    """A model that is confident where the label is right: self-confidence is bimodal."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    alpha = np.full((n, k), 1.0)
    alpha[np.arange(n), truth] = 20.0
    P = np.array([rng.dirichlet(a) for a in alpha])
    labels = truth.copy()
    flip = rng.random(n) < rate
    labels[flip] = (truth[flip] + rng.integers(1, k, flip.sum())) % k
    return labels, truth, P


def cleanlab_mask(labels, P, **options):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cleanlab_filter.find_label_issues(labels, P, **options)


def f1(mask, errors):
    hits = int((mask & errors).sum())
    return 2 * hits / (mask.sum() + errors.sum())


def test_bimodal_self_confidence_flags_about_the_true_error_count():
    labels, truth, P = strong_model_case(3)
    result = ConfidentLearning().detect(labels, P)
    rule = result.details["default_rule"]
    errors = labels != truth
    assert rule["decision"] == "noise_posterior_and_mixture"
    assert rule["evidence"]["separation_ashman_d"] >= 2
    # Stated band: within 5% of the true error count.
    assert abs(result.is_label_issue.sum() - errors.sum()) <= 0.05 * errors.sum()
    assert f1(result.is_label_issue, errors) >= f1(cleanlab_mask(labels, P), errors) - 0.01
    # No flagged example has its given label as the argmax.
    assert not np.any(result.is_label_issue & (P.argmax(axis=1) == labels))


@pytest.mark.parametrize("seed", [5, 6])
def test_class_conditional_noise_flags_about_the_true_error_count(seed):
    """20% class-conditional noise, a logistic regression: self-confidence is not bimodal, and
    the error posterior's expected-F1 cut both counts and picks better than cleanlab."""
    case = class_conditional(0.2, seed, n=2000, models=("logistic",))
    P = case.members[0]
    result = ConfidentLearning().detect(case.labels, P)
    rule = result.details["default_rule"]
    assert rule["decision"] == "noise_posterior"
    assert rule["evidence"]["separation_ashman_d"] < 2
    true_errors = int(case.errors.sum())
    # Stated band: within 15% of the true error count.
    assert abs(result.is_label_issue.sum() - true_errors) <= 0.15 * true_errors
    assert f1(result.is_label_issue, case.errors) >= f1(cleanlab_mask(case.labels, P), case.errors)


def test_a_bimodality_between_classes_does_not_raise_the_posterior():
    """Long tail: the model is less sure of rare classes, so the raw self-confidence is bimodal
    between classes; inside each class it is not, and the mixture stays off."""
    case = long_tail(0)
    P = case.members[0]
    result = ConfidentLearning().detect(case.labels, P)
    rule = result.details["default_rule"]
    ev = rule["evidence"]
    assert ev["separation_ashman_d"] >= 2  # bimodal as a whole ...
    assert ev["separation_within_classes"] < 2  # ... but not inside the classes
    assert rule["decision"] == "noise_posterior"
    assert f1(result.is_label_issue, case.errors) >= f1(cleanlab_mask(case.labels, P), case.errors)
    # A wrong-label mode inside every class stays separated within classes.
    labels, _, P = strong_model_case(3)
    ev = ConfidentLearning().detect(labels, P).details["default_rule"]["evidence"]
    assert ev["separation_ashman_d"] >= 2 and ev["separation_within_classes"] >= 2


def test_asymmetric_pair_flips_flag_within_a_band_of_the_true_count():
    case = pair_flips(5, n=2000)
    P = case.members[0]
    result = ConfidentLearning().detect(case.labels, P)
    assert result.details["default_rule"]["evidence"]["separation_ashman_d"] < 2
    true_errors = int(case.errors.sum())
    # Stated band: within 25% of the true error count (cleanlab's own count is 35% off here).
    assert abs(result.is_label_issue.sum() - true_errors) <= 0.25 * true_errors
    assert f1(result.is_label_issue, case.errors) >= f1(cleanlab_mask(case.labels, P), case.errors)


def test_ensemble_combines_member_posteriors_and_counts_within_a_band():
    case = class_conditional(0.2, 5, n=2000, models=("logistic", "bayes"))
    P = np.mean(case.members, axis=0)
    result = ConfidentLearning(members=case.members).detect(case.labels, P)
    rule = result.details["default_rule"]
    assert "ensemble" in rule["evidence"]
    true_errors = int(case.errors.sum())
    assert abs(result.is_label_issue.sum() - true_errors) <= 0.2 * true_errors
    assert f1(result.is_label_issue, case.errors) >= f1(cleanlab_mask(case.labels, P), case.errors)


def test_error_posterior_is_bayes_rule_with_the_smoothed_noise_matrix():
    labels, _, P = strong_model_case(7, n=1500)
    joint = cleanlab_count.compute_confident_joint(labels, P)
    T = noise_matrix(joint, n=len(labels))
    assert np.allclose(T.sum(axis=0), 1.0) and np.all(T > 0)
    likelihood = T[labels]  # P(given = y_i | true = j)
    rows = np.arange(len(labels))
    expected = 1 - P[rows, labels] * likelihood[rows, labels] / (P * likelihood).sum(axis=1)
    np.testing.assert_allclose(error_posterior(labels, P, joint), expected, atol=1e-12)
    # Not C-contiguous: the blocked pass gives the same posterior.
    np.testing.assert_allclose(
        error_posterior(labels, np.asfortranarray(P), joint), expected, atol=1e-12
    )


def test_member_posteriors_combine_as_independent_evidence():
    q = np.array([0.9, 0.5, 0.1, 0.5])
    # One member: its own posterior.
    np.testing.assert_allclose(combine_posteriors([q]), q)
    a, b = np.array([0.8, 0.8, 0.2]), np.array([0.8, 0.2, 0.2])
    both = combine_posteriors([a, b])  # prior 0.5: the likelihood ratios multiply
    np.testing.assert_allclose(both, [16 / 17, 0.5, 1 / 17])


def test_expected_f1_cut_stops_where_the_next_posterior_is_below_half_the_f1():
    q = np.array([0.95, 0.9, 0.8, 0.3, 0.2, 0.1])
    k, f = expected_f1_count(q, expected_errors=q.sum() + 0.25)
    assert k == 3
    assert q[k] < f / 2 <= q[k - 1]
    assert expected_f1_count(np.array([]), 1.0) == (0, 0.0)


def test_long_tail_rare_classes_are_not_flagged_wholesale():
    case = long_tail(4, n=3000)
    labels, P = case.labels, case.members[0]
    result = ConfidentLearning().detect(labels, P)
    counts = np.bincount(labels, minlength=P.shape[1])
    flagged = np.bincount(labels[result.is_label_issue], minlength=P.shape[1])
    wrong = np.bincount(labels[case.errors], minlength=P.shape[1])
    for c in range(P.shape[1]):
        if wrong[c] <= counts[c] / 2:  # rare given classes collect flips from big ones
            assert flagged[c] <= counts[c] / 2, (c, flagged[c], counts[c])


def test_class_cap_keeps_the_lowest_scores():
    labels = np.array([0] * 4 + [1] * 6)
    sc = np.array([0.1, 0.2, 0.3, 0.4, 0.9, 0.8, 0.7, 0.6, 0.5, 0.05])
    mask = np.ones(10, dtype=bool)
    joint = np.array([[1, 3], [0, 6]])
    capped = cap_per_class(mask, labels, sc, joint)
    # class 0 keeps its 2 lowest scores (rows 0, 1), class 1 its 3 (rows 9, 8, 7).
    np.testing.assert_array_equal(np.flatnonzero(capped), [0, 1, 7, 8, 9])


def test_mixture_separation_grows_with_the_gap():
    rng = np.random.default_rng(0)
    close = np.concatenate([rng.normal(0, 1, 4000), rng.normal(1, 1, 1000)])
    apart = np.concatenate([rng.normal(0, 1, 4000), rng.normal(6, 1, 1000)])
    assert separation(fit_mixture(close)) < 2 < separation(fit_mixture(apart))
    weights = fit_mixture(apart)["weights"]
    assert abs(weights[1] - 0.2) < 0.02


@pytest.mark.parametrize("filter_by", FILTER_METHODS)
def test_every_explicit_filter_by_is_cleanlabs_answer(filter_by):
    labels, _, P = strong_model_case(1, n=1500)
    result = ConfidentLearning(filter_by=filter_by).detect(labels, P)
    np.testing.assert_array_equal(
        result.is_label_issue, cleanlab_mask(labels, P, filter_by=filter_by)
    )
    assert "default_rule" not in result.details


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ({"frac_noise": 0.5}, {"frac_noise": 0.5}),
        ({"num_to_remove_per_class": [5] * 6}, {"num_to_remove_per_class": [5] * 6}),
        ({"min_examples_per_class": 300}, {"min_examples_per_class": 300}),
        ({"rank_by": "normalized_margin"}, {}),
    ],
)
def test_any_explicit_cleanlab_option_switches_the_rule_off(ours, theirs):
    labels, _, P = strong_model_case(2, n=1500)
    result = ConfidentLearning(**ours).detect(labels, P)
    assert "default_rule" not in result.details
    np.testing.assert_array_equal(result.is_label_issue, cleanlab_mask(labels, P, **theirs))


def test_no_calibrate_switches_the_rule_off():
    labels, _, P = strong_model_case(2, n=1500)
    raw = cleanlab_count.compute_confident_joint(labels, P, calibrate=False)
    result = ConfidentLearning(calibrate=False).detect(labels, P)
    assert "default_rule" not in result.details
    np.testing.assert_array_equal(
        result.is_label_issue, cleanlab_mask(labels, P, confident_joint=raw)
    )


def test_ensemble_whose_average_loses_the_members_evidence_uses_their_joint():
    """Members that disagree average into unconfident rows: the average's own issue count
    falls far below every member's, and the members' mean joint is used instead."""
    labels, _, P = strong_model_case(6, n=3000)
    rng = np.random.default_rng(6)
    members = []
    for _ in range(3):
        noise = rng.dirichlet(np.ones(P.shape[1]), len(P))
        members.append(0.5 * P + 0.5 * noise[:, rng.permutation(P.shape[1])])
    result = ConfidentLearning(members=members).detect(labels, np.mean(members, axis=0))
    ensemble = result.details["default_rule"]["evidence"]["ensemble"]
    if ensemble["joint"] == "member_average":
        assert ensemble["averaged_issue_count"] < min(ensemble["member_issue_counts"]) or (
            ensemble["averaged_issue_count"] > max(ensemble["member_issue_counts"])
        )
    else:
        spread = 2 * ensemble["member_stderr"]
        assert abs(ensemble["averaged_issue_count"] - ensemble["member_mean"]) <= spread


def test_decision_record_is_json_and_names_its_evidence():
    labels, _, P = strong_model_case(4, n=2000)
    members = [P, np.roll(P, 1, axis=0) * 0.2 + P * 0.8]
    result = ConfidentLearning(members=members).detect(labels, np.mean(members, axis=0))
    rule = json.loads(json.dumps(result.details["default_rule"]))
    ensemble = rule["evidence"]["ensemble"]
    assert len(ensemble["member_issue_counts"]) == 2
    assert rule["joint"] == ensemble["joint"] in ("pred_probs", "member_average")
    assert rule["num_flagged"] == int(result.is_label_issue.sum())
    assert rule["decision"] in ("noise_posterior", "noise_posterior_and_mixture")
    ev = rule["evidence"]
    assert 0 <= ev["expected_precision"] <= 1 and 0 <= ev["expected_recall"] <= 1
    assert ev["expected_errors"] > 0 and 0 < ev["expected_f1"] <= 1
    assert rule["thresholds"]["prior_pseudocount"] == 1.0
    for key in (
        "expected_errors",
        "expected_f1",
        "separation_ashman_d",
        "crossing_self_confidence",
        "num_candidates_predicted_neq_given",
        "calibrated_off_diagonal",
        "mixture",
    ):
        assert key in rule["evidence"]


def test_terminal_summary_states_the_decision_in_one_line():
    from labelaudit.cli.render import default_rule_line

    labels, _, P = strong_model_case(3)
    rule = ConfidentLearning().detect(labels, P).details["default_rule"]
    line = default_rule_line(rule)
    assert "\n" not in line
    assert f"{rule['num_flagged']:,} flagged" in line
    assert f"{rule['evidence']['expected_errors']:,.0f} expected wrong labels" in line
    assert ("mixture separated" in line) == (rule["decision"] == "noise_posterior_and_mixture")
