"""Malformed and misleading input files: exit 2 with a sentence naming file and row/column."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from labelaudit.io.labels import read_labels
from labelaudit.io.probabilities import read_matrix
from tests.helpers import planted, run_cli
from tests.hostile.conftest import refused


@pytest.fixture
def good(tmp_path):
    given, P, _ = planted(n=200, k=3, seed=1)
    np.save(tmp_path / "labels.npy", given)
    np.save(tmp_path / "probs.npy", P)
    return tmp_path


# --- decoding: no silent wrong answer -------------------------------------------------------


def test_integer_like_string_labels_are_class_indices(tmp_path):
    np.save(tmp_path / "l.npy", np.array(["2", "10", "9", " 2"]))
    data = read_labels(tmp_path / "l.npy")
    assert data.labels.tolist() == [2, 10, 9, 2] and data.class_names is None


def test_integer_like_names_in_parquet_sort_numerically(tmp_path):
    pd.DataFrame({"label": ["10", "2", "x", "2"]}).to_parquet(tmp_path / "l.parquet")
    data = read_labels(tmp_path / "l.parquet")
    assert data.class_names == ["2", "10", "x"]
    assert data.labels.tolist() == [1, 0, 2, 0]


def test_pandas_index_column_is_ignored(tmp_path):
    pd.DataFrame({"label": ["b", "a"]}).to_csv(tmp_path / "l.csv")  # index=True
    pd.DataFrame({"a": [0.2, 0.9], "b": [0.8, 0.1]}).to_csv(tmp_path / "p.csv")
    assert read_labels(tmp_path / "l.csv").labels.tolist() == [1, 0]
    assert read_matrix(tmp_path / "p.csv").shape == (2, 2)


def test_float_labels_read_as_integers_or_refused(tmp_path):
    pd.DataFrame({"label": [1.0, 0.0]}).to_csv(tmp_path / "ok.csv", index=False)
    assert read_labels(tmp_path / "ok.csv").labels.tolist() == [1, 0]
    given, P, _ = planted(n=50, k=3)
    pd.DataFrame({"label": np.r_[given[:-1], 1.5]}).to_csv(tmp_path / "l.csv", index=False)
    np.save(tmp_path / "p.npy", P)
    refused(tmp_path, tmp_path / "l.csv", tmp_path / "p.npy", names=("l.csv", "row 49"))


def test_a_label_missing_from_class_names_is_refused(tmp_path):
    given, P, _ = planted(n=60, k=3)
    names = np.array(["cat", "dog", "bird"])[given].astype(object)
    names[7] = "fish"
    pd.DataFrame({"label": names}).to_csv(tmp_path / "l.csv", index=False)
    np.save(tmp_path / "p.npy", P)
    refused(
        tmp_path, tmp_path / "l.csv", tmp_path / "p.npy", "--class-names", "cat,dog,bird",
        names=("l.csv", "row 7", "fish"),
    )  # fmt: skip


# --- malformed files -------------------------------------------------------------------------


def _truncated(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 17])


CASES = {
    "empty labels": ("labels.npy", lambda p: p.write_bytes(b""), ("labels.npy", "empty")),
    "header-only csv": ("labels.csv", lambda p: p.write_text("label\n"), ("labels.csv",)),
    "truncated npy": ("probs.npy", _truncated, ("probs.npy", "truncated")),
    "parquet that is csv": ("probs.parquet", lambda p: p.write_text("a,b\n0.5,0.5\n"), ("probs.parquet", "Parquet")),
    "non-utf8 csv": ("labels.csv", lambda p: p.write_bytes(b"label\n\xff\xfe\n"), ("labels.csv",)),
    "object npy": ("probs.npy", lambda p: np.save(p, np.array([{}], dtype=object), allow_pickle=True), ("probs.npy",)),
    "directory": ("probs.npy", lambda p: p.mkdir(), ("probs.npy", "not a regular file")),
    "1-D probs": ("probs.npy", lambda p: np.save(p, np.full(200, 0.5)), ("probs.npy", "2-D")),
    "K = 1": ("probs.npy", lambda p: np.save(p, np.ones((200, 1))), ("probs.npy", "at least 2")),
    "2-D labels": ("labels.npy", lambda p: np.save(p, np.zeros((200, 2), dtype=int)), ("labels.npy", "1-D")),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_file_is_refused(good, case):
    tmp_path = good
    name, corrupt, expected = CASES[case]
    labels, probs = tmp_path / "labels.npy", tmp_path / "probs.npy"
    target = tmp_path / name
    if case == "directory":
        target.unlink()
    if name.startswith("labels") and name != "labels.npy":
        labels = target
    if name.startswith("probs") and name != "probs.npy":
        probs = target
    corrupt(target)
    refused(tmp_path, labels, probs, names=expected)


@pytest.mark.parametrize(
    ("value", "where"), [(np.nan, "finite"), (np.inf, "finite"), (-0.4, "negative")]
)
def test_bad_probability_values_name_the_cell(good, value, where):
    tmp_path = good
    P = np.load(tmp_path / "probs.npy")
    P[17, 2] = value
    np.save(tmp_path / "probs.npy", P)
    message = refused(tmp_path, tmp_path / "labels.npy", tmp_path / "probs.npy")
    assert "row 17, column 2" in message and where in message


def test_row_count_mismatch_names_both_files(good):
    tmp_path = good
    np.save(tmp_path / "probs.npy", np.load(tmp_path / "probs.npy")[:-3])
    refused(
        tmp_path, tmp_path / "labels.npy", tmp_path / "probs.npy", names=("labels.npy", "probs.npy")
    )


def test_a_fifo_is_refused_without_blocking(good):
    tmp_path = good
    fifo = tmp_path / "fifo.npy"
    os.mkfifo(fifo)
    res = run_cli("audit", "--labels", tmp_path / "labels.npy", "--pred-probs", fifo,
                  "--out", tmp_path / "r.parquet", "-q")  # fmt: skip
    assert res.exit_code == 2 and "fifo.npy: not a regular file" in res.stderr
    assert not (tmp_path / "r.parquet").exists()


def test_duplicate_ids_are_refused_naming_both_rows(tmp_path):
    given, P, _ = planted(n=30, k=3)
    ids = [f"ex{i}" for i in range(30)]
    ids[21] = "ex4"
    pd.DataFrame({"id": ids, "label": given}).to_csv(tmp_path / "l.csv", index=False)
    np.save(tmp_path / "p.npy", P)
    refused(
        tmp_path, tmp_path / "l.csv", tmp_path / "p.npy", names=("l.csv", "'ex4'", "rows 4 and 21")
    )
