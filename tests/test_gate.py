"""`labelaudit gate`: configuration, baseline, exit codes, and the pre-commit hook for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import planted, run_cli

ROOT = Path(__file__).resolve().parents[1]
NAMES = ["cat", "dog", "bird"]


def project(tmp: Path, config: str, *, ids: bool = True, seed: int = 0) -> Path:
    given, P, _ = planted(n=300, k=3, noise=0.1, seed=seed)
    frame = pd.DataFrame({"label": np.array(NAMES)[given], "note": [f"n{i}" for i in range(300)]})
    if ids:
        frame.insert(0, "id", [f"ex{i}" for i in range(300)])
    frame.to_csv(tmp / "labels.csv", index=False)
    np.save(tmp / "probs.npy", P)
    head = '[tool.labelaudit]\nlabels = "labels.csv"\npred_probs = "probs.npy"\nclass_names = ["cat", "dog", "bird"]\n'
    (tmp / "pyproject.toml").write_text(head + config)
    return tmp


def gate(tmp: Path, *args: str):
    cwd = Path.cwd()
    os.chdir(tmp)
    try:
        return run_cli("gate", *args)
    finally:
        os.chdir(cwd)


def test_pass_fail_and_the_baseline(tmp_path):
    project(tmp_path, "max_new_issues = 0\nmax_issue_fraction = 0.5\n")
    failed = gate(tmp_path)
    assert failed.exit_code == 1, failed.stderr
    out = " ".join(failed.stdout.split())
    assert "new issues" in out and "FAIL" in out and "labelaudit report" in out
    assert (tmp_path / ".labelaudit" / "report.parquet").exists()  # there to inspect

    updated = gate(tmp_path, "--update-baseline")
    assert updated.exit_code == 0, updated.stdout
    baseline = json.loads((tmp_path / ".labelaudit-baseline.json").read_text())
    assert baseline["key"] == "id" and baseline["accepted"]
    assert gate(tmp_path).exit_code == 0  # accepted issues no longer fail

    # a new error appears: the gate fails again and names that row
    labels = pd.read_csv(tmp_path / "labels.csv")
    probs = np.load(tmp_path / "probs.npy")
    clean = [i for i in range(300) if probs[i].argmax() == NAMES.index(labels.label[i])]
    row = clean[0]
    labels.loc[row, "label"] = NAMES[(NAMES.index(labels.label[row]) + 1) % 3]
    labels.to_csv(tmp_path / "labels.csv", index=False)
    res = gate(tmp_path, "--json")
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["open_rows"] == [row] and not data["passed"]


def test_content_hash_baseline_without_ids(tmp_path):
    project(tmp_path, "max_new_issues = 0\n", ids=False)
    assert gate(tmp_path, "--update-baseline").exit_code == 0
    assert json.loads((tmp_path / ".labelaudit-baseline.json").read_text())["key"] == "hash"
    # rows moved around keep their keys: still passing
    labels = pd.read_csv(tmp_path / "labels.csv")
    order = np.random.default_rng(0).permutation(300)
    labels.iloc[order].to_csv(tmp_path / "labels.csv", index=False)
    np.save(tmp_path / "probs.npy", np.load(tmp_path / "probs.npy")[order])
    res = gate(tmp_path)
    assert res.exit_code == 0, res.stdout


def test_per_class_limits(tmp_path):
    project(tmp_path, "[tool.labelaudit.max_class_issue_fraction]\ndog = 0.0\n'*' = 1.0\n")
    res = gate(tmp_path, "--json")
    assert res.exit_code == 1
    checks = {c["name"]: c for c in json.loads(res.stdout)["checks"]}
    assert not checks["class dog"]["passed"] and checks["class cat"]["passed"]


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ("max_issue_fractoin = 0.1\n", "did you mean 'max_issue_fraction'"),
        ("max_issue_fraction = 2\n", "max_issue_fraction = 2, expected a fraction in [0, 1]"),
        ("max_new_issues = 'ten'\n", 'max_new_issues = "ten" (a string), expected a whole'),
        ("[tool.labelaudit.max_class_issue_fraction]\ndgo = 0.1\n", "did you mean 'dog'"),
        ("[tool.labelaudit.options]\nfilter_bye = 'both'\n", "did you mean 'options.filter_by'"),
        ("max_new_issues = [\n", "not valid TOML"),
    ],
)
def test_bad_configuration_exits_2_without_writing(tmp_path, config, fragment):
    project(tmp_path, config)
    res = gate(tmp_path)
    assert res.exit_code == 2, res.stdout
    assert fragment in " ".join(res.stderr.split())
    assert not (tmp_path / ".labelaudit").exists()


def test_bad_baseline_and_missing_config(tmp_path):
    project(tmp_path, "max_new_issues = 0\n")
    (tmp_path / ".labelaudit-baseline.json").write_text("{not json")
    res = gate(tmp_path)
    assert res.exit_code == 2 and "does not parse" in res.stderr
    (tmp_path / ".labelaudit-baseline.json").write_text('{"accepted": []}')
    assert "not a labelaudit baseline" in gate(tmp_path).stderr
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    res = gate(empty, "--config", str(empty / "labelaudit.toml"))
    assert res.exit_code == 2 and "no such configuration file" in res.stderr


def test_labelaudit_toml_with_top_level_keys(tmp_path):
    project(tmp_path, "")
    (tmp_path / "pyproject.toml").unlink()
    (tmp_path / "labelaudit.toml").write_text(
        'labels = "labels.csv"\npred_probs = ["probs.npy"]\nclass_names = "cat,dog,bird"\n'
        "max_issue_fraction = 0.9\n"
    )
    res = gate(tmp_path)
    assert res.exit_code == 0, res.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_pre_commit_try_repo_runs_the_hook(tmp_path):
    """The published hook, installed by pre-commit itself from this repository."""
    repo = project(tmp_path, "max_new_issues = 0\n")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}  # fmt: skip
    for cmd in (["git", "init", "-q"], ["git", "add", "-A"], ["git", "commit", "-qm", "data"]):
        subprocess.run(cmd, cwd=repo, check=True, env=env)

    def try_repo():
        return subprocess.run(
            ["pre-commit", "try-repo", str(ROOT), "labelaudit-gate", "--all-files"],
            cwd=repo, capture_output=True, text=True, env=env, timeout=900,
        )  # fmt: skip

    failed = try_repo()
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "labelaudit gate" in failed.stdout and "Failed" in failed.stdout
    assert "new issues" in failed.stdout
    subprocess.run(["labelaudit", "gate", "--update-baseline", "-q"], cwd=repo, check=True)
    passed = try_repo()
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_gate_over_training_dynamics(tmp_path):
    from tests.test_dynamics_io import learning_record

    labels, probs, _, _ = learning_record()
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "dyn.npy", probs)
    (tmp_path / "labelaudit.toml").write_text(
        'labels = "labels.npy"\ndynamics = "dyn.npy"\ndetectors = ["elr", "aum"]\n'
        "max_new_issues = 0\n"
    )
    res = gate(tmp_path, "--json")
    assert res.exit_code == 1
    data = json.loads(res.stdout)
    assert data["open_issues"] > 0 and data["checks"][0]["name"] == "new issues"
    assert gate(tmp_path, "--update-baseline").exit_code == 0
    assert json.loads((tmp_path / ".labelaudit-baseline.json").read_text())["key"] == "hash"
    assert gate(tmp_path).exit_code == 0
