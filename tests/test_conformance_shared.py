"""Conformance with cleanlab 2.9 on the real benchmark data: both datasets, every model and the
5-model ensemble, every filter_by × rank_by, plus counts, joints and scores."""

from __future__ import annotations

import pytest

from tests.conftest import DATASETS, MODELS, load_shared
from tests.parity import compare_counts_and_scores, compare_filters

pytest.importorskip("cleanlab")

MEMBERS = (*MODELS, "ensemble")


@pytest.mark.parametrize("member", MEMBERS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_every_filter_and_ranking_matches_cleanlab(dataset, member):
    labels, pred_probs = load_shared(dataset, member)
    cases, failures = compare_filters(labels, pred_probs)
    assert cases == 28
    assert failures == []


@pytest.mark.parametrize("member", MEMBERS)
@pytest.mark.parametrize("dataset", DATASETS)
def test_counts_joints_and_scores_match_cleanlab(dataset, member):
    labels, pred_probs = load_shared(dataset, member)
    _, failures = compare_counts_and_scores(labels, pred_probs)
    assert failures == []


@pytest.mark.parametrize(
    "options",
    [
        dict(min_examples_per_class=10),
        dict(frac_noise=0.5),
        dict(num_to_remove_per_class=[20] * 10),
    ],
    ids=["mepc10", "frac0.5", "remove20"],
)
@pytest.mark.parametrize("dataset", DATASETS)
def test_options_match_cleanlab(dataset, options):
    labels, pred_probs = load_shared(dataset, "resnet18")
    _, failures = compare_filters(labels, pred_probs, options=options)
    assert failures == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_float32_input_matches_cleanlab(dataset):
    labels, pred_probs = load_shared(dataset, "swin_base_patch4_window7_224")
    _, failures = compare_filters(labels, pred_probs.astype("float32"))
    _, more = compare_counts_and_scores(labels, pred_probs.astype("float32"))
    assert failures + more == []
