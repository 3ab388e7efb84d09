"""Read predicted probabilities (or logits), check them, and average ensemble members.

Parity with cleanlab means changing only what cleanlab would refuse: rows that sum to 1 within
float noise are used bit for bit as given; rows a little further off are renormalised with a
warning; anything else is an error that names the file, row and column.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.formats import PROB_SUFFIXES, check_readable, read_npy, read_table
from labelaudit.io.sniff import unreadable

# Row sums of float32 softmax outputs stored as float64 drift from 1 by ~K·6e-8 (2e-7 on the shared
# CIFAR-10 data); rows within this relative distance are float noise and are used unchanged.
SUM_FLOAT_NOISE = 1e-5
# Rows further off than this are not probabilities (logits, unnormalised scores, a wrong column).
SUM_TOLERANCE = 1e-3
# Negative values down to this size are float noise (cleanlab's own slack) and are clipped to 0.
NEGATIVE_SLACK = 1e-6


# Column names that hold row ids or labels, never a class's probability: read as one more class
# they would shift every answer (an "id" column of small integers even passes as a class).
NOT_CLASS_COLUMNS = ("id", "label", "labels", "given_label", "row", "index")


class ProbabilityWarning(UserWarning):
    """Inputs were repaired (renormalised or clipped) before the audit."""


def read_matrix(
    path: Path, *, in_memory: bool = False, block_rows: int | None = None
) -> np.ndarray:
    """Read an N×K numeric matrix from .npy, .csv (K numeric columns) or .parquet (K numeric
    columns or one list column).

    .npy files are memory-mapped (io/stream.py), or loaded whole with in_memory. Parquet files
    with numeric columns are read one row group batch (block_rows rows) at a time into a matrix
    that is spilled to a temporary file when it would not fit comfortably in memory.
    """
    path = Path(path)
    suffix = check_readable(path, PROB_SUFFIXES, "probabilities")
    if suffix == ".npy":
        matrix = read_npy(path, mmap=not in_memory)
    elif suffix == ".parquet" and (streamed := _parquet_matrix(path, block_rows)) is not None:
        matrix = streamed
    else:
        table = read_table(path, suffix)
        matrix = _table_to_matrix(table, path)
    if matrix.ndim != 2:
        raise InvalidInputError(
            f"{path}: probabilities must be a 2-D N×K matrix, got {matrix.ndim}-D shape {matrix.shape}."
        )
    if matrix.dtype.kind not in "fiu":
        raise InvalidInputError(f"{path}: probabilities must be numeric, got dtype {matrix.dtype}.")
    if matrix.shape[0] == 0:
        raise InvalidInputError(f"{path}: contains no rows.")
    if matrix.shape[1] < 2:
        raise InvalidInputError(
            f"{path}: has {matrix.shape[1]} column(s); at least 2 classes are needed."
        )
    return matrix if matrix.dtype.kind == "f" else matrix.astype(np.float64)


def _parquet_matrix(path: Path, block_rows: int | None) -> np.ndarray | None:
    """K numeric Parquet columns read in batches; None for other layouts (list columns...)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.io.stream import spill_matrix

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise unreadable(path, "Parquet file", ".parquet", exc) from exc
    # A pandas index written with the frame (DataFrame.to_parquet of filtered rows) is stored as
    # a column; read as a class it would shift every answer.
    index = set(_pandas_index_columns(parquet.schema_arrow))
    fields = [f for f in parquet.schema_arrow if f.name not in index]
    names = [f.name for f in fields]
    check_class_columns(names, path)
    numeric = [pa.types.is_integer(f.type) or pa.types.is_floating(f.type) for f in fields]
    if len(fields) < 2 or not all(numeric):
        return None
    n, k = parquet.metadata.num_rows, len(fields)
    all_float32 = all(f.type == pa.float32() for f in fields)
    dtype = np.float32 if all_float32 else np.float64
    matrix = spill_matrix((n, k), dtype)
    start = 0
    try:
        for batch in parquet.iter_batches(batch_size=block_rows or 65536, columns=names):
            rows = batch.num_rows
            for c in range(k):
                column = batch.column(c)
                if column.null_count:
                    row = start + int(
                        np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0]
                    )
                    raise InvalidInputError(
                        f"{path}: row {row}, column {names[c]!r} is empty; probabilities "
                        "must be numbers."
                    )
                matrix[start : start + rows, c] = column.to_numpy()
            start += rows
    except OSError as exc:
        raise unreadable(path, "Parquet file", ".parquet", exc) from exc
    return matrix


def _pandas_index_columns(schema) -> list[str]:
    """The columns pandas stored for a DataFrame's index (its range indexes are metadata only)."""
    try:
        meta = schema.pandas_metadata or {}
    except (ValueError, TypeError):  # unparsable metadata: no pandas index recorded
        return []
    return [c for c in meta.get("index_columns", []) if isinstance(c, str)]


