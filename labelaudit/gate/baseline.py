"""The baseline: flagged rows someone accepted, so known issues do not fail the gate again.

Rows are keyed by their id when the report has ids. Otherwise by a hash of the row's content:
every column of a .csv/.parquet labels table (so a row keeps its key when rows are inserted or
reordered), or position and label for .npy/.txt labels, which have no other content.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.io.atomic import atomic_path

FORMAT = 1


def row_keys(report, table=None) -> tuple[str, list[str]]:
    """('id', ids as strings) or ('hash', content hashes), one per report row; `table` is the
    .csv/.parquet labels table the report was audited from (None for .npy/.txt labels)."""
    cols = report.columns
    if report.metadata.get("task") == "token":  # a row is a token: its sentence and position
        return _token_keys(cols)
    if "id" in cols:
        return "id", [str(v) for v in cols["id"].tolist()]
    if table is not None:
        records = table.astype(str).to_numpy().tolist()
        content = [json.dumps([list(map(str, table.columns)), r]) for r in records]
    else:
        given = cols["given_label"]
        content = [f"{row}:{label}" for row, label in enumerate(given.tolist())]
    return "hash", [hashlib.sha256(c.encode("utf-8")).hexdigest()[:16] for c in content]


def _token_keys(cols) -> tuple[str, list[str]]:
    """'id#token' when sentences have ids; else a hash of the sentence's tags (and its words when
    the labels carry them) with the token's position, so reordering sentences keeps the keys."""
    position = cols["token"].tolist()
    if "id" in cols:
        return "id", [f"{s}#{t}" for s, t in zip(cols["id"].tolist(), position, strict=True)]
    sentence = cols["sentence"]
    starts = np.flatnonzero(np.r_[True, sentence[1:] != sentence[:-1]])
    ends = np.r_[starts[1:], len(sentence)]
    words = cols.get("sentence_tokens")
    parts = [cols["given_label"]] if words is None else [cols["given_label"], words]
    content = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        whole = json.dumps([p[a:b].tolist() for p in parts])
        content += [f"{whole}#{t}" for t in range(b - a)]
    return "hash", [hashlib.sha256(c.encode("utf-8")).hexdigest()[:16] for c in content]


def read_baseline(path: Path) -> tuple[str | None, set[str]]:
    """(key kind, accepted keys); an absent file is an empty baseline."""
    if not path.exists():
        return None, set()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"baseline {path} does not parse as JSON ({exc}).") from exc
    if (
        not isinstance(data, dict)
        or data.get("labelaudit_baseline") != FORMAT
        or data.get("key") not in ("id", "hash")
        or not isinstance(data.get("accepted"), list)
    ):
        raise InvalidInputError(
            f"baseline {path} is not a labelaudit baseline (expected keys labelaudit_baseline="
            f"{FORMAT}, key, accepted); rewrite it with `labelaudit gate --update-baseline`."
        )
    return data["key"], {str(v) for v in data["accepted"]}


def write_baseline(path: Path, kind: str, keys: list[str]) -> None:
    payload = {"labelaudit_baseline": FORMAT, "key": kind, "accepted": sorted(set(keys))}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")


def accepted_mask(keys: list[str], accepted: set[str]) -> np.ndarray:
    return np.fromiter((k in accepted for k in keys), dtype=bool, count=len(keys))
