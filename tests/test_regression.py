"""--task regression: OUTRE label quality against cleanlab, the flag rule on planted outliers, the
CLI's refusals, --features, and export/diff/apply/page on a regression report."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from cleanlab.regression.rank import get_label_quality_scores as cleanlab_scores
from helpers import run_cli

from labelaudit.regression import find_label_issues, get_label_quality_scores
from labelaudit.report import Report


def generated(seed, n, rate, *, hetero=False, grid=0.0, model_noise=0.2):
    """(y, yhat, planted): f(x) plus (heteroscedastic) noise, on a grid of step `grid` (0: none),
    with `rate` gross errors of 6-12 effective noise deviations; yhat = f + model error."""
    rng = np.random.default_rng(seed)
    x, x2 = rng.uniform(-3, 3, n), rng.uniform(-3, 3, n)
    f = 2 * x + np.sin(2 * x) + 0.5 * x2
    sd = 0.3 + 0.5 * (x + 3) if hetero else np.ones(n)
    y = f + sd * rng.normal(size=n)
    bad = rng.choice(n, round(rate * n), replace=False)
    eff = np.sqrt(sd**2 + grid**2 / 12)  # what a grid of step h adds (rounding, sd h/sqrt(12))
    y[bad] += rng.choice([-1, 1], len(bad)) * rng.uniform(6, 12, len(bad)) * eff[bad]
    if grid:
        y = grid * np.round(y / grid)
    yhat = f + model_noise * sd * rng.normal(size=n)
    planted = np.zeros(n, dtype=bool)
    planted[bad] = True
    return y, yhat, planted


CASES = {
    "continuous": lambda: generated(0, 400, 0.05),
    "heteroscedastic": lambda: generated(1, 400, 0.05, hetero=True),
    "integer": lambda: (lambda y, p, t: (y.astype(np.int64), p, t))(
        *generated(2, 300, 0.03, grid=1)
    ),
    "ties": lambda: generated(3, 300, 0.05, grid=2.0),
    "exact integer predictions": lambda: _exact(),
    "small": lambda: generated(4, 7, 0.0),
    "n=2": lambda: (np.array([1.0, 2.0]), np.array([1.5, 1.0]), None),
    "large (sklearn path)": lambda: generated(5, 800, 0.02),
}


def _exact():
    rng = np.random.default_rng(6)
    y = rng.integers(0, 10, 250)
    yhat = y.astype(np.float64)
    y[:10] += 9
    return y, yhat, None


@pytest.mark.parametrize("case", CASES)
def test_label_quality_matches_cleanlab(case):
    y, yhat, _ = CASES[case]()
    ours = get_label_quality_scores(y, yhat)
    theirs = cleanlab_scores(y, yhat)
    assert ours.dtype == np.float64
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    np.testing.assert_allclose(
        get_label_quality_scores(y, yhat, method="residual"),
        cleanlab_scores(y, yhat, method="residual"),
        rtol=0,
        atol=1e-12,
    )


SCENARIOS = [
    (hetero, grid, rate)
    for hetero in (False, True)
    for grid in (0.0, 1.0, 2.0)
    for rate in (0.01, 0.03, 0.1)
]


@pytest.mark.parametrize(("hetero", "grid", "rate"), SCENARIOS)
def test_rule_finds_planted_outliers(hetero, grid, rate):
    for seed, n in ((10, 1000), (11, 3000)):
        y, yhat, planted = generated(seed, n, rate, hetero=hetero, grid=grid)
        flags = find_label_issues(y, yhat)
        found = np.count_nonzero(flags & planted)
        assert found >= 0.9 * planted.sum(), (seed, n, found, planted.sum())
        assert flags.sum() <= 3 * planted.sum(), (seed, n, flags.sum(), planted.sum())


def test_clean_gaussian_noise_is_rarely_flagged():
    total = sum(find_label_issues(*generated(seed, 2000, 0.0)[:2]).sum() for seed in range(5))
    assert total <= 5  # the universal threshold: under one false flag per clean data set


def _audit(tmp_path, *args):
    return run_cli("audit", "--task", "regression", *args)


def test_cli_report_columns_and_metadata(tmp_path):
    y, yhat, _ = generated(0, 400, 0.05)
    np.save(tmp_path / "y.npy", y.astype(np.int64))
    pd.DataFrame({"id": np.arange(400) + 7, "yhat": yhat}).to_parquet(tmp_path / "p.parquet")
    out = tmp_path / "R.parquet"
    res = _audit(
        tmp_path, "--labels", tmp_path / "y.npy", "--predictions", tmp_path / "p.parquet",
        "--prediction-column", "yhat", "--out", out, "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    frame = pd.read_parquet(out)
    assert frame["given_label"].dtype == np.float64
    assert frame["suggested_label"].dtype == np.float64
    assert frame["is_label_issue"].dtype == bool
    assert str(frame["issue_rank"].dtype) == "Int64"
    np.testing.assert_array_equal(frame["suggested_label"], yhat)
    np.testing.assert_allclose(
        frame["label_quality"], cleanlab_scores(y.astype(np.int64), yhat), atol=1e-9
    )
    flagged = frame[frame["is_label_issue"]].sort_values("issue_rank")
    assert list(flagged["issue_rank"]) == list(range(1, len(flagged) + 1))
    assert flagged["label_quality"].is_monotonic_increasing
    assert frame["issue_rank"][~frame["is_label_issue"]].isna().all()
    report = Report.read_parquet(out)
    assert report.metadata["task"] == "regression"
    assert report.metadata["num_issues"] == len(flagged)


def test_cli_csv_columns_and_features(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 4))
    y = X @ [1.0, 2.0, -1.0, 0.5] + 0.3 * rng.normal(size=300)
    y[:6] += 8
    pd.DataFrame({"id": np.arange(300), "target": y}).to_csv(tmp_path / "y.csv", index=False)
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "R.parquet"
    res = _audit(
        tmp_path, "--labels", tmp_path / "y.csv", "--label-column", "target",
        "--features", tmp_path / "X.npy", "--model", "ridge", "--out", out, "--quiet",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    frame = pd.read_parquet(out)
    assert frame["is_label_issue"][:6].all()
    assert frame["is_label_issue"].sum() <= 18
    assert list(frame["id"]) == list(range(300))
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    expected = cross_val_predict(
        make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-3, 3, 13))),
        X, y, cv=KFold(5, shuffle=True, random_state=0),
    )  # fmt: skip
    np.testing.assert_allclose(frame["suggested_label"], expected, rtol=1e-10)
    meta = Report.read_parquet(out).metadata
    assert meta["options"]["features"]["model"] == "ridge"
    res = _audit(tmp_path, "--labels", tmp_path / "y.csv", "--label-column", "target",
                 "--features", tmp_path / "X.npy", "--out", tmp_path / "D.parquet", "--quiet")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert (
        Report.read_parquet(tmp_path / "D.parquet").metadata["options"]["features"]["model"]
        == "hgb"
    )


def _bad(tmp_path, name, values):
    path = tmp_path / name
    np.save(path, values)
    return path


@pytest.mark.parametrize(
    ("labels", "predictions", "extra", "says"),
    [
        (np.array([1.0, np.nan, 3.0]), np.ones(3), (), "row 1 is nan"),
        (np.array([1.0, 2.0, 3.0]), np.array([1.0, np.inf, 3.0]), (), "row 1 is inf"),
        (np.ones(4), np.ones(3), (), "4 labels but"),
        (np.array(["a", "b"]), np.ones(2), (), "must be numbers"),
        (np.ones(3), np.ones(3), ("--pred-probs", "P.npy"), "does not take --pred-probs"),
        (np.ones(3), np.ones(3), ("--class-names", "a,b"), "does not take --class-names"),
        (np.ones(3), np.ones(3), ("--prediction-column", "x"), "names a column"),
        (np.ones(3), np.ones(3), ("--model", "logreg"), "not a regressor"),
        (np.ones(3), np.ones(3), ("--filter-by", "both"), "--filter-by tunes"),
    ],
)
def test_cli_refuses_with_one_sentence(tmp_path, labels, predictions, extra, says):
    y = _bad(tmp_path, "y.npy", labels)
    p = _bad(tmp_path, "p.npy", predictions)
    if "--model" in extra:
        extra = ("--features", str(p), *extra)
        p = None
    out = tmp_path / "R.parquet"
    args = ["--labels", y, *(["--predictions", p] if p is not None else []), *extra, "--out", out]
    res = _audit(tmp_path, *args)
    assert res.exit_code == 2
    assert says in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_needs_predictions_and_task(tmp_path):
    y = _bad(tmp_path, "y.npy", np.ones(3))
    res = _audit(tmp_path, "--labels", y, "--out", tmp_path / "R.parquet")
    assert res.exit_code == 2 and "needs --predictions" in res.stderr
    res = run_cli("audit", "--labels", y, "--predictions", y, "--out", tmp_path / "R.parquet")
    assert res.exit_code == 2 and "add --task regression" in res.stderr


def test_export_and_diff_work_other_commands_refuse(tmp_path):
    y, yhat, _ = generated(0, 300, 0.05)
    np.save(tmp_path / "y.npy", y)
    np.save(tmp_path / "p.npy", yhat)
    np.save(tmp_path / "q.npy", yhat + 0.01)
    for name, pred in (("A", "p.npy"), ("B", "q.npy")):
        res = _audit(tmp_path, "--labels", tmp_path / "y.npy", "--predictions",
                     tmp_path / pred, "--out", tmp_path / f"{name}.parquet", "--quiet")  # fmt: skip
        assert res.exit_code == 0, res.stderr
    res = run_cli("export", tmp_path / "A.parquet", "--out", tmp_path / "flags.csv")
    assert res.exit_code == 0, res.stderr
    exported = pd.read_csv(tmp_path / "flags.csv")
    frame = pd.read_parquet(tmp_path / "A.parquet")
    assert len(exported) == frame["is_label_issue"].sum()
    assert list(exported["issue_rank"]) == list(range(1, len(exported) + 1))
    res = run_cli("diff", tmp_path / "A.parquet", tmp_path / "B.parquet", "--json")
    assert res.exit_code == 0, res.stderr
    import json

    changed = json.loads(res.stdout)["changed_suggestion"]
    assert len(changed) == frame["is_label_issue"].sum() > 0  # every prediction moved
    res = run_cli("report", tmp_path / "A.parquet", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["task"] == "regression"
    for args, says in (
        (("report", tmp_path / "A.parquet", "--html", tmp_path / "page.html"), "review page"),
        (("apply", tmp_path / "A.parquet", "--labels", tmp_path / "y.npy", "--out",
          tmp_path / "fixed.npy"), "apply works on"),
    ):  # fmt: skip
        res = run_cli(*args)
        assert res.exit_code == 2 and says in res.stderr and "regression" in res.stderr
    assert not (tmp_path / "page.html").exists() and not (tmp_path / "fixed.npy").exists()


def test_library_request_with_arrays():
    import labelaudit

    y, yhat, planted = generated(7, 500, 0.03)
    report = labelaudit.run(labelaudit.AuditRequest(labels=y, predictions=yhat, task="regression"))
    np.testing.assert_array_equal(report.columns["is_label_issue"], find_label_issues(y, yhat))
    assert report.columns["is_label_issue"][planted].all()
    with pytest.raises(labelaudit.ConfigError, match="needs --predictions"):
        labelaudit.run(labelaudit.AuditRequest(labels=y, task="regression"))
