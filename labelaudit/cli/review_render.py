"""Terminal rendering of apply's changes and of a diff between two reports."""

from __future__ import annotations

import json

from rich.markup import escape
from rich.table import Table

from labelaudit.cli import console

# Rows shown per table; the rest are counted.
ROWS_SHOWN = 20


def print_changes_json(changes) -> None:
    """The planned changes as a JSON list of records on stdout."""
    frame = changes.frame()
    console.out.print_json(json.dumps(frame.to_dict(orient="records"), default=str))


def print_decisions(changes, path) -> None:
    """How many rows the decisions file accepted, kept and relabelled (nothing without one)."""
    if changes.decisions is None:
        return
    counts = changes.decisions
    console.out.print(
        f"{escape(str(path))}: {counts['accept']:,} accepted, {counts['keep']:,} kept, "
        f"{counts['relabel']:,} relabelled"
    )


def print_changes(changes, dry_run: bool) -> None:
    verb = "would change" if dry_run else "changes"
    console.out.print(f"[bold]{len(changes):,}[/] labels {verb}")
    if not len(changes):
        return
    table = Table(title="Changes (most likely wrong first)", title_justify="left")
    for col in ("row", "id", "old", "new", "score", "p(new)"):
        if col == "id" and changes.ids is None:
            continue
        table.add_column(col, justify="right" if col in ("row", "score", "p(new)") else "left")
    for i in range(min(len(changes), ROWS_SHOWN)):
        cells = [str(changes.rows[i])]
        if changes.ids is not None:
            cells.append(escape(str(changes.ids[i])))
        cells += [
            escape(str(changes.old[i])),
            escape(str(changes.new[i])),
            f"{changes.label_quality[i]:.4f}",
            "–"  # a reviewer's own class: the suggestion's confidence is not its probability
            if changes.relabelled is not None and changes.relabelled[i]
            else f"{changes.suggestion_confidence[i]:.3f}",
        ]
        table.add_row(*cells)
    console.out.print(table)
    if len(changes) > ROWS_SHOWN:
        console.out.print(f"… and {len(changes) - ROWS_SHOWN:,} more")


def print_diff(result, a, b) -> None:
    console.out.print(
        f"[bold]{len(result.newly_flagged):,}[/] newly flagged, "
        f"[bold]{len(result.no_longer_flagged):,}[/] no longer flagged, "
        f"[bold]{len(result.changed_suggestion):,}[/] with a changed suggestion "
        f"({a.num_issues:,} → {b.num_issues:,} flagged)"
    )
    # The given and suggested columns of each kind of report (segmentation: per image).
    key_given, key_suggested = {
        "given_label": ("given_label", "suggested_label"),
        "given_labels": ("given_labels", "suggested_labels"),
        "worst_class": ("worst_class", "suggested_class"),
    }[next(k for k in ("given_label", "given_labels", "worst_class") if k in b.columns)]

    def name(report, i, key):
        import numpy as np

        value = report.columns[key][i]
        if np.ndim(value):
            return str(list(value))
        return report.class_name(int(value)) if value >= 0 else "–"

    for title, rows, report in (
        ("Newly flagged", result.newly_flagged, b),
        ("No longer flagged", result.no_longer_flagged, a),
        ("Changed suggestion", result.changed_suggestion, b),
    ):
        if not len(rows):
            continue
        table = Table(title=title, title_justify="left")
        for col in ("row", "given", "suggested (old)", "suggested (new)", "quality (new)"):
            table.add_column(col)
        for i in rows[:ROWS_SHOWN].tolist():
            table.add_row(
                str(i),
                name(report, i, key_given),
                name(a, i, key_suggested),
                name(b, i, key_suggested),
                f"{b.columns['label_quality'][i]:.4f}",
            )
        console.out.print(table)
        if len(rows) > ROWS_SHOWN:
            console.out.print(f"… and {len(rows) - ROWS_SHOWN:,} more")
