"""Conflicting near-duplicates (`conflicting_duplicate_of`) and exact same-label duplicates
(`--duplicates`, `duplicate_of`) from the embedding vote's cosine neighbours: planted pairs are
found, nothing points at itself, the threshold is the stated rule's and recorded, duplicate-free
data stays within the rule's false-positive bound, and export, diff, the summary and the page
carry the pairs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from scipy import optimize, stats

from labelaudit.pipeline.api import audit_embeddings
from labelaudit.predict import duplicates as dup
from labelaudit.predict.embeddings import embedding_pred_probs, neighbours
from labelaudit.report import Report
from tests.helpers import digest, run_cli
from tests.test_review_page import browser, tab  # noqa: F401  (the browser fixtures)

K = 3


def _planted(n=300, d=8, seed=0):
    """Clean blobs, then planted pairs: exact copies with a flipped label, tiny perturbations
    with another label, and same-label exact copies. Returns X, y and the planted pairs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, K, n)
    X = rng.normal(size=(K, d))[y] * 4 + rng.normal(size=(n, d))
    flipped = [(10, 11), (20, 21), (30, 31)]  # (original, copy)
    nudged = [(40, 41), (50, 51)]
    twins = [(60, 61), (70, 71)]
    for a, b in flipped:
        X[b], y[b] = X[a], (y[a] + 1) % K
    for a, b in nudged:
        X[b], y[b] = X[a] + 1e-6 * rng.normal(size=d), (y[a] + 2) % K
    for a, b in twins:
        X[b], y[b] = X[a], y[a]
    return X, y, {"flipped": flipped, "nudged": nudged, "twins": twins}


def test_the_fence_constants_are_the_log_exponential_laws():
    rng = np.random.default_rng(0)
    logs = np.log(rng.exponential(size=2_000_000))
    assert np.median(logs) == pytest.approx(dup.LOG_EXP_MEDIAN, abs=3e-3)
    assert np.median(np.abs(logs - np.median(logs))) == pytest.approx(dup.LOG_EXP_MAD, abs=3e-3)

    def cdf(s):
        return 1 - np.exp(-np.exp(s))

    mad = optimize.brentq(
        lambda d: cdf(dup.LOG_EXP_MEDIAN + d) - cdf(dup.LOG_EXP_MEDIAN - d) - 0.5, 1e-6, 5
    )
    assert mad == pytest.approx(dup.LOG_EXP_MAD, abs=1e-12)
    # The fence sits at the law's q quantile: P(log E < median - FENCE * MAD) = q.
    cut = dup.LOG_EXP_MEDIAN - dup.FENCE * dup.LOG_EXP_MAD
    assert cdf(cut) == pytest.approx(dup.NEAR_DUPLICATE_QUANTILE, rel=1e-9)


def test_planted_pairs_are_found_and_nothing_else():
    X, y, planted = _planted()
    result = embedding_pred_probs(X, y, model="knn", near_duplicates=True, exact_duplicates=True)
    found = result.duplicates
    conflicting, twin = found.conflicting_duplicate_of, found.duplicate_of
    expected = np.full(len(y), -1)
    for a, b in planted["flipped"] + planted["nudged"]:
        expected[a], expected[b] = b, a
    np.testing.assert_array_equal(conflicting, expected)
    expected_twin = np.full(len(y), -1)
    for a, b in planted["twins"]:
        expected_twin[a], expected_twin[b] = b, a
    np.testing.assert_array_equal(twin, expected_twin)
    rows = np.arange(len(y))
    assert not (conflicting == rows).any() and not (twin == rows).any()  # never itself
    pointed = conflicting >= 0
    assert (y[conflicting[pointed]] != y[pointed]).all()
    # The threshold is the stated rule on the nearest cosine distances, and recorded.
    dist, _ = neighbours(X, metric="cosine", n_neighbors=1)
    logs = np.log(dist[dist[:, 0] > 0, 0])
    median = np.median(logs)
    expected_t = np.exp(median - dup.FENCE * np.median(np.abs(logs - median)))
    assert found.details["duplicate_threshold"] == pytest.approx(expected_t, rel=1e-9)
    assert result.details["duplicate_threshold"] == found.details["duplicate_threshold"]
    assert result.details["duplicate_fit"]["quantile"] == dup.NEAR_DUPLICATE_QUANTILE
    assert found.details["conflicting_duplicate_rows"] == 10
    assert found.details["identical_rows"] == 10  # the flipped and the same-label copies


