"""`labelaudit bench quality`: every family, every cleanlab option and labelaudit's default,
from one run (the shared families skip without the data)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from labelaudit.bench.families import FAMILIES, small_test_set
from labelaudit.bench.quality import CLEANLAB, LABELAUDIT, evaluate_case
from labelaudit.confident.methods import FILTER_METHODS
from tests.conftest import shared_data_dir
from tests.helpers import run_cli

pytest.importorskip("cleanlab")


def test_generated_families_are_seeded_and_have_known_errors():
    a, b = small_test_set(7), small_test_set(7)
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.members[0], b.members[0])
    assert 0.005 < a.errors.mean() < 0.05  # the family promises 1-3% errors
    assert len(FAMILIES) >= 8


def test_one_case_scores_every_method():
    case = small_test_set(3)
    scores, rule = evaluate_case(case.labels, case.errors, case.members)
    assert set(scores) == {LABELAUDIT, CLEANLAB, *FILTER_METHODS}
    assert scores[CLEANLAB] == scores["prune_by_noise_rate"]
    assert rule["decision"] in ("noise_posterior", "noise_posterior_and_mixture")
    for s in scores.values():
        assert 0.0 <= s.f1 <= 1.0 and 0.0 <= s.average_precision <= 1.0


@pytest.mark.slow
def test_bench_quality_prints_every_family():
    res = run_cli("bench", "quality", "--data", shared_data_dir(), "--json")
    assert res.exit_code == 0, res.stderr
    families = json.loads(res.stdout)["families"]
    assert len(families) >= 12  # 2 shared sets × (single, ensemble) + 8 generated
    for row in families:
        assert row["best_option"] in FILTER_METHODS
        la, cl = row["scores"][LABELAUDIT], row["scores"][CLEANLAB]
        # The ranking is cleanlab's self-confidence: AP is never lower.
        assert la["average_precision"] >= cl["average_precision"] - 1e-12


def test_missing_data_folder_is_a_clear_error(tmp_path):
    res = run_cli("bench", "quality", "--data", tmp_path / "nope")
    assert res.exit_code == 2 and "no such folder" in res.stderr


def test_bad_seeds_are_a_clear_error(tmp_path):
    res = run_cli("bench", "quality", "--seeds", "a,b")
    assert res.exit_code == 2 and "--seeds" in res.stderr
