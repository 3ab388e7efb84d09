"""A LABELS file kept in its own format, so corrected labels are written back the same way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.formats import LABEL_SUFFIXES, check_readable, read_npy, read_table
from labelaudit.io.labels import read_text_labels
from labelaudit.review.csv_splice import splice_csv


class StoredLabels:
    """What every labels file kept as stored shares: `path` and `values` (an object array of the
    stored labels, integers or class names, in row order)."""

    path: Path
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    @property
    def holds_names(self) -> bool:
        return any(isinstance(v, str) for v in self.values[:1000])

    def as_indices(self, names: list[str] | None) -> np.ndarray | None:
        """The stored labels as class indices, or None when names are stored but unknown."""
        if self.holds_names:
            if not names:
                return None
            index = {str(name): i for i, name in enumerate(names)}
            return np.array([index.get(str(v), -1) for v in self.values], dtype=np.int64)
        return np.array([int(v) for v in self.values], dtype=np.int64)

    def encode(self, index: int, names: list[str] | None):
        """Class `index` written the way this file writes labels."""
        if self.holds_names:
            if not names:
                raise InvalidInputError(
                    f"{self.path} stores class names but the report has none to map to."
                )
            return str(names[index])
        return int(index)


@dataclass(frozen=True)
class LabelsFile(StoredLabels):
    """The label values as stored (integers or class names) and what is needed to rewrite them."""

    path: Path
    suffix: str
    values: np.ndarray  # object array of the stored values, in row order
    table: Any = None  # the whole table for .csv/.parquet (other columns are kept untouched)
    column: str | None = None
    arrow: Any = None  # the pyarrow Table of a .parquet file, whose schema the rewrite keeps
    changed: tuple = ()  # (row, new stored value) pairs, for the byte-preserving CSV rewrite

    @classmethod
    def read(cls, path: Path, label_column: str = "label") -> LabelsFile:
        path = Path(path)
        suffix = check_readable(path, LABEL_SUFFIXES, "labels")
        if suffix == ".npy":
            raw = read_npy(path)
            if raw.ndim != 1:
                raise InvalidInputError(f"{path}: labels must be 1-D, got shape {raw.shape}.")
            return cls(path, suffix, raw.astype(object))
        if suffix == ".txt":  # the reader the audit used, so the rows are the same
            return cls(path, suffix, read_text_labels(path).astype(object))
        table = read_table(path, suffix)
        if label_column not in table.columns:
            raise InvalidInputError(
                f"{path}: no column {label_column!r}; choose one with --label-column."
            )
        values = np.array(table[label_column].tolist(), dtype=object)
        arrow = None
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            arrow = pq.read_table(path)  # readable: read_table above opened it
        return cls(path, suffix, values, table=table, column=label_column, arrow=arrow)

    def with_changes(self, rows: np.ndarray, new_values: list) -> LabelsFile:
        values = self.values.copy()
        pairs = tuple(zip(rows.tolist(), new_values, strict=True))
        for row, value in pairs:
            values[row] = value
        return replace(self, values=values, changed=self.changed + pairs)

    def write(self, target: Path) -> None:
        """Write to target (a temporary path: the caller renames it into place)."""
        if self.suffix == ".npy":
            original = read_npy(self.path, mmap=True)
            dtype = original.dtype if original.dtype.kind in "iub" else None
            array = np.array(self.values.tolist(), dtype=dtype)
            with target.open("wb") as fh:
                np.save(fh, array)
        elif self.suffix == ".txt":
            target.write_text("".join(f"{v}\n" for v in self.values), encoding="utf-8")
        elif self.suffix == ".csv":
            # Only the label field of each changed row is rewritten: every other byte (quoting,
            # number formats, line endings, a byte-order mark) is the input's.
            data = self.path.read_bytes()
            target.write_bytes(splice_csv(data, self.path, self.column, self._stored_changes()))
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            index = self.arrow.column_names.index(self.column)
            field = self.arrow.schema.field(index)
            column = pa.array(self.values.tolist(), type=field.type)
            pq.write_table(self.arrow.set_column(index, field, column), target)

    def _stored_changes(self) -> dict[int, tuple]:
        """Row -> (value as read, new value): what splice_csv checks and writes."""
        original = np.array(self.table[self.column].tolist(), dtype=object)
        return {row: (original[row], value) for row, value in self.changed}
