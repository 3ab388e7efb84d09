"""Report: Parquet round trip, schema version checks, and atomic writes."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq
import pytest

import labelaudit
from labelaudit.errors import InvalidInputError
from labelaudit.report import METADATA_KEY, Report
from tests.helpers import planted


@pytest.fixture
def report():
    labels, P, _ = planted(n=200, k=3)
    return labelaudit.audit(labels, P, class_names=["a", "b", "c"], ids=np.arange(200) * 10)


def test_round_trip_keeps_frame_and_metadata(tmp_path, report):
    path = tmp_path / "r.parquet"
    report.to_parquet(path)
    back = Report.read_parquet(path)
    assert back.frame.equals(report.frame)
    assert back.metadata["class_names"] == ["a", "b", "c"]
    assert back.metadata["num_issues"] == report.num_issues
    assert list(back.issues["issue_rank"]) == list(range(1, report.num_issues + 1))
    assert back.frame["id"].iloc[3] == 30


def test_schema_version_is_checked(tmp_path, report):
    path = tmp_path / "r.parquet"
    report.to_parquet(path)
    table = pq.read_table(path)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    meta["schema_version"] = 99
    pq.write_table(table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()}), path)
    with pytest.raises(InvalidInputError, match="schema version 99"):
        Report.read_parquet(path)


def test_failed_write_leaves_no_file_and_keeps_the_old_report(tmp_path, report, monkeypatch):
    path = tmp_path / "r.parquet"
    report.to_parquet(path)
    before = path.read_bytes()

    def write_then_fail(table, where, **kwargs):
        real_write(table.slice(0, 5), where)  # half a report lands in the temporary file...
        raise OSError("disk full")  # ...then the write dies

    real_write = pq.write_table
    monkeypatch.setattr(pq, "write_table", write_then_fail)
    with pytest.raises(OSError, match="disk full"):
        report.to_parquet(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.parquet"]


def test_summary_counts_agree_with_frame(report):
    summary = report.summary()
    assert summary["num_issues"] == int(report.frame["is_label_issue"].sum())
    assert [c["examples"] for c in summary["per_class"]] == np.bincount(
        report.frame["given_label"], minlength=3
    ).tolist()
    assert summary["top_issues"][0]["row"] == int(report.issues["row"].iloc[0])
    assert summary["top_issues"][0]["given_name"] in {"a", "b", "c"}


def test_audit_rejects_mismatched_names_and_ids():
    labels, P, _ = planted(n=50, k=3)
    with pytest.raises(InvalidInputError, match="2 class names"):
        labelaudit.audit(labels, P, class_names=["a", "b"])
    with pytest.raises(InvalidInputError, match="49 ids"):
        labelaudit.audit(labels, P, ids=np.arange(49))


@pytest.mark.parametrize(
    "rank_by", ["self_confidence", "normalized_margin", "confidence_weighted_entropy"]
)
def test_audit_ranking_is_cleanlabs_order_even_with_float32_ties(rank_by):
    from tests.test_conformance_generated import make_case

    for seed in range(10):
        labels, P = make_case(
            seed,
            300,
            5,
            concentration=1.0,
            quantum=0.1,
            one_hot_share=0.2,
            missing=0,
            tiny=0,
            never_predicted=0,
            float32=True,
        )
        report = labelaudit.audit(labels, P, filter_by="prune_by_noise_rate", rank_by=rank_by)
        expected = labelaudit.find_label_issues(labels, P, return_indices_ranked_by=rank_by)
        assert np.array_equal(report.issue_order(), expected)
