"""A LABELS file kept in its own format, so corrected labels are written back the same way."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.formats import LABEL_SUFFIXES, check_readable, read_npy, read_table
from labelaudit.io.labels import read_text_labels


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
        return cls(path, suffix, values, table=table, column=label_column)

    def with_changes(self, rows: np.ndarray, new_values: list) -> LabelsFile:
        values = self.values.copy()
        for row, value in zip(rows.tolist(), new_values, strict=True):
            values[row] = value
        table = None
        if self.table is not None:
            table = self.table.copy()
            table[self.column] = values.tolist()
            table[self.column] = table[self.column].astype(self.table[self.column].dtype)
        return replace(self, values=values, table=table)

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
            self.table.to_csv(target, index=False)
        else:
            self.table.to_parquet(target, index=False)
