"""Both ways of building pruning keys (whole candidate rows per class, padded cell chunks) give
cleanlab's answer, whichever the cost model would pick, with ties, float32 and Fortran order."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import labelaudit
import labelaudit.confident.prune as prune

cleanlab_filter = pytest.importorskip("cleanlab.filter")


def _case(seed: int, n: int, k: int, layout: str):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(k, 0.4), size=n)
    if layout == "ties":
        P = np.round(P, 2)  # many equal keys at the cuts
    elif layout == "float32":
        P = P.astype(np.float32)
    elif layout == "fortran":
        P = np.asfortranarray(P)
    noisy = rng.random(n) < 0.35
    labels = np.where(noisy, rng.integers(0, k, n), P.argmax(axis=1))
    return labels, P


PATHS = {
    # every class through whole candidate rows
    "whole rows": {"WHOLE_ROWS_OVERHEAD": -(10**9)},
    # every class through cell chunks, cut into many small chunks
    "cell chunks": {"WHOLE_ROWS_OVERHEAD": 10**9, "CHUNK_KEYS": 64},
}


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("layout", ["float64", "ties", "float32", "fortran"])
@pytest.mark.parametrize("filter_by", ["prune_by_noise_rate", "both"])
def test_each_pruning_path_matches_cleanlab(monkeypatch, path, layout, filter_by):
    for name, value in PATHS[path].items():
        monkeypatch.setattr(prune, name, value)
    calls = {"_prune_class": 0, "_prune_cells": 0}
    for name in calls:
        monkeypatch.setattr(prune, name, _counted(getattr(prune, name), calls, name))
    for seed, (n, k) in enumerate([(3000, 12), (1500, 40), (600, 3)]):
        labels, P = _case(seed, n, k, layout)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = cleanlab_filter.find_label_issues(
                labels, P, filter_by=filter_by, return_indices_ranked_by="self_confidence"
            )
            got = labelaudit.find_label_issues(
                labels, P, filter_by=filter_by, return_indices_ranked_by="self_confidence"
            )
        assert len(expected) > 0
        np.testing.assert_array_equal(got, expected, err_msg=f"seed {seed}, {n}×{k}")
    if path == "whole rows":
        assert calls["_prune_class"] > 0 and calls["_prune_cells"] == 0
    else:
        assert calls["_prune_class"] == 0 and calls["_prune_cells"] > 20


def _counted(fn, calls: dict, name: str):
    def counted(*args, **kwargs):
        calls[name] += 1
        return fn(*args, **kwargs)

    return counted


def test_cost_model_reads_whole_rows_only_for_classes_with_many_columns_and_candidates():
    picks = prune.reads_whole_rows(np.array([99, 99, 10]), np.array([1500, 20, 1500]), 100)
    # 500,000×100: every column, many candidates; few candidates: a job per class costs more;
    # few columns: gathering the cells reads less.
    assert picks.tolist() == [True, False, False]
