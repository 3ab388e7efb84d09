"""`labelaudit audit` end to end on real files: the report equals the library's exact answer."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import labelaudit
from labelaudit.confident.methods import FILTER_METHODS
from labelaudit.detectors.confident_learning import noise_posterior_suggestion
from labelaudit.report import METADATA_KEY
from tests.helpers import digest, planted, run_audit, run_cli


@pytest.fixture
def files(tmp_path):
    labels, P, _ = planted()
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "probs.npy", P)
    return tmp_path, labels, P


def test_report_matches_library(files):
    tmp, labels, P = files
    out = tmp / "report.parquet"
    res = run_audit(tmp / "labels.npy", tmp / "probs.npy", out)
    assert res.exit_code == 0, res.stderr
    df = pd.read_parquet(out)
    assert list(df.columns) == [
        "row",
        "given_label",
        "suggested_label",
        "suggestion_confidence",
        "label_quality",
        "is_label_issue",
        "issue_rank",
        "given_prob",
        "given_threshold",
        "explanation",
    ]
    assert df["row"].tolist() == list(range(len(labels)))
    # The default is labelaudit's adaptive rule (docs/default-rule.md): the CLI gives exactly the
    # library's answer; its flags are candidates (given label not the argmax) chosen by the error
    # posterior, ranked by cleanlab's self-confidence.
    library = labelaudit.audit(labels, P)
    mask = library.columns["is_label_issue"]
    scores = labelaudit.get_label_quality_scores(labels, P)
    flagged = np.flatnonzero(mask)
    ranked = flagged[np.argsort(scores[flagged])]
    rule = library.metadata["details"]["default_rule"]
    assert rule["decision"] in ("noise_posterior", "noise_posterior_and_mixture")
    assert not np.any(mask & (P.argmax(axis=1) == labels))
    assert np.array_equal(df["is_label_issue"].to_numpy(), mask)
    assert df.loc[df.is_label_issue].sort_values("issue_rank")["row"].tolist() == ranked.tolist()
    assert df["issue_rank"].isna().sum() == len(labels) - mask.sum()
    assert np.array_equal(
        df["label_quality"].to_numpy(), labelaudit.get_label_quality_scores(labels, P)
    )
    # Unflagged rows: the model's prediction. Flagged rows: the noise-aware posterior suggestion.
    suggested = df["suggested_label"].to_numpy()
    assert np.array_equal(suggested[~mask], P.argmax(axis=1)[~mask])
    joint = labelaudit.compute_confident_joint(labels, P)
    assert np.array_equal(suggested, library.columns["suggested_label"])
    assert np.array_equal(suggested[mask], noise_posterior_suggestion(labels[mask], P[mask], joint))
    assert np.all(suggested[mask] != labels[mask])
    assert np.array_equal(df["suggestion_confidence"].to_numpy(), P[np.arange(len(P)), suggested])
    assert df["issue_rank"].dtype == "Int64" and df["row"].dtype == "int64"
    assert f"{mask.sum()} of {len(labels)} labels look wrong" in res.stdout


def test_metadata_records_version_options_and_inputs(files):
    tmp, labels, P = files
    out = tmp / "report.parquet"
    run_audit(
        tmp / "labels.npy",
        tmp / "probs.npy",
        out,
        "--filter-by",
        "both",
        "--rank-by",
        "normalized_margin",
    )
    meta = json.loads(pq.read_schema(out).metadata[METADATA_KEY])
    assert meta["labelaudit_version"] == labelaudit.__version__
    assert meta["schema_version"] == 1
    assert meta["options"]["filter_by"] == "both"
    assert meta["options"]["rank_by"] == "normalized_margin"
    assert (meta["n"], meta["k"]) == P.shape
    shas = {i["role"]: i["sha256"] for i in meta["inputs"]}
    assert shas == {"labels": digest(tmp / "labels.npy"), "pred_probs": digest(tmp / "probs.npy")}
    ranked = labelaudit.find_label_issues(
        labels, P, filter_by="both", return_indices_ranked_by="normalized_margin"
    )
    df = pd.read_parquet(out)
    assert df.loc[df.is_label_issue].sort_values("issue_rank")["row"].tolist() == ranked.tolist()


@pytest.mark.parametrize("filter_by", FILTER_METHODS)
def test_every_filter_by_reaches_the_engine(files, filter_by):
    tmp, labels, P = files
    out = tmp / "r.parquet"
    res = run_audit(tmp / "labels.npy", tmp / "probs.npy", out, "--filter-by", filter_by, "--quiet")
    assert res.exit_code == 0 and res.stdout == ""
    expected = labelaudit.find_label_issues(labels, P, filter_by=filter_by)
    df = pd.read_parquet(out)
    assert np.array_equal(df["is_label_issue"].to_numpy(), expected)
    # cleanlab modes suggest the argmax, as cleanlab users expect
    assert np.array_equal(df["suggested_label"].to_numpy(), P.argmax(axis=1))


def test_pruning_options_reach_the_engine(files):
    tmp, labels, P = files
    out = tmp / "r.parquet"
    res = run_audit(
        tmp / "labels.npy",
        tmp / "probs.npy",
        out,
        "--filter-by",
        "prune_by_class",
        "--num-to-remove-per-class",
        "3,4,5,6",
        "--min-examples-per-class",
        "2",
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    flagged = pd.read_parquet(out).query("is_label_issue")
    assert flagged.groupby("given_label").size().to_dict() == {0: 3, 1: 4, 2: 5, 3: 6}
    res = run_audit(
        tmp / "labels.npy",
        tmp / "probs.npy",
        out,
        "--no-calibrate",
        "--frac-noise",
        "0.5",
        "--quiet",
    )
    raw = labelaudit.compute_confident_joint(labels, P, calibrate=False)
    expected = labelaudit.find_label_issues(labels, P, confident_joint=raw, frac_noise=0.5)
    assert np.array_equal(pd.read_parquet(out)["is_label_issue"].to_numpy(), expected)


def test_json_summary(files):
    tmp, labels, P = files
    out = tmp / "r.parquet"
    res = run_audit(tmp / "labels.npy", tmp / "probs.npy", out, "--json")
    summary = json.loads(res.stdout)
    mask = labelaudit.audit(labels, P).columns["is_label_issue"]
    assert summary["num_issues"] == int(mask.sum())
    assert summary["default_rule"]["decision"] in ("noise_posterior", "noise_posterior_and_mixture")
    assert summary["report"] == str(out)
    assert sum(c["flagged"] for c in summary["per_class"]) == int(mask.sum())
    assert len(summary["top_issues"]) == 10
    assert [t["issue_rank"] for t in summary["top_issues"]] == list(range(1, 11))
    assert np.allclose(np.sum(summary["noise_matrix"], axis=0), 1.0)


def test_ensemble_is_the_float64_mean_of_members(tmp_path):
    """An explicit --filter-by gives cleanlab's exact answer on np.mean(np.stack(members))."""
    labels, P1, _ = planted(seed=1)
    _, P2, _ = planted(seed=2)
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "a.npy", P1.astype(np.float32))
    np.save(tmp_path / "b.npy", P2)
    out = tmp_path / "r.parquet"
    res = run_audit(
        tmp_path / "l.npy",
        [tmp_path / "a.npy", tmp_path / "b.npy"],
        out,
        "--quiet",
        "--filter-by",
        "prune_by_noise_rate",
    )
    assert res.exit_code == 0, res.stderr
    mean = np.mean(np.stack([P1.astype(np.float32).astype(np.float64), P2]), axis=0)
    expected = labelaudit.find_label_issues(
        labels, mean, return_indices_ranked_by="self_confidence"
    )
    df = pd.read_parquet(out)
    assert df.loc[df.is_label_issue].sort_values("issue_rank")["row"].tolist() == expected.tolist()


