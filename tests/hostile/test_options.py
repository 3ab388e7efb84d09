"""Every input option of `audit` given a hostile file: exit 2, one sentence naming the file and
the row or column where there is one, nothing written, every input byte-identical.

Each case writes its hostile file into a folder of good inputs (l.npy labels, p.npy
probabilities, dyn.npy dynamics, f.npy features, ml.npy label sets) and returns the audit's
arguments; the test checks the refusal.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import planted, run_cli
from tests.hostile.conftest import one_sentence, sha

N, K = 120, 3


@pytest.fixture
def folder(tmp_path) -> Path:
    given, P, _ = planted(n=N, k=K, seed=1)
    np.save(tmp_path / "l.npy", given)
    np.save(tmp_path / "p.npy", P)
    np.save(tmp_path / "dyn.npy", np.stack([P] * 4))
    np.save(tmp_path / "f.npy", np.random.default_rng(0).normal(size=(N, 4)))
    sets = np.zeros((N, K), dtype=np.int64)
    sets[np.arange(N), given] = 1
    np.save(tmp_path / "ml.npy", sets)
    return tmp_path


def _probs(t: Path) -> np.ndarray:
    return np.load(t / "p.npy")


def _labels(t: Path) -> np.ndarray:
    return np.load(t / "l.npy")


def _truncate(src: Path, dst: Path, cut: int = 17) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: len(data) - cut])
    return dst


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _npz(path: Path, array: np.ndarray) -> Path:
    with path.open("wb") as fh:
        np.savez(fh, array)
    return path


def _csv(path: Path, frame: pd.DataFrame, **options) -> Path:
    frame.to_csv(path, index=False, **options)
    return path


def _parquet(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_parquet(path)
    return path


def _text(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def _forged(path: Path, descr: str, shape: tuple, payload: bytes) -> Path:
    """A .npy whose header promises `shape` but holds only `payload` (a resource attack: loading
    it whole would ask for terabytes)."""
    import io

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": False, "shape": shape}
    )
    path.write_bytes(header.getvalue() + payload)
    return path


def _with_nan(matrix: np.ndarray, row: int, col: int, value=np.nan) -> np.ndarray:
    matrix = matrix.astype(np.float64).copy()
    matrix[row, col] = value
    return matrix


def _save(path: Path, array) -> Path:
    np.save(path, array, allow_pickle=array.dtype.hasobject)
    return path


def _epochs_dir(t: Path, last: Callable[[Path], None]) -> Path:
    folder = t / "epochs"
    folder.mkdir()
    for epoch in range(3):
        np.save(folder / f"epoch_{epoch}.npy", _probs(t))
    last(folder / "epoch_3.npy")
    return folder


def _dynamics_table(t: Path, **changes) -> pd.DataFrame:
    P = _probs(t)
    table = pd.DataFrame(
        {
            "epoch": np.repeat(np.arange(3), N),
            "row": np.tile(np.arange(N), 3),
            **{f"c{c}": np.tile(P[:, c], 3) for c in range(K)},
        }
    )
    return table.assign(**changes)


L, P_, AUM = ("--labels",), ("--pred-probs",), ("--detector", "aum")

# case -> (build(folder) -> audit arguments, fragments the one sentence must contain)
CASES: dict[str, tuple[Callable[[Path], list], tuple[str, ...]]] = {
    # --pred-probs: ensembles and logits
    "ensemble member shorter": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--pred-probs",
                   _save(t / "m.npy", _probs(t)[:-5])],
        ("m.npy", "(115, 3)", "p.npy"),
    ),
    "ensemble member with nan": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--pred-probs",
                   _save(t / "m.npy", _with_nan(_probs(t), 7, 1))],
        ("m.npy", "row 7, column 1", "finite"),
    ),
    "ensemble member truncated": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--pred-probs",
                   _truncate(t / "p.npy", t / "m.npy")],
        ("m.npy", "truncated"),
    ),
    "ensemble member is a fifo": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--pred-probs",
                   _fifo(t / "m.npy")],
        ("m.npy", "not a regular file"),
    ),
    "logits with inf": (
        lambda t: ["--labels", t / "l.npy", "--logits", "--pred-probs",
                   _save(t / "z.npy", _with_nan(np.log(_probs(t)), 9, 2, np.inf))],
        ("z.npy", "row 9, column 2", "logits must be finite"),
    ),
    "logits as strings": (
        lambda t: ["--labels", t / "l.npy", "--logits", "--pred-probs",
                   _save(t / "z.npy", np.full((N, K), "a"))],
        ("z.npy", "numeric"),
    ),
    "probabilities that are logits": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", _save(t / "z.npy", np.log(_probs(t)))],
        ("z.npy", "row 0", "--logits"),
    ),
    "sum overflows to inf": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", _save(t / "z.npy", np.full((N, K), 1e308))],
        ("z.npy", "row 0, column 0", "[0, 1]"),
    ),
    "complex probabilities": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", _save(t / "z.npy", _probs(t).astype(complex))],
        ("z.npy", "numeric", "complex128"),
    ),
    "npz named npy": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _npz(t / "z.npy", _probs(t))],
        ("z.npy", "ZIP archive", ".npz"),
    ),
    "csv with a text column": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _csv(t / "z.csv", pd.DataFrame(_probs(t), columns=list("abc")).assign(b="x"))],
        ("z.csv", "column 'b'", "not numeric"),
    ),
    "header-only probabilities csv": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", _text(t / "z.csv", "a,b,c\n")],
        ("z.csv", "no rows"),
    ),
    "headerless probabilities csv": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _csv(t / "z.csv", pd.DataFrame(_probs(t)), header=False)],
        ("z.csv", "line 1", "header"),
    ),
    "csv with an empty cell": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _csv(t / "z.csv", pd.DataFrame(_with_nan(_probs(t), 5, 1), columns=list("abc")))],
        ("z.csv", "row 5, column 1"),
    ),
    "parquet with an empty cell": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _parquet(t / "z.parquet", pd.DataFrame(_with_nan(_probs(t), 6, 2), columns=list("abc")))],
        ("z.parquet", "row 6, column 'c'"),
    ),
    "ragged list column": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _parquet(t / "z.parquet", pd.DataFrame({"p": [list(r) for r in _probs(t)[:-1]] + [[0.5, 0.5]]}))],
        ("z.parquet", "row 119", "row 0"),
    ),
    "empty parquet": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs",
                   _parquet(t / "z.parquet", pd.DataFrame({"a": [], "b": []}, dtype=float))],
        ("z.parquet", "no rows"),
    ),
    # --labels
    # resources: a header that promises terabytes is refused, not allocated
    "labels header promising 10**12 rows": (
        lambda t: ["--labels", _forged(t / "y.npy", "<i8", (10**12,), bytes(N * 8)), "--pred-probs", t / "p.npy"],
        ("y.npy", "truncated", "8,000,000,000,"),
    ),
    "in-memory probabilities promising 10**11 rows": (
        lambda t: ["--labels", t / "l.npy", "--in-memory", "--pred-probs",
                   _forged(t / "z.npy", "<f8", (10**11, K), _probs(t).tobytes())],
        ("z.npy", "truncated"),
    ),
    "label outside the columns": (
        lambda t: ["--labels", _save(t / "y.npy", np.r_[_labels(t)[:-1], 7]), "--pred-probs", t / "p.npy"],
        ("y.npy", "row 119", "outside [0, 3)"),
    ),
    "negative label": (
        lambda t: ["--labels", _save(t / "y.npy", np.r_[-1, _labels(t)[1:]]), "--pred-probs", t / "p.npy"],
        ("y.npy", "row 0", "-1"),
    ),
    "label too large for int64": (
        lambda t: ["--labels", _text(t / "y.txt", "1\n" * (N - 1) + "9" * 25 + "\n"),
                   "--pred-probs", t / "p.npy"],
        ("y.txt", "row 119", "64-bit"),
    ),
    "nan label": (
        lambda t: ["--labels", _save(t / "y.npy", np.r_[_labels(t)[:-1], np.nan]), "--pred-probs", t / "p.npy"],
        ("y.npy", "row 119", "not an integer"),
    ),
    "labels are pickled objects": (
        lambda t: ["--labels", _save(t / "y.npy", np.array([None] * N, dtype=object)), "--pred-probs", t / "p.npy"],
        ("y.npy", "Python objects"),
    ),
    "no label column": (
        lambda t: ["--labels", _csv(t / "y.csv", pd.DataFrame({"lab": _labels(t)})),
                   "--pred-probs", t / "p.npy"],
        ("y.csv", "no column 'label'", "'lab'"),
    ),
    "empty label cell": (
        lambda t: ["--labels", _csv(t / "y.csv", pd.DataFrame({"label": np.r_[_labels(t)[:-1], np.nan]})),
                   "--pred-probs", t / "p.npy"],
        ("y.csv", "row 119"),
    ),
    "latin-1 labels csv": (
        lambda t: ["--labels", _text(t / "y.csv", b"label\n" + b"caf\xe9\n" * N),
                   "--pred-probs", t / "p.npy"],
        ("y.csv", "line 2", "UTF-8"),
    ),
    "utf-16 labels txt": (
        lambda t: ["--labels", _text(t / "y.txt", "0\n1\n".encode("utf-16")),
                   "--pred-probs", t / "p.npy"],
        ("y.txt", "line 1", "UTF-8"),
    ),
    "blank labels txt": (
        lambda t: ["--labels", _text(t / "y.txt", "\n\n"), "--pred-probs", t / "p.npy"],
        ("y.txt", "no labels"),
    ),
    "bytes label cells": (
        lambda t: ["--labels", _parquet(t / "y.parquet", pd.DataFrame({"label": [b"\xff"] * N})),
                   "--pred-probs", t / "p.npy"],
        ("y.parquet", "row 0", "bytes"),
    ),
    "label sets without --multi-label": (
        lambda t: ["--labels", _parquet(t / "y.parquet", pd.DataFrame({"label": [[1, 2]] * N})),
                   "--pred-probs", t / "p.npy"],
        ("y.parquet", "row 0", "--multi-label"),
    ),
    "byte-string labels not utf-8": (
        lambda t: ["--labels", _save(t / "y.npy", np.array([b"a"] * (N - 1) + [b"\x80"])), "--pred-probs", t / "p.npy"],
        ("y.npy", "row 119", "not UTF-8"),
    ),
    "ids that are lists": (
        lambda t: ["--labels", _parquet(t / "y.parquet", pd.DataFrame({"id": [[i] for i in range(N)], "label": _labels(t)})),
                   "--pred-probs", t / "p.npy"],
        ("y.parquet", "id column 'id'", "row 0"),
    ),
    "truncated labels parquet": (
        lambda t: ["--labels", _truncate(_parquet(t / "a.parquet", pd.DataFrame({"label": _labels(t)})),
                                          t / "y.parquet", 30), "--pred-probs", t / "p.npy"],
        ("y.parquet", "Parquet"),
    ),
    "empty id cell": (
        lambda t: ["--labels", _csv(t / "y.csv", pd.DataFrame({"id": [f"x{i}" if i != 4 else None for i in range(N)], "label": _labels(t)})), "--pred-probs", t / "p.npy"],
        ("y.csv", "row 4", "'id'"),
    ),
    "npy that is text": (
        lambda t: ["--labels", _text(t / "y.npy", "0\n1\n"), "--pred-probs", t / "p.npy"],
        ("y.npy", "text", ".csv"),
    ),
    "labels are a fifo": (
        lambda t: ["--labels", _fifo(t / "y.csv"), "--pred-probs", t / "p.npy"],
        ("y.csv", "not a regular file"),
    ),
    "labels name fewer classes than columns": (
        lambda t: ["--labels", _csv(t / "y.csv", pd.DataFrame({"label": ["a"] * (N - 1) + ["b"]})),
                   "--pred-probs", t / "p.npy"],
        ("y.csv", "p.npy", "--class-names"),
    ),
    # --class-names
    "too few class names": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--class-names", "a,b"],
        ("--class-names", "p.npy", "3 columns"),
    ),
    "empty class name": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--class-names", "a,,b"],
        ("--class-names", "empty name"),
    ),
    "class name twice": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--class-names", "a,b,a"],
        ("--class-names", "'a' twice"),
    ),
    "class names file not utf-8": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--class-names",
                   _text(t / "n.txt", b"a\n\xff\nc\n")],
        ("n.txt", "line 2", "UTF-8"),
    ),
    "class names file missing": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--class-names", t / "gone.txt"],
        ("gone.txt", "no such file"),
    ),
    "class names file is a fifo": (
        lambda t: ["--labels", t / "l.npy", "--pred-probs", t / "p.npy", "--class-names", _fifo(t / "n.txt")],
        ("n.txt", "not a regular file"),
    ),
    # --features
    "features with fewer rows": (
        lambda t: ["--labels", t / "l.npy", "--features", _save(t / "x.npy", np.load(t / "f.npy")[:-3])],
        ("x.npy", "117 rows", "120"),
    ),
    "features with nan": (
        lambda t: ["--labels", t / "l.npy", "--features", _save(t / "x.npy", _with_nan(np.load(t / "f.npy"), 3, 2))],
        ("x.npy", "row 3, column 2", "--impute"),
    ),
    "truncated features": (
        lambda t: ["--labels", t / "l.npy", "--features", _truncate(t / "f.npy", t / "x.npy")],
        ("x.npy", "truncated"),
    ),
    "features are a directory": (
        lambda t: ["--labels", t / "l.npy", "--features", _folder(t / "x.npy")],
        ("x.npy", "not a regular file"),
    ),
    "features are a fifo": (
        lambda t: ["--labels", t / "l.npy", "--features", _fifo(t / "x.npy")],
        ("x.npy", "not a regular file"),
    ),
    "features with a text column": (
        lambda t: ["--labels", t / "l.npy", "--features",
                   _csv(t / "x.csv", pd.DataFrame({"a": ["x"] * N, "b": np.arange(N)}))],
        ("x.csv", "column 'a'", "--feature-columns"),
    ),
    "features parquet that is csv": (
        lambda t: ["--labels", t / "l.npy", "--features", _text(t / "x.parquet", "a,b\n1,2\n")],
        ("x.parquet", "text", ".csv"),
    ),
    # --dynamics
    "dynamics of one matrix": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _save(t / "d.npy", _probs(t))],
        ("d.npy", "E×N×K", "--pred-probs"),
    ),
    "truncated dynamics": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _truncate(t / "dyn.npy", t / "d.npy")],
        ("d.npy", "truncated"),
    ),
    "dynamics with nan": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics",
                   _save(t / "d.npy", np.stack([_probs(t)] * 2 + [_with_nan(_probs(t), 8, 1)] * 2))],
        ("d.npy", "epoch 2", "row 8, column 1"),
    ),
    "dynamics with fewer rows": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _save(t / "d.npy", np.load(t / "dyn.npy")[:, :-2])],
        ("d.npy", "118 examples", "l.npy"),
    ),
    "dynamics of one class": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _save(t / "d.npy", np.ones((4, N, 1)))],
        ("d.npy", "at least 2"),
    ),
    "dynamics of objects": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _save(t / "d.npy", np.array([[[None]]] * 4, dtype=object))],
        ("d.npy", "Python objects"),
    ),
    "empty dynamics directory": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _folder(t / "e")],
        ("e", "no per-epoch"),
    ),
    "epoch file with fewer rows": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _epochs_dir(t, lambda p: np.save(p, _probs(t)[:-1]))],
        ("epoch_3.npy", "(119, 3)"),
    ),
    "epoch file that is text": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _epochs_dir(t, lambda p: p.write_text("junk"))],
        ("epoch_3.npy", "text"),
    ),
    "epoch file of strings": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _epochs_dir(t, lambda p: np.save(p, _probs(t).astype(str)))],
        ("epoch_3.npy", "numeric"),
    ),
    "dynamics parquet that is csv": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _text(t / "d.parquet", "epoch,row\n0,0\n")],
        ("d.parquet", "text", ".csv"),
    ),
    "dynamics table of strings": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics",
                   _parquet(t / "d.parquet", _dynamics_table(t, c1="x"))],
        ("d.parquet", "column 'c1'", "not numbers"),
    ),
    "dynamics table with an empty epoch": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics",
                   _parquet(t / "d.parquet", _dynamics_table(t, epoch=pd.array([0, None, 2] * N, dtype="Int64")))],
        ("d.parquet", "'epoch'", "row 1"),
    ),
    "dynamics table with a repeated row": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics",
                   _parquet(t / "d.parquet", _dynamics_table(t, row=np.tile(np.r_[np.arange(N - 1), 0], 3)))],
        ("d.parquet", "epoch 0", "row 1"),
    ),
    "dynamics list column with a short row": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics",
                   _parquet(t / "d.parquet", pd.DataFrame({"epoch": np.repeat(np.arange(3), N), "row": np.tile(np.arange(N), 3),
                                                           "v": [[0.5, 0.5, 0.0]] * (N - 1) + [[1.0]] + [[0.5, 0.5, 0.0]] * (2 * N)}))],
        ("d.parquet", "epoch 0", "row 119", "1 values"),
    ),
    "dynamics are a fifo": (
        lambda t: ["--labels", t / "l.npy", *AUM, "--dynamics", _fifo(t / "d.npy")],
        ("d.npy", "not a regular file"),
    ),
    # --multi-label
    "label-set matrix not 0/1": (
        lambda t: ["--labels", _save(t / "y.npy", np.load(t / "ml.npy") * 2), "--pred-probs", t / "p.npy", "--multi-label"],
        ("y.npy", "0 and 1"),
    ),
    "label-set class outside the columns": (
        lambda t: ["--labels", _text(t / "y.txt", "0;7\n" * N), "--pred-probs", t / "p.npy", "--multi-label"],
        ("y.txt", "row 0", "class 7", "p.npy"),
    ),
    "label sets not utf-8": (
        lambda t: ["--labels", _text(t / "y.txt", b"a;b\n\xe9\n"), "--pred-probs", t / "p.npy", "--multi-label"],
        ("y.txt", "line 2", "UTF-8"),
    ),
    "multi-label probability above 1": (
        lambda t: ["--labels", t / "ml.npy", "--pred-probs", _save(t / "z.npy", _with_nan(_probs(t), 3, 0, 1.5)), "--multi-label"],
        ("z.npy", "row 3, column 0", "[0, 1]"),
    ),
    "fewer label sets than rows": (
        lambda t: ["--labels", _text(t / "y.txt", "0\n" * (N - 4)), "--pred-probs", t / "p.npy", "--multi-label"],
        ("y.txt", "116 label sets", "p.npy"),
    ),
    "label sets of pickled objects": (
        lambda t: ["--labels", _save(t / "y.npy", np.array([None] * N, dtype=object)), "--pred-probs", t / "p.npy", "--multi-label"],
        ("y.npy", "Python objects"),
    ),
    "header-only label sets": (
        lambda t: ["--labels", _text(t / "y.csv", "label\n"), "--pred-probs", t / "p.npy", "--multi-label"],
        ("y.csv", "no labels"),
    ),
}  # fmt: skip


def _hashes(folder: Path) -> dict[str, str | None]:
    return {
        str(p.relative_to(folder)): sha(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.parent.name != "out"
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_input_is_refused_in_one_sentence(folder, case):
    build, fragments = CASES[case]
    args = build(folder)
    before = _hashes(folder)
    out = folder / "out" / "r.parquet"
    out.parent.mkdir()
    res = run_cli("audit", *args, "--out", out, "-q")
    assert res.exit_code == 2, (res.exit_code, res.stdout, res.stderr)
    message = one_sentence(res.stderr)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert list(out.parent.iterdir()) == [], "nothing may be written"
    assert _hashes(folder) == before
