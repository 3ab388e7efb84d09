"""`labelaudit audit --multi-label`: label sets from Parquet lists, CSV 'a;b' and 0/1 matrices;
the report equals cleanlab's multi-label answer through our library."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from labelaudit.confident import multilabel
from tests.helpers import run_cli
from tests.test_multilabel_conformance import make_multilabel

NAMES = ["cat", "dog", "emu", "fox", "gnu"]


@pytest.fixture
def data(tmp_path):
    labels, P = make_multilabel(11, 300, 5, quantum=None, float32=False)
    np.save(tmp_path / "p.npy", P)
    named = [[NAMES[c] for c in row] for row in labels]
    pd.DataFrame({"id": np.arange(300) + 100, "label": named}).to_parquet(tmp_path / "l.parquet")
    pd.DataFrame({"label": [";".join(r) for r in named]}).to_csv(tmp_path / "l.csv", index=False)
    np.save(tmp_path / "l.npy", multilabel.one_hot(labels, 5))
    return tmp_path, labels, P


@pytest.mark.parametrize("source", ["l.parquet", "l.csv", "l.npy"])
def test_report_matches_library(data, source):
    tmp, labels, P = data
    out = tmp / f"{source}.parquet"
    res = run_cli(
        "audit",
        "--multi-label",
        "--labels",
        tmp / source,
        "--pred-probs",
        tmp / "p.npy",
        "--out",
        out,
        "--class-names",
        ",".join(NAMES),
        "--filter-by",
        "both",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    df = pd.read_parquet(out)
    ranked = multilabel.find_label_issues(
        labels, P, filter_by="both", return_indices_ranked_by="self_confidence"
    )
    assert df.loc[df.is_label_issue].sort_values("issue_rank")["row"].tolist() == ranked.tolist()
    assert [list(v) for v in df["given_labels"]] == [sorted(r) for r in labels]
    assert [list(v) for v in df["suggested_labels"]] == [list(np.flatnonzero(p >= 0.5)) for p in P]
    assert np.array_equal(df["label_quality"], multilabel.get_label_quality_scores(labels, P))
    per_class = multilabel.issues_per_class(labels, P, filter_by="both")
    flagged = df["is_label_issue"].to_numpy()
    assert [list(v) for v in df["issue_classes"]] == [
        list(np.flatnonzero(row)) if f else [] for row, f in zip(per_class, flagged, strict=True)
    ]
    if source == "l.parquet":
        assert df["id"].iloc[0] == 100


def test_unknown_class_name_and_out_of_range_probability(data):
    tmp, _, P = data
    pd.DataFrame({"label": ["cat;dgo"] + ["cat"] * 299}).to_csv(tmp / "bad.csv", index=False)
    res = run_cli(
        "audit",
        "--multi-label",
        "--labels",
        tmp / "bad.csv",
        "--pred-probs",
        tmp / "p.npy",
        "--out",
        tmp / "r.parquet",
        "--class-names",
        ",".join(NAMES),
    )
    assert (
        res.exit_code == 2
        and "row 0 has class 'dgo'" in res.stderr
        and "did you mean 'dog'" in res.stderr
    )
    Q = P.copy()
    Q[3, 2] = 1.5
    np.save(tmp / "q.npy", Q)
    res = run_cli(
        "audit",
        "--multi-label",
        "--labels",
        tmp / "l.npy",
        "--pred-probs",
        tmp / "q.npy",
        "--out",
        tmp / "r.parquet",
    )
    assert res.exit_code == 2 and "row 3, column 2 is 1.5" in res.stderr
    assert not (tmp / "r.parquet").exists()


def test_logits_go_through_a_sigmoid(data):
    tmp, labels, P = data
    Pc = np.clip(P, 1e-6, 1 - 1e-6)
    np.save(tmp / "z.npy", np.log(Pc / (1 - Pc)))
    out = tmp / "r.parquet"
    res = run_cli(
        "audit",
        "--multi-label",
        "--labels",
        tmp / "l.npy",
        "--pred-probs",
        tmp / "z.npy",
        "--logits",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.stderr
    expected = multilabel.get_label_quality_scores(labels, 1 / (1 + np.exp(-np.log(Pc / (1 - Pc)))))
    assert np.allclose(pd.read_parquet(out)["label_quality"], expected)
