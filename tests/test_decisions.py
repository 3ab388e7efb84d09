"""apply --decisions (the review page's decisions.csv, a Label Studio export) and the Label Studio
export: exactly the decided rows change, every other byte stays, mismatches are refused."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labelaudit.report import Report
from tests.helpers import digest, run_audit, run_cli

NAMES = ["cat", "dog", "bird"]
N = 60
# Rows whose given label is wrong (true class = row % 3): row -> given class.
FLIPS = {3: 1, 10: 2, 25: 0, 40: 2, 41: 0}
HEADER = "row,id,given_label,decision,new_label\n"
FIXTURE = Path(__file__).parent / "data" / "label_studio_export.json"


def given_labels() -> np.ndarray:
    labels = np.arange(N) % 3
    for row, given in FLIPS.items():
        labels[row] = given
    return labels


def labels_csv(labels) -> bytes:
    """A labels file with what pandas would rewrite: CRLF endings, quoted and unquoted names,
    quotes, commas and a line break inside fields, numbers written as 1.50 and 007."""
    lines = ["id,label,note,weight\r\n"]
    for i, label in enumerate(labels):
        name = NAMES[label]
        field = f'"{name}"' if i % 4 == 0 else name
        note = ('"say ""hi"", twice"', '"two\nlines"', "plain", "")[i % 4]
        lines.append(
            f"ex{i},{field},{note},{i}.50\r\n" if i % 5 else f"ex{i},{field},{note},007\r\n"
        )
    return "".join(lines).encode()


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """A report of 60 rows (ids, class names) with the rows of FLIPS flagged, and its files."""
    tmp = tmp_path_factory.mktemp("decisions")
    rng = np.random.default_rng(5)
    probs = np.full((N, 3), 0.05) + rng.uniform(0, 0.01, (N, 3))
    probs[np.arange(N), np.arange(N) % 3] = 0.9
    probs /= probs.sum(axis=1, keepdims=True)
    np.save(tmp / "probs.npy", probs)
    (tmp / "labels.csv").write_bytes(labels_csv(given_labels()))
    data = pd.DataFrame(
        {"id": [f"ex{i}" for i in range(N)], "text": [f"sample {i}" for i in range(N)]}
    )
    data.iloc[::-1].to_csv(tmp / "data.csv", index=False)
    res = run_audit(
        tmp / "labels.csv",
        tmp / "probs.npy",
        tmp / "r.parquet",
        "--class-names",
        ",".join(NAMES),
        "-q",
    )
    assert res.exit_code == 0, res.stderr
    report = Report.read_parquet(tmp / "r.parquet")
    # the premise of every test below: exactly the flipped rows are flagged, suggesting the truth
    assert sorted(report.issue_order().tolist()) == sorted(FLIPS)
    assert [report.columns["suggested_label"][r] for r in FLIPS] == [r % 3 for r in FLIPS]
    return tmp, report


def apply(tmp: Path, decisions: Path, *extra, labels="labels.csv", out="fixed.csv"):
    return run_cli(
        "apply", tmp / "r.parquet", "--labels", tmp / labels, "--decisions", decisions,
        "--out", tmp / out, *extra,
    )  # fmt: skip


def test_decided_rows_change_and_every_other_byte_stays(audited, tmp_path):
    tmp, report = audited
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(
        HEADER
        + "3,ex3,1,accept,0\n"  # flagged: the suggestion
        + "10,ex10,2,relabel,0\n"  # flagged: a third class
        + "25,ex25,0,keep,\n"  # flagged, kept
        + "7,ex7,1,relabel,2\n"  # not flagged at all: a reviewer's own correction
        + "12,ex12,0,relabel,0\n"  # relabelled to what it already is: nothing changes
    )
    before = digest(tmp / "labels.csv")
    # --min-confidence does not decide anything once decisions do (row 7's confidence is low)
    res = apply(tmp, decisions, "--min-confidence", "0.99")
    assert res.exit_code == 0, res.stderr
    assert "--min-confidence is not used with --decisions" in res.stderr
    assert "1 accepted, 1 kept, 3 relabelled" in " ".join(res.stdout.split())
    # p(new) is the suggestion's confidence only where the new class is the suggestion
    shown = {
        line.split()[1]: line.split()[-2] for line in res.stdout.splitlines() if "│ ex" in line
    }
    assert shown["10"] == shown["7"] == "–" and shown["3"] != "–"
    assert digest(tmp / "labels.csv") == before
    expected = given_labels()
    expected[[3, 10, 7]] = [0, 0, 2]
    assert (tmp / "fixed.csv").read_bytes() == labels_csv(expected)  # names stay names
    log = pd.read_csv(tmp / "fixed.changes.csv")
    assert list(log.columns) == [
        "row",
        "id",
        "old",
        "new",
        "score",
        "suggestion_confidence",
        "grade",
    ]
    # flagged rows in issue_rank order, then the unflagged one
    rank = report.columns["issue_rank"]
    assert list(log["row"]) == [*sorted([3, 10], key=lambda r: rank[r]), 7]
    assert dict(zip(log["row"], log["old"], strict=True)) == {3: "dog", 10: "bird", 7: "dog"}
    assert dict(zip(log["row"], log["new"], strict=True)) == {3: "cat", 10: "cat", 7: "bird"}
    assert list(log["id"]) == [f"ex{r}" for r in log["row"]]


def test_dry_run_with_decisions_writes_nothing(audited, tmp_path):
    tmp, _ = audited
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(HEADER + "3,ex3,1,accept,0\n41,ex41,0,relabel,1\n")
    res = run_cli(
        "apply", tmp / "r.parquet", "--labels", tmp / "labels.csv", "--decisions", decisions,
        "--dry-run",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert "2 labels would change" in " ".join(res.stdout.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.csv"]
    js = run_cli(
        "apply", tmp / "r.parquet", "--labels", tmp / "labels.csv", "--decisions", decisions,
        "--dry-run", "--json",
    )  # fmt: skip
    assert [(c["row"], c["new"]) for c in json.loads(js.stdout)] in (
        [(3, "cat"), (41, "dog")],
        [(41, "dog"), (3, "cat")],
    )


def test_parquet_labels_keep_their_schema_and_other_values(audited, tmp_path):
    tmp, _ = audited
    table = pa.table(
        {
            "label": pa.array(given_labels(), type=pa.int16()),
            "note": pa.array([f"n{i}" for i in range(N)], type=pa.large_string()),
            "group": pa.array([("a", "b")[i % 2] for i in range(N)]).dictionary_encode(),
            "score": pa.array([None if i % 7 == 0 else i for i in range(N)], type=pa.int32()),
        }
    ).replace_schema_metadata({"source": "hand-made"})
    pq.write_table(table, tmp_path / "labels.parquet")
    (tmp_path / "r.parquet").write_bytes((tmp / "r.parquet").read_bytes())
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(HEADER + "10,ex10,2,accept,1\n7,ex7,1,relabel,2\n")
    res = apply(tmp_path, decisions, labels="labels.parquet", out="fixed.parquet")
    assert res.exit_code == 0, res.stderr
    fixed = pq.read_table(tmp_path / "fixed.parquet")
    assert fixed.schema.equals(table.schema, check_metadata=True)
    expected = given_labels()
    expected[[10, 7]] = [1, 2]
    assert fixed.column("label").to_pylist() == expected.tolist()
    for name in ("note", "group", "score"):
        assert fixed.column(name).equals(table.column(name)), name


REFUSALS = [
    (
        "4,ex4,1,accept,1\n60,ex60,0,keep,\n",
        "line 3: row 60 is out of range; the report has 60 rows",
    ),
    ("17,ex17,3,keep,\n", "line 2: row 17's given_label is 3 but the report says 2."),
    ("3,ex4,1,accept,0\n", "line 2: row 3's id is 'ex4' but the report says 'ex3'."),
    ("3,,1,accept,0\n", "line 2: row 3 has no id but the report says 'ex3'."),
    ("3,ex3,1,approve,0\n", "line 2: unknown decision 'approve'; use accept, keep, relabel."),
    (
        "3,ex3,1,accept,0\n5,ex5,2,keep,\n3,ex3,1,keep,\n",
        "line 4: row 3 is decided twice (first at",
    ),
    ("10,ex10,2,relabel,\n", "line 2: row 10 is decided relabel but new_label is empty"),
    ("10,ex10,2,relabel,3\n", "line 2: row 10's new_label 3 is not a class index (0 to 2)."),
    ("10,ex10,2,relabel,one\n", "line 2: new_label 'one' is not an integer."),
    (
        "10,ex10,2,accept,0\n",
        "line 2: row 10 is accepted with new_label 0 but the report suggests 1.",
    ),
    ("25,ex25,0,keep,1\n", "line 2: row 25 is kept but has new_label '1'"),
    ("25,ex25,0\n", "line 2: expected 5 fields"),
]


@pytest.mark.parametrize(("lines", "sentence"), REFUSALS)
def test_decisions_that_do_not_match_the_report_are_refused(audited, tmp_path, lines, sentence):
    tmp, _ = audited
    decisions = tmp_path / "decisions.csv"
    decisions.write_text(HEADER + lines)
    res = apply(tmp, decisions, out=tmp_path / "fixed.csv")
    assert res.exit_code == 2
    assert f"{decisions} {sentence}" in " ".join(res.stderr.split()), res.stderr
    assert "Traceback" not in res.stderr
    assert not (tmp_path / "fixed.csv").exists() and not (tmp_path / "fixed.changes.csv").exists()


def test_a_wrong_header_or_suffix_is_refused(audited, tmp_path):
    tmp, _ = audited
    bad = tmp_path / "decisions.csv"
    bad.write_text("row,decision\n3,accept\n")
    res = apply(tmp, bad, out=tmp_path / "fixed.csv")
    assert res.exit_code == 2 and "line 1: the header must be row,id,given_label" in res.stderr
    other = tmp_path / "decisions.tsv"
    other.write_text(HEADER)
    res = apply(tmp, other, out=tmp_path / "fixed.csv")
    assert res.exit_code == 2 and "Label Studio JSON export" in res.stderr
    bad.write_text(HEADER + "3,ex3,1,accept,0\n")
    before = digest(bad)
    res = apply(tmp, bad, out=bad)  # the decisions are an input too
    assert res.exit_code == 2 and "is also an input" in res.stderr and digest(bad) == before
    assert not (tmp_path / "fixed.csv").exists()


def test_label_studio_tasks_hold_the_dataset_the_row_and_the_suggestion(audited, tmp_path):
    tmp, report = audited
    out = tmp_path / "tasks.json"
    res = run_cli(
        "export", tmp / "r.parquet", "--dataset", tmp / "data.csv", "--format", "label-studio",
        "--out", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    tasks = json.loads(out.read_text())
    cols = report.columns
    assert [t["data"]["row"] for t in tasks] == report.issue_order().tolist()
    for task in tasks:
        r = task["data"]["row"]
        assert task["data"] == {
            "id": f"ex{r}",
            "text": f"sample {r}",
            "row": r,
            "label_quality": cols["label_quality"][r],
            "given_label": NAMES[cols["given_label"][r]],
        }
        (prediction,) = task["predictions"]
        assert prediction["model_version"].startswith("labelaudit ")
        assert prediction["score"] == cols["suggestion_confidence"][r]
        assert prediction["result"] == [
            {
                "from_name": "label",
                "to_name": "item",
                "type": "choices",
                "value": {"choices": [NAMES[cols["suggested_label"][r]]]},
            }
        ]
    config = tmp_path / "config.xml"
    res = run_cli(
        "export", tmp / "r.parquet", "--dataset", tmp / "data.csv",
        "--format", "label-studio-config", "--out", config,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    view = ET.fromstring(config.read_text())
    choices = view.find("Choices")
    assert [c.get("value") for c in choices.findall("Choice")] == NAMES
    assert choices.get("name") == "label" and choices.get("toName") == "item"
    assert view.find("Text").attrib == {"name": "item", "value": "$text"}
    wrong = run_cli(
        "export", tmp / "r.parquet", "--format", "label-studio", "--out", tmp_path / "t.csv"
    )
    assert wrong.exit_code == 2 and "name it *.json" in wrong.stderr


def test_a_label_studio_export_written_from_the_docs_applies(audited, tmp_path):
    """tests/data/label_studio_export.json is written by hand after Label Studio's documented
    export format, https://labelstud.io/guide/task_format (a task's id, data, annotations with
    result, was_cancelled, created_at/updated_at; predictions), with choices results as
    https://labelstud.io/tags/choices describes them. Task 101 accepts the suggestion, 102's
    latest annotation (listed first) relabels to a third class, 103 keeps the given label
    (its later annotation was cancelled), 104 has no annotation and 105 only a cancelled one."""
    tmp, _ = audited
    res = apply(tmp, FIXTURE, out=tmp_path / "fixed.csv")
    assert res.exit_code == 0, res.stderr
    assert "1 accepted, 1 kept, 1 relabelled" in " ".join(res.stdout.split())
    expected = given_labels()
    expected[[3, 10]] = [0, 0]
    assert (tmp_path / "fixed.csv").read_bytes() == labels_csv(expected)


def test_round_trip_export_annotate_apply(audited, tmp_path):
    tmp, report = audited
    out = tmp_path / "tasks.json"
    assert (
        run_cli("export", tmp / "r.parquet", "--format", "label-studio", "--out", out).exit_code
        == 0
    )
    tasks = json.loads(out.read_text())
    assert all(set(t["data"]) == {"id", "row", "label_quality", "given_label"} for t in tasks)
    cols = report.columns
    wanted = {}
    for number, task in enumerate(tasks):
        r = task["data"]["row"]
        given, suggested = cols["given_label"][r], cols["suggested_label"][r]
        other = ({0, 1, 2} - {given, suggested}).pop()
        chosen = (suggested, given, other, None)[number % 4]
        if chosen is None:
            continue
        result = dict(task["predictions"][0]["result"][0], value={"choices": [NAMES[chosen]]})
        task["id"] = 200 + number
        task["annotations"] = [{"id": number, "result": [result], "was_cancelled": False}]
        wanted[r] = chosen
    (tmp_path / "done.json").write_text(json.dumps(tasks))
    res = apply(tmp, tmp_path / "done.json", out=tmp_path / "fixed.csv")
    assert res.exit_code == 0, res.stderr
    expected = given_labels()
    for r, chosen in wanted.items():
        expected[r] = chosen
    assert (tmp_path / "fixed.csv").read_bytes() == labels_csv(expected)


def _task(row, choices, **data):
    result = {
        "from_name": "label",
        "to_name": "item",
        "type": "choices",
        "value": {"choices": choices},
    }
    return {
        "id": 7,
        "data": {"row": row, "id": f"ex{row}", **data},
        "annotations": [{"result": [result]}],
    }


LS_REFUSALS = [
    ({"tasks": []}, ": a Label Studio JSON export is a list of tasks, not a dict."),
    ([_task(3, ["cat"]), {"data": {"id": "ex4"}}], "task 2: data.row must be the report row"),
    (
        [_task(3, ["cat"], id="ex9")],
        "task 1 (id 7): row 3's id is 'ex9' but the report says 'ex3'.",
    ),
    ([_task(3, ["lion"])], "task 1 (id 7): the annotation chose 'lion', which is not one of"),
    ([_task(3, ["cat", "dog"])], "task 1 (id 7): the annotation chooses 2 classes"),
    ([_task(99, ["cat"])], "task 1 (id 7): row 99 is out of range"),
    ([_task(3, ["cat"]), _task(3, ["dog"])], "task 2 (id 7): row 3 is decided twice"),
    (
        [{"data": {"row": 3, "id": "ex3"}, "annotations": {}}],
        "task 1: `annotations` must be a list",
    ),
]


@pytest.mark.parametrize(("payload", "sentence"), LS_REFUSALS)
def test_malformed_label_studio_exports_are_refused(audited, tmp_path, payload, sentence):
    tmp, _ = audited
    export = tmp_path / "export.json"
    export.write_text(json.dumps(payload))
    res = apply(tmp, export, out=tmp_path / "fixed.csv")
    assert res.exit_code == 2
    separator = "" if sentence.startswith(":") else " "
    assert f"{export}{separator}{sentence}" in " ".join(res.stderr.split()), res.stderr
    assert not (tmp_path / "fixed.csv").exists() and not (tmp_path / "fixed.changes.csv").exists()


def test_csv_fields_are_spliced_in_place(tmp_path):
    from labelaudit.errors import InvalidInputError
    from labelaudit.review.csv_splice import splice_csv

    data = b'\xef\xbb\xbfid,label\r\n\r\na,"x ""y"""\r\nb,2\r\nc,"multi\nline",\r\nd,3'
    path = tmp_path / "l.csv"
    out = splice_csv(data, path, "label", {0: ('x "y"', "one, two"), 1: (2, 7), 3: (3, 4)})
    assert out == b'\xef\xbb\xbfid,label\r\n\r\na,"one, two"\r\nb,7\r\nc,"multi\nline",\r\nd,4'
    with pytest.raises(InvalidInputError, match="does not read as 5"):
        splice_csv(data, path, "label", {1: (5, 7)})
