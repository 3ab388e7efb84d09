"""Read given labels (.npy, .csv, .parquet, .txt) into class indices, with names and ids."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.formats import LABEL_SUFFIXES, check_readable, not_utf8, read_npy, read_table

DEFAULT_LABEL_COLUMN = "label"
DEFAULT_ID_COLUMN = "id"
_INTEGER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class LabelData:
    """Given labels as int64 indices (N,), the class names when known, and optional row ids."""

    labels: np.ndarray
    class_names: list[str] | None
    ids: np.ndarray | None
    id_column: str | None
    table: Any = None  # the whole .csv/.parquet table, when asked for (keep_table=True)


def parse_class_names(spec: str | None) -> list[str] | None:
    """--class-names: comma-separated names, or a path to a text file with one name per line."""
    if spec is None:
        return None
    path = Path(spec)
    named_file = "," not in spec and path.suffix.lower() == ".txt"  # even when it is missing
    if named_file or (path.suffix and path.is_file()):
        names = _names_file(path)
    else:
        names = [name.strip() for name in spec.split(",")]
    if any(not name for name in names):
        raise InvalidInputError(f"--class-names {spec!r} contains an empty name.")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InvalidInputError(f"--class-names lists {', '.join(map(repr, dupes))} twice.")
    if len(names) < 2:
        raise InvalidInputError("--class-names must name at least two classes.")
    return names


def _names_file(path: Path) -> list[str]:
    """--class-names FILE.txt: one name per line, UTF-8."""
    if not path.exists():
        raise InvalidInputError(f"--class-names {path}: no such file.")
    if not path.is_file():
        raise InvalidInputError(f"--class-names {path}: not a regular file.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidInputError(
            f"--class-names {path}: line {line} is not UTF-8 text; save the file as UTF-8."
        ) from exc
    return [line.strip() for line in text.splitlines() if line.strip()]


def read_labels(
    path: Path,
    *,
    label_column: str = DEFAULT_LABEL_COLUMN,
    id_column: str | None = None,
    class_names: list[str] | None = None,
    keep_table: bool = False,
) -> LabelData:
    """Read LABELS; string labels are mapped through class_names, or sorted order without them.
    keep_table: also hand back a .csv/.parquet table whole (the gate hashes its rows)."""
    path = Path(path)
    suffix = check_readable(path, LABEL_SUFFIXES, "labels")
    ids, id_name, table = None, None, None
    if suffix == ".npy":
        raw = read_npy(path)
        if raw.ndim != 1:
            raise InvalidInputError(f"{path}: labels must be a 1-D array, got shape {raw.shape}.")
    elif suffix == ".txt":
        raw = read_text_labels(path)
    else:
        whole = read_table(path, suffix)
        column, ids, id_name = label_table_columns(whole, path, label_column, id_column)
        raw = _column_values(column, path, label_column)
        table = whole if keep_table else None
    if len(raw) == 0:
        raise InvalidInputError(f"{path}: contains no labels.")
    labels, names = to_class_indices(raw, path, class_names)
    return LabelData(labels=labels, class_names=names, ids=ids, id_column=id_name, table=table)


def read_label_table(path: Path, suffix: str, label_column: str, id_column: str | None):
    """(label column, ids, id column name) of a .csv/.parquet LABELS table."""
    return label_table_columns(read_table(path, suffix), path, label_column, id_column)


def label_table_columns(table, path: Path, label_column: str, id_column: str | None):
    """(label column, ids, id column name) of an already read LABELS table."""
    if label_column not in table.columns:
        raise InvalidInputError(
            f"{path}: no column {label_column!r}{_did_you_mean(label_column, table.columns)}; "
            "choose one with --label-column."
        )
    ids, id_name = table_ids(table, id_column, path)
    return table[label_column], ids, id_name


def table_ids(table, id_column: str | None, path: Path) -> tuple[np.ndarray | None, str | None]:
    """The id column to carry into the report: --id-column, else 'id' when present."""
    if id_column is not None and id_column not in table.columns:
        raise InvalidInputError(
            f"{path}: no id column {id_column!r}{_did_you_mean(id_column, table.columns)}."
        )
    name = id_column or (DEFAULT_ID_COLUMN if DEFAULT_ID_COLUMN in table.columns else None)
    if name is None:
        return None, None
    column = table[name]
    if column.dtype.kind == "O":
        lists = column.map(lambda v: isinstance(v, (list, tuple, dict, np.ndarray))).to_numpy()
        if lists.any():
            raise InvalidInputError(
                f"{path}: id column {name!r} holds a list at row {int(np.flatnonzero(lists)[0])}; "
                "ids must be text or numbers."
            )
    missing = column.isna().to_numpy()
    if missing.any():
        raise InvalidInputError(
            f"{path}: id column {name!r} is empty at row {int(np.flatnonzero(missing)[0])}; "
            "every row needs an id."
        )
    repeated = table[name].duplicated(keep=False).to_numpy()
    if repeated.any():
        first, second = (
            int(r)
            for r in np.flatnonzero(
                table[name].eq(table[name].iloc[int(np.argmax(repeated))]).to_numpy()
            )[:2]
        )
        raise InvalidInputError(
            f"{path}: id column {name!r} repeats {table[name].iloc[first]!r} at rows {first} "
            f"and {second}; ids must be unique to join the report to the dataset."
        )
    return table[name].to_numpy(), name


def read_text_labels(path: Path) -> np.ndarray:
    """One label per line: int64 when every line is an integer, else the stripped strings."""
    lines = read_text_lines(path)
    while lines and not lines[-1].strip():
        lines.pop()
    values = [line.strip() for line in lines]
    for row, value in enumerate(values):
        if not value:
            raise InvalidInputError(
                f"{path}: line {row + 1} is empty; expected one label per line."
            )
    if values and all(_INTEGER.fullmatch(v) for v in values):
        return _integer_strings(np.array(values), path)
    return np.array(values, dtype=object)


def read_text_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file, or an error naming the first line that is not UTF-8."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig").splitlines()  # without a byte-order mark
    except UnicodeDecodeError as exc:
        raise not_utf8(path) from exc


def _column_values(column, path: Path, name: str) -> np.ndarray:
    missing = column.isna().to_numpy()
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise InvalidInputError(f"{path}: column {name!r} is empty at row {row}.")
    return column.to_numpy()


def _row(i: int) -> str:
    return f"row {i}"


def to_class_indices(
    raw: np.ndarray, path: Path, class_names: list[str] | None, where=_row
) -> tuple[np.ndarray, list[str] | None]:
    """Labels as stored (integers, integral floats, integer-like strings or class names) as
    int64 class indices, and the class names (given, or inferred in _name_order). `where(i)`
    names position i in error messages ("row 12"; token labels say sentence and token)."""
    kind = raw.dtype.kind
    if kind in "iu":
        return raw.astype(np.int64), class_names
    if kind == "b":
        return raw.astype(np.int64), class_names
    if kind == "f":
        bad = ~np.isfinite(raw) | (np.mod(raw, 1) != 0)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidInputError(
                f"{path}: {where(row)} has label {raw[row]}, which is not an integer class index."
            )
        return raw.astype(np.int64), class_names
    if kind == "S":
        raw = _decoded(raw, path)
    if kind == "O":
        _check_scalar_cells(raw, path)
    values = np.char.strip(np.asarray(raw, dtype=str))
    if class_names is None and _all_integer_like(values):
        # "2", "10", "9" are class indices, not names to sort as text (10 before 2).
        return _integer_strings(values, path, where), None
    names = class_names or sorted(set(values.tolist()), key=_name_order)
    index = {name: i for i, name in enumerate(names)}
    known = np.isin(values, names)
    if not known.all():
        row = int(np.flatnonzero(~known)[0])
        raise InvalidInputError(
            f"{path}: {where(row)} has class '{values[row]}', which is not in --class-names"
            f"{_did_you_mean(values[row], names)}."
        )
    uniques, inverse = np.unique(values, return_inverse=True)
    codes = np.array([index[name] for name in uniques.tolist()], dtype=np.int64)
    return codes[inverse], list(names)


def _decoded(raw: np.ndarray, path: Path) -> np.ndarray:
    """Byte-string labels (a NumPy 'S' array) as text, each UTF-8."""
    try:
        return np.char.decode(raw, "utf-8")
    except UnicodeDecodeError as exc:
        row = next(i for i, v in enumerate(raw.tolist()) if not _utf8(v))
        raise InvalidInputError(
            f"{path}: row {row} holds bytes {raw[row]!r} that are not UTF-8 text."
        ) from exc


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _check_scalar_cells(raw: np.ndarray, path: Path) -> None:
    """Single labels are text or numbers: a list cell means label sets, bytes are undecoded."""
    scalar = (str, int, float, np.generic)
    if all(issubclass(t, scalar) for t in set(map(type, raw))):  # the common case, at C speed
        return
    bad = np.fromiter((not isinstance(v, scalar) for v in raw), bool, len(raw))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        value = raw[row]
        if isinstance(value, (bytes, bytearray)):
            raise InvalidInputError(
                f"{path}: row {row} holds bytes {bytes(value)[:20]!r}, not text; store labels as "
                "strings or integers."
            )
        what = "list" if isinstance(value, (list, tuple, np.ndarray)) else type(value).__name__
        raise InvalidInputError(
            f"{path}: row {row} holds a {what}, not one label; pass --multi-label for label sets."
        )


def _all_integer_like(values: np.ndarray) -> bool:
    """True when every label is written as an integer ("2", "-1", "10")."""
    return bool(values.size) and all(_INTEGER.fullmatch(v) for v in set(values.tolist()))


def _integer_strings(values: np.ndarray, path: Path, where=_row) -> np.ndarray:
    try:
        return values.astype(np.int64)
    except (ValueError, OverflowError) as exc:
        limit = np.iinfo(np.int64)
        row = next(i for i, v in enumerate(values.tolist()) if not limit.min <= int(v) <= limit.max)
        raise InvalidInputError(
            f"{path}: {where(row)} has label {values[row]}, which does not fit a 64-bit class index."
        ) from exc


def _name_order(name: str):
    """Integer-like names sort numerically ("2" before "10"), before all other names."""
    return (0, int(name), "") if _INTEGER.fullmatch(name) else (1, 0, name)


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (available: {', '.join(map(repr, list(choices)[:10]))})"


def check_label_range(labels: np.ndarray, k: int, path: Path, probs_path: object) -> None:
    """Every label must index one of the K probability columns."""
    bad = (labels < 0) | (labels >= k)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidInputError(
            f"{path}: row {row} has label {labels[row]}, outside [0, {k}) for the {k} "
            f"probability columns of {probs_path}."
        )


def check_same_rows(
    labels_path: Path, n_labels: int, source: object, n_rows: int, unit: str = "rows"
) -> None:
    """LABELS and the model outputs must describe the same examples."""
    if n_labels != n_rows:
        raise InvalidInputError(
            f"{labels_path} has {n_labels} labels but {source} has {n_rows} {unit}; they must "
            "describe the same examples in the same order."
        )


def check_given_names(names, spec, k: int, source: object, columns: str = "columns") -> None:
    """--class-names must name every probability column, no more and no fewer."""
    if spec is not None and names is not None and len(names) != k:
        raise InvalidInputError(
            f"--class-names gives {len(names)} names but {source} has {k} {columns}; give one "
            "name per column, in column order."
        )


def check_inferred_names(names, spec, k: int, path: Path, source: object) -> None:
    """Class names read from the labels cover only the classes that occur; say how to fix it."""
    if spec is None and names is not None and len(names) != k:
        raise InvalidInputError(
            f"{path} names {len(names)} classes but {source} has {k}; pass --class-names with "
            f"all {k} names in column order."
        )