def test_default_ensemble_audit_counts_issues_from_each_member(tmp_path):
    """Unset --filter-by: the members' evidence is used (their mean joint, their posteriors)."""
    from labelaudit.confident.ensemble import member_confident_joint

    labels, P1, _ = planted(seed=1)
    _, P2, _ = planted(seed=2)
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "a.npy", P1)
    np.save(tmp_path / "b.npy", P2)
    out = tmp_path / "r.parquet"
    res = run_audit(tmp_path / "l.npy", [tmp_path / "a.npy", tmp_path / "b.npy"], out, "--json")
    assert res.exit_code == 0, res.stderr
    mean = np.mean(np.stack([P1, P2]), axis=0)
    joint = member_confident_joint(labels, [P1, P2])
    assert joint.sum(axis=1).tolist() == np.bincount(labels).tolist()
    library = labelaudit.audit(labels, mean, members=[P1, P2])
    assert np.array_equal(pd.read_parquet(out)["is_label_issue"], library.columns["is_label_issue"])
    rule = json.loads(res.stdout)["default_rule"]
    assert json.loads(res.stdout)["options"]["joint"] == rule["joint"]
    assert len(rule["evidence"]["ensemble"]["member_issue_counts"]) == 2


def test_logits_are_softmaxed(tmp_path):
    labels, P, _ = planted(seed=3)
    logits = np.log(P) + 7.0  # any per-row shift gives the same softmax
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "z.npy", logits)
    out = tmp_path / "r.parquet"
    res = run_cli(
        "audit",
        "--labels",
        tmp_path / "l.npy",
        "--pred-probs",
        tmp_path / "z.npy",
        "--logits",
        "--out",
        out,
    )
    assert res.exit_code == 0, res.stderr
    df = pd.read_parquet(out)
    library = labelaudit.audit(labels, P)
    assert np.allclose(
        df["suggestion_confidence"], library.columns["suggestion_confidence"], atol=1e-12
    )
    assert df["is_label_issue"].sum() == library.num_issues


