"""Which review page a report gets: segmentation and token reports have their own pages
(review/segmentation_page.py, review/token_page.py); options meant for another kind are refused."""

from __future__ import annotations

from pathlib import Path

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report

TASK_PAGES = ("segmentation", "token")


def task_of(report: Report) -> str | None:
    """segmentation or token when the report has a page of its own here, else None."""
    task = report.metadata.get("task")
    return task if task in TASK_PAGES else None


def refuse_pixel_options(report: Report, *, pixel_mask=None, masks=None) -> None:
    """--pixel-mask and --masks mean nothing on a classification page: one sentence."""
    if pixel_mask is not None or masks is not None:
        from labelaudit.review.actions import report_kind

        raise InvalidInputError(
            "--pixel-mask and --masks are for segmentation reports; "
            f"this one is {report_kind(report)}."
        )


def render_task_page(
    report: Report,
    *,
    title: str,
    pixel_mask: Path | None = None,
    masks: Path | None = None,
    image_root: Path | None = None,
    max_rows: int | None = None,
    **classification_options,
) -> str:
    """The page of a segmentation or token report, after refusing options it does not take."""
    kind = task_of(report)
    taken = {key: value for key, value in classification_options.items() if value is not None}
    if taken:
        flags = " and ".join(f"--{key.replace('_', '-')}" for key in taken)
        raise InvalidInputError(f"{flags}: only for classification reports; this one is {kind}.")
    if kind == "token":
        extra = {"--pixel-mask": pixel_mask, "--masks": masks, "--image-root": image_root}
        flags = " and ".join(flag for flag, value in extra.items() if value is not None)
        if flags:
            raise InvalidInputError(f"{flags}: only for segmentation reports; this one is token.")
        from labelaudit.review import token_page

        return token_page.render(report, max_rows=max_rows, title=title)
    if pixel_mask is None:
        raise InvalidInputError(
            "the segmentation page needs --pixel-mask PIXELS.npy, the file the audit wrote "
            "with --pixel-mask-out."
        )
    if image_root is not None and not Path(image_root).is_dir():
        raise InvalidInputError(f"--image-root {image_root}: not a directory.")
    from labelaudit.review import segmentation_page

    return segmentation_page.render(
        report,
        pixel_mask=pixel_mask,
        masks=masks,
        image_root=image_root,
        max_rows=max_rows,
        title=title,
    )
