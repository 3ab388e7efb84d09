"""`audit --annotations`: CROWDLAB against cleanlab itself on generated annotators (sparse cells,
ties, one annotator per row, a single-row annotator, a class never annotated), the annotator
report, `apply --annotations`, and the refusals (exit 2, nothing written)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from labelaudit.multiannotator import get_label_quality_multiannotator
from labelaudit.report import Report
from tests.helpers import run_cli

cl_multi = pytest.importorskip("cleanlab.multiannotator")

TOLERANCE = 1e-9  # the issue's bound for float columns; integer columns are compared exactly


def annotated(n=300, m=5, k=4, *, seed=0, missing=0.5, skill=0.75, model=1.5):
    """(N×M float labels with NaN, N×K pred_probs, true labels): annotators of varied skill
    who label a random subset of rows (every row gets at least one annotation)."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    accuracy = np.linspace(skill + 0.15, skill - 0.2, m)
    labels = np.where(rng.random((n, m)) < accuracy, true[:, None], rng.integers(0, k, (n, m)))
    labels = labels.astype(float)
    labels[rng.random((n, m)) < missing] = np.nan
    empty = np.isnan(labels).all(axis=1)
    labels[empty, rng.integers(0, m, int(empty.sum()))] = true[empty]
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), true] += model
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return labels, probs, true