def test_several_duplicates_point_at_the_nearest_and_twins_at_the_lowest_row():
    rng = np.random.default_rng(3)
    y = rng.integers(0, K, 200)
    X = rng.normal(size=(200, 6))
    base = X[5].copy()
    X[7], y[7] = base + 1e-5 * rng.normal(size=6), (y[5] + 1) % K  # farther, another label
    X[9], y[9] = base + 1e-7 * rng.normal(size=6), (y[5] + 2) % K  # nearer, another label
    X[[12, 14, 16]], y[[12, 14, 16]] = X[3], y[3]  # four identical same-label rows: 3,12,14,16
    found = dup.find_duplicates(X, y, *neighbours(X, metric="cosine", n_neighbors=20), exact=True)
    assert found.conflicting_duplicate_of[5] == 9
    assert found.duplicate_of[3] == 12 and list(found.duplicate_of[[12, 14, 16]]) == [3, 3, 3]
    assert found.conflicting_duplicate_of[[3, 12, 14, 16]].tolist() == [-1] * 4


def test_too_few_distances_count_only_zero_distances():
    # identical rows 0, 1; parallel rows 2, 3 (cosine distance 0); row 4 a hair off them
    X = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 2.0], [1e-4, 1.0], [-1.0, 0.0]])
    y = np.array([0, 1, 0, 1, 1, 0])
    found = dup.find_duplicates(X, y, *neighbours(X, metric="cosine", n_neighbors=3), exact=True)
    assert found.details["duplicate_threshold"] == 0.0
    assert found.details["duplicate_fit"]["median_log_distance"] is None
    assert found.conflicting_duplicate_of.tolist() == [1, 0, 3, 2, -1, -1]
    assert (found.duplicate_of == -1).all()  # parallel is not identical, and 0, 1 conflict


@pytest.mark.parametrize("kind", ["gaussian", "uniform", "blobs"])
def test_duplicate_free_data_stays_within_the_rules_false_positive_bound(kind):
    """Under the rule's law each row falls under the cut with probability q; a mutual pair puts
    both its rows there, so the count is at most twice a Binomial(N, q). Pooled over dimensions
    and seeds, the rows called near-duplicates stay under twice its 1 - 1e-4 quantile."""
    total = near = conflicting = 0
    for d in (4, 16, 64):
        for seed in range(2):
            rng = np.random.default_rng(seed)
            n = 2000
            if kind == "gaussian":
                X = rng.normal(size=(n, d))
            elif kind == "uniform":
                X = rng.random((n, d))
            else:  # well-separated clusters
                X = rng.normal(size=(5, d))[rng.integers(0, 5, n)] * 6 + rng.normal(size=(n, d))
            y = rng.integers(0, 4, n)  # random labels: every near-duplicate would conflict
            found = dup.find_duplicates(
                X, y, *neighbours(X, metric="cosine", n_neighbors=10), exact=True
            )
            total += n
            near += found.details["near_duplicate_rows"]
            conflicting += found.details["conflicting_duplicate_rows"]
            assert found.details["identical_rows"] == 0 and (found.duplicate_of == -1).all()
    bound = 2 * stats.binom.ppf(1 - 1e-4, total, dup.NEAR_DUPLICATE_QUANTILE)
    assert conflicting <= near <= bound, (near, total)  # measured: at most 0.1% of rows


