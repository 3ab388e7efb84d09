"""Property-based fuzzing of the loaders: any dtype, shape, encoding or truncation either loads
or raises InvalidInputError naming the file; never another exception."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from labelaudit.errors import InvalidInputError
from labelaudit.io.labels import read_labels
from labelaudit.io.probabilities import check_probabilities, read_matrix

FUZZ = settings(
    max_examples=int(__import__("os").environ.get("FUZZ_N", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
DTYPES = st.one_of(
    hnp.integer_dtypes(), hnp.floating_dtypes(), hnp.boolean_dtypes(),
    hnp.unicode_string_dtypes(max_len=4), hnp.byte_string_dtypes(max_len=4),
)  # fmt: skip


def _loads_or_refuses(path: Path, reader) -> None:
    try:
        result = reader(path)
    except InvalidInputError as exc:
        assert str(path) in str(exc), str(exc)
        return
    if reader is read_matrix:
        try:
            check_probabilities(np.asarray(result), str(path))
        except InvalidInputError as exc:
            assert str(path) in str(exc)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


@FUZZ
@given(
    array=hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)),
    cut=st.floats(0, 1),
    reader=st.sampled_from([read_labels, read_matrix]),
)
def test_npy_of_any_dtype_shape_and_truncation(array, cut, reader):
    data = _npy_bytes(array)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        path.write_bytes(data[: int(len(data) * cut)] if cut < 1 else data)
        _loads_or_refuses(path, reader)


@FUZZ
@given(
    text=st.text(max_size=80),
    encoding=st.sampled_from(["utf-8", "latin-1", "utf-16"]),
    reader=st.sampled_from([read_labels, read_matrix]),
)
def test_csv_of_any_text_and_encoding(text, encoding, reader):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(("label,b\n" + text).encode(encoding, errors="replace"))
        _loads_or_refuses(path, reader)


@FUZZ
@given(cut=st.integers(1, 400), reader=st.sampled_from([read_labels, read_matrix]))
def test_truncated_parquet(cut, reader):
    import pandas as pd

    buffer = io.BytesIO()
    pd.DataFrame({"label": [0, 1, 2], "b": [0.5, 0.25, 0.25]}).to_parquet(buffer)
    data = buffer.getvalue()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.parquet"
        path.write_bytes(data[: min(cut, len(data) - 1)])
        _loads_or_refuses(path, reader)


@pytest.mark.parametrize("reader", [read_labels, read_matrix])
def test_a_well_formed_file_passes_the_fuzz_oracle(tmp_path, reader):
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    _loads_or_refuses(tmp_path / "x.npy", reader)


# --- more loaders, more layouts -------------------------------------------------------------

ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-32"]


def _refuses_naming(path: Path, call) -> None:
    """call() either returns or raises InvalidInputError naming path; nothing else."""
    try:
        call()
    except InvalidInputError as exc:
        assert str(path) in str(exc), str(exc)


@FUZZ
@given(
    array=hnp.arrays(DTYPES, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5)),
    cut=st.floats(0, 1),
)
def test_multi_label_npy_of_any_dtype_shape_and_truncation(array, cut):
    from labelaudit.io.multilabels import read_multilabels

    data = _npy_bytes(array)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        path.write_bytes(data[: int(len(data) * cut)] if cut < 1 else data)
        _refuses_naming(path, lambda: read_multilabels(path))


@FUZZ
@given(
    text=st.text(max_size=60),
    encoding=st.sampled_from(ENCODINGS),
    suffix=st.sampled_from([".csv", ".txt"]),
)
def test_multi_label_text_of_any_encoding(text, encoding, suffix):
    from labelaudit.io.multilabels import read_multilabels

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"x{suffix}"
        head = "label\n" if suffix == ".csv" else ""
        path.write_bytes((head + text).encode(encoding, errors="replace"))
        _refuses_naming(path, lambda: read_multilabels(path))


@FUZZ
@given(
    array=hnp.arrays(DTYPES, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4)),
    cut=st.floats(0, 1),
)
def test_dynamics_npy_of_any_dtype_shape_and_truncation(array, cut):
    from labelaudit.dynamics.source import read_dynamics

    data = _npy_bytes(array)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.npy"
        path.write_bytes(data[: int(len(data) * cut)] if cut < 1 else data)

        def read_every_epoch():
            record = read_dynamics(path)
            for _ in record.outputs():
                pass

        _refuses_naming(path, read_every_epoch)


COLUMNS = st.one_of(
    st.lists(st.one_of(st.none(), st.integers(-5, 5)), min_size=3, max_size=3),
    st.lists(st.one_of(st.none(), st.floats(allow_nan=True)), min_size=3, max_size=3),
    st.lists(st.one_of(st.none(), st.text(max_size=3)), min_size=3, max_size=3),
    st.lists(st.one_of(st.none(), st.binary(max_size=3)), min_size=3, max_size=3),
    st.lists(st.lists(st.floats(0, 1), max_size=3), min_size=3, max_size=3),
)


@FUZZ
@given(
    columns=st.dictionaries(
        st.sampled_from(["label", "id", "epoch", "row", "a", "b"]), COLUMNS, min_size=1
    ),
    reader=st.sampled_from(["labels", "matrix", "multi", "dynamics"]),
)
def test_parquet_of_any_column_types(columns, reader):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.dynamics.source import read_dynamics
    from labelaudit.io.multilabels import read_multilabels

    readers = {
        "labels": read_labels,
        "matrix": lambda p: check_probabilities(read_matrix(p), str(p)),
        "multi": read_multilabels,
        "dynamics": lambda p: [None for _ in read_dynamics(p).outputs()],
    }
    try:
        table = pa.table({name: pa.array(values) for name, values in columns.items()})
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return  # not a table Arrow can write
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.parquet"
        pq.write_table(table, path)
        _refuses_naming(path, lambda: readers[reader](path))


TOML_VALUES = st.recursive(
    st.one_of(
        st.booleans(), st.integers(-10, 10), st.floats(allow_nan=True), st.text(max_size=8)
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text("abz_", min_size=1, max_size=4), inner, max_size=2)),
    max_leaves=4,
)  # fmt: skip


def _toml(value) -> str:
    """A value in TOML (inline tables and arrays for the nested ones)."""
    import json
    import math

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


@FUZZ
@given(
    settings=st.dictionaries(
        st.sampled_from(
            ["labels", "pred_probs", "dynamics", "report", "baseline", "class_names",
             "detector", "detectors", "options", "max_issue_fraction", "max_new_issues",
             "max_class_issue_fraction", "force", "dynamics_kind", "label_colum"]
        ),
        TOML_VALUES,
        max_size=4,
    )
)  # fmt: skip
def test_gate_config_of_any_values(settings):
    from labelaudit.errors import ConfigError
    from labelaudit.gate.config import load_config

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pyproject.toml"
        np.save(Path(tmp) / "p.npy", np.full((2, 2), 0.5))
        lines = ['labels = "p.npy"' if "labels" not in settings else ""]
        lines += [f"{key} = {_toml(value)}" for key, value in settings.items()]
        path.write_text("[tool.labelaudit]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        try:
            load_config(path)
        except ConfigError as exc:
            assert str(path) in str(exc), str(exc)
