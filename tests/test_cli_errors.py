"""Bad input: one readable sentence naming the file, exit code 2, no traceback, no report, and
the inputs left untouched."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from tests.helpers import digest, planted, run_audit, run_cli


@pytest.fixture
def good(tmp_path):
    labels, P, _ = planted(n=50, k=3)
    np.save(tmp_path / "labels.npy", labels)
    np.save(tmp_path / "probs.npy", P)
    return tmp_path, labels, P


def _write(tmp, name, content):
    path = tmp / name
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _bad_probs(P, case):
    Q = P.copy()
    if case == "nan":
        Q[7, 1] = np.nan
    elif case == "inf":
        Q[7, 1] = np.inf
    elif case == "negative":
        Q[7, 1] = -0.2
    elif case == "not_summing":
        Q[7] *= 0.5
    return Q


PROB_CASES = {
    "nan": "row 7, column 1 is nan",
    "inf": "row 7, column 1 is inf",
    "negative": "row 7, column 1 is -0.2",
    "not_summing": "row 7 sums to 0.5",
}


@pytest.mark.parametrize("case", sorted(PROB_CASES))
def test_bad_probability_values(good, case):
    tmp, _, P = good
    bad = _write(tmp, "bad.npy", _bad_probs(P, case))
    _assert_rejected(tmp, [str(bad), PROB_CASES[case]], probs=[bad])


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.npy", None, "no such file"),
        ("probs.json", "{}", "unknown probabilities format '.json'"),
        ("empty.npy", "", "the file is empty"),
        (
            "trunc.npy",
            b"\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (50, 3), }",
            "not a readable .npy",
        ),
        ("corrupt.parquet", b"PAR1 this is not parquet PAR1", "not a readable Parquet file"),
        ("corrupt.csv", b"\xff\xfe\x00garbage\x00\xff", "not a readable CSV file"),
        ("text.csv", "a,b\nx,y\n", "column 'a' is not numeric"),
        ("one_d.npy", np.full(50, 0.5), "must be a 2-D N×K matrix, got 1-D"),
        ("three_d.npy", np.full((50, 3, 2), 0.5), "got 3-D"),
        ("one_class.npy", np.ones((50, 1)), "at least 2 classes are needed"),
        ("short.npy", np.full((49, 3), 1 / 3), "has 50 labels but"),
        ("wide.npy", np.full((50, 2), 0.5), "outside [0, 2) for the 2 probability columns of"),
    ],
)
def test_bad_probability_files(good, name, content, message):
    tmp, _, _ = good
    path = tmp / name if content is None else _write(tmp, name, content)
    _assert_rejected(tmp, [name, message], probs=[path])


def test_ensemble_members_must_agree(good):
    tmp, _, _ = good
    other = _write(tmp, "other.npy", np.full((40, 3), 1 / 3))
    _assert_rejected(tmp, ["other.npy", "differs from"], probs=[tmp / "probs.npy", other])


@pytest.mark.parametrize(
    ("name", "content", "extra", "message"),
    [
        ("big.npy", "out_of_range", [], "row 4 has label 3, outside [0, 3)"),
        ("neg.npy", "negative", [], "row 4 has label -1"),
        ("float.npy", "fractional", [], "row 4 has label 1.5, which is not an integer"),
        (
            "names.csv",
            "names",
            ["--class-names", "cat,dog,emu"],
            "row 4 has class 'dgo', which is not in --class-names (did you mean 'dog'?)",
        ),
        ("nolabel.csv", "no_label_column", [], "no column 'label' (did you mean 'labels'?)"),
        ("blank.txt", "blank_line", [], "line 3 is empty"),
        ("labels2d.npy", "two_d", [], "labels must be a 1-D array"),
    ],
)
def test_bad_labels(good, name, content, extra, message):
    tmp, labels, _ = good
    y = labels.copy()
    if content == "out_of_range":
        y[4] = 3
        path = _write(tmp, name, y)
    elif content == "negative":
        y[4] = -1
        path = _write(tmp, name, y)
    elif content == "fractional":
        path = _write(tmp, name, np.where(np.arange(50) == 4, 1.5, y.astype(float)))
    elif content == "names":
        names = np.array(["cat", "dog", "emu"])[y].astype(object)
        names[4] = "dgo"
        path = tmp / name
        pd.DataFrame({"label": names}).to_csv(path, index=False)
    elif content == "no_label_column":
        path = tmp / name
        pd.DataFrame({"labels": y}).to_csv(path, index=False)
    elif content == "blank_line":
        path = _write(tmp, name, "0\n1\n\n2\n")
    else:
        path = _write(tmp, name, np.stack([y, y], axis=1))
    _assert_rejected(tmp, [name, message], labels=path, extra=extra)


def test_output_in_missing_directory(good):
    tmp, _, _ = good
    _assert_rejected(tmp, ["does not exist"], out=tmp / "nowhere" / "r.parquet")


def test_output_equal_to_an_input(good):
    tmp, labels, _ = good
    path = tmp / "labels.parquet"
    pd.DataFrame({"label": labels}).to_parquet(path)
    before = digest(path)
    res = run_audit(path, tmp / "probs.npy", path)
    assert res.exit_code == 2
    assert "is also an input" in res.stderr
    assert digest(path) == before


def test_unknown_detector_lists_installed(good):
    tmp, _, _ = good
    fragments = ["unknown detector 'confident_learnin'", "did you mean 'confident_learning'?"]
    _assert_rejected(tmp, fragments, extra=["--detector", "confident_learnin"])


def test_debug_shows_the_traceback(good):
    """--debug lets the exception through (the user sees the traceback); no report is written."""
    tmp, _, P = good
    bad = _write(tmp, "bad.npy", _bad_probs(P, "nan"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "labelaudit",
            "audit",
            "--labels",
            str(tmp / "labels.npy"),
            "--pred-probs",
            str(bad),
            "--out",
            str(tmp / "r.parquet"),
            "--debug",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "Traceback" in done.stderr and "InvalidInputError" in done.stderr
    assert not (tmp / "r.parquet").exists()


def test_usage_errors_exit_2(good):
    tmp, _, _ = good
    res = run_cli("audit", "--labels", tmp / "labels.npy", "--out", tmp / "r.parquet")
    assert res.exit_code == 2
    assert "--pred-probs" in res.stderr
    res = run_audit(
        tmp / "labels.npy", tmp / "probs.npy", tmp / "r.parquet", "--filter-by", "prune_by_magic"
    )
    assert res.exit_code == 2


def _assert_rejected(tmp, fragments, *, labels=None, probs=None, out=None, extra=()):
    """Run audit with some inputs replaced; expect exit 2, a one-line error, nothing written."""
    out = out or tmp / "report.parquet"
    argv = ["audit", "--labels", labels or tmp / "labels.npy", "--out", out]
    for path in probs or [tmp / "probs.npy"]:
        argv += ["--pred-probs", path]
    before = {p.name: digest(p) for p in tmp.iterdir() if p.is_file()}
    res = run_cli(*argv, *extra)
    assert res.exit_code == 2, (res.stdout, res.stderr)
    message = " ".join(res.stderr.split())
    for fragment in fragments:
        assert fragment in message, message
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().startswith("error:")
    assert not out.exists()
    assert {p.name: digest(p) for p in tmp.iterdir() if p.is_file()} == before