def _write(tmp_path, X, y, name="E.npy"):
    np.save(tmp_path / "L.npy", y)
    np.save(tmp_path / name, X)
    return tmp_path / "L.npy", tmp_path / name


def test_cli_report_columns_summary_page_export_and_diff(tmp_path):
    X, y, planted = _planted()
    labels, emb = _write(tmp_path, X, y)
    out = tmp_path / "R.parquet"
    res = run_cli("audit", "--labels", labels, "--embeddings", emb, "--embedding-model", "knn",
                  "--duplicates", "--out", out, "--json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    schema = pq.read_schema(out)
    assert str(schema.field("conflicting_duplicate_of").type) == "int64"
    frame = pd.read_parquet(out)
    assert str(frame["conflicting_duplicate_of"].dtype) == "Int64"
    assert str(frame["duplicate_of"].dtype) == "Int64"
    assert frame["conflicting_duplicate_of"].notna().sum() == 10
    assert frame.loc[11, "conflicting_duplicate_of"] == 10 and frame.loc[61, "duplicate_of"] == 60
    assert frame["duplicate_of"].notna().sum() == 4
    report = Report.read_parquet(out)
    meta = report.metadata["embeddings"]
    assert 0 < meta["duplicate_threshold"] < 1e-3 and meta["duplicate_metric"] == "cosine"
    assert report.metadata["options"]["embeddings"]["duplicates"] is True
    summary = json.loads(res.stdout)
    pairs = summary["conflicting_duplicates"]
    assert pairs["num_pairs"] == 5 and pairs["rows"] == 10
    assert [(p["row"], p["other"]) for p in pairs["pairs"]] == sorted(
        planted["flipped"] + planted["nudged"]
    )
    assert (
        pairs["pairs"][0]["given_label"] == y[10]
        and pairs["pairs"][0]["other_given_label"] == y[11]
    )
    assert [(p["row"], p["other"]) for p in summary["duplicates"]["pairs"]] == planted["twins"]
    text = run_cli("report", out).stdout
    assert "Conflicting near-duplicates (another label): 5 pairs" in text
    assert "Exact duplicates with the same label: 2 pairs" in text
    assert "near-duplicates below cosine distance" in text
    page = tmp_path / "page.html"
    assert run_cli("report", out, "--html", page).exit_code == 0
    html = page.read_text()
    section = html.split('<section id="conflicting-duplicates">', 1)[1].split("</section>", 1)[0]
    assert "5 pairs (10 rows)" in section and section.count("<tr>") == 6  # head + 5 pairs
    data = json.loads(html.split('id="report-data">', 1)[1].split("</script>", 1)[0])
    for row in data["rows"]:
        assert row["conflicting_duplicate_of"] == (
            None if pd.isna(v := frame.loc[row["row"], "conflicting_duplicate_of"]) else int(v)
        )
    # export writes the pointers (empty where null); diff reads both reports unchanged.
    res = run_cli("export", out, "--out", tmp_path / "flagged.csv")
    assert res.exit_code == 0, res.stderr
    exported = pd.read_csv(tmp_path / "flagged.csv")
    assert "conflicting_duplicate_of" in exported and "duplicate_of" in exported
    flagged = frame[frame["is_label_issue"]].set_index("row")["conflicting_duplicate_of"]
    got = exported.set_index("row")["conflicting_duplicate_of"]
    assert got.isna().tolist() == flagged.loc[got.index].isna().tolist()
    out2 = tmp_path / "R2.parquet"
    assert (
        run_cli("audit", "--labels", labels, "--embeddings", emb, "--out", out2, "-q").exit_code
        == 0
    )
    assert "duplicate_of" not in pd.read_parquet(out2)  # only with --duplicates
    res = run_cli("diff", out, out2, "--json")
    assert res.exit_code == 0, res.stderr
    json.loads(res.stdout)


def test_only_flagged_keeps_the_pointers_as_rows(tmp_path):
    X, y, _ = _planted(seed=1)
    labels, emb = _write(tmp_path, X, y)
    full, part = tmp_path / "full.parquet", tmp_path / "part.parquet"
    for out, extra in ((full, ()), (part, ("--only-flagged",))):
        res = run_cli("audit", "--labels", labels, "--embeddings", emb, "--out", out, "-q", *extra)
        assert res.exit_code == 0, res.stderr
    a = pd.read_parquet(full).set_index("row")["conflicting_duplicate_of"]
    b = pd.read_parquet(part).set_index("row")["conflicting_duplicate_of"]
    pd.testing.assert_series_equal(a.loc[b.index], b)


def test_the_library_audit_and_the_probe_alone_find_the_same_pairs():
    X, y, _ = _planted(seed=2)
    knn = audit_embeddings(y, X, model="knn", duplicates=True)
    probe = audit_embeddings(y, X, model="probe", duplicates=True)
    for column in ("conflicting_duplicate_of", "duplicate_of"):
        np.testing.assert_array_equal(knn.columns[column], probe.columns[column])
    assert knn.metadata["embeddings"]["duplicate_threshold"] == pytest.approx(
        probe.metadata["embeddings"]["duplicate_threshold"], rel=1e-9
    )
    assert "duplicate_of" not in audit_embeddings(y, X, model="knn").columns


def test_duplicates_without_embeddings_is_refused_with_one_sentence(tmp_path):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "L.npy", np.arange(30) % 3)
    np.save(tmp_path / "P.npy", rng.dirichlet(np.ones(3), 30))
    before = digest(tmp_path / "L.npy")
    res = run_cli("audit", "--labels", tmp_path / "L.npy", "--pred-probs", tmp_path / "P.npy",
                  "--duplicates", "--out", tmp_path / "R.parquet")  # fmt: skip
    assert res.exit_code == 2
    assert (
        res.stderr.strip()
        == "error: --duplicates needs --embeddings (it works on their neighbours)."
    )
    assert not (tmp_path / "R.parquet").exists() and digest(tmp_path / "L.npy") == before