def cleanlab_answer(labels, probs, names):
    """cleanlab's get_label_quality_multiannotator with its defaults (its random tie-break
    drawn from the seed labelaudit uses), and its posterior for the consensus it returned."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(0)
        result = cl_multi.get_label_quality_multiannotator(
            pd.DataFrame(labels, columns=names), probs, verbose=False
        )
        quality = result["label_quality"]
        *_, posterior, _, _ = cl_multi._get_consensus_stats(
            labels, probs, quality["num_annotations"].to_numpy(),
            quality["consensus_label"].to_numpy(), verbose=False,
        )  # fmt: skip
    return quality, result["annotator_stats"].loc[names], posterior


def cases():
    """Generated cases the issue names, as (labels, probs)."""
    out = {}
    for seed in (0, 1, 2):
        labels, probs, _ = annotated(seed=seed, missing=0.6)
        out[f"sparse-{seed}"] = (labels, probs)
    # Ties: two annotators per row who often disagree, and rows where the model is uniform, so
    # the majority vote falls through to class frequencies and annotator quality (and chance).
    labels, probs, _ = annotated(200, 4, 3, seed=3, missing=0.5, skill=0.45)
    probs[::3] = 1 / 3
    out["ties"] = (labels, probs)
    # Ties past every rule: two equally good annotators disagree where the model is uniform and
    # both classes are equally frequent, so cleanlab draws at random (from the shared seed).
    agree = np.arange(30) % 2
    labels = np.stack([np.r_[agree, np.zeros(10)], np.r_[agree, np.ones(10)]], axis=1)
    probs = np.r_[np.eye(2)[agree] * 0.8 + 0.1, np.full((10, 2), 0.5)]
    out["random-ties"] = (labels, probs)
    labels, probs, _ = annotated(seed=8, missing=0.4)
    out["float32"] = (labels, probs.astype(np.float32))  # cleanlab's arithmetic on float32 too
    # One annotator per row for most rows, an annotator who labels a single row (alone), and a
    # class (3 of K = 5) that no annotator ever uses.
    labels, probs, _ = annotated(250, 6, 5, seed=4, missing=0.85)
    labels[labels == 3] = 2
    labels[:, 5] = np.nan
    empty = np.isnan(labels).all(axis=1)
    labels[empty, 0] = np.arange(int(empty.sum())) % 3
    labels[7, :] = np.nan
    labels[7, 5] = 1
    out["single-row-annotator"] = (labels, probs)
    return out


CASES = cases()


@pytest.mark.parametrize("case", sorted(CASES))
def test_library_is_cleanlab(case):
    labels, probs = CASES[case]
    names = [f"a{m}" for m in range(labels.shape[1])]
    ours = get_label_quality_multiannotator(pd.DataFrame(labels, columns=names), probs)
    quality, stats, posterior = cleanlab_answer(labels, probs, names)
    assert np.array_equal(ours.consensus_label, quality["consensus_label"].to_numpy())
    assert np.array_equal(ours.num_annotations, quality["num_annotations"].to_numpy())
    for column in ("consensus_quality_score", "annotator_agreement"):
        np.testing.assert_allclose(
            getattr(ours, column), quality[column].to_numpy(), rtol=0, atol=TOLERANCE
        )
    assert np.array_equal(ours.post_pred_probs, posterior)  # bit for bit: argmax ties survive
    assert ours.annotators == names
    for column in ("annotator_quality", "agreement_with_consensus"):
        np.testing.assert_allclose(
            getattr(ours, column), stats[column].to_numpy(dtype=float), rtol=0, atol=TOLERANCE
        )
    assert np.array_equal(ours.worst_class, stats["worst_class"].to_numpy())
    assert np.array_equal(ours.num_examples_labeled, stats["num_examples_labeled"].to_numpy())


def test_cases_hold_what_they_claim():
    """The generated cases really contain ties, single annotations and a missing class."""
    labels, probs = CASES["ties"]
    counts = np.stack([(labels == c).sum(axis=1) for c in range(3)], axis=1)
    tied = (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    uniform = np.all(probs == probs[:, :1], axis=1)
    assert (tied & uniform).sum() >= 10
    with pytest.warns(UserWarning, match="random selection"):
        cl_multi.get_majority_vote_label(*CASES["random-ties"], verbose=False)
    labels, _ = CASES["single-row-annotator"]
    assert (~np.isnan(labels)).sum(axis=1).tolist().count(1) > len(labels) / 2
    assert (~np.isnan(labels[:, 5])).sum() == 1 and np.isnan(labels[7, :5]).all()
    assert not (labels == 3).any()
    names = [f"a{m}" for m in range(6)]
    _, stats, _ = cleanlab_answer(labels, CASES["single-row-annotator"][1], names)
    assert np.isnan(stats.loc["a5", "annotator_quality"])  # the report's empty cell


def write_case(root, case, *, index=False, ids=False):
    labels, probs = CASES[case]
    names = [f"a{m}" for m in range(labels.shape[1])]
    frame = pd.DataFrame(labels, columns=names).astype("Int64")
    if ids:
        frame.insert(0, "id", [f"ex{i}" for i in range(len(frame))])
    path = root / f"{case}{'-index' if index else ''}{'-ids' if ids else ''}.csv"
    frame.to_csv(path, index=index)
    np.save(root / f"{case}.npy", probs)
    return path, root / f"{case}.npy"


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """The single-row-annotator case audited through the CLI, with the annotator report."""
    root = tmp_path_factory.mktemp("annotators")
    annotations, probs = write_case(root, "single-row-annotator")
    out, ann = root / "report.parquet", root / "annotators.csv"
    res = run_cli(
        "audit", "--annotations", annotations, "--pred-probs", probs, "--out", out,
        "--annotator-report", ann, "--json",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return root, annotations, probs, out, ann, res


def test_report_columns_are_cleanlabs_on_the_file_as_read_by_pandas(audited):
    _, annotations, probs, out, _, _ = audited
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.random.seed(0)
        theirs = cl_multi.get_label_quality_multiannotator(
            pd.read_csv(annotations), np.load(probs), verbose=False
        )["label_quality"]
    schema = pq.read_schema(out)
    for column in ("consensus_label", "num_annotations"):
        assert str(schema.field(column).type) == "int64"
    for column in ("consensus_quality_score", "annotator_agreement"):
        assert str(schema.field(column).type) == "double"
    report = Report.read_parquet(out)
    cols = report.columns
    assert np.array_equal(cols["consensus_label"], theirs["consensus_label"].to_numpy())
    assert np.array_equal(cols["num_annotations"], theirs["num_annotations"].to_numpy())
    for column in ("consensus_quality_score", "annotator_agreement"):
        np.testing.assert_allclose(cols[column], theirs[column], rtol=0, atol=TOLERANCE)
    # The usual columns: the consensus is the given label, its quality the label quality.
    assert np.array_equal(cols["given_label"], cols["consensus_label"])
    assert np.array_equal(cols["label_quality"], cols["consensus_quality_score"])
    names = [f"a{m}" for m in range(6)]
    _, _, posterior = cleanlab_answer(*CASES["single-row-annotator"], names)
    assert np.array_equal(cols["suggested_label"], posterior.argmax(axis=1))
    # The stated rule: the error posterior by Bayes' rule, the top rows by it flagged, as many
    # as maximise the expected F1.
    q = brute_force_error_posterior(*CASES["single-row-annotator"], cols["consensus_label"])
    np.testing.assert_allclose(cols["consensus_error_posterior"], q, rtol=0, atol=1e-12)
    order = report.issue_order()
    assert len(order) == report.num_issues > 0
    assert np.all(np.diff(q[order]) <= 0)
    assert q[order].min() >= q[~cols["is_label_issue"]].max()
    ranked = np.sort(q)[::-1]
    expected_f1 = 2 * np.cumsum(ranked) / (np.arange(1, len(q) + 1) + q.sum())
    assert len(order) == int(np.argmax(expected_f1)) + 1
    assert report.metadata["task"] == "multiannotator"


def brute_force_error_posterior(labels, probs, consensus):
    """1 − P(true = consensus | x, annotations), one row and one class at a time."""
    n, k = probs.shape
    labelled = ~np.isnan(labels)
    accuracy = [
        ((labels[:, m] == consensus)[labelled[:, m]].sum() + 1) / (labelled[:, m].sum() + 2)
        for m in range(labels.shape[1])
    ]
    q = np.empty(n)
    for i in range(n):
        joint = np.array(
            [
                probs[i, c]
                * np.prod(
                    [
                        accuracy[m] if labels[i, m] == c else (1 - accuracy[m]) / (k - 1)
                        for m in np.flatnonzero(labelled[i])
                    ]
                )
                for c in range(k)
            ]
        )
        q[i] = 1 - joint[consensus[i]] / joint.sum()
    return q


@pytest.mark.parametrize(
    ("n", "m", "k", "missing", "skill", "model"),
    [(3000, 5, 4, 0.6, 0.75, 1.5), (3000, 3, 10, 0.3, 0.6, 2.5), (3000, 8, 3, 0.7, 0.7, 1.0)],
)
def test_flags_find_wrong_consensus_labels(n, m, k, missing, skill, model):
    """On generated annotators the flags find wrong consensus labels (against the truth) better
    than CROWDLAB's own score read as odds (quality < 0.5), and far better than confident
    learning on the consensus against CROWDLAB's posterior, which flags almost nothing."""
    from cleanlab.filter import find_label_issues

    from labelaudit.multiannotator import consensus_error_posterior, flag_consensus

    labels, probs, true = annotated(n, m, k, seed=7, missing=missing, skill=skill, model=model)
    crowd = get_label_quality_multiannotator(labels, probs)
    wrong = crowd.consensus_label != true
    q = consensus_error_posterior(labels, probs, crowd.consensus_label)
    flagged, _, expected = flag_consensus(q, crowd.consensus_quality_score)

    def f1(mask):
        return 2 * (mask & wrong).sum() / (mask.sum() + wrong.sum())

    assert f1(flagged) >= 0.4
    assert f1(flagged) > f1(crowd.consensus_quality_score < 0.5)
    assert f1(flagged) > 2 * f1(find_label_issues(crowd.consensus_label, crowd.post_pred_probs))
    assert 0.5 < expected / wrong.sum() < 2.5