def test_tables_with_names_ids_and_list_columns(tmp_path):
    labels, P, _ = planted(k=3, seed=4)
    names = np.array(["cat", "dog", "emu"])
    pd.DataFrame(
        {"id": [f"img{i:04d}" for i in range(len(labels))], "label": names[labels]}
    ).to_csv(tmp_path / "labels.csv", index=False)
    pd.DataFrame({"probs": list(P)}).to_parquet(tmp_path / "probs.parquet")
    pd.DataFrame(P, columns=["p_cat", "p_dog", "p_emu"]).to_csv(tmp_path / "probs.csv", index=False)
    for probs in ("probs.parquet", "probs.csv"):
        out = tmp_path / f"{probs}.parquet"
        res = run_audit(tmp_path / "labels.csv", tmp_path / probs, out)
        assert res.exit_code == 0, res.stderr
        df = pd.read_parquet(out)
        assert df["id"].iloc[5] == "img0005"
        assert df["given_name"].tolist() == names[labels].tolist()
        assert df["suggested_name"].tolist() == names[df["suggested_label"]].tolist()
        expected = labelaudit.audit(labels, P).columns["is_label_issue"]
        assert np.array_equal(df["is_label_issue"], expected)
        assert "cat" in res.stdout


def test_class_names_map_text_labels_in_given_order(tmp_path):
    labels, P, _ = planted(k=3, seed=5)
    names = ["zebra", "ant", "moth"]  # not sorted: the option fixes the index order
    (tmp_path / "labels.txt").write_text("\n".join(names[i] for i in labels) + "\n")
    np.save(tmp_path / "p.npy", P)
    out = tmp_path / "r.parquet"
    res = run_audit(
        tmp_path / "labels.txt", tmp_path / "p.npy", out, "--class-names", ",".join(names)
    )
    assert res.exit_code == 0, res.stderr
    df = pd.read_parquet(out)
    assert np.array_equal(df["given_label"], labels)
    assert df["given_name"].iloc[0] == names[labels[0]]


def test_float_noise_rows_are_used_unchanged_and_larger_drift_is_renormalised(tmp_path):
    labels, P, _ = planted(seed=6)
    P = P * (1 + 2e-7)  # float noise, as in published probabilities: kept bit for bit
    np.save(tmp_path / "l.npy", labels)
    np.save(tmp_path / "p.npy", P)
    out = tmp_path / "r.parquet"
    res = run_audit(tmp_path / "l.npy", tmp_path / "p.npy", out)
    assert res.exit_code == 0 and "renormalised" not in res.stderr
    assert np.array_equal(pd.read_parquet(out)["label_quality"], P[np.arange(len(labels)), labels])
    P[:7] *= 1 + 5e-4
    np.save(tmp_path / "p.npy", P)
    res = run_audit(tmp_path / "l.npy", tmp_path / "p.npy", out)
    assert res.exit_code == 0
    assert "renormalised 7 row(s)" in res.stderr
    assert np.allclose(
        pd.read_parquet(out)["suggestion_confidence"].iloc[:7],
        (P[:7] / P[:7].sum(1, keepdims=True)).max(1),
    )


def test_python_dash_m_runs_the_cli(files):
    tmp, labels, P = files
    out = tmp / "m.parquet"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "labelaudit",
            "audit",
            "--labels",
            str(tmp / "labels.npy"),
            "--pred-probs",
            str(tmp / "probs.npy"),
            "--out",
            str(out),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["num_issues"] == labelaudit.audit(labels, P).num_issues


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys\nfrom labelaudit.cli import app\n"
        "try:\n    app(['--help'], prog_name='labelaudit')\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'pyarrow', 'sklearn', 'scipy', 'cupy', 'torch') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout


@pytest.mark.parametrize("task", ["classification", "token"])
def test_an_audit_from_npy_never_imports_pandas_or_scipy(tmp_path, task):
    """pandas and scipy cost ~0.2 s each at start-up: an audit of .npy probabilities (with its
    string explanation column) and a token audit of Parquet tags need neither."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    given, P, _ = planted(n=400, k=4, seed=3)
    np.save(tmp_path / "probs.npy", P)
    if task == "token":
        tags = [given[i : i + 8].tolist() for i in range(0, 400, 8)]
        pq.write_table(pa.table({"label": tags}), tmp_path / "labels.parquet")
        args = ["--task", "token", "--labels", str(tmp_path / "labels.parquet")]
    else:
        np.save(tmp_path / "labels.npy", given)
        args = ["--labels", str(tmp_path / "labels.npy")]
    args += ["--pred-probs", str(tmp_path / "probs.npy"), "--out", str(tmp_path / "r.parquet")]
    code = (
        "import sys\nfrom labelaudit.cli import app\n"
        f"try:\n    app(['audit', *{args!r}, '-q'], prog_name='labelaudit')\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "print('HEAVY', [m for m in ('pandas', 'scipy') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
    report = pq.read_table(tmp_path / "r.parquet")
    if task == "classification":
        texts = report.column("explanation").to_pylist()
        flagged = report.column("is_label_issue").to_pylist()
        assert all((t is not None) == f for t, f in zip(texts, flagged, strict=True))
        assert report.schema.field("explanation").type == pa.string()
