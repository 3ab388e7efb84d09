"""`labelaudit report`, `export`, `apply` and `diff`: from a report to action."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json, Quiet

ReportPath = Annotated[
    Path, typer.Argument(metavar="REPORT", help="A report written by `labelaudit audit`.")
]
DatasetOption = Annotated[
    Path | None,
    typer.Option(
        "--dataset",
        metavar="PATH",
        help="The dataset (.csv, .parquet or .jsonl) to join: by the report's id column, else "
        "by row position.",
        show_default=False,
    ),
]
IdColumn = Annotated[
    str | None,
    typer.Option(help="Id column of --dataset.", show_default="the report's id column"),
]


def _image_root(image_root: Path | None, dataset: Path | None) -> Path | None:
    from labelaudit.errors import InvalidInputError

    if image_root is not None:
        if not image_root.is_dir():
            raise InvalidInputError(f"--image-root {image_root}: not a directory.")
        return image_root.resolve()
    return None if dataset is None else dataset.resolve().parent


def report_command(
    report: ReportPath,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="PATH",
            help="Write a self-contained HTML review page (no network access needed).",
            show_default=False,
        ),
    ] = None,
    dataset: DatasetOption = None,
    id_column: IdColumn = None,
    image_column: Annotated[
        str | None,
        typer.Option(
            help="Dataset column of image paths (relative to the dataset file) to show as "
            "thumbnails.",
            show_default="detected: image, path, file... holding image file names",
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option(
            help="Dataset column of text to show.", show_default="detected: text, sentence..."
        ),
    ] = None,
    image_root: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            file_okay=False,
            help="Embed images only from DIR or below (relative paths are read from DIR); "
            "images named outside it are listed as not embedded.",
            show_default="the folder of the --dataset file",
        ),
    ] = None,
    max_rows: Annotated[
        int, typer.Option(min=1, help="Most flagged rows in the HTML table (worst first).")
    ] = 5000,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Summarise a report in the terminal, or write an HTML review page with --html.

    The page holds the summary, the estimated noise matrix as a heatmap, flags per class,
    label_quality histograms, and a sortable, filterable table of the flagged rows with image
    thumbnails or text when --dataset has them.

    Example:

        labelaudit report report.parquet --html review.html --dataset data.csv
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.cli.render import print_json, print_summary
        from labelaudit.report import Report

        loaded = Report.read_parquet(report)
        if html_out is None:
            summary = loaded.summary()
            if json_output:
                print_json(console.out, summary)
            elif not quiet:
                print_summary(console.out, summary)
            return
        from labelaudit.errors import InvalidInputError
        from labelaudit.io.atomic import atomic_path
        from labelaudit.review import html
        from labelaudit.review.dataset import align, check_new_output, read_dataset

        if html_out.suffix.lower() not in (".html", ".htm"):
            raise InvalidInputError(f"--html {html_out}: name the page *.html.")
        check_new_output(html_out, [report, dataset])
        rows = None
        if dataset is not None:
            rows = align(loaded, read_dataset(dataset), dataset, id_column)
            for name, value in (("--image-column", image_column), ("--text-column", text_column)):
                if value is not None and value not in rows.columns:
                    raise InvalidInputError(f"{dataset}: no column {value!r} for {name}.")
            image_column = image_column or html.guess_column(rows, html.IMAGE_COLUMNS, images=True)
            text_column = text_column or html.guess_column(rows, html.TEXT_COLUMNS, images=False)
        elif image_column or text_column:
            raise InvalidInputError("--image-column and --text-column need --dataset.")
        with console.stage(f"Writing {html_out}", quiet=quiet):
            page = html.render(
                loaded,
                dataset=rows,
                dataset_dir=_image_root(image_root, dataset),
                image_column=image_column,
                text_column=text_column,
                max_rows=max_rows,
                title=f"labelaudit review: {report.name}",
            )
            with atomic_path(html_out) as tmp:
                tmp.write_text(page, encoding="utf-8")
        if not quiet:
            console.out.print(
                f"Review page: [bold]{html_out}[/] ({loaded.num_issues:,} flagged rows)"
            )


def export_command(
    report: ReportPath,
    out: Annotated[
        Path,
        typer.Option(
            metavar="PATH",
            help="Output file: .csv, .parquet or .jsonl (by extension).",
            show_default=False,
        ),
    ],
    dataset: DatasetOption = None,
    id_column: IdColumn = None,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Export flagged rows, most likely wrong first, joined with the dataset's columns.

    The file is ready to load into a labeling tool. Rows are joined by the report's id column,
    else by position; dataset columns named like report columns get a `_dataset` suffix.

    Example:

        labelaudit export report.parquet --dataset data.csv --out flagged.csv
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.report import Report
        from labelaudit.review.actions import flagged_frame
        from labelaudit.review.dataset import check_new_output, read_dataset, write_table

        check_new_output(out, [report, dataset])
        loaded = Report.read_parquet(report)
        table = None if dataset is None else read_dataset(dataset)
        frame = flagged_frame(loaded, table, dataset, id_column)
        write_table(frame, out)
        if not quiet:
            console.out.print(f"Exported {len(frame):,} flagged rows to [bold]{out}[/]")


def apply_command(
    report: ReportPath,
    labels: Annotated[
        Path,
        typer.Option(metavar="PATH", help="The labels file that was audited.", show_default=False),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Where to write the corrected labels (same format as --labels; never the input).",
            show_default=False,
        ),
    ] = None,
    min_confidence: Annotated[
        float | None,
        typer.Option(
            help="Also apply suggestions whose suggestion_confidence is at least this.",
            show_default="only suggestions graded confident",
        ),
    ] = None,
    label_column: Annotated[
        str, typer.Option(help="Label column of a .csv/.parquet LABELS file.")
    ] = "label",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; write nothing.")
    ] = False,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Write corrected labels to a new file, never in place.

    Only flagged rows whose suggestion is graded `confident`, or whose suggestion_confidence
    reaches --min-confidence, change; everything else is copied as is. A change log
    (OUT.changes.csv: row, id, old, new, score) is written beside the new file.

    Example:

        labelaudit apply report.parquet --labels labels.csv --out labels_fixed.csv --dry-run
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.errors import ConfigError, InvalidInputError
        from labelaudit.report import Report
        from labelaudit.review.actions import changelog_path, plan_apply, write_apply
        from labelaudit.review.dataset import check_new_output

        if out is None and not dry_run:
            raise ConfigError("give --out for the corrected labels, or --dry-run.")
        if out is not None:
            if out.suffix.lower() != labels.suffix.lower():
                raise InvalidInputError(
                    f"--out {out}: write the corrected labels in the format of {labels} "
                    f"({labels.suffix})."
                )
            check_new_output(out, [report, labels])
            check_new_output(changelog_path(out), [report, labels])
        loaded = Report.read_parquet(report)
        file, changes = plan_apply(
            loaded, labels, min_confidence=min_confidence, label_column=label_column
        )
        if "grade" not in loaded.columns and min_confidence is None:
            console.err.print(
                "[yellow]note:[/] this report has no grades (confident learning); pass "
                "--min-confidence to choose which suggestions to apply."
            )
        if json_output:
            import json

            frame = changes.frame()
            console.out.print_json(json.dumps(frame.to_dict(orient="records"), default=str))
        elif not quiet:
            _print_changes(changes, dry_run)
        if dry_run:
            return
        log = write_apply(file, changes, out)
        if not quiet and not json_output:
            console.out.print(
                f"Wrote [bold]{out}[/] ({len(changes):,} of {len(file):,} labels changed) and "
                f"the change log {log}"
            )


def _print_changes(changes, dry_run: bool) -> None:
    from rich.markup import escape
    from rich.table import Table

    verb = "would change" if dry_run else "changes"
    console.out.print(f"[bold]{len(changes):,}[/] labels {verb}")
    if not len(changes):
        return
    table = Table(title="Changes (most likely wrong first)", title_justify="left")
    for col in ("row", "id", "old", "new", "score", "p(new)"):
        if col == "id" and changes.ids is None:
            continue
        table.add_column(col, justify="right" if col in ("row", "score", "p(new)") else "left")
    for i in range(min(len(changes), 20)):
        cells = [str(changes.rows[i])]
        if changes.ids is not None:
            cells.append(escape(str(changes.ids[i])))
        cells += [
            escape(str(changes.old[i])),
            escape(str(changes.new[i])),
            f"{changes.label_quality[i]:.4f}",
            f"{changes.suggestion_confidence[i]:.3f}",
        ]
        table.add_row(*cells)
    console.out.print(table)
    if len(changes) > 20:
        console.out.print(f"… and {len(changes) - 20:,} more")


def diff_command(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier report.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later report.")],
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Compare two audits of the same examples.

    Lists rows newly flagged, no longer flagged, and flagged in both with a different
    suggestion.

    Example:

        labelaudit diff last_week.parquet today.parquet
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.report import Report
        from labelaudit.review.actions import diff_reports

        a, b = Report.read_parquet(old), Report.read_parquet(new)
        result = diff_reports(a, b, old, new)
        if json_output:
            import json

            console.out.print_json(json.dumps(result.as_dict()))
            return
        if quiet:
            return
        _print_diff(result, a, b)


def _print_diff(result, a, b) -> None:
    from rich.table import Table

    console.out.print(
        f"[bold]{len(result.newly_flagged):,}[/] newly flagged, "
        f"[bold]{len(result.no_longer_flagged):,}[/] no longer flagged, "
        f"[bold]{len(result.changed_suggestion):,}[/] with a changed suggestion "
        f"({a.num_issues:,} → {b.num_issues:,} flagged)"
    )
    single = "given_label" in b.columns

    def name(report, i, key):
        value = report.columns[key][i]
        return report.class_name(int(value)) if single else str(list(value))

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
        key_given = "given_label" if single else "given_labels"
        key_suggested = "suggested_label" if single else "suggested_labels"
        for i in rows[:20].tolist():
            table.add_row(
                str(i),
                name(report, i, key_given),
                name(a, i, key_suggested),
                name(b, i, key_suggested),
                f"{b.columns['label_quality'][i]:.4f}",
            )
        console.out.print(table)
        if len(rows) > 20:
            console.out.print(f"… and {len(rows) - 20:,} more")
