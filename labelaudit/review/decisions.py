"""A reviewer's decisions (decisions.csv from the review page, or a Label Studio export), checked
against the report they were made on, as the rows `apply` changes and their new classes."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report

HEADER = ("row", "id", "given_label", "decision", "new_label")
DECISIONS = ("accept", "keep", "relabel")
DECISION_SUFFIXES = (".csv", ".json")


@dataclass(frozen=True)
class Decided:
    """One decision: the report row, accept/keep/relabel, the new class (None for keep), and
    where it was read ("decisions.csv line 4"), for the sentence that refuses it."""

    row: int
    decision: str
    new_label: int | None
    where: str


@dataclass(frozen=True)
class Decisions:
    """The checked decisions: rows to change (accept or relabel to another class than the given
    one) with their new class indices, in issue_rank order, and a count per decision."""

    rows: np.ndarray
    new: np.ndarray
    counts: dict[str, int]


class ReportRows:
    """What decisions are checked against: row count, K, given and suggested labels, ids."""

    def __init__(self, report: Report) -> None:
        cols = report.columns
        self.report = report
        self.n = len(cols["row"])
        self.k = int(report.metadata.get("k") or int(cols["given_label"].max()) + 1)
        self.given = cols["given_label"]
        self.suggested = cols["suggested_label"]
        self.ids = cols.get("id")

    def check_row(self, row: int, where: str) -> int:
        if not 0 <= row < self.n:
            raise InvalidInputError(
                f"{where}: row {row} is out of range; the report has {self.n} rows "
                f"(0 to {self.n - 1})."
            )
        return row

    def check_id(self, row: int, value, where: str) -> None:
        """value (text or a JSON value; "" or None when absent) must be the report's id."""
        if self.ids is None:
            return  # without ids the report joins by position: there is nothing to check
        expected = _plain(self.ids[row])
        if value is None or value == "":
            raise InvalidInputError(
                f"{where}: row {row} has no id but the report says {expected!r}."
            )
        if not same_id(expected, value):
            raise InvalidInputError(
                f"{where}: row {row}'s id is {value!r} but the report says {expected!r}."
            )

    def decide(self, row: int, chosen: int, where: str) -> Decided:
        """A reviewer's class for row as a decision: the suggestion is accepted, the given
        label kept, any other class a relabel."""
        if chosen == self.suggested[row]:
            return Decided(row, "accept", chosen, where)
        if chosen == self.given[row]:
            return Decided(row, "keep", None, where)
        return Decided(row, "relabel", chosen, where)


def single_label_only(report: Report, command: str) -> None:
    """Decisions are about one class per row: refuse other kinds of report."""
    task = report.metadata.get("task")
    if "given_label" not in report.columns or task in ("segmentation", "token"):
        kind = task if task in ("segmentation", "token") else "multi-label"
        raise InvalidInputError(f"{command} works on single-label reports; this one is {kind}.")


def check_decisions_path(path: Path) -> str:
    """The suffix of a decisions file (.csv or .json), refusing anything else or a missing file."""
    suffix = Path(path).suffix.lower()
    if suffix not in DECISION_SUFFIXES:
        raise InvalidInputError(
            f"--decisions {path}: use a decisions.csv from the review page or a Label Studio "
            "JSON export (.json)."
        )
    if not Path(path).is_file():
        raise InvalidInputError(f"--decisions {path}: no such file.")
    return suffix


def collect(decided: list[Decided], rows: ReportRows) -> Decisions:
    """Refuse a row decided twice; the changes in issue_rank order (unflagged rows after, by
    row). A decision for the class the row already has changes nothing and is left out."""
    first: dict[int, str] = {}
    for item in decided:
        if item.row in first:
            raise InvalidInputError(
                f"{item.where}: row {item.row} is decided twice (first at {first[item.row]})."
            )
        first[item.row] = item.where
    counts = {name: sum(d.decision == name for d in decided) for name in DECISIONS}
    changing = [d for d in decided if d.new_label is not None and d.new_label != rows.given[d.row]]
    changed = np.array([d.row for d in changing], dtype=np.int64)
    new = np.array([d.new_label for d in changing], dtype=np.int64)
    rank = rows.report.columns["issue_rank"][changed]
    order = np.lexsort((changed, np.where(rank > 0, rank, np.iinfo(np.int64).max)))
    return Decisions(rows=changed[order], new=new[order], counts=counts)


def read_decisions_csv(path: Path, rows: ReportRows) -> list[Decided]:
    """The lines of a decisions.csv (header row,id,given_label,decision,new_label), checked."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{path}: not a UTF-8 text file.") from exc
    reader = csv.reader(text.splitlines(keepends=True))
    header = next(reader, None)
    if header is None or tuple(h.strip() for h in header) != HEADER:
        raise InvalidInputError(
            f"{path} line 1: the header must be {','.join(HEADER)}, got "
            f"{','.join(header or []) or 'an empty file'}."
        )
    decided = []
    for fields in reader:
        where = f"{path} line {reader.line_num}"
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(HEADER):
            raise InvalidInputError(
                f"{where}: expected {len(HEADER)} fields ({','.join(HEADER)}), got {len(fields)}."
            )
        decided.append(
            _csv_decision(dict(zip(HEADER, (f.strip() for f in fields), strict=True)), rows, where)
        )
    return decided


def _csv_decision(line: dict[str, str], rows: ReportRows, where: str) -> Decided:
    row = rows.check_row(_integer(line["row"], "row", where), where)
    given = _integer(line["given_label"], "given_label", where)
    if given != rows.given[row]:
        raise InvalidInputError(
            f"{where}: row {row}'s given_label is {given} but the report says {rows.given[row]}."
        )
    rows.check_id(row, line["id"], where)
    decision, new = line["decision"], line["new_label"]
    if decision not in DECISIONS:
        raise InvalidInputError(
            f"{where}: unknown decision {decision!r}; use {', '.join(DECISIONS)}."
        )
    if decision == "keep":
        if new:
            raise InvalidInputError(
                f"{where}: row {row} is kept but has new_label {new!r}; leave it empty for keep."
            )
        return Decided(row, decision, None, where)
    if not new:
        raise InvalidInputError(
            f"{where}: row {row} is decided {decision} but new_label is empty; give the class "
            "index."
        )
    label = _integer(new, "new_label", where)
    if not 0 <= label < rows.k:
        raise InvalidInputError(
            f"{where}: row {row}'s new_label {label} is not a class index (0 to {rows.k - 1})."
        )
    if decision == "accept" and label != rows.suggested[row]:
        raise InvalidInputError(
            f"{where}: row {row} is accepted with new_label {label} but the report suggests "
            f"{rows.suggested[row]}."
        )
    return Decided(row, decision, label, where)


def _integer(text: str, name: str, where: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InvalidInputError(f"{where}: {name} {text!r} is not an integer.") from None


def same_id(expected, value) -> bool:
    """A report id and one read back from text or JSON: equal as written, or as numbers."""
    if str(expected) == str(value):
        return True
    try:
        return float(expected) == float(value)
    except (TypeError, ValueError):
        return False


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value
