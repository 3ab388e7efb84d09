"""CI-friendly outputs: `gate --json` numbers, `gate --format github` annotations, `diff --exit-code`
and `diff --json` with ids."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from labelaudit.report import Report
from tests.helpers import planted, run_audit, run_cli

NAMES = ["cat", "dog", "bird"]
LIMITS = (
    "max_issue_fraction = 0.5\nmax_new_issues = 3\n"
    '[tool.labelaudit.max_class_issue_fraction]\ncat = 0.5\n"*" = 0.01\n'
)


def project(tmp: Path, config: str = LIMITS) -> Path:
    given, P, _ = planted(n=300, k=3, noise=0.1, seed=0)
    frame = pd.DataFrame({"id": [f"ex{i}" for i in range(300)], "label": np.array(NAMES)[given]})
    frame.to_csv(tmp / "labels.csv", index=False)
    np.save(tmp / "probs.npy", P)
    head = (
        '[tool.labelaudit]\nlabels = "labels.csv"\npred_probs = "probs.npy"\n'
        'id_column = "id"\nclass_names = ["cat", "dog", "bird"]\n'
    )
    (tmp / "pyproject.toml").write_text(head + config)
    return tmp


def gate(tmp: Path, *args: str):
    cwd = Path.cwd()
    os.chdir(tmp)
    try:
        return run_cli("gate", *args)
    finally:
        os.chdir(cwd)


def test_gate_json_checks_hold_numbers_from_the_config_and_the_report(tmp_path):
    project(tmp_path)
    res = gate(tmp_path, "--json")
    assert res.exit_code == 1, res.stderr  # "*" = 1% for dog and bird cannot hold at 10% noise
    data = json.loads(res.stdout)
    cols = Report.read_parquet(tmp_path / ".labelaudit" / "report.parquet").columns
    flagged, given = cols["is_label_issue"], cols["given_label"]
    n = len(flagged)
    checks = {c["name"]: c for c in data["checks"]}
    assert list(checks) == ["issue fraction", "new issues", "class cat", "class dog", "class bird"]
    for check in checks.values():
        assert set(check) >= {"name", "limit", "actual", "passed"}
        for key in ("limit", "actual"):
            assert isinstance(check[key], (int, float)) and not isinstance(check[key], bool)
        assert isinstance(check["passed"], bool)
        assert check["passed"] == (check["actual"] <= check["limit"])
    assert checks["issue fraction"]["limit"] == 0.5
    assert checks["issue fraction"]["actual"] == flagged.sum() / n
    assert checks["new issues"]["limit"] == 3
    assert checks["new issues"]["actual"] == flagged.sum() > 3
    assert not checks["new issues"]["passed"]
    for c, name in enumerate(NAMES):
        check = checks[f"class {name}"]
        assert check["limit"] == (0.5 if name == "cat" else 0.01)
        in_class = given == c
        assert check["actual"] == flagged[in_class].sum() / in_class.sum()
        assert check["flagged"] == flagged[in_class].sum()
        assert check["examples"] == in_class.sum()
    assert checks["class cat"]["passed"] and not checks["class dog"]["passed"]
    assert data["passed"] is False


def test_gate_format_github_writes_one_annotation_per_check(tmp_path):
    project(tmp_path)
    data = json.loads(gate(tmp_path, "--json").stdout)
    res = gate(tmp_path, "--format", "github")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert len(lines) == len(data["checks"]) + 1
    for check, line in zip(data["checks"], lines, strict=False):
        level = "notice" if check["passed"] else "error"
        title = f"labelaudit gate%3A {check['name']}"
        assert line.startswith(f"::{level} title={title}::{check['name']} "), line
    fraction = next(line for line in lines if "issue fraction" in line)
    share = data["checks"][0]["actual"]
    # GitHub's toolkit escapes % as %25 in a message (the annotation shows "15.33%")
    assert f"passed: {share:.2%}".replace("%", "%25") in fraction
    assert fraction.endswith("limit ≤ 50.00%25")
    assert lines[-1].startswith("::error title=labelaudit gate failed::")
    assert f"{data['open_issues']:,} open issues" in lines[-1]

    (tmp_path / "ok").mkdir()
    passing = project(tmp_path / "ok", "max_new_issues = 1000\n")
    res = gate(passing, "--format", "github")
    assert res.exit_code == 0
    assert res.stdout.splitlines()[0].startswith("::notice title=labelaudit gate%3A new issues::")
    assert res.stdout.splitlines()[-1].startswith("::notice title=labelaudit gate passed::")


def test_gate_refuses_json_with_another_format(tmp_path):
    project(tmp_path)
    res = gate(tmp_path, "--json", "--format", "github")
    assert res.exit_code == 2 and "choose one" in res.stderr
    assert not (tmp_path / ".labelaudit").exists()


def audit(tmp: Path, name: str, given, P, *extra) -> Path:
    labels = tmp / "labels.csv"
    pd.DataFrame({"id": [f"ex{i}" for i in range(len(given))], "label": given}).to_csv(
        labels, index=False
    )
    np.save(tmp / "probs.npy", P)
    res = run_audit(labels, tmp / "probs.npy", tmp / name, "-q", *extra)
    assert res.exit_code == 0, res.stderr
    return tmp / name


def test_diff_exit_code_and_json_rows_with_ids(tmp_path):
    given, P, _ = planted(n=400, k=4, noise=0.2, seed=2)
    old = audit(tmp_path, "old.parquet", given, P)
    new = audit(tmp_path, "new.parquet", given, P, "--filter-by", "both")
    same = run_cli("diff", old, old, "--exit-code", "--quiet")
    assert same.exit_code == 0 and same.stdout == ""
    differ = run_cli("diff", old, new, "--exit-code", "--quiet")
    assert differ.exit_code == 1 and differ.stdout == ""
    assert run_cli("diff", old, new).exit_code == 0  # without --exit-code a difference is news

    res = run_cli("diff", old, new, "--json", "--exit-code")
    assert res.exit_code == 1
    out = json.loads(res.stdout)
    a = Report.read_parquet(old).columns
    b = Report.read_parquet(new).columns
    removed = np.flatnonzero(a["is_label_issue"] & ~b["is_label_issue"])
    added = np.flatnonzero(b["is_label_issue"] & ~a["is_label_issue"])
    assert len(removed) > 0 and out["flags_differ"] is True
    assert [r["row"] for r in out["removed"]] == removed.tolist()
    assert [r["id"] for r in out["removed"]] == [f"ex{i}" for i in removed]
    assert sorted(r["row"] for r in out["added"]) == added.tolist()
    assert all(r["id"] == f"ex{r['row']}" for r in out["added"] + out["changed"])
    assert json.loads(run_cli("diff", old, old, "--json").stdout)["removed"] == []