def test_leading_index_column_is_ignored(audited, tmp_path):
    _, _, probs, out, _, _ = audited
    indexed, _ = write_case(tmp_path, "single-row-annotator", index=True)
    assert pd.read_csv(indexed).columns[0].startswith("Unnamed")
    again = tmp_path / "again.parquet"
    res = run_cli("audit", "--annotations", indexed, "--pred-probs", probs, "--out", again)
    assert res.exit_code == 0, res.stderr
    a, b = Report.read_parquet(out).columns, Report.read_parquet(again).columns
    assert a.keys() == b.keys() and all(np.array_equal(a[c], b[c]) for c in a)


def test_annotator_report(audited):
    _, _, _, _, ann, res = audited
    names = [f"a{m}" for m in range(6)]
    _, stats, _ = cleanlab_answer(*CASES["single-row-annotator"], names)
    text = ann.read_text().splitlines()
    assert (
        text[0]
        == "annotator,annotator_quality,agreement_with_consensus,worst_class,num_examples_labeled"
    )
    assert text[6].startswith("a5,,")  # NaN as an empty cell
    frame = pd.read_csv(ann)
    assert frame["annotator"].tolist() == names
    assert (
        frame["worst_class"].dtype == np.int64 and frame["num_examples_labeled"].dtype == np.int64
    )
    for column in ("annotator_quality", "agreement_with_consensus"):
        np.testing.assert_allclose(
            frame[column], stats[column].astype(float), rtol=0, atol=TOLERANCE
        )
    assert frame["worst_class"].tolist() == stats["worst_class"].tolist()
    assert frame["num_examples_labeled"].tolist() == stats["num_examples_labeled"].tolist()
    assert res.stdout.lstrip().startswith("{")  # nothing cleanlab printed reached stdout


