"""`audit --task token`: one row per token, cleanlab's flags in cleanlab's order, and the rest of
the commands on token reports."""

from __future__ import annotations

import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.report import Report
from tests.helpers import run_cli
from tests.hostile.conftest import sha

cl_filter = pytest.importorskip("cleanlab.token_classification.filter")
cl_rank = pytest.importorskip("cleanlab.token_classification.rank")

TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def sentences(count=300, *, seed=0, noise=0.08):
    """B/I-tagged sentences (some repeated verbatim), model outputs and tags with errors."""
    rng = np.random.default_rng(seed)
    truth, probs = [], []
    for s in range(count):
        if s % 25 == 24:  # an exact repeat of an earlier sentence: ties in cleanlab's order
            truth.append(truth[s - 10].copy())
            probs.append(probs[s - 10].copy())
            continue
        length = int(rng.integers(1, 15))
        tags = np.zeros(length, dtype=np.int64)
        start = int(rng.integers(0, length))
        kind = int(rng.choice([1, 3]))
        tags[start] = kind
        tags[start + 1 : min(start + 3, length)] = kind + 1
        logits = rng.normal(0, 1, (length, len(TAGS)))
        logits[np.arange(length), tags] += 3.5
        truth.append(tags)
        probs.append(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
    given = [t.copy() for t in truth]
    for t in given:
        flip = rng.random(len(t)) < noise
        t[flip] = rng.integers(0, len(TAGS), int(flip.sum()))
    return given, probs


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("tok")
    given, probs = sentences()
    table = pa.table(
        {
            "id": [f"s{i}" for i in range(len(given))],
            "tokens": [[f"w{j}" for j in range(len(t))] for t in given],
            "label": [t.tolist() for t in given],
        }
    )
    pq.write_table(table, root / "labels.parquet")
    np.save(root / "probs.npy", np.concatenate(probs))
    np.savez(root / "probs.npz", *probs)
    res = run_cli(
        "audit", "--task", "token", "--labels", root / "labels.parquet", "--pred-probs",
        root / "probs.npy", "--out", root / "r.parquet", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return root, given, probs


def test_flags_in_cleanlabs_order_and_its_scores(files):
    root, given, probs = files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = cl_filter.find_label_issues(given, probs)
        sentence_scores, token_scores = cl_rank.get_label_quality_scores(given, probs)
    cols = Report.read_parquet(root / "r.parquet").columns
    order = np.flatnonzero(cols["is_label_issue"])
    order = order[np.argsort(cols["issue_rank"][order])]
    pairs = list(zip(cols["sentence"][order].tolist(), cols["token"][order].tolist(), strict=True))
    assert expected and pairs == [tuple(map(int, p)) for p in expected]
    np.testing.assert_allclose(cols["label_quality"], np.concatenate(token_scores), atol=1e-9)
    np.testing.assert_allclose(
        cols["sentence_quality"], np.repeat(sentence_scores, [len(t) for t in given]), atol=1e-9
    )
    assert cols["given_label"].tolist() == np.concatenate(given).tolist()
    first = len(given[0])
    assert cols["sentence_tokens"][:first].tolist() == [f"w{j}" for j in range(first)]
    assert cols["id"][0] == "s0"


def test_an_npz_of_sentences_gives_the_same_report(files, tmp_path):
    root, *_ = files
    res = run_cli(
        "audit", "--task", "token", "--labels", root / "labels.parquet", "--pred-probs",
        root / "probs.npz", "--out", tmp_path / "z.parquet", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    a = Report.read_parquet(root / "r.parquet").columns
    b = Report.read_parquet(tmp_path / "z.parquet").columns
    for name in ("issue_rank", "label_quality", "suggested_label"):
        assert np.array_equal(a[name], b[name]), name


def test_a_length_mismatch_names_the_first_sentence_that_disagrees(files, tmp_path):
    root, given, probs = files
    short = [p if i != 7 else p[:-1] for i, p in enumerate(probs)]
    if len(given[7]) == 1:
        pytest.skip("sentence 7 has one token")
    np.savez(tmp_path / "bad.npz", *short)
    before = sha(root / "labels.parquet")
    res = run_cli(
        "audit", "--task", "token", "--labels", root / "labels.parquet", "--pred-probs",
        tmp_path / "bad.npz", "--out", tmp_path / "r.parquet",
    )  # fmt: skip
    assert res.exit_code == 2 and "sentence 7" in res.stderr, res.stderr
    assert not (tmp_path / "r.parquet").exists() and sha(root / "labels.parquet") == before
    np.save(tmp_path / "short.npy", np.concatenate(probs)[:-3])
    res = run_cli(
        "audit", "--task", "token", "--labels", root / "labels.parquet", "--pred-probs",
        tmp_path / "short.npy", "--out", tmp_path / "r.parquet",
    )  # fmt: skip
    assert res.exit_code == 2 and "first that does not fit" in res.stderr, res.stderr


def test_apply_rewrites_the_tag_lists_and_keeps_the_other_columns(files, tmp_path):
    root, given, _ = files
    res = run_cli(
        "apply", root / "r.parquet", "--labels", root / "labels.parquet", "--out",
        tmp_path / "fixed.parquet", "--min-confidence", "0.9", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    fixed = pq.read_table(tmp_path / "fixed.parquet")
    original = pq.read_table(root / "labels.parquet")
    assert fixed.column("tokens").equals(original.column("tokens"))
    new = np.concatenate([np.asarray(t) for t in fixed.column("label").to_pylist()])
    old = np.concatenate(given)
    cols = Report.read_parquet(root / "r.parquet").columns
    changed = np.flatnonzero(new != old)
    assert len(changed) > 0
    assert cols["is_label_issue"][changed].all()
    assert (new[changed] == cols["suggested_label"][changed]).all()
    assert (cols["suggestion_confidence"][changed] >= 0.9).all()


def test_export_and_diff_take_token_reports(files, tmp_path):
    root, *_ = files
    res = run_cli("export", root / "r.parquet", "--out", tmp_path / "f.csv", "-q")
    assert res.exit_code == 0, res.stderr
    res = run_cli("diff", root / "r.parquet", root / "r.parquet", "--json")
    assert (
        res.exit_code == 0
        and '"newly_flagged": []' in res.stdout.replace("\n", "").replace("[  ]", "[]")
    ) or "newly_flagged" in res.stdout


def _token_gate(root, tmp_path, *args, ids=True):
    """`labelaudit gate` in tmp_path over the fixture's token files (with or without ids),
    copied there on the first call."""
    import shutil

    if not (tmp_path / "tags.parquet").exists():
        table = pq.read_table(root / "labels.parquet")
        pq.write_table(table if ids else table.drop(["id"]), tmp_path / "tags.parquet")
        shutil.copy(root / "probs.npy", tmp_path / "probs.npy")
    (tmp_path / "labelaudit.toml").write_text(
        'labels = "tags.parquet"\npred_probs = "probs.npy"\ntask = "token"\n'
        f"class_names = {TAGS!r}\nmax_new_issues = 0\n".replace("'", '"')
    )
    return run_cli("gate", "--config", tmp_path / "labelaudit.toml", *args)


@pytest.mark.parametrize("ids", [True, False])
def test_the_gate_takes_token_reports_and_keys_tokens_by_sentence(files, tmp_path, ids):
    import json

    root, given, _ = files
    failed = _token_gate(root, tmp_path, ids=ids)
    assert failed.exit_code == 1, failed.stderr
    report = Report.read_parquet(tmp_path / ".labelaudit" / "report.parquet")
    assert report.metadata["task"] == "token"
    flagged = int(report.columns["is_label_issue"].sum())
    assert f"{flagged:,}" in failed.stdout  # the new-issues check counts flagged tokens
    assert _token_gate(root, tmp_path, "--update-baseline", ids=ids).exit_code == 0
    baseline = json.loads((tmp_path / ".labelaudit-baseline.json").read_text())
    assert baseline["key"] == ("id" if ids else "hash")
    if ids:
        cols = report.columns
        expected = {
            f"{cols['id'][i]}#{cols['token'][i]}" for i in np.flatnonzero(cols["is_label_issue"])
        }
        assert set(baseline["accepted"]) == expected
    assert _token_gate(root, tmp_path, ids=ids).exit_code == 0
    # Sentences reordered: every token keeps its key, so the gate still passes.
    table = pq.read_table(tmp_path / "tags.parquet")
    pq.write_table(table.take(np.arange(table.num_rows)[::-1]), tmp_path / "tags.parquet")
    np.save(tmp_path / "probs.npy", np.concatenate(files[2][::-1]))
    moved = _token_gate(root, tmp_path, ids=ids)
    assert moved.exit_code == 0, moved.stdout
    first = Report.read_parquet(tmp_path / ".labelaudit" / "report.parquet").columns["sentence"]
    assert first[0] == 0 and len(given[-1]) == int((first == 0).sum())  # it really was reordered


def test_the_gate_refuses_a_task_it_cannot_gate(files, tmp_path):
    root, *_ = files
    (tmp_path / "labelaudit.toml").write_text(
        f'labels = "{root / "labels.parquet"}"\npred_probs = "{root / "probs.npy"}"\n'
        'task = "segmentation"\n'
    )
    res = run_cli("gate", "--config", tmp_path / "labelaudit.toml")
    assert res.exit_code == 2
    assert "task" in res.stderr and "'auto', 'token'" in res.stderr.replace('"', "'"), res.stderr


@pytest.mark.parametrize("names", [TAGS[:3], [*TAGS, "B-ORG"]])
def test_class_names_must_name_every_tag_column(files, tmp_path, names):
    root, *_ = files
    res = run_cli(
        "audit", "--task", "token", "--labels", root / "labels.parquet", "--pred-probs",
        root / "probs.npy", "--out", tmp_path / "r.parquet", "--class-names", ",".join(names),
    )  # fmt: skip
    assert res.exit_code == 2, res.stderr
    assert f"--class-names gives {len(names)} names but" in res.stderr
    assert f"has {len(TAGS)} columns" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "r.parquet").exists()


def test_tag_names_that_cover_fewer_classes_than_the_probabilities_are_refused(tmp_path):
    pq.write_table(pa.table({"label": [["O", "B-PER"], ["I-PER", "O"]]}), tmp_path / "t.parquet")
    np.save(tmp_path / "p.npy", np.full((4, 5), 0.2))
    res = run_cli(
        "audit", "--task", "token", "--labels", tmp_path / "t.parquet", "--pred-probs",
        tmp_path / "p.npy", "--out", tmp_path / "r.parquet",
    )  # fmt: skip
    assert res.exit_code == 2
    assert "names 3 classes but" in res.stderr and "pass --class-names with all 5" in res.stderr
    assert not (tmp_path / "r.parquet").exists()