def _numbers(values) -> bool:
    try:
        np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def check_class_columns(names: list, path: Path) -> None:
    """Refuse a table column that holds ids or labels (NOT_CLASS_COLUMNS) among the classes."""
    not_classes = [c for c in names if str(c).strip().lower() in NOT_CLASS_COLUMNS]
    if not_classes:
        raise InvalidInputError(
            f"{path}: column {not_classes[0]!r} is not a class; probability files hold only the "
            "K class columns (drop the ids and labels, or read them from --labels)."
        )


def _table_to_matrix(table, path: Path) -> np.ndarray:
    if len(table) == 0:
        raise InvalidInputError(f"{path}: contains no rows (only a header).")
    if path.suffix.lower() == ".csv" and _header_is_data(table.columns):
        # Without a header line pandas takes the first row for column names: one example lost.
        raise InvalidInputError(
            f"{path}: line 1 holds numbers ({', '.join(map(str, table.columns[:3]))}, ...), not "
            "column names; add a header line with one name per class."
        )
    if table.shape[1] == 1 and table.dtypes.iloc[0].kind == "O":
        column = table.iloc[:, 0]
        lengths = column.map(
            lambda v: len(v) if isinstance(v, (list, tuple, np.ndarray)) else -1
        ).to_numpy()
        if (lengths < 0).any():
            row = int(np.flatnonzero(lengths < 0)[0])
            raise InvalidInputError(
                f"{path}: row {row} of column {table.columns[0]!r} is not a list."
            )
        if len(set(lengths.tolist())) > 1:
            row = int(np.flatnonzero(lengths != lengths[0])[0])
            raise InvalidInputError(
                f"{path}: row {row} has {lengths[row]} probabilities but row 0 has {lengths[0]}."
            )
        try:
            return np.array(column.tolist(), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            row = next(i for i, v in enumerate(column.tolist()) if not _numbers(v))
            raise InvalidInputError(
                f"{path}: row {row} of column {table.columns[0]!r} holds a value that is not a "
                "number."
            ) from exc
    check_class_columns(list(table.columns), path)
    non_numeric = [c for c in table.columns if table[c].dtype.kind not in "fiub"]
    if non_numeric:
        raise InvalidInputError(
            f"{path}: column {non_numeric[0]!r} is not numeric; probability files hold K numeric "
            "columns or one list column."
        )
    return table.to_numpy(dtype=np.float64)


# A CSV header cell that is a probability rather than a name: "0.25", "1e-3", or pandas'
# de-duplicated "0.25.1". Integer names ("0", "1", "2") are what DataFrame.to_csv writes.
_DATA_CELL = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+[eE][+-]?\d+)([eE][+-]?\d+)?(\.\d+)?")


def _header_is_data(columns) -> bool:
    """True when every column name of a CSV reads as a number and some are not integers."""
    names = [str(c) for c in columns]
    return all(_DATA_CELL.fullmatch(n) or n.lstrip("+-").isdigit() for n in names) and any(
        _DATA_CELL.fullmatch(n) for n in names
    )


def softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable row softmax in float64."""
    from scipy.special import softmax as scipy_softmax

    return scipy_softmax(np.asarray(logits, dtype=np.float64), axis=1)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Numerically stable elementwise logistic function in float64 (multi-label logits)."""
    from scipy.special import expit

    return expit(np.asarray(logits, dtype=np.float64))


def check_probabilities(matrix: np.ndarray, source: str) -> np.ndarray:
    """Validate an N×K probability matrix; repair float noise, reject everything else.

    One blocked pass collects each row's sum, minimum and maximum; the offending cell is
    located only when something is wrong. The input is never written to: repairs make a copy.
    """
    from labelaudit.confident._blocks import row_blocks

    n, k = matrix.shape
    sums = np.empty(n, dtype=np.float64)
    lows = np.empty(n, dtype=matrix.dtype)
    highs = np.empty(n, dtype=matrix.dtype)
    for rows in row_blocks(n, k):
        block = matrix[rows]
        sums[rows] = block.sum(axis=1)
        lows[rows] = block.min(axis=1)
        highs[rows] = block.max(axis=1)
    repair = judge_rows(source, sums, lows, highs, np.isfinite(sums), lambda row: matrix[row])
    if repair.any():
        matrix = np.array(matrix, dtype=np.float64 if matrix.dtype == np.float16 else matrix.dtype)
        fixed = np.clip(matrix[repair], 0.0, None)
        matrix[repair] = fixed / fixed.sum(axis=1, keepdims=True)
        warnings.warn(
            f"{source}: renormalised {int(repair.sum())} row(s) whose probabilities were slightly "
            f"off (sum within {SUM_TOLERANCE:g} of 1 or values just outside [0, 1]).",
            ProbabilityWarning,
            stacklevel=2,
        )
    return matrix


