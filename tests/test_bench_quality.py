"""`labelaudit bench quality` on the shared benchmark data: labelaudit's default against
cleanlab's default, computed in one run (skipped without the data)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import shared_data_dir
from tests.helpers import run_cli

pytest.importorskip("cleanlab")


@pytest.fixture(scope="module")
def result():
    res = run_cli("bench", "quality", "--data", shared_data_dir(), "--json")
    assert res.exit_code == 0, res.stderr
    return json.loads(res.stdout)


def test_every_model_and_the_ensemble_are_evaluated(result):
    configs = {(r["dataset"], r["model"]) for r in result["rows"]}
    assert len(configs) == 12
    assert ("roman-numeral", "ensemble") in configs


def test_default_finds_more_human_found_errors_without_losing_elsewhere(result):
    """The targets of the quality issue, as a regression guard on the data we have."""
    roman, cifar = result["means"]["roman-numeral"], result["means"]["cifar10-synthetic-noise"]
    assert roman["labelaudit"]["f1"] >= roman["cleanlab"]["f1"] + 0.03
    assert cifar["labelaudit"]["f1"] >= cifar["cleanlab"]["f1"] - 0.005
    for means in (roman, cifar):
        assert means["labelaudit"]["average_precision"] >= means["cleanlab"]["average_precision"]
    assert cifar["labelaudit"]["relabel_accuracy"] >= cifar["cleanlab"]["relabel_accuracy"]


def test_single_models_keep_cleanlabs_flags(result):
    for row in result["rows"]:
        if row["model"] != "ensemble":
            assert row["labelaudit"]["flagged"] == row["cleanlab"]["flagged"]
            assert row["labelaudit"]["f1"] == row["cleanlab"]["f1"]


def test_missing_data_folder_is_a_clear_error(tmp_path):
    res = run_cli("bench", "quality", "--data", tmp_path / "nope")
    assert res.exit_code == 2 and "no such folder" in res.stderr
