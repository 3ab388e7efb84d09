"""Detector registry: built-ins and plugins through entry points, and the result contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import labelaudit
from labelaudit.detectors import DetectorResult, registry
from labelaudit.errors import ConfigError, LabelAuditError
from tests.helpers import planted, run_audit, run_cli


def test_confident_learning_is_registered_and_matches_find_label_issues():
    assert "confident_learning" in registry.registered()
    labels, P, _ = planted()
    detector = registry.load("confident_learning")(filter_by="both", rank_by="normalized_margin")
    result = detector.detect(labels, P)
    expected = labelaudit.find_label_issues(
        labels, P, filter_by="both", return_indices_ranked_by="normalized_margin"
    )
    assert np.array_equal(result.issue_order(), expected)


def test_unknown_detector_suggests_a_name():
    with pytest.raises(ConfigError, match="did you mean 'confident_learning'"):
        registry.load("confident-learning")


def test_contract_violations_are_reported():
    bad = DetectorResult(np.zeros(3), np.zeros(4, dtype=bool), np.zeros(3, dtype=int))
    with pytest.raises(LabelAuditError, match="is_label_issue of shape"):
        bad.validate(3, "bad")
    wrong_rank = DetectorResult(
        np.zeros(3), np.array([1, 0, 1], bool), np.zeros(3, int), np.array([0, 1])
    )
    with pytest.raises(LabelAuditError, match="not a permutation"):
        wrong_rank.validate(3, "bad")


def test_default_ranking_is_ascending_label_quality():
    result = DetectorResult(
        np.array([0.9, 0.1, 0.5, 0.2]), np.array([1, 1, 0, 1], bool), np.zeros(4, int)
    )
    assert result.issue_order().tolist() == [1, 3, 0]


def test_example_plugin_is_installed_listed_and_runs(tmp_path):
    pytest.importorskip("labelaudit_topk", reason="install ./plugins/labelaudit-topk (see README)")
    res = run_cli("detectors", "--json")
    listed = {d["name"]: d for d in json.loads(res.stdout)}
    assert listed["not_in_top_k"]["package"] == "labelaudit-topk"
    assert listed["confident_learning"]["package"] == "labelaudit"
    assert listed["not_in_top_k"]["reads"] == listed["confident_learning"]["reads"] == "pred_probs"
    assert {listed[n]["reads"] for n in ("elr", "adele", "aum", "learning-time")} == {"dynamics"}

    labels, P, _ = planted(k=5, noise=0.3)
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", P)
    out = tmp_path / "r.parquet"
    res = run_audit(
        tmp_path / "l.npy", tmp_path / "p.npy", out, "--detector", "not_in_top_k", "--quiet"
    )
    assert res.exit_code == 0, res.stderr
    df = pd.read_parquet(out)
    higher = (P[np.arange(len(labels)), labels][:, None] < P).sum(axis=1)
    assert np.array_equal(df["is_label_issue"], higher >= 2)
    flagged = df[df.is_label_issue].sort_values("issue_rank")
    assert flagged["label_quality"].is_monotonic_increasing


def test_confident_learning_options_are_refused_for_other_detectors(tmp_path):
    pytest.importorskip("labelaudit_topk")
    labels, P, _ = planted()
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", P)
    res = run_audit(
        tmp_path / "l.npy",
        tmp_path / "p.npy",
        tmp_path / "r.parquet",
        "--detector",
        "not_in_top_k",
        "--filter-by",
        "both",
    )
    assert res.exit_code == 2
    assert "apply to confident_learning" in res.stderr
    with pytest.raises(ConfigError, match="rejected its options"):
        labelaudit.audit(labels, P, detector="not_in_top_k", detector_options={"k": 0})


def test_builtin_detectors_load_without_scanning_entry_points(monkeypatch):
    from labelaudit.detectors import registry
    from labelaudit.detectors.confident_learning import ConfidentLearning

    def no_scan(**_):
        raise AssertionError("entry points scanned for a built-in detector")

    monkeypatch.setattr(registry, "entry_points", no_scan)
    assert registry.load("confident_learning") is ConfidentLearning


def test_a_plugin_cannot_take_a_builtin_name(monkeypatch):
    from importlib.metadata import EntryPoint

    from labelaudit.detectors import registry

    impostor = EntryPoint(
        "confident_learning", "labelaudit.detectors.early_learning:Elr", registry.GROUP
    )
    monkeypatch.setattr(registry, "entry_points", lambda **_: [impostor])
    registry.refresh()
    try:
        with pytest.warns(UserWarning, match="a built-in name; it is ignored"):
            entries = registry.registered()
        assert entries["confident_learning"].target == registry.BUILTINS["confident_learning"]
    finally:
        registry.refresh()
