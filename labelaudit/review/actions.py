"""From a report to action: export flagged rows, apply corrections, compare two audits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report

GRADE_CONFIDENT = "confident"


def flagged_frame(report: Report, dataset=None, dataset_path: Path | None = None, id_column=None):
    """Flagged rows ordered by issue_rank: the report's columns, then the dataset's columns."""
    from labelaudit.review.dataset import align, dataset_id_column

    frame = report.frame
    order = report.issue_order()
    flagged = frame.iloc[order].reset_index(drop=True)
    if dataset is None:
        return flagged
    joined = align(report, dataset, dataset_path, id_column).iloc[order].reset_index(drop=True)
    if "id" in report.columns:  # the report's own id column already identifies the row
        joined = joined.drop(columns=dataset_id_column(report, id_column))
    renamed = {c: f"{c}_dataset" for c in joined.columns if c in flagged.columns}
    return flagged.join(joined.rename(columns=renamed))


@dataclass(frozen=True)
class Changes:
    """Rows whose label apply() changes, in issue_rank order."""

    rows: np.ndarray
    ids: np.ndarray | None
    old: list
    new: list
    label_quality: np.ndarray
    suggestion_confidence: np.ndarray
    grade: list
    decisions: dict | None = None  # accept/keep/relabel counts when decisions chose the rows
    relabelled: np.ndarray | None = None  # True where a decision chose another class than the
    # suggestion (suggestion_confidence is then not the new label's probability)

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self):
        import pandas as pd

        data = {"row": self.rows}
        if self.ids is not None:
            data["id"] = self.ids
        data.update(
            old=self.old,
            new=self.new,
            score=self.label_quality,
            suggestion_confidence=self.suggestion_confidence,
            grade=self.grade,
        )
        return pd.DataFrame(data)


def select_changes(report: Report, min_confidence: float | None) -> np.ndarray:
    """Rows to relabel, in issue_rank order: flagged, with a different suggestion that is graded
    confident or whose suggestion_confidence is at least min_confidence."""
    cols = report.columns
    if "given_label" not in cols:
        raise InvalidInputError("apply works on single-label reports; this one is multi-label.")
    order = report.issue_order()
    differs = cols["suggested_label"][order] != cols["given_label"][order]
    chosen = np.zeros(len(order), dtype=bool)
    if "grade" in cols:
        chosen |= cols["grade"][order] == GRADE_CONFIDENT
    if min_confidence is not None:
        chosen |= cols["suggestion_confidence"][order] >= min_confidence
    return order[chosen & differs]


def plan_apply(
    report: Report,
    labels_path: Path,
    *,
    min_confidence=None,
    label_column="label",
    decisions: Path | None = None,
):
    """Read LABELS as written, check it is what the report audited, and list the changes.

    With decisions (a decisions.csv or a Label Studio JSON export), exactly the rows decided
    accept or relabel change, to the decided class; min_confidence is not used.
    """
    from labelaudit.review.decisions import ReportRows, check_decisions_path

    refuse_partial(report, "apply")
    refuse_kind(report, "apply", ("single-label", "token"))
    if report.metadata.get("task") == "multiannotator":
        raise InvalidInputError(
            "this report audited several annotators' labels; pass --annotations FILE (the "
            "annotations audited) to write their consensus labels."
        )

    if min_confidence is not None and not 0 <= min_confidence <= 1:
        raise InvalidInputError(f"--min-confidence must be in [0, 1], got {min_confidence}.")
    if decisions is not None:
        refuse_kind(report, "apply --decisions", ("single-label",))
        suffix = check_decisions_path(decisions)
    file = read_audited(report, labels_path, label_column)
    cols = report.columns
    counts = None
    if decisions is None:
        rows = select_changes(report, min_confidence)
        new_index = cols["suggested_label"][rows]
    else:
        decided = read_decisions(decisions, suffix, ReportRows(report))
        rows, new_index, counts = decided.rows, decided.new, decided.counts
    names = report.metadata.get("class_names")
    new_values = [file.encode(int(k), names) for k in new_index]
    changes = Changes(
        rows=rows,
        ids=cols["id"][rows] if "id" in cols else None,
        old=[_plain(file.values[r]) for r in rows],
        new=[_plain(v) for v in new_values],
        label_quality=cols["label_quality"][rows],
        suggestion_confidence=cols["suggestion_confidence"][rows],
        grade=[_plain(cols["grade"][r]) if "grade" in cols else None for r in rows],
        decisions=counts,
        relabelled=None if decisions is None else new_index != cols["suggested_label"][rows],
    )
    return file, changes


def read_decisions(path: Path, suffix: str, rows):
    """A decisions.csv or a Label Studio export (.json), checked against the report's rows."""
    from labelaudit.review.decisions import collect, read_decisions_csv
    from labelaudit.review.label_studio import read_export

    decided = read_export(path, rows) if suffix == ".json" else read_decisions_csv(path, rows)
    return collect(decided, rows)


