"""Report: one row per example plus metadata, stored as Parquet (schema version 1).

The columns are kept as NumPy arrays and written with pyarrow directly, so the CLI never pays
for importing pandas; `Report.frame` builds the pandas DataFrame on first use.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.atomic import atomic_path

SCHEMA_VERSION = 1
METADATA_KEY = b"labelaudit"
TOP_ISSUES = 10
NAME_COLUMNS = ("given_name", "suggested_name")
LIST_COLUMNS = ("given_labels", "suggested_labels", "issue_classes")  # multi-label reports
# Nullable row pointers (--embeddings): held as int64 with -1 for null, written as nulls.
ROW_COLUMNS = ("conflicting_duplicate_of", "duplicate_of")
TOP_PAIRS = 10  # conflicting near-duplicate pairs in the summary


class Report:
    """The audit result: columns of docs/report-schema.md in input row order, and metadata.

    `columns["issue_rank"]` holds 0 where a row is not flagged, and the ROW_COLUMNS -1 where
    they point at no row; the DataFrame and the Parquet file show those as nulls.
    """

    def __init__(self, columns: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
        self.columns = columns
        self.metadata = metadata

    @cached_property
    def frame(self):
        """The report as a pandas DataFrame (issue_rank nullable Int64, names as strings)."""
        import pandas as pd

        data: dict[str, Any] = {}
        for name, values in self.columns.items():
            if name == "issue_rank":
                data[name] = pd.arrays.IntegerArray(values, values == 0)
            elif name in ROW_COLUMNS:
                data[name] = pd.arrays.IntegerArray(values, values < 0)
            elif name in NAME_COLUMNS:
                data[name] = pd.array(values, dtype="string")
            elif name in LIST_COLUMNS:
                data[name] = [v.tolist() for v in values]
            else:
                data[name] = values
        return pd.DataFrame(data)

    @property
    def issues(self):
        """Flagged rows only (a DataFrame), most likely wrong first."""
        return self.frame.iloc[self.issue_order()]

    def issue_order(self) -> np.ndarray:
        """Row positions of flagged rows, most likely wrong first."""
        rank = self.columns["issue_rank"]
        flagged = np.flatnonzero(rank > 0)
        return flagged[np.argsort(rank[flagged])]

    @property
    def num_issues(self) -> int:
        return int(np.count_nonzero(self.columns["is_label_issue"]))

    def class_name(self, k: int) -> str:
        names = self.metadata.get("class_names")
        return str(names[k]) if names else str(k)

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable digest: counts, per-class flags, the top issues, the noise matrix."""
        if self.metadata.get("task") == "segmentation":
            from labelaudit.segmentation.summary import summarise

            return summarise(self)
        if self.metadata.get("task") == "regression":
            from labelaudit.regression.summary import summarise as summarise_regression

            return summarise_regression(self)
        cols = self.columns
        n = int(self.metadata.get("n", len(cols["row"])))  # --only-flagged files hold fewer rows
        k = int(self.metadata["k"])
        flagged = cols["is_label_issue"]
        multi = "given_labels" in cols
        if multi:
            members = np.zeros((n, k), dtype=bool)
            for i, classes in enumerate(cols["given_labels"]):
                members[i, classes] = True
            totals = members.sum(axis=0)
            flags = np.zeros(k, dtype=np.int64)
            for classes in cols["issue_classes"][flagged]:
                flags[classes] += 1
        else:
            given = cols["given_label"]
            totals = np.asarray(
                self.metadata.get("class_counts") or np.bincount(given, minlength=k)
            )
            flags = np.bincount(given[flagged], minlength=k)
        per_class = [
            {
                "class": c,
                "name": self.class_name(c),
                "examples": int(totals[c]),
                "flagged": int(flags[c]),
                "flagged_share": float(flags[c] / totals[c]) if totals[c] else 0.0,
            }
            for c in range(k)
        ]
        top = [self._top_issue(i, multi) for i in self.issue_order()[:TOP_ISSUES]]
        details = self.metadata.get("details", {})
        extra: dict[str, Any] = {}
        if "grade" in cols:
            grade = cols["grade"]
            extra["grades"] = {
                g: int(np.count_nonzero(grade == g)) for g in ("confident", "review")
            }
        if "onset_epoch_per_class" in details:
            extra["onset_epoch_per_class"] = details["onset_epoch_per_class"]
            extra["warnings"] = details.get("warnings", [])
        if details.get("default_rule"):
            extra["default_rule"] = details["default_rule"]
        if self.metadata.get("embeddings"):  # --embeddings: the model chosen, its scores
            extra["embeddings"] = self.metadata["embeddings"]
        if "conflicting_duplicate_of" in cols:
            extra["conflicting_duplicates"] = self.duplicate_pairs("conflicting_duplicate_of")
        if "duplicate_of" in cols:
            extra["duplicates"] = self.duplicate_pairs("duplicate_of")
        return {
            "labelaudit_version": self.metadata.get("labelaudit_version"),
            "detector": self.metadata.get("detector"),
            "n": n,
            "k": k,
            "num_issues": self.num_issues,
            "issue_fraction": self.num_issues / n if n else 0.0,
            "per_class": per_class,
            "top_issues": top,
            "noise_matrix": details.get("noise_matrix"),
            "largest_flips": details.get("largest_flips"),
            "options": self.metadata.get("options", {}),
            **extra,
        }

    def duplicate_pairs(self, column: str, limit: int | None = TOP_PAIRS) -> dict[str, Any]:
        """The pairs a ROW_COLUMNS column names (each unordered pair once, lowest row first):
        how many rows point somewhere, how many pairs, and the first `limit` pairs with their
        given labels (and ids)."""
        from labelaudit.predict.duplicates import pairs

        cols = self.columns
        rows, found = cols["row"], pairs(cols[column], cols["row"])
        at = {int(r): i for i, r in enumerate(rows.tolist())}
        listed = []
        for a, b in found[:limit]:
            item = {"row": a, "other": b}
            for key, side in (("", a), ("other_", b)):
                if side in at:  # --only-flagged files may lack the other row
                    item[f"{key}given_label"] = int(cols["given_label"][at[side]])
                    if "id" in cols:
                        item[f"{key}id"] = _jsonable(cols["id"][at[side]])
            listed.append(item)
        pointing = int(np.count_nonzero(cols[column] >= 0))
        return {"rows": pointing, "num_pairs": len(found), "pairs": listed}

    def _top_issue(self, i: int, multi: bool) -> dict[str, Any]:
        """One flagged row as the summary's top_issues show it."""
        cols = self.columns
        item = {
            "issue_rank": int(cols["issue_rank"][i]),
            "row": int(cols["row"][i]),
            "label_quality": float(cols["label_quality"][i]),
        }
        if multi:
            for key in LIST_COLUMNS:
                item[key] = [int(c) for c in cols[key][i]]
        else:
            item["given_label"] = int(cols["given_label"][i])
            item["suggested_label"] = int(cols["suggested_label"][i])
            item["suggestion_confidence"] = float(cols["suggestion_confidence"][i])
        if "id" in cols:
            item["id"] = _jsonable(cols["id"][i])
        if "given_name" in cols:
            item["given_name"] = str(cols["given_name"][i])
            item["suggested_name"] = str(cols["suggested_name"][i])
        if "explanation" in cols:
            item["explanation"] = cols["explanation"][i]
        return item

    def to_parquet(
        self, path: Path, *, only_flagged: bool = False, row_group_size: int | None = None
    ) -> None:
        """Write atomically: a temporary file in the same directory, renamed when complete.

        only_flagged keeps just the flagged rows (same schema and metadata); row_group_size sets
        the rows per Parquet row group (readers of large reports can then read it in pieces).
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        from labelaudit.io.arrow import lists_to_arrow, names_to_arrow, to_arrow

        names = self.metadata.get("class_names")
        columns = self.columns
        if only_flagged:
            keep = np.flatnonzero(self.columns["is_label_issue"])
            columns = {name: values[keep] for name, values in self.columns.items()}
        arrays, pandas_columns = [], []
        for name, values in columns.items():
            if name == "issue_rank" or name in ROW_COLUMNS:
                arrays.append(
                    to_arrow(values, null_mask=values == 0 if name == "issue_rank" else values < 0)
                )
                numpy_type, pandas_type = "Int64", "int64"
            elif name in NAME_COLUMNS:
                codes = columns[name.replace("_name", "_label")]
                arrays.append(names_to_arrow(codes, [str(x) for x in names]))
                numpy_type, pandas_type = "string", "unicode"
            elif name in LIST_COLUMNS:
                arrays.append(lists_to_arrow(values))
                numpy_type, pandas_type = "object", "list[int64]"
            else:
                arrays.append(to_arrow(values))
                numpy_type = str(values.dtype)
                pandas_type = "unicode" if values.dtype.kind in "OUS" else numpy_type
            pandas_columns.append(
                {
                    "name": name,
                    "field_name": name,
                    "pandas_type": pandas_type,
                    "numpy_type": numpy_type,
                    "metadata": None,
                }
            )
        # pandas reads this to restore the nullable Int64 and string dtypes.
        pandas_meta = {"index_columns": [], "column_indexes": [], "columns": pandas_columns}
        meta = dict(self.metadata)
        if only_flagged:
            meta["only_flagged"] = True
            if (
                "given_label" in self.columns and meta.get("task") != "regression"
            ):  # the per-class totals the summary needs
                meta["class_counts"] = np.bincount(
                    self.columns["given_label"], minlength=int(meta["k"])
                ).tolist()
        metadata = {
            b"pandas": json.dumps(pandas_meta).encode(),
            METADATA_KEY: json.dumps(meta, default=_jsonable).encode(),
        }
        table = pa.Table.from_arrays(arrays, names=list(columns), metadata=metadata)
        # Scores and probabilities are nearly all distinct: a dictionary page for them is built
        # and thrown away (half the write time of a 1M-row report); labels, flags, ranks and
        # names keep their dictionaries.
        dictionary = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
        with atomic_path(Path(path)) as tmp:
            pq.write_table(table, tmp, row_group_size=row_group_size, use_dictionary=dictionary)

    @classmethod
    def read_parquet(cls, path: Path) -> Report:
        """Read a report written by to_parquet, checking its schema version."""
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:
            from labelaudit.io.sniff import unreadable

            raise unreadable(Path(path), "Parquet report", ".parquet", exc) from exc
        raw = (table.schema.metadata or {}).get(METADATA_KEY)
        if raw is None:
            raise InvalidInputError(f"{path}: not a labelaudit report (no labelaudit metadata).")
        metadata = json.loads(raw)
        version = metadata.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InvalidInputError(
                f"{path}: report schema version {version}, this labelaudit reads {SCHEMA_VERSION}."
            )
        columns = {}
        for name in table.column_names:
            column = table.column(name)
            if name == "issue_rank":
                columns[name] = column.fill_null(0).to_numpy()
            elif name in ROW_COLUMNS:
                columns[name] = column.fill_null(-1).to_numpy()
            elif name in NAME_COLUMNS:
                columns[name] = np.asarray(column.to_pylist(), dtype=object)
            elif name in LIST_COLUMNS:
                columns[name] = np.empty(len(column), dtype=object)
                columns[name][:] = [np.asarray(v, dtype=np.int64) for v in column.to_pylist()]
            else:
                columns[name] = column.to_numpy(zero_copy_only=False)
        return cls(columns, metadata)


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def build_columns(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    result,
    *,
    class_names: list[str] | None,
    ids: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """The report columns from a DetectorResult, in input order."""
    n = len(labels)
    suggested = np.asarray(result.suggested_label, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    order = result.issue_order()
    rank[order] = np.arange(1, len(order) + 1)
    columns: dict[str, np.ndarray] = {"row": np.arange(n, dtype=np.int64)}
    if ids is not None:
        columns["id"] = ids
    columns["given_label"] = labels.astype(np.int64)
    names = None if class_names is None else np.asarray(class_names, dtype=object)
    if names is not None:
        columns["given_name"] = names[labels]
    columns["suggested_label"] = suggested
    if names is not None:
        columns["suggested_name"] = names[suggested]
    if result.suggestion_confidence is not None:
        confidence = result.suggestion_confidence
    else:
        from labelaudit.confident.thresholds import self_confidence

        confidence = self_confidence(suggested, pred_probs)  # P[i, suggested[i]], blocked
    columns["suggestion_confidence"] = np.asarray(confidence, dtype=np.float64)
    columns["label_quality"] = np.asarray(result.label_quality, dtype=np.float64)
    columns["is_label_issue"] = np.asarray(result.is_label_issue, dtype=bool)
    columns["issue_rank"] = rank
    if result.confident is not None:
        columns["grade"] = grades(result.is_label_issue, result.confident)
    return columns


def grades(flagged: np.ndarray, confident: np.ndarray) -> np.ndarray:
    """The `grade` column: 'confident' (safe to apply), 'review', or null where not flagged."""
    grade = np.full(len(flagged), None, dtype=object)
    grade[flagged] = "review"
    grade[flagged & confident] = "confident"
    return grade
