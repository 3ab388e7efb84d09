"""The rows a review page lists, as the JSON its script renders: which rows, in what order, and
what each row carries (labels as class indices, scores, id, grade, explanation, text, image)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.report import Report

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg")
OUTSIDE_NOTE = "(not embedded: outside the dataset folder)"
MAX_IMAGE_BYTES = 512 * 1024  # larger files are not embedded (the page would balloon)
DIGITS = 6  # scores are rounded in the page: enough to read, a third of the bytes of a float


def listed(report: Report, *, all_rows: bool, max_rows: int | None) -> np.ndarray:
    """Report positions the page lists: flagged rows worst first (at most max_rows), or with
    all_rows every row, flagged first, then the others from lowest label_quality up."""
    order = report.issue_order()
    if not all_rows:
        return order if max_rows is None else order[:max_rows]
    rest = np.flatnonzero(report.columns["issue_rank"] <= 0)
    rest = rest[np.argsort(report.columns["label_quality"][rest], kind="stable")]
    return np.concatenate([order, rest])


def _numbers(values: np.ndarray) -> list:
    """Rounded floats for JSON; NaN (which JSON cannot hold) becomes null."""
    rounded = np.round(np.asarray(values, dtype=np.float64), DIGITS)
    return [None if v != v else v for v in rounded.tolist()]


def table_rows(report: Report, shown: np.ndarray, dataset=None, **media) -> list[dict[str, Any]]:
    """One dict per listed row. media: dataset_dir, image_column, text_column (see render)."""
    cols = report.columns
    multi = "given_labels" in cols
    fields: dict[str, list] = {
        "row": cols["row"][shown].tolist(),
        "issue_rank": [r if r > 0 else None for r in cols["issue_rank"][shown].tolist()],
        "flagged": cols["is_label_issue"][shown].tolist(),
        "label_quality": _numbers(cols["label_quality"][shown]),
    }
    if multi:
        for key, column in (("given", "given_labels"), ("suggested", "suggested_labels")):
            fields[key] = [[int(c) for c in cols[column][i]] for i in shown.tolist()]
    else:
        fields["given"] = cols["given_label"][shown].tolist()
        fields["suggested"] = cols["suggested_label"][shown].tolist()
        fields["suggestion_confidence"] = _numbers(cols["suggestion_confidence"][shown])
    if "given_prob" in cols:
        fields["given_prob"] = _numbers(cols["given_prob"][shown])
    if "id" in cols:
        fields["id"] = [_plain(v) for v in cols["id"][shown].tolist()]
    for name in ("conflicting_duplicate_of", "duplicate_of"):  # --embeddings: null is -1
        if name in cols:
            fields[name] = [r if r >= 0 else None for r in cols[name][shown].tolist()]
    for name in ("grade", "evidence", "explanation"):
        if name in cols:
            fields[name] = ["" if v is None else str(v) for v in cols[name][shown].tolist()]
    fields.update(_media(shown, dataset, **media))
    keys = list(fields)
    return [dict(zip(keys, values, strict=True)) for values in zip(*fields.values(), strict=True)]


def _media(shown, dataset, *, dataset_dir=None, image_column=None, text_column=None) -> dict:
    if dataset is None:
        return {}
    out: dict[str, list] = {}
    if text_column is not None:
        out["text"] = [str(v) for v in dataset[text_column].iloc[shown].tolist()]
    if image_column is not None:
        out["image"], out["image_name"] = [], []
        for value in dataset[image_column].iloc[shown].tolist():
            raw = Path(str(value))
            path = confined_image(raw, dataset_dir)
            out["image"].append(None if path is None else image_data_uri(path))
            out["image_name"].append(raw.name if path is not None else f"{raw.name} {OUTSIDE_NOTE}")
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def confined_image(raw: Path, root: Path | None) -> Path | None:
    """The image file that raw names, only when it lies in root or below (symlinks resolved).

    The page embeds file contents, so a dataset cell such as /etc/passwd or ../secret must not
    pull in files the user never meant to publish. Without a root nothing is embedded.
    """
    if root is None:
        return None
    base = Path(root).resolve()
    path = (raw if raw.is_absolute() else base / raw).resolve()
    return path if path.is_relative_to(base) else None


def image_data_uri(path: Path) -> str | None:
    """A data: URI for a small image file; None when missing, unreadable or too large."""
    import base64
    import mimetypes

    try:
        if not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
