"""From report to action: HTML review (rendered in headless Chromium), export, apply, diff."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from labelaudit.report import METADATA_KEY, Report
from tests.helpers import digest, planted, run_audit, run_cli

NAMES = ["cat", "dog", "bird"]
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (.ci/run installs it)")


@pytest.fixture
def audited(tmp_path):
    """Labels with ids and class names, a dataset (reversed row order) with images and text."""
    from PIL import Image

    given, P, true = planted(n=300, k=3, noise=0.15, seed=4)
    ids = [f"ex{i}" for i in range(len(given))]
    names = np.array(NAMES)
    (tmp_path / "img").mkdir()
    rng = np.random.default_rng(0)
    for i in range(len(given)):
        colour = tuple(int(v) for v in rng.integers(0, 255, 3))
        Image.new("RGB", (12, 12), colour).save(tmp_path / "img" / f"{i}.png")
    pd.DataFrame({"id": ids, "label": names[given]}).to_csv(tmp_path / "labels.csv", index=False)
    dataset = pd.DataFrame(
        {
            "id": ids,
            "image": [f"img/{i}.png" for i in range(len(given))],
            "text": [f"<b>sample</b> {i} & co" for i in range(len(given))],
        }
    ).iloc[::-1]
    dataset.to_csv(tmp_path / "data.csv", index=False)
    np.save(tmp_path / "probs.npy", P)
    res = run_cli(
        "audit", "--labels", tmp_path / "labels.csv", "--pred-probs", tmp_path / "probs.npy",
        "--class-names", ",".join(NAMES), "--out", tmp_path / "r.parquet", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return tmp_path, given, true


def chromium(*args: str) -> str:
    cmd = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    done = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=120)
    return done.stdout


def rendered_rows(page, fragment: str = "") -> tuple[list[dict[str, str]], str]:
    """The table rows ({header: cell html}) after the page's script ran, and the row counter.

    The page renders only the rows in view; the window is tall enough for these few dozen."""
    dom = chromium("--dump-dom", "--window-size=1400,6000", f"{page.as_uri()}{fragment}")
    table = dom.split('<table id="issue-table"', 1)[1].split("</table>", 1)[0]
    header = re.findall(r"<th(?:\s[^>]*)?>(.*?)</th>", table.split("</thead>", 1)[0])
    rows = re.findall(r'<tr class="r" data-row="\d+"[^>]*>(.*?)</tr>', table, flags=re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S) for row in rows]
    count = re.search(r'id="count">([^<]*)<', dom).group(1)
    return [dict(zip(header, row, strict=True)) for row in cells], count


@needs_chromium
def test_html_review_renders_sorts_filters_and_embeds_everything(audited):
    from PIL import Image

    tmp, *_ = audited
    page = tmp / "review.html"
    res = run_cli("report", tmp / "r.parquet", "--html", page, "--dataset", tmp / "data.csv")
    assert res.exit_code == 0, res.stderr
    text = page.read_text()
    assert "http://" not in text and "https://" not in text  # nothing fetched from a network
    report = Report.read_parquet(tmp / "r.parquet")
    flagged = report.num_issues

    rows, count = rendered_rows(page)
    assert count == f"{flagged} of {flagged} rows"
    assert list(rows[0])[:7] == ["rank", "row", "id", "image", "text", "given", "suggested"]
    ranks = [int(r["rank"]) for r in rows]
    assert ranks == list(range(1, flagged + 1))
    first = rows[0]
    row = int(first["row"])
    assert first["id"] == f"ex{row}"  # joined by id although the dataset is reversed
    assert 'src="data:image/png;base64,' in first["image"] and f'alt="{row}.png"' in first["image"]
    # text is escaped, not markup
    assert first["text"] == f"&lt;b&gt;sample&lt;/b&gt; {row} &amp; co"
    assert first["given"] == NAMES[report.columns["given_label"][row]]

    rows, _ = rendered_rows(page, "#sort=label_quality&desc=1")
    qualities = [float(r["quality"]) for r in rows]
    assert len(qualities) == flagged and qualities == sorted(qualities, reverse=True)

    rows, count = rendered_rows(page, "#class=bird")
    expected = sum(
        1
        for i in report.issue_order()
        if 2 in (report.columns["given_label"][i], report.columns["suggested_label"][i])
    )
    assert len(rows) == expected and count == f"{expected} of {flagged} rows"
    assert all("bird" in (r["given"], r["suggested"]) for r in rows)

    rows, count = rendered_rows(page, f"#q=ex{row}")
    assert [r["row"] for r in rows] == [str(row)]

    shot = tmp / "shot.png"
    chromium(f"--screenshot={shot}", "--window-size=1200,1600", page.as_uri())
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert image.shape[:2] == (1600, 1200)
    assert len(np.unique(image.reshape(-1, 3), axis=0)) > 50  # not a blank page
    red = (abs(image[..., 0] - 0xD9) < 8) & (abs(image[..., 1] - 0x53) < 8)
    assert red.sum() > 500  # the per-class bars and the flagged histogram are drawn


@needs_chromium
def test_html_for_a_dynamics_report_filters_by_grade(tmp_path):
    from labelaudit import audit_dynamics
    from tests.test_dynamics_io import learning_record

    labels, probs, _, _ = learning_record(jitter=1.0)  # noisy enough for some `review` grades
    report = audit_dynamics(labels, probs)
    report.to_parquet(tmp_path / "d.parquet")
    page = tmp_path / "d.html"
    assert run_cli("report", tmp_path / "d.parquet", "--html", page).exit_code == 0
    confident = int((report.columns["grade"] == "confident").sum())
    assert 0 < confident < report.num_issues
    rows, _ = rendered_rows(page, "#grade=confident")
    assert len(rows) == confident
    assert all(r["grade"] == "confident" and r["evidence"] == "elr" for r in rows)


def test_report_without_html_prints_the_summary(audited):
    tmp, *_ = audited
    res = run_cli("report", tmp / "r.parquet", "--json")
    assert res.exit_code == 0
    assert json.loads(res.stdout)["num_issues"] == Report.read_parquet(tmp / "r.parquet").num_issues


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_export_joins_by_id_in_rank_order(audited, suffix):
    tmp, *_ = audited
    out = tmp / f"flagged{suffix}"
    res = run_cli("export", tmp / "r.parquet", "--dataset", tmp / "data.csv", "--out", out)
    assert res.exit_code == 0, res.stderr
    frame = {
        ".csv": pd.read_csv,
        ".parquet": pd.read_parquet,
        ".jsonl": lambda p: pd.read_json(p, lines=True),
    }[suffix](out)
    report = Report.read_parquet(tmp / "r.parquet")
    assert list(frame["row"]) == report.issue_order().tolist()
    assert list(frame["issue_rank"]) == list(range(1, report.num_issues + 1))
    assert (frame["image"] == frame["row"].map(lambda r: f"img/{r}.png")).all()
    assert (frame["id"] == frame["row"].map(lambda r: f"ex{r}")).all()


def test_export_refuses_datasets_that_do_not_join(audited):
    tmp, *_ = audited
    data = pd.read_csv(tmp / "data.csv")
    data.iloc[5:].to_csv(tmp / "short.csv", index=False)
    data.drop(columns="id").to_csv(tmp / "noid.csv", index=False)
    for name, fragment in (("short", "ids are missing"), ("noid", "no id column 'id'")):
        out = tmp / f"{name}.out.csv"
        res = run_cli("export", tmp / "r.parquet", "--dataset", tmp / f"{name}.csv", "--out", out)
        assert res.exit_code == 2 and fragment in res.stderr, res.stderr
        assert not out.exists()


def test_export_by_position_needs_equal_lengths(tmp_path):
    given, P, _ = planted(n=50, k=3)
    report = audit_arrays(tmp_path, given, P)
    pd.DataFrame({"path": [f"{i}.png" for i in range(49)]}).to_csv(tmp_path / "d.csv", index=False)
    res = run_cli("export", report, "--dataset", tmp_path / "d.csv", "--out", tmp_path / "o.csv")
    assert res.exit_code == 2 and "49 rows but the report describes 50" in res.stderr


def audit_arrays(tmp, given, P, *extra):
    """Save labels and probabilities in tmp and audit them; the report's path."""
    np.save(tmp / "labels.npy", given)
    np.save(tmp / "probs.npy", P)
    out = tmp / "r.parquet"
    res = run_audit(tmp / "labels.npy", tmp / "probs.npy", out, "-q", *extra)
    assert res.exit_code == 0, res.stderr
    return out