def test_the_page_shows_the_conflicts_column_in_a_browser(tmp_path, tab):  # noqa: F811  (the fixture)
    X, y, _ = _planted()
    labels, emb = _write(tmp_path, X, y)
    out, page = tmp_path / "R.parquet", tmp_path / "all.html"
    res = run_cli("audit", "--labels", labels, "--embeddings", emb, "--out", out, "-q")
    assert res.exit_code == 0, res.stderr
    assert run_cli("report", out, "--html", page, "--all-rows").exit_code == 0
    tab.goto(page.as_uri())
    tab.wait_for_selector("body[data-ready='1']")
    headers = tab.locator("#issue-table thead th").all_inner_texts()
    assert "conflicts with" in headers and "duplicate of" not in headers
    column = headers.index("conflicts with") + 1
    tab.fill("#filter", "")
    cell = tab.inner_text(f'tr[data-row="11"] td:nth-child({column})')
    assert cell == "10"


def test_equal_distances_fit_no_law_and_count_only_identical_rows():
    # A lattice: every nearest distance is the same, so MAD = 0 and there is no tail to cut.
    grid = np.stack(np.meshgrid(np.arange(1, 8), np.arange(1, 8)), axis=-1).reshape(-1, 2)
    X = np.concatenate([grid * 1.0, grid[:1] * 1.0])  # and one identical copy of row 0
    y = np.r_[np.arange(len(grid)) % 2, 1]
    found = dup.find_duplicates(
        X, y, *neighbours(X, metric="euclidean", n_neighbors=4), exact=False
    )
    assert found.details["duplicate_threshold"] == 0.0
    assert found.details["duplicate_fit"]["implied_dimension"] is None
    assert np.flatnonzero(found.conflicting_duplicate_of >= 0).tolist() == [0, len(grid)]