def read_audited(report: Report, labels_path: Path, label_column: str):
    """The labels file as stored, refused unless it holds the labels the report audited."""
    from labelaudit.review.labels_file import LabelsFile
    from labelaudit.review.token_labels_file import TokenLabelsFile

    reader = TokenLabelsFile if report_kind(report) == "token" else LabelsFile
    file = reader.read(labels_path, label_column)
    cols = report.columns
    n = len(cols["row"])
    if len(file) != n:
        raise InvalidInputError(
            f"{labels_path} has {len(file)} labels but the report describes {n} examples."
        )
    names = report.metadata.get("class_names")
    given_index = cols["given_label"]
    current = file.as_indices(names)
    if current is not None:
        mismatch = np.flatnonzero(current != given_index)
        if len(mismatch):
            row = int(mismatch[0])
            raise InvalidInputError(
                f"{labels_path}: row {row} holds {file.values[row]!r} but the report audited "
                f"{_label_text(given_index[row], names)!r}; it is not the file this report "
                "describes (or it changed since): re-run the audit."
            )
    return file


def guard_apply_outputs(
    out: Path, report_path: Path, labels_path: Path, decisions: Path | None = None
) -> None:
    """The corrected labels keep the input's format, and neither they nor the change log is an
    input (checked through the one output guard before anything is read)."""
    from labelaudit.io.outputs import guard_output

    if out.suffix.lower() != labels_path.suffix.lower():
        raise InvalidInputError(
            f"--out {out}: write the corrected labels in the format of {labels_path} "
            f"({labels_path.suffix})."
        )
    inputs = [report_path, labels_path, decisions]
    guard_output(out, inputs, suffixes=None)
    guard_output(changelog_path(out), inputs, option="the change log", suffixes=None)


def export_flagged(
    report_path: Path, out: Path, *, dataset: Path | None = None, id_column: str | None = None
) -> int:
    """Write the flagged rows (worst first, joined with dataset's columns) to out; their count."""
    from labelaudit.io.outputs import guard_output
    from labelaudit.review.dataset import TABLE_SUFFIXES, read_dataset, write_table

    guard_output(
        out,
        [report_path, dataset],
        suffixes=TABLE_SUFFIXES,
        what=f"exports are {', '.join(TABLE_SUFFIXES)} files",
    )
    report = Report.read_parquet(report_path)
    table = None if dataset is None else read_dataset(dataset)
    frame = flagged_frame(report, table, dataset, id_column)
    write_table(frame, out)
    return len(frame)


def changelog_path(out: Path) -> Path:
    """The change log written beside the corrected labels: NAME.changes.csv."""
    return out.with_name(out.name.removesuffix(out.suffix) + ".changes.csv")


def write_apply(file, changes: Changes, out: Path) -> Path:
    """Write the corrected labels (same format as the input) and the change log, atomically."""
    from labelaudit.io.atomic import atomic_path

    log = changelog_path(out)
    corrected = file.with_changes(changes.rows, changes.new)
    # The log is renamed into place first: an interruption between the two renames leaves a log
    # of changes not yet applied, never corrected labels without their log.
    with atomic_path(out) as tmp:
        corrected.write(tmp)
        with atomic_path(log) as tmp_log:
            changes.frame().to_csv(tmp_log, index=False)
    return log