def test_apply_changes_only_what_qualifies_in_the_same_format(audited):
    tmp, given, true = audited
    before = digest(tmp / "labels.csv")
    out = tmp / "fixed.csv"
    res = run_cli(
        "apply", tmp / "r.parquet", "--labels", tmp / "labels.csv", "--out", out,
        "--min-confidence", "0.7",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert digest(tmp / "labels.csv") == before  # never in place
    report = Report.read_parquet(tmp / "r.parquet").columns
    fixed = pd.read_csv(out)
    original = pd.read_csv(tmp / "labels.csv")
    assert list(fixed.columns) == list(original.columns) and (fixed["id"] == original["id"]).all()
    qualifies = report["is_label_issue"] & (report["suggestion_confidence"] >= 0.7)
    expected = np.where(qualifies, report["suggested_label"], report["given_label"])
    assert list(fixed["label"]) == [NAMES[i] for i in expected]
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
    assert sorted(log["row"]) == np.flatnonzero(qualifies).tolist()
    assert list(log["row"]) == [
        r for r in Report.read_parquet(tmp / "r.parquet").issue_order() if qualifies[r]
    ]
    # the corrections are mostly right on this planted data
    assert (expected == true).mean() > (given == true).mean()


@pytest.mark.parametrize("suffix", [".npy", ".txt", ".parquet"])
def test_apply_keeps_every_labels_format(tmp_path, suffix):
    from labelaudit import audit_dynamics
    from tests.test_dynamics_io import learning_record

    labels, probs, _, _ = learning_record(jitter=1.0)
    report = audit_dynamics(labels, probs)
    report.to_parquet(tmp_path / "d.parquet")
    path = tmp_path / f"labels{suffix}"
    if suffix == ".npy":
        np.save(path, labels)
    elif suffix == ".txt":
        path.write_text("".join(f"{v}\n" for v in labels))
    else:
        pd.DataFrame({"label": labels, "note": "x"}).to_parquet(path)
    out = tmp_path / f"fixed{suffix}"
    dry = run_cli("apply", tmp_path / "d.parquet", "--labels", path, "--dry-run")
    assert dry.exit_code == 0 and not out.exists()
    res = run_cli("apply", tmp_path / "d.parquet", "--labels", path, "--out", out)
    assert res.exit_code == 0, res.stderr
    confident = report.columns["grade"] == "confident"
    expected = np.where(confident, report.columns["suggested_label"], labels)
    if suffix == ".npy":
        got = np.load(out)
        assert got.dtype == labels.dtype
    elif suffix == ".txt":
        got = np.array([int(v) for v in out.read_text().split()])
    else:
        got = pd.read_parquet(out)["label"].to_numpy()
        assert list(pd.read_parquet(out).columns) == ["label", "note"]
    np.testing.assert_array_equal(got, expected)
    assert f"{confident.sum()} labels would change" in " ".join(dry.stdout.split())


def test_apply_refuses_a_labels_file_the_report_did_not_audit(audited):
    tmp, *_ = audited
    labels = pd.read_csv(tmp / "labels.csv")
    labels.loc[7, "label"] = "dog" if labels.loc[7, "label"] != "dog" else "cat"
    labels.to_csv(tmp / "other.csv", index=False)
    cases = [
        (("--labels", tmp / "other.csv", "--out", tmp / "o.csv"), "row 7 holds"),
        (("--labels", tmp / "labels.csv", "--out", tmp / "labels.csv"), "is also an input"),
        (("--labels", tmp / "labels.csv", "--out", tmp / "o.npy"), "in the format of"),
        (("--labels", tmp / "labels.csv"), "give --out"),
        (
            ("--labels", tmp / "labels.csv", "--out", tmp / "o.csv", "--min-confidence", "2"),
            "[0, 1]",
        ),
    ]
    for args, fragment in cases:
        res = run_cli("apply", tmp / "r.parquet", *args)
        assert res.exit_code == 2 and fragment in res.stderr, (args, res.stderr)
    assert not (tmp / "o.csv").exists() and not (tmp / "o.changes.csv").exists()


def test_diff_lists_the_set_differences(tmp_path):
    given, P, _ = planted(n=400, k=4, noise=0.2, seed=2)
    old = audit_arrays(tmp_path, given, P)
    old = old.rename(tmp_path / "old.parquet")
    new = audit_arrays(tmp_path, given, P, "--filter-by", "both")
    res = run_cli("diff", old, new, "--json")
    assert res.exit_code == 0, res.stderr
    out = json.loads(res.stdout)
    a = Report.read_parquet(old).columns
    b = Report.read_parquet(new).columns
    assert (
        sorted(out["newly_flagged"])
        == np.flatnonzero(b["is_label_issue"] & ~a["is_label_issue"]).tolist()
    )
    assert (
        out["no_longer_flagged"]
        == np.flatnonzero(a["is_label_issue"] & ~b["is_label_issue"]).tolist()
    )
    assert len(out["no_longer_flagged"]) > 0
    text = run_cli("diff", old, new)
    assert f"{len(out['no_longer_flagged'])} no longer flagged" in text.stdout


def test_diff_and_report_refuse_bad_reports(tmp_path):
    given, P, _ = planted(n=60, k=3)
    report = audit_arrays(tmp_path, given, P)
    (tmp_path / "x").mkdir()
    other = audit_arrays(tmp_path / "x", given[:50], P[:50])
    res = run_cli("diff", report, other)
    assert res.exit_code == 2 and "same examples" in res.stderr
    table = pq.read_table(report)
    meta = json.loads(table.schema.metadata[METADATA_KEY])
    meta["schema_version"] = 99
    pq.write_table(
        table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()}),
        tmp_path / "v99.parquet",
    )
    for args in (("report", tmp_path / "v99.parquet"), ("diff", report, tmp_path / "v99.parquet")):
        res = run_cli(*args)
        assert res.exit_code == 2 and "schema version 99" in res.stderr
    (tmp_path / "junk.parquet").write_bytes(b"PAR1 not really")
    res = run_cli("report", tmp_path / "junk.parquet", "--html", tmp_path / "p.html")
    assert res.exit_code == 2 and "not a readable Parquet report" in res.stderr
    assert not (tmp_path / "p.html").exists()


def test_multilabel_reports_render_and_refuse_apply(tmp_path):
    rng = np.random.default_rng(0)
    labels = (rng.random((200, 4)) < 0.3).astype(int)
    probs = np.clip(labels * 0.7 + rng.random((200, 4)) * 0.3, 0, 1)
    flipped = rng.choice(200, 20, replace=False)
    labels[flipped] = 1 - labels[flipped]  # wrong label sets
    np.save(tmp_path / "Y.npy", labels)
    np.save(tmp_path / "P.npy", probs)
    res = run_cli(
        "audit", "--labels", tmp_path / "Y.npy", "--pred-probs", tmp_path / "P.npy",
        "--multi-label", "--out", tmp_path / "m.parquet", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert Report.read_parquet(tmp_path / "m.parquet").num_issues > 0
    assert run_cli("report", tmp_path / "m.parquet", "--html", tmp_path / "m.html").exit_code == 0
    assert "given_labels" not in (tmp_path / "m.html").read_text()[:100]
    res = run_cli("apply", tmp_path / "m.parquet", "--labels", tmp_path / "Y.npy", "--dry-run")
    assert res.exit_code == 2 and "this one is multi-label" in res.stderr
