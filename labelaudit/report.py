"""Report: one row per example (a pandas DataFrame) plus metadata, stored as Parquet schema v1."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.atomic import atomic_path

SCHEMA_VERSION = 1
METADATA_KEY = b"labelaudit"
TOP_ISSUES = 10


@dataclass
class Report:
    """The audit result. `frame` has the columns of docs/report-schema.md, in input row order."""

    frame: Any  # pandas.DataFrame; typed loosely so importing labelaudit does not import pandas
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def issues(self):
        """Flagged rows only, most likely wrong first."""
        flagged = self.frame[self.frame["is_label_issue"]]
        return flagged.sort_values("issue_rank")

    @property
    def num_issues(self) -> int:
        return int(self.frame["is_label_issue"].sum())

    def class_name(self, k: int) -> str:
        names = self.metadata.get("class_names")
        return str(names[k]) if names else str(k)

    def summary(self) -> dict[str, Any]:
        """A JSON-serialisable digest: counts, per-class flags, the top issues, the noise matrix."""
        df = self.frame
        n = len(df)
        k = int(self.metadata["k"])
        given = df["given_label"].to_numpy()
        flagged = df["is_label_issue"].to_numpy()
        totals = np.bincount(given, minlength=k)
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
        top = []
        for rec in self.issues.head(TOP_ISSUES).to_dict("records"):
            item = {
                "issue_rank": int(rec["issue_rank"]),
                "row": int(rec["row"]),
                "given_label": int(rec["given_label"]),
                "suggested_label": int(rec["suggested_label"]),
                "suggestion_confidence": float(rec["suggestion_confidence"]),
                "label_quality": float(rec["label_quality"]),
            }
            if "id" in rec:
                item["id"] = _jsonable(rec["id"])
            if "given_name" in rec:
                item["given_name"] = rec["given_name"]
                item["suggested_name"] = rec["suggested_name"]
            top.append(item)
        return {
            "labelaudit_version": self.metadata.get("labelaudit_version"),
            "detector": self.metadata.get("detector"),
            "n": n,
            "k": k,
            "num_issues": self.num_issues,
            "issue_fraction": self.num_issues / n if n else 0.0,
            "per_class": per_class,
            "top_issues": top,
            "noise_matrix": self.metadata.get("details", {}).get("noise_matrix"),
            "options": self.metadata.get("options", {}),
        }

    def to_parquet(self, path: Path) -> None:
        """Write atomically: a temporary file in the same directory, renamed when complete."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(self.frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta[METADATA_KEY] = json.dumps(self.metadata, default=_jsonable).encode()
        table = table.replace_schema_metadata(meta)
        with atomic_path(Path(path)) as tmp:
            pq.write_table(table, tmp)

    @classmethod
    def read_parquet(cls, path: Path) -> Report:
        """Read a report written by to_parquet, checking its schema version."""
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise InvalidInputError(f"{path}: not a readable Parquet report ({exc}).") from exc
        raw = (table.schema.metadata or {}).get(METADATA_KEY)
        if raw is None:
            raise InvalidInputError(f"{path}: not a labelaudit report (no labelaudit metadata).")
        metadata = json.loads(raw)
        version = metadata.get("schema_version")
        if version != SCHEMA_VERSION:
            raise InvalidInputError(
                f"{path}: report schema version {version}, this labelaudit reads {SCHEMA_VERSION}."
            )
        frame = table.to_pandas()
        return cls(frame=frame, metadata=metadata)


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


def build_frame(
    labels: np.ndarray,
    pred_probs: np.ndarray,
    result,
    *,
    class_names: list[str] | None,
    ids: np.ndarray | None,
):
    """The report DataFrame from a DetectorResult, in input order."""
    import pandas as pd

    n = len(labels)
    suggested = np.asarray(result.suggested_label, dtype=np.int64)
    rank = np.zeros(n, dtype=np.int64)
    order = result.issue_order()
    rank[order] = np.arange(1, len(order) + 1)
    columns: dict[str, Any] = {"row": np.arange(n, dtype=np.int64)}
    if ids is not None:
        columns["id"] = ids
    columns["given_label"] = labels.astype(np.int64)
    if class_names is not None:
        names = np.asarray(class_names, dtype=object)
        columns["given_name"] = pd.array(names[labels], dtype="string")
    columns["suggested_label"] = suggested
    if class_names is not None:
        columns["suggested_name"] = pd.array(names[suggested], dtype="string")
    columns["suggestion_confidence"] = pred_probs[np.arange(n), suggested].astype(np.float64)
    columns["label_quality"] = np.asarray(result.label_quality, dtype=np.float64)
    columns["is_label_issue"] = np.asarray(result.is_label_issue, dtype=bool)
    columns["issue_rank"] = pd.arrays.IntegerArray(rank, rank == 0)  # null where not flagged
    return pd.DataFrame(columns)