def judge_rows(source: str, sums, lows, highs, finite, row_values) -> np.ndarray:
    """Apply the rules of check_probabilities to per-row statistics: raise on the first bad
    row (naming the cell, read with row_values(row)), else return the rows to renormalise."""
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        values = np.asarray(row_values(row))
        infinite = ~np.isfinite(values)
        if not infinite.any():  # finite values whose sum overflowed: far outside [0, 1]
            col = int(np.argmax(np.abs(values)))
            raise InvalidInputError(
                f"{source}: row {row}, column {col} is {values[col]:.6g}; probabilities must lie "
                "in [0, 1] (pass --logits if these are raw model scores)."
            )
        col = int(np.flatnonzero(infinite)[0])
        raise InvalidInputError(
            f"{source}: row {row}, column {col} is {values[col]}; probabilities must be finite."
        )
    if lows.min() < -NEGATIVE_SLACK:
        row = int(np.argmax(lows < -NEGATIVE_SLACK))
        values = np.asarray(row_values(row))
        col = int(np.argmin(values))
        raise InvalidInputError(
            f"{source}: row {row}, column {col} is {values[col]:.6g}; probabilities cannot be "
            "negative (pass --logits if these are raw model scores)."
        )
    off = np.abs(sums - 1.0)
    if (off > SUM_TOLERANCE).any():
        row = int(np.argmax(off > SUM_TOLERANCE))
        raise InvalidInputError(
            f"{source}: row {row} sums to {sums[row]:.6g}, not 1; pass --logits if these are "
            "raw model scores."
        )
    return (off > SUM_FLOAT_NOISE) | (lows < 0) | (highs > 1)


def check_independent_probabilities(matrix: np.ndarray, source: str) -> np.ndarray:
    """Multi-label probabilities: each value in [0, 1] on its own; rows need not sum to 1."""
    from labelaudit.confident._blocks import value_range

    low, high = value_range(matrix)
    if not (np.isfinite(low) and np.isfinite(high)) or low < 0 or high > 1:
        bad = ~np.isfinite(matrix) | (matrix < 0) | (matrix > 1)
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise InvalidInputError(
            f"{source}: row {row}, column {col} is {matrix[row, col]}; multi-label probabilities "
            "must each lie in [0, 1] (pass --logits for raw scores: a sigmoid is applied)."
        )
    return matrix


def read_members(
    paths: list[Path],
    *,
    logits: bool = False,
    multi_label: bool = False,
    in_memory: bool = False,
    block_rows: int | None = None,
) -> list[np.ndarray]:
    """Read and check each N×K probability file (an ensemble when several)."""
    members = []
    for path in paths:
        matrix = read_matrix(path, in_memory=in_memory, block_rows=block_rows)
        members.append(prepare_member(matrix, str(path), logits=logits, multi_label=multi_label))
        check_same_shape(members, [str(p) for p in paths])
    return members


def prepare_member(matrix, source: str, *, logits: bool, multi_label: bool) -> np.ndarray:
    """One member's values as probabilities: logits checked finite and squashed (softmax, or
    sigmoid for multi-label), then the probability rules applied."""
    if logits:
        finite = np.isfinite(matrix)
        if not finite.all():
            row, col = (int(v[0]) for v in np.nonzero(~finite))
            raise InvalidInputError(
                f"{source}: row {row}, column {col} is {matrix[row, col]}; logits must be finite."
            )
        matrix = sigmoid(matrix) if multi_label else softmax(matrix)
    check = check_independent_probabilities if multi_label else check_probabilities
    return check(matrix, source)


def check_same_shape(members: list, sources: list[str]) -> None:
    """The latest member describes the same examples and classes as the first."""
    first, latest = members[0], members[-1]
    if latest.shape != first.shape:
        raise InvalidInputError(
            f"{sources[len(members) - 1]}: shape {tuple(latest.shape)} differs from {sources[0]} "
            f"with shape {tuple(first.shape)}; ensemble members must describe the same examples "
            "and classes."
        )


def ensemble_mean(members: list[np.ndarray]) -> np.ndarray:
    """np.mean(np.stack(members), axis=0) in float64, exactly what a cleanlab user writes, so the
    ensemble audit matches cleanlab's on the same average bit for bit."""
    if len(members) == 1:
        return members[0]
    return np.mean(np.stack([m.astype(np.float64, copy=False) for m in members]), axis=0)


def read_probabilities(
    paths: list[Path], *, logits: bool = False, multi_label: bool = False
) -> np.ndarray:
    """Read one or more N×K files; several are averaged as an ensemble (ensemble_mean)."""
    return ensemble_mean(read_members(paths, logits=logits, multi_label=multi_label))
