"""A token LABELS file (Parquet, one list of tags per sentence) as LabelsFile's interface, so
`apply` rewrites the corrected tags in place of the old ones and keeps every other column."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.review.labels_file import StoredLabels


@dataclass(frozen=True)
class TokenLabelsFile(StoredLabels):
    """Tags flattened over sentences (row = report row), and the table to write them back into."""

    path: Path
    values: np.ndarray  # object array of the stored tags, sentences concatenated
    table: Any  # the pyarrow Table
    column: str

    @classmethod
    def read(cls, path: Path, label_column: str = "label") -> TokenLabelsFile:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = Path(path)
        if path.suffix.lower() != ".parquet":
            raise InvalidInputError(f"{path}: token labels are a Parquet file of tag lists.")
        table = pq.read_table(path)
        if label_column not in table.column_names:
            raise InvalidInputError(
                f"{path}: no column {label_column!r}; choose one with --label-column."
            )
        lists = table.column(label_column).combine_chunks()
        if not pa.types.is_list(lists.type) and not pa.types.is_large_list(lists.type):
            raise InvalidInputError(f"{path}: column {label_column!r} is not a list of tags.")
        values = np.asarray(lists.flatten().to_pylist(), dtype=object)
        return cls(path, values, table, label_column)

    def with_changes(self, rows: np.ndarray, new_values: list) -> TokenLabelsFile:
        values = self.values.copy()
        for row, value in zip(rows.tolist(), new_values, strict=True):
            values[row] = value
        return replace(self, values=values)

    def write(self, target: Path) -> None:
        """The table with the tag column rebuilt from values on the same sentence offsets."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        old = self.table.column(self.column).combine_chunks()
        flat = pa.array(self.values.tolist(), type=old.type.value_type)
        lists = type(old).from_arrays(old.offsets, flat)
        index = self.table.column_names.index(self.column)
        pq.write_table(self.table.set_column(index, self.column, lists), target)
