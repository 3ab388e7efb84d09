"""`labelaudit apply REPORT --annotations A.csv --out consensus.csv`: write the consensus labels."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console

AnnotationsToApply = Annotated[
    Path | None,
    typer.Option(
        "--annotations",
        metavar="PATH",
        help="Instead of --labels, for a report of `audit --annotations`: the annotations that "
        "were audited; writes their consensus labels (a `label` column, after the id).",
        show_default=False,
    ),
]


def apply_consensus(
    report: Path,
    annotations: Path,
    out: Path | None,
    *,
    labels: Path | None,
    min_confidence: float | None,
    label_column: str,
    dry_run: bool,
    quiet: bool,
    overrides=None,
) -> None:
    """The --annotations branch of `apply`, inside the command's error handling. overrides maps
    row positions to class indices that replace the consensus (reviewers' decisions)."""
    from labelaudit.errors import ConfigError
    from labelaudit.report import Report
    from labelaudit.review.consensus import (
        consensus_labels,
        guard_consensus_output,
        write_consensus,
    )

    for flag, given in (
        ("--labels", labels is not None),
        ("--min-confidence", min_confidence is not None),
        ("--label-column", label_column != "label"),
    ):
        if given:
            raise ConfigError(f"apply --annotations writes the consensus labels; drop {flag}.")
    if out is None and not dry_run:
        raise ConfigError("give --out for the consensus labels, or --dry-run.")
    if out is not None:
        guard_consensus_output(out, report, annotations)
    frame = consensus_labels(Report.read_parquet(report), annotations, overrides=overrides)
    if dry_run:
        if not quiet:
            console.out.print(f"Would write {len(frame):,} consensus labels (dry run).")
        return
    write_consensus(frame, out)
    if not quiet:
        console.out.print(f"Wrote [bold]{out}[/] ({len(frame):,} consensus labels)")
