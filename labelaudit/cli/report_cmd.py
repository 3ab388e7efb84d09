"""`labelaudit report`: a report's summary in the terminal, or an HTML review page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import DatasetOption, Debug, IdColumn, Json, Quiet, ReportPath

HtmlOut = Annotated[
    Path | None,
    typer.Option(
        "--html",
        metavar="PATH",
        help="Write a self-contained HTML review page (no network access needed).",
        show_default=False,
    ),
]
ImageColumn = Annotated[
    str | None,
    typer.Option(
        help="Dataset column of image paths (relative to the dataset file) to show as thumbnails.",
        show_default="detected: image, path, file... holding image file names",
    ),
]
TextColumn = Annotated[
    str | None,
    typer.Option(
        help="Dataset column of text to show.", show_default="detected: text, sentence..."
    ),
]
ImageRoot = Annotated[
    Path | None,
    typer.Option(
        metavar="DIR",
        file_okay=False,
        help="Embed images only from DIR or below (relative paths are read from DIR); "
        "images named outside it are listed as not embedded. Segmentation reports: image ROW "
        "is DIR/ROW.png (.jpg, .webp, ...; DIR/ID.png when the report has ids).",
        show_default="the folder of the --dataset file",
    ),
]
MaxRows = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Most flagged rows the page lists, images of a segmentation page or sentences "
        "of a token page (worst first); the page says when it shows fewer.",
        show_default="5000 rows, 100 images, 500 sentences",
    ),
]
AllRows = Annotated[
    bool,
    typer.Option(
        "--all-rows",
        help="List every row of the report, flagged first, with no --max-rows cap "
        "(the page filters to flagged rows on demand).",
    ),
]
PixelMask = Annotated[
    Path | None,
    typer.Option(
        metavar="PIXELS.npy",
        dir_okay=False,
        help="Segmentation: the audit's --pixel-mask-out file, drawn over each flagged image "
        "(needs Pillow: pip install 'labelaudit\\[images]').",
        show_default=False,
    ),
]
Masks = Annotated[
    Path | None,
    typer.Option(
        metavar="MASKS.npy",
        dir_okay=False,
        help="Segmentation: the audit's --labels masks, drawn in colour beside each image.",
        show_default=False,
    ),
]


def report_command(
    report: ReportPath,
    html_out: HtmlOut = None,
    dataset: DatasetOption = None,
    id_column: IdColumn = None,
    image_column: ImageColumn = None,
    text_column: TextColumn = None,
    image_root: ImageRoot = None,
    max_rows: MaxRows = None,
    all_rows: AllRows = False,
    pixel_mask: PixelMask = None,
    masks: Masks = None,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Summarise a report in the terminal, or write an HTML review page with --html.

    The page holds the summary, the estimated noise matrix as a heatmap, flags per class,
    label_quality histograms, and a sortable, filterable table of the flagged rows with image
    thumbnails or text when --dataset has them. Decide on each row from the keyboard: j/k move,
    a accepts the suggestion, x keeps the given label, 0-9 or / relabels, u undoes, ? lists the
    keys. Decisions stay in the browser across reloads; "Download decisions" saves
    decisions.csv (row,id,given_label,decision,new_label) for apply --decisions. A segmentation
    report's page shows each flagged image with its given mask and the flagged pixels of
    --pixel-mask over both; a token report's page shows each flagged sentence with its suspect
    tokens and their given and suggested tags.

    Examples:

        labelaudit report report.parquet --html review.html --dataset data.csv --all-rows

        labelaudit report seg.parquet --html seg.html --pixel-mask pixels.npy --image-root img
    """
    with console.handled(debug=debug, quiet=quiet):
        if html_out is None:
            from labelaudit.cli.render import print_json, print_summary
            from labelaudit.report import Report

            summary = Report.read_parquet(report).summary()
            if json_output:
                print_json(console.out, summary)
            elif not quiet:
                print_summary(console.out, summary)
            return
        from labelaudit.review.page import write_review_page

        with console.stage(f"Writing {html_out}", quiet=quiet):
            loaded = write_review_page(
                report,
                html_out,
                dataset=dataset,
                id_column=id_column,
                image_column=image_column,
                text_column=text_column,
                image_root=image_root,
                max_rows=max_rows,
                all_rows=all_rows,
                pixel_mask=pixel_mask,
                masks=masks,
            )
        if not quiet:
            unit = {"segmentation": "images", "token": "tokens"}.get(
                loaded.metadata.get("task"), "rows"
            )
            console.out.print(
                f"Review page: [bold]{html_out}[/] ({loaded.num_issues:,} flagged {unit})"
            )
