"""`labelaudit demo`: runs from a fresh cache, finds the planted errors, and reuses its cache."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from tests.helpers import run_cli


def test_demo_finds_planted_errors_and_caches(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("LABELAUDIT_CACHE_DIR", str(cache))
    out_dir = tmp_path / "demo"
    res = run_cli("demo", "--out-dir", out_dir, "--json")
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["planted_errors"] > 100
    assert summary["precision"] > 0.75 and summary["recall"] > 0.75
    report = pd.read_parquet(out_dir / "report.parquet")
    labels = np.load(out_dir / "labels.npy")
    assert np.array_equal(report["given_label"], labels)
    cached = list(cache.glob("demo-digits-*.npz"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    res = run_cli("demo", "--out-dir", out_dir)
    assert res.exit_code == 0
    assert "Try next" in res.stdout and "planted errors" in res.stdout
    assert cached[0].stat().st_mtime_ns == stamp  # reused, not recomputed
