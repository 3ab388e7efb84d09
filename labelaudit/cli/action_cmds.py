"""`labelaudit export` and `apply`: flagged rows to a labeling tool, corrections to a new file."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.consensus_apply import AnnotationsToApply, apply_consensus
from labelaudit.cli.options import DatasetOption, Debug, IdColumn, Json, Quiet, ReportPath
from labelaudit.cli.review_render import print_changes, print_changes_json, print_decisions

DecisionsOption = Annotated[
    Path | None,
    typer.Option(
        "--decisions",
        metavar="PATH",
        help="A reviewer's decisions: decisions.csv from the review page "
        "(row,id,given_label,decision,new_label) or a Label Studio JSON export. Only the "
        "rows decided accept or relabel change; --min-confidence does not apply.",
        show_default=False,
    ),
]
MinConfidence = Annotated[
    float | None,
    typer.Option(
        "--min-confidence",
        help="Also apply suggestions whose suggestion_confidence is at least this (not with "
        "--decisions: then only decided rows change).",
        show_default="only suggestions graded confident",
    ),
]


class ExportFormat(StrEnum):
    table = "table"
    label_studio = "label-studio"
    label_studio_config = "label-studio-config"


def export_command(
    report: ReportPath,
    out: Annotated[
        Path,
        typer.Option(
            metavar="PATH",
            help="Output file: .csv, .parquet or .jsonl (by extension) for --format table, "
            ".json for label-studio, .xml for label-studio-config.",
            show_default=False,
        ),
    ],
    dataset: DatasetOption = None,
    id_column: IdColumn = None,
    export_format: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="table: the flagged rows as a table; label-studio: one Label Studio task per "
            "flagged row, the suggestion as its prediction; label-studio-config: the labeling "
            "config (XML) for those tasks.",
        ),
    ] = ExportFormat.table,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Export flagged rows, most likely wrong first, joined with the dataset's columns.

    The file is ready to load into a labeling tool. Rows are joined by the report's id column,
    else by position; dataset columns named like report columns get a `_dataset` suffix.
    Label Studio tasks carry every dataset column, the id, `row` and `label_quality` in
    `data`; export the finished project as JSON and give it to `apply --decisions`.

    Example:

        labelaudit export report.parquet --dataset data.csv --out flagged.csv
        labelaudit export report.parquet --dataset data.csv --format label-studio --out tasks.json
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.review.actions import export_flagged
        from labelaudit.review.label_studio import export_label_studio

        if export_format is ExportFormat.table:
            count = export_flagged(report, out, dataset=dataset, id_column=id_column)
        else:
            count = export_label_studio(
                report,
                out,
                config_only=export_format is ExportFormat.label_studio_config,
                dataset=dataset,
                id_column=id_column,
            )
        if quiet:
            return
        if export_format is ExportFormat.label_studio_config:
            console.out.print(f"Wrote the Label Studio labeling config to [bold]{out}[/]")
        else:
            console.out.print(f"Exported {count:,} flagged rows to [bold]{out}[/]")


def apply_command(
    report: ReportPath,
    labels: Annotated[
        Path | None,
        typer.Option(metavar="PATH", help="The labels file that was audited.", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Where to write the corrected labels (same format as --labels; never the input).",
            show_default=False,
        ),
    ] = None,
    decisions: DecisionsOption = None,
    min_confidence: MinConfidence = None,
    label_column: Annotated[
        str, typer.Option(help="Label column of a .csv/.parquet LABELS file.")
    ] = "label",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    annotations: AnnotationsToApply = None,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Write corrected labels to a new file, never in place.

    Only flagged rows whose suggestion is graded `confident`, or whose suggestion_confidence
    reaches --min-confidence, change; everything else is copied as is (a CSV byte for byte).
    With --decisions, exactly the rows a reviewer accepted or relabelled change, whatever
    their confidence. A change log (OUT.changes.csv: row, id, old, new, score) is written
    beside the new file.

    Example:

        labelaudit apply report.parquet --labels labels.csv --out labels_fixed.csv --dry-run
        labelaudit apply report.parquet --labels labels.csv --decisions decisions.csv --out fixed.csv

        labelaudit apply report.parquet --annotations annotators.csv --out consensus.csv
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.errors import ConfigError
        from labelaudit.report import Report
        from labelaudit.review.actions import guard_apply_outputs, plan_apply, write_apply

        if annotations is not None:
            return apply_consensus(report, annotations, out, **_rest(locals()))
        _need(labels)
        if out is None and not dry_run:
            raise ConfigError("give --out for the corrected labels, or --dry-run.")
        if out is not None:
            guard_apply_outputs(out, report, labels, decisions)
        loaded = Report.read_parquet(report)
        file, changes = plan_apply(
            loaded,
            labels,
            min_confidence=None if decisions is not None else min_confidence,
            label_column=label_column,
            decisions=decisions,
        )
        _note_choice(loaded, decisions, min_confidence)  # once the report is known to apply
        if json_output:
            print_changes_json(changes)
        elif not quiet:
            print_decisions(changes, decisions)
            print_changes(changes, dry_run)
        if dry_run:
            return
        log = write_apply(file, changes, out)
        if not quiet and not json_output:
            console.out.print(
                f"Wrote [bold]{out}[/] ({len(changes):,} of {len(file):,} labels changed) and "
                f"the change log {log}"
            )


def _note_choice(report, decisions, min_confidence) -> None:
    """Say so when --min-confidence is ignored (with decisions), or when nothing would choose
    suggestions (no grades, no --min-confidence)."""
    if decisions is not None:
        if min_confidence is not None:
            console.err.print(
                "[yellow]note:[/] --min-confidence is not used with --decisions: only the "
                "decided rows change."
            )
    elif "grade" not in report.columns and min_confidence is None:
        console.err.print(
            "[yellow]note:[/] this report has no grades (confident learning); pass "
            "--min-confidence to choose which suggestions to apply."
        )


def _rest(options: dict) -> dict:
    """apply's other options, which apply --annotations refuses or passes on."""
    keys = ("labels", "min_confidence", "label_column", "dry_run", "decisions")
    return {**{k: options[k] for k in keys}, "quiet": options["quiet"] or options["json_output"]}


def _need(labels) -> None:
    from labelaudit.errors import ConfigError

    if labels is None:
        raise ConfigError(
            "give --labels (the labels file that was audited), or --annotations for a report of "
            "`audit --annotations`."
        )
