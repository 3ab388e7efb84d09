"""The review page as a library call: read a report (and its dataset), write one HTML file."""

from __future__ import annotations

from pathlib import Path

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report

PAGE_SUFFIXES = (".html", ".htm")
DEFAULT_MAX_ROWS = 5000  # rows in the classification page's table


def image_root_for(image_root: Path | None, dataset: Path | None) -> Path | None:
    """The folder images may be embedded from: --image-root, else the dataset's own folder."""
    if image_root is not None:
        if not image_root.is_dir():
            raise InvalidInputError(f"--image-root {image_root}: not a directory.")
        return image_root.resolve()
    return None if dataset is None else dataset.resolve().parent


def write_review_page(
    report_path: Path,
    out: Path,
    *,
    dataset: Path | None = None,
    id_column: str | None = None,
    image_column: str | None = None,
    text_column: str | None = None,
    image_root: Path | None = None,
    max_rows: int | None = None,
    pixel_mask: Path | None = None,
    masks: Path | None = None,
    all_rows: bool = False,
) -> Report:
    """Write a self-contained review page for the report at report_path; the report read.

    Rows of --dataset are joined by the report's id column, else by position; images are embedded
    only from image_root (default: the dataset's folder) or below. The page lists the flagged
    rows, the max_rows (default 5000) most likely wrong first, or with all_rows every row. Every
    check runs before the page is rendered, and the page is written atomically through the output
    guard. Segmentation and token reports get their own pages (review/task_pages.py): pixel_mask
    and masks are the segmentation audit's files, max_rows caps the images or sentences shown.
    """
    from labelaudit.io.formats import sha256_of
    from labelaudit.io.outputs import guard_output
    from labelaudit.review import html

    guard_output(
        out,
        [report_path, dataset, pixel_mask, masks],
        option="--html",
        suffixes=PAGE_SUFFIXES,
        what="review pages are HTML files",
    )
    from labelaudit.review.actions import refuse_kind
    from labelaudit.review.task_pages import refuse_pixel_options, render_task_page, task_of

    if all_rows and max_rows is not None:
        raise InvalidInputError("--all-rows lists every row; drop --max-rows.")
    report = Report.read_parquet(report_path)
    title = f"labelaudit review: {Path(report_path).name}"
    if task_of(report) is not None:
        _write(
            out,
            render_task_page(
                report,
                title=title,
                pixel_mask=pixel_mask,
                masks=masks,
                image_root=image_root,
                max_rows=max_rows,
                dataset=dataset,
                id_column=id_column,
                image_column=image_column,
                text_column=text_column,
            ),
        )
        return report
    refuse_pixel_options(report, pixel_mask=pixel_mask, masks=masks)
    refuse_kind(report, "the review page", ("single-label", "multi-label"))
    rows, image_column, text_column = _dataset_rows(
        report, dataset, id_column, image_column, text_column
    )
    page = html.render(
        report,
        dataset=rows,
        dataset_dir=image_root_for(image_root, dataset),
        image_column=image_column,
        text_column=text_column,
        report_hash=sha256_of(Path(report_path)),  # names the saved decisions
        max_rows=DEFAULT_MAX_ROWS if max_rows is None else max_rows,
        all_rows=all_rows,
        title=title,
    )
    _write(out, page)
    return report


def _dataset_rows(report: Report, dataset, id_column, image_column, text_column):
    """(the dataset's rows aligned to the report or None, image column, text column): the
    columns as named, else guessed from the dataset's own columns."""
    from labelaudit.review import html
    from labelaudit.review.dataset import align, read_dataset

    if dataset is None:
        if image_column or text_column:
            raise InvalidInputError("--image-column and --text-column need --dataset.")
        return None, None, None
    rows = align(report, read_dataset(dataset), dataset, id_column)
    for name, value in (("--image-column", image_column), ("--text-column", text_column)):
        if value is not None and value not in rows.columns:
            raise InvalidInputError(f"{dataset}: no column {value!r} for {name}.")
    image_column = image_column or html.guess_column(rows, html.IMAGE_COLUMNS, images=True)
    text_column = text_column or html.guess_column(rows, html.TEXT_COLUMNS, images=False)
    return rows, image_column, text_column


def _write(out: Path, page: str) -> None:
    from labelaudit.io.atomic import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