@dataclass(frozen=True)
class Diff:
    newly_flagged: np.ndarray
    no_longer_flagged: np.ndarray
    changed_suggestion: np.ndarray
    ids: np.ndarray | None = None  # the reports' ids (the same in both), None without

    @property
    def flags_differ(self) -> bool:
        """Whether the two flagged sets differ (what `diff --exit-code` exits 1 on)."""
        return bool(len(self.newly_flagged) or len(self.no_longer_flagged))

    def as_dict(self) -> dict:
        """Row positions per change, and `added`/`removed`/`changed` as {row, id} records (id
        null when the reports have none)."""
        return {
            "flags_differ": self.flags_differ,
            "newly_flagged": self.newly_flagged.tolist(),
            "no_longer_flagged": self.no_longer_flagged.tolist(),
            "changed_suggestion": self.changed_suggestion.tolist(),
            "added": self._records(self.newly_flagged),
            "removed": self._records(self.no_longer_flagged),
            "changed": self._records(self.changed_suggestion),
        }

    def _records(self, rows: np.ndarray) -> list[dict]:
        ids = self.ids
        return [
            {"row": int(i), "id": None if ids is None else _plain(ids[i])} for i in rows.tolist()
        ]


def diff_reports(old: Report, new: Report, old_path: Path, new_path: Path) -> Diff:
    """Row positions newly flagged, no longer flagged, and flagged in both with a new suggestion."""
    refuse_partial(old, "diff")
    refuse_partial(new, "diff")
    a, b = old.columns, new.columns
    if len(a["row"]) != len(b["row"]):
        raise InvalidInputError(
            f"{old_path} describes {len(a['row'])} examples but {new_path} {len(b['row'])}; "
            "diff compares two audits of the same examples."
        )
    if ("id" in a) != ("id" in b) or ("id" in a and not np.array_equal(a["id"], b["id"])):
        raise InvalidInputError(
            f"{old_path} and {new_path} do not list the same ids in the same order."
        )
    if report_kind(old) != report_kind(new):
        raise InvalidInputError(
            f"{old_path} is a {report_kind(old)} report and {new_path} a {report_kind(new)} one; "
            "diff compares two reports of the same kind."
        )
    fa, fb = a["is_label_issue"], b["is_label_issue"]
    key = next((k for k in ("suggested_label", "suggested_class") if k in a), None)
    if key:
        changed = fa & fb & (a[key] != b[key])
    else:
        changed = (
            fa
            & fb
            & np.array(
                [
                    set(x.tolist()) != set(y.tolist())
                    for x, y in zip(a["suggested_labels"], b["suggested_labels"], strict=True)
                ]
            )
        )
    rank = np.where(b["issue_rank"] > 0, b["issue_rank"], np.iinfo(np.int64).max)
    newly = np.flatnonzero(fb & ~fa)
    return Diff(
        newly_flagged=newly[np.argsort(rank[newly], kind="stable")],
        no_longer_flagged=np.flatnonzero(fa & ~fb),
        changed_suggestion=np.flatnonzero(changed),
        ids=b.get("id"),
    )


def report_kind(report: Report) -> str:
    """single-label, multi-label, segmentation, token or regression: what one row describes."""
    if report.metadata.get("task") in ("segmentation", "token", "regression"):
        return report.metadata["task"]
    return "single-label" if "given_label" in report.columns else "multi-label"


def refuse_kind(report: Report, command: str, allowed: tuple[str, ...]) -> None:
    """One sentence when a command has no meaning for this kind of report."""
    kind = report_kind(report)
    if kind not in allowed:
        raise InvalidInputError(
            f"{command} works on {' and '.join(allowed)} reports; this one is {kind}."
        )


def refuse_partial(report: Report, command: str) -> None:
    if report.metadata.get("only_flagged"):
        raise InvalidInputError(
            f"{command} needs a report of every row; this one was written with --only-flagged."
        )


def _label_text(index: int, names) -> str:
    return str(names[index]) if names else str(index)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
