"""Bad values in `[tool.labelaudit]`: exit 2 and one sentence naming pyproject.toml, the key, the
value given and what was expected; nothing written, no input changed."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import one_sentence, sha
from tests.test_gate import gate, project

# config lines appended to a working [tool.labelaudit] -> fragments the sentence must contain
CASES = {
    "string for a number": (
        'max_issue_fraction = "high"\n',
        ('max_issue_fraction = "high" (a string)', "expected a fraction in [0, 1]"),
    ),
    "negative fraction": ("max_issue_fraction = -0.1\n", ("max_issue_fraction = -0.1", "[0, 1]")),
    "fraction above 1": ("max_issue_fraction = 1.5\n", ("max_issue_fraction = 1.5", "[0, 1]")),
    "nan fraction": ("max_issue_fraction = nan\n", ("max_issue_fraction = nan", "[0, 1]")),
    "negative count": ("max_new_issues = -3\n", ("max_new_issues = -3", "0 or more")),
    "float count": ("max_new_issues = 1.5\n", ("max_new_issues = 1.5 (a number)", "whole number")),
    "boolean count": ("max_new_issues = true\n", ("max_new_issues = true (a boolean)",)),
    "list for a string": ('label_column = ["a"]\n', ('label_column = ["a"] (a list)', "column name")),
    "empty id column": ('id_column = ""\n', ('id_column = ""', "column name")),
    "string for a boolean": ('force = "yes"\n', ('force = "yes" (a string)', "true or false")),
    "unknown key": ("maxnewissues = 3\n", ("unknown key 'maxnewissues'", "'max_new_issues'")),
    "unknown detector": ('detector = "confident_learnin"\n', ('"confident_learnin"', "'confident_learning'")),
    "string for a list": ('detectors = "elr"\n', ('detectors = "elr" (a string)', "list of detector")),
    "detector needing dynamics": ('detector = "aum"\n', ("aum needs training dynamics ('dynamics')",)),
    "unknown filter": (
        '[tool.labelaudit.options]\nfilter_by = "prune"\n',
        ('options.filter_by = "prune"', '"prune_by_noise_rate"'),
    ),
    "unknown option": (
        "[tool.labelaudit.options]\nfrac_nois = 0.5\n",
        ("unknown key 'options.frac_nois'", "'options.frac_noise'"),
    ),
    "string option": (
        '[tool.labelaudit.options]\nfrac_noise = "x"\n',
        ('options.frac_noise = "x" (a string)', "(0, 1]"),
    ),
    "negative option": (
        "[tool.labelaudit.options]\nmin_examples_per_class = -1\n",
        ("options.min_examples_per_class = -1", "0 or more"),
    ),
    "class fraction above 1": (
        "[tool.labelaudit.max_class_issue_fraction]\ndog = 1.5\n",
        ("max_class_issue_fraction.dog = 1.5", "[0, 1]"),
    ),
    "table for a number": ("options = 3\n", ("options = 3 (an integer)", "a table")),
    "report is a directory": ('report = "sub"\n', ('report = "sub"', ".parquet")),
    "report not parquet": ('report = "r.txt"\n', ('report = "r.txt"', ".parquet")),
    "report under a file": ('report = "labels.csv/r.parquet"\n', ("labels.csv", "not a directory")),
    "baseline is a directory": ('baseline = "sub"\n', ('baseline = "sub" names a directory', ".json")),
    "baseline folder missing": ('baseline = "nowhere/b.json"\n', ("nowhere", "does not exist")),
    "dynamics kind": ('dynamics_kind = "weird"\n', ('dynamics_kind = "weird"', '"logits"')),
}  # fmt: skip
# lines that replace the working configuration's line for the same key (TOML forbids repeating a
# key), or are added to it
REPLACED = {
    "labels is a directory": ('labels = "sub"', ('labels = "sub"', "not a file", "labels file")),
    "labels missing": ('labels = "gone.csv"', ('labels = "gone.csv"', "does not exist")),
    "number for a path": ("labels = 3", ("labels = 3 (an integer)", "a path")),
    "probs is a directory": ('pred_probs = ["probs.npy", "sub"]', ('pred_probs = ["probs.npy", "sub"]', "not a file")),
    # data loss: an output that is one of the gate's own inputs
    "baseline is the labels": ('baseline = "labels.csv"', ("baseline", "labels.csv", "is also an input")),
    "baseline is the config": ('baseline = "pyproject.toml"', ("baseline", "is also an input")),
    "report is the baseline": ('report = ".labelaudit-baseline.parquet"\nbaseline = ".labelaudit-baseline.parquet"', ("report and baseline both name", "two different files")),
    "class names twice": ('class_names = ["cat", "dog", "cat"]', ("class_names", "'cat' twice")),
    "class names one string": ('class_names = "cat"', ('class_names = "cat"', "at least two")),
}  # fmt: skip


def _config(tmp_path, case: str) -> tuple[str, tuple[str, ...]]:
    if case in CASES:
        extra, fragments = CASES[case]
        project(tmp_path, extra)
        return extra, fragments
    line, fragments = REPLACED[case]
    project(tmp_path, "")
    key = line.split(" =")[0]
    text = (tmp_path / "pyproject.toml").read_text().splitlines()
    if any(row.startswith(f"{key} =") for row in text):
        text = [line if row.startswith(f"{key} =") else row for row in text]
    else:
        text.append(line)
    (tmp_path / "pyproject.toml").write_text("\n".join(text) + "\n")
    return line, fragments


@pytest.mark.parametrize("case", sorted(CASES) + sorted(REPLACED))
def test_a_bad_config_value_is_one_sentence_naming_file_key_value_and_expectation(tmp_path, case):
    _, fragments = _config(tmp_path, case)
    (tmp_path / "sub").mkdir()
    inputs = ("pyproject.toml", "labels.csv", "probs.npy")
    before = {name: sha(tmp_path / name) for name in inputs}
    res = gate(tmp_path)
    assert res.exit_code == 2, (res.exit_code, res.stdout, res.stderr)
    message = one_sentence(res.stderr)
    assert "pyproject.toml [tool.labelaudit]: " in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert not (tmp_path / ".labelaudit").exists() and not (tmp_path / "nowhere").exists()
    assert not (tmp_path / ".labelaudit-baseline.json").exists()
    assert {name: sha(tmp_path / name) for name in inputs} == before
