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

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
