"""No silent wrong answer from the layout of a probability table: what pandas writes by default
is read as the same N×K matrix as the .npy, and a column that is not a class is refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import planted, run_cli
from tests.hostile.conftest import one_sentence, sha


@pytest.fixture
def data(tmp_path):
    given, P, _ = planted(n=150, k=3, noise=0.2, seed=4)
    np.save(tmp_path / "l.npy", given)
    np.save(tmp_path / "p.npy", P)
    return tmp_path, P


def _flags(tmp_path, probs) -> np.ndarray:
    out = tmp_path / f"{probs.stem}-{probs.suffix[1:]}.parquet"
    res = run_cli(
        "audit", "--labels", tmp_path / "l.npy", "--pred-probs", probs, "--out", out, "-q"
    )
    assert res.exit_code == 0, res.stderr
    return pd.read_parquet(out)["is_label_issue"].to_numpy()


WRITERS = {
    # DataFrame.to_csv without index: the header is "0,1,2", integer names, not data
    "csv with integer header": lambda P, p: pd.DataFrame(P).to_csv(p, index=False),
    # to_csv with its index: an unnamed first column
    "csv with pandas index": lambda P, p: pd.DataFrame(P, columns=list("abc")).to_csv(p),
    # a filtered frame keeps a non-range index, which Parquet stores as a column
    "parquet with stored index": lambda P, p: pd.DataFrame(P, columns=list("abc"), index=np.arange(len(P)) * 3).to_parquet(p),
    # Excel's "CSV UTF-8" starts with a byte-order mark, which must not become part of a name
    "csv with a byte-order mark": lambda P, p: pd.DataFrame(P, columns=list("abc")).to_csv(p, index=False, encoding="utf-8-sig"),
    "parquet of float32": lambda P, p: pd.DataFrame(P.astype(np.float32), columns=list("abc")).to_parquet(p),
}  # fmt: skip


@pytest.mark.parametrize("layout", sorted(WRITERS))
def test_pandas_default_layouts_give_the_npy_answer(data, layout):
    tmp_path, P = data
    suffix = ".csv" if layout.startswith("csv") else ".parquet"
    path = tmp_path / f"q{suffix}"
    WRITERS[layout](P, path)
    np.testing.assert_array_equal(_flags(tmp_path, path), _flags(tmp_path, tmp_path / "p.npy"))


@pytest.mark.parametrize(("column", "suffix"), [("id", ".csv"), ("label", ".parquet")])
def test_an_id_or_label_column_among_the_classes_is_refused(data, column, suffix):
    tmp_path, P = data
    frame = pd.DataFrame(P, columns=list("abc"))
    frame.insert(0, column, np.arange(len(P)) % 3)
    path = tmp_path / f"q{suffix}"
    frame.to_csv(path, index=False) if suffix == ".csv" else frame.to_parquet(path)
    before = sha(path)
    out = tmp_path / "out.parquet"
    res = run_cli("audit", "--labels", tmp_path / "l.npy", "--pred-probs", path, "--out", out, "-q")
    assert res.exit_code == 2
    message = one_sentence(res.stderr)
    assert f"q{suffix}: column '{column}' is not a class" in message
    assert not out.exists() and sha(path) == before


def test_the_dask_engine_drops_the_pandas_index_of_a_csv(data):
    pytest.importorskip("dask.dataframe")
    from labelaudit.engines.dask_engine import load

    tmp_path, P = data
    pd.DataFrame(P, columns=list("abc")).to_csv(tmp_path / "q.csv")
    array = load(str(tmp_path / "q.csv"))
    np.testing.assert_allclose(array.compute(scheduler="synchronous"), P)


def test_labels_with_a_byte_order_mark_read_their_label_column(tmp_path):
    from labelaudit.io.labels import read_labels

    pd.DataFrame({"label": ["cat", "dog", "cat"]}).to_csv(
        tmp_path / "l.csv", index=False, encoding="utf-8-sig"
    )
    (tmp_path / "l.txt").write_text("2\n0\n", encoding="utf-8-sig")
    assert read_labels(tmp_path / "l.csv").class_names == ["cat", "dog"]
    assert read_labels(tmp_path / "l.txt").labels.tolist() == [2, 0]
