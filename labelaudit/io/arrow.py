"""NumPy columns to Arrow arrays and back without importing pandas.

pyarrow's `pa.array` and `Array.to_numpy` probe for pandas and import it (~0.15 s), which would
double the start-up cost of a CLI audit; building arrays from buffers, and viewing the buffers of
null-free numeric arrays, avoids that for every column type the report and the readers use.
Other types fall back to pyarrow's own conversions.
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
    if values.dtype.kind in "OU":
        text = strings_to_arrow(values, null_mask)
        if text is not None:
            return text
    return pa.array(values, mask=null_mask)


def strings_to_arrow(values: np.ndarray, null_mask: np.ndarray | None = None):
    """A string (or large_string, past 2 GiB) array from str / None values, built from one UTF-8
    buffer and its offsets; None when a value is neither (pyarrow's own conversion decides)."""
    import pyarrow as pa

    items = values.tolist()
    missing = np.fromiter((v is None for v in items), dtype=bool, count=len(items))
    if null_mask is not None:
        missing |= np.asarray(null_mask, dtype=bool)
    try:
        encoded = [b"" if m else v.encode("utf-8") for v, m in zip(items, missing, strict=True)]
    except AttributeError:  # not a str
        return None
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    total = int(lengths.sum())
    kind, width = (pa.string(), np.int32) if total < 2**31 else (pa.large_string(), np.int64)
    offsets = np.zeros(len(encoded) + 1, dtype=width)
    np.cumsum(lengths, out=offsets[1:])
    validity, nulls = _validity(missing)
    return pa.Array.from_buffers(
        kind,
        len(encoded),
        [validity, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        null_count=nulls,
    )


def from_arrow(array) -> np.ndarray:
    """A NumPy view of a null-free integer or float Arrow array (its data buffer, no copy); other
    arrays through `to_numpy`."""
    import pyarrow as pa

    kind = array.type
    if array.null_count == 0 and (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        code = (
            "f"
            if pa.types.is_floating(kind)
            else "u"
            if pa.types.is_unsigned_integer(kind)
            else "i"
        )
        dtype = np.dtype(f"{code}{kind.bit_width // 8}")  # to_pandas_dtype imports pandas
        data = array.buffers()[1]
        if data is None:  # an empty array may carry no buffer
            return np.empty(0, dtype=dtype)
        return np.frombuffer(
            data, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
        )
    return np.asarray(array.to_numpy(zero_copy_only=False))


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