def test_ids_names_and_apply(tmp_path):
    labels, probs = CASES["sparse-0"]
    names = ["cat", "dog", "bird", "fish"]
    frame = pd.DataFrame(labels, columns=[f"a{m}" for m in range(5)])
    frame = frame.apply(lambda c: [names[int(v)] if v == v else None for v in c])
    frame.insert(0, "key", [f"k{i}" for i in range(len(frame))])
    annotations = tmp_path / "names.parquet"
    frame.to_parquet(annotations, index=False)
    np.save(tmp_path / "p.npy", probs)
    out = tmp_path / "r.parquet"
    res = run_cli(
        "audit", "--annotations", annotations, "--pred-probs", tmp_path / "p.npy", "--out", out,
        "--class-names", ",".join(names), "--id-column", "key",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    report = Report.read_parquet(out)
    expected = get_label_quality_multiannotator(labels, probs).consensus_label
    assert np.array_equal(report.columns["consensus_label"], expected)
    assert report.columns["id"].tolist() == frame["key"].tolist()
    consensus = tmp_path / "consensus.csv"
    res = run_cli("apply", out, "--annotations", annotations, "--out", consensus)
    assert res.exit_code == 0, res.stderr
    written = pd.read_csv(consensus)
    assert written.columns.tolist() == ["key", "label"]
    assert written["key"].tolist() == frame["key"].tolist()
    assert written["label"].tolist() == [names[c] for c in expected]


def test_apply_consensus_indices_and_override_hook(audited, tmp_path):
    from labelaudit.review.consensus import consensus_labels

    _, annotations, _, out, _, _ = audited
    consensus = tmp_path / "consensus.parquet"
    res = run_cli("apply", out, "--annotations", annotations, "--out", consensus)
    assert res.exit_code == 0, res.stderr
    written = pd.read_parquet(consensus)
    report = Report.read_parquet(out)
    assert written.columns.tolist() == ["label"]
    assert np.array_equal(written["label"].to_numpy(), report.columns["consensus_label"])
    changed = consensus_labels(report, annotations, overrides={3: 4, 10: 0})
    expected = report.columns["consensus_label"].copy()
    expected[[3, 10]] = [4, 0]
    assert np.array_equal(changed["label"].to_numpy(), expected)


def refused(tmp_path, *args, writes=("out.parquet", "ann.csv")):
    before = sorted(p.name for p in tmp_path.iterdir())
    res = run_cli(*args)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    message = res.stderr.strip().removeprefix("error: ")
    assert "Traceback" not in res.stderr and message.count("\n") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    for name in writes:
        assert not (tmp_path / name).exists()
    return message


def audit_args(tmp_path, frame, probs, *extra):
    annotations = tmp_path / "a.csv"
    frame.to_csv(annotations, index=False)
    np.save(tmp_path / "p.npy", probs)
    return (
        "audit", "--annotations", annotations, "--pred-probs", tmp_path / "p.npy",
        "--out", tmp_path / "out.parquet", "--annotator-report", tmp_path / "ann.csv", *extra,
    )  # fmt: skip


def small():
    labels, probs, _ = annotated(60, 3, 3, seed=5, missing=0.3)
    return pd.DataFrame(labels, columns=["ann", "bob", "cy"]).astype("Int64"), probs


def _blank_row(f, p):
    return f.mask(pd.Series(f.index == 4, index=f.index), axis=0), p


REFUSALS = {
    "empty-column": (lambda f, p: (f.assign(cy=pd.NA), p), "annotator column 'cy' has no labels"),
    "empty-row": (_blank_row, "row 4 has no annotation"),
    "outside-k": (
        lambda f, p: (f.assign(bob=f["bob"].fillna(1).mask(f.index == 9, 3)), p),
        "row 9, annotator 'bob' has class 3, outside [0, 3)",
    ),
    "one-annotator": (lambda f, p: (f[["ann"]].fillna(0), p), "needs at least two"),
    "one-per-row": (
        lambda f, p: (pd.DataFrame({"ann": [0, pd.NA] * 30, "bob": [pd.NA, 1] * 30}), p),
        "every example has exactly one annotation",
    ),
    "rows": (lambda f, p: (f, p[:50]), "has 60 labels but"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_refusals(tmp_path, case):
    change, words = REFUSALS[case]
    frame, probs = change(*small())
    message = refused(tmp_path, *audit_args(tmp_path, frame, probs))
    assert words in message, message


def test_refusals_of_options(tmp_path):
    frame, probs = small()
    args = audit_args(tmp_path, frame, probs)
    np.save(tmp_path / "y.npy", np.zeros(60, dtype=np.int64))
    assert "--labels" in refused(tmp_path, *args, "--labels", tmp_path / "y.npy")
    assert "--filter-by" in refused(tmp_path, *args, "--filter-by", "both")
    assert "--annotations" in refused(
        tmp_path, "audit", "--labels", tmp_path / "y.npy", "--pred-probs", tmp_path / "p.npy",
        "--out", tmp_path / "out.parquet", "--annotator-report", tmp_path / "ann.csv",
    )  # fmt: skip
    message = refused(tmp_path, *args[:-1], tmp_path / "a.csv", writes=("out.parquet",))
    assert "also an input" in message
    names = frame.apply(lambda c: [["x", "y", "z"][int(v)] if v is not pd.NA else None for v in c])
    assert "--class-names" in refused(tmp_path, *audit_args(tmp_path, names, probs))


def test_apply_refuses_another_file_and_plain_labels(audited, tmp_path):
    _, _, _, out, _, _ = audited
    frame, _ = small()
    other = tmp_path / "other.csv"
    frame.to_csv(other, index=False)
    message = refused(
        tmp_path, "apply", out, "--annotations", other, "--out", tmp_path / "c.csv",
        writes=("c.csv",),
    )  # fmt: skip
    assert "not the file this report audited" in message
    message = refused(
        tmp_path, "apply", out, "--labels", other, "--out", tmp_path / "c.csv", writes=("c.csv",)
    )
    assert "--annotations" in message


def test_neither_labels_nor_annotations(audited, tmp_path):
    _, _, probs, out, _, _ = audited
    message = refused(tmp_path, "audit", "--pred-probs", probs, "--out", tmp_path / "out.parquet")
    assert "--labels" in message and "--annotations" in message
    message = refused(tmp_path, "apply", out, "--out", tmp_path / "c.csv", writes=("c.csv",))
    assert "--annotations" in message


def test_apply_dry_run_writes_nothing(audited, tmp_path):
    _, annotations, _, out, _, _ = audited
    res = run_cli("apply", out, "--annotations", annotations, "--dry-run")
    assert res.exit_code == 0, res.stderr
    assert "Would write 250 consensus labels" in res.stdout
    assert list(tmp_path.iterdir()) == []


def test_export_diff_and_page_read_the_report(audited, tmp_path):
    _, _, _, out, _, _ = audited
    flagged = tmp_path / "flagged.csv"
    assert run_cli("export", out, "--out", flagged).exit_code == 0
    exported = pd.read_csv(flagged)
    report = Report.read_parquet(out)
    assert exported["row"].tolist() == report.issue_order().tolist()
    assert "consensus_quality_score" in exported.columns
    res = run_cli("diff", out, out, "--json")
    assert res.exit_code == 0 and '"newly_flagged": []' in res.stdout
    page = tmp_path / "page.html"
    assert run_cli("report", out, "--html", page).exit_code == 0
    assert page.stat().st_size > 0


def test_apply_annotations_takes_a_reviewers_decisions(audited, tmp_path):
    _, annotations, _, out, _, _ = audited
    report = Report.read_parquet(out)
    cols = report.columns
    k = int(report.metadata["k"])
    other = int((cols["given_label"][1] + 1) % k)
    if other == cols["suggested_label"][1]:
        other = int((other + 1) % k)
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        "row,id,given_label,decision,new_label\n"
        f"0,,{cols['given_label'][0]},accept,{cols['suggested_label'][0]}\n"
        f"1,,{cols['given_label'][1]},relabel,{other}\n"
        f"2,,{cols['given_label'][2]},keep,\n"
    )
    consensus = tmp_path / "consensus.csv"
    res = run_cli(
        "apply", out, "--annotations", annotations, "--decisions", decisions, "--out", consensus
    )
    assert res.exit_code == 0, res.stderr
    expected = cols["consensus_label"].copy()
    expected[0], expected[1] = cols["suggested_label"][0], other
    assert pd.read_csv(consensus)["label"].tolist() == expected.tolist()
    # a decision that does not match the report is refused and nothing is written
    decisions.write_text(
        f"row,id,given_label,decision,new_label\n0,,{(cols['given_label'][0] + 1) % k},keep,\n"
    )
    refused_out = tmp_path / "again.csv"
    res = run_cli(
        "apply", out, "--annotations", annotations, "--decisions", decisions, "--out", refused_out
    )
    assert res.exit_code == 2 and "line 2" in res.stderr, res.stderr
    assert not refused_out.exists()
