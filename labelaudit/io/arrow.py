"""NumPy columns to Arrow arrays without importing pandas.

pyarrow's `pa.array` probes for pandas and imports it (~0.15 s), which would double the start-up
cost of a CLI audit; building arrays from buffers avoids that for every column type the report
uses. Other types fall back to `pa.array`.
"""

from __future__ import annotations

import numpy as np


def _validity(null_mask: np.ndarray | None):
    import pyarrow as pa

    if null_mask is None or not null_mask.any():
        return None, 0
    return pa.py_buffer(np.packbits(~null_mask, bitorder="little")), int(null_mask.sum())


def to_arrow(values: np.ndarray, null_mask: np.ndarray | None = None):
    """An Arrow array holding `values` (numbers or bools), null where null_mask is True."""
    import pyarrow as pa

    n = len(values)
    validity, nulls = _validity(null_mask)
    if values.dtype.kind == "b":
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
        return pa.Array.from_buffers(pa.bool_(), n, [validity, data], null_count=nulls)
    if values.dtype.kind in "iuf":
        data = pa.py_buffer(np.ascontiguousarray(values))
        return pa.Array.from_buffers(
            pa.from_numpy_dtype(values.dtype), n, [validity, data], null_count=nulls
        )
    return pa.array(values, mask=null_mask)


def names_to_arrow(codes: np.ndarray, names: list[str]):
    """A string array names[codes], built as a dictionary of the K names and then decoded."""
    import pyarrow as pa

    encoded = [name.encode("utf-8") for name in names]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    dictionary = pa.Array.from_buffers(
        pa.string(), len(encoded), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    )
    indices = to_arrow(np.asarray(codes, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, dictionary).dictionary_decode()


def lists_to_arrow(rows: np.ndarray):
    """A list<int64> array from an object array of int64 arrays (one per row)."""
    import pyarrow as pa

    lengths = np.fromiter((len(r) for r in rows), dtype=np.int32, count=len(rows))
    offsets = np.zeros(len(rows) + 1, dtype=np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = np.concatenate(list(rows)).astype(np.int64) if len(rows) else np.empty(0, np.int64)
    return pa.ListArray.from_arrays(to_arrow(offsets), to_arrow(values))
