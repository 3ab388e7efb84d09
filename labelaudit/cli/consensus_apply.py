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
    decisions: Path | None = None,
) -> None:
    """The --annotations branch of `apply`, inside the command's error handling. A reviewer's
    decisions (--decisions) replace the consensus of the rows they accept or relabel."""
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
        guard_consensus_output(out, report, annotations, decisions)
    loaded = Report.read_parquet(report)
    frame = consensus_labels(loaded, annotations, overrides=_overrides(loaded, decisions))
    if dry_run:
        if not quiet:
            console.out.print(f"Would write {len(frame):,} consensus labels (dry run).")
        return
    write_consensus(frame, out)
    if not quiet:
        console.out.print(f"Wrote [bold]{out}[/] ({len(frame):,} consensus labels)")


def _overrides(report, decisions: Path | None) -> dict[int, int] | None:
    """{row: class} from a decisions file checked against the report (accept: the suggestion,
    the class with the highest CROWDLAB posterior; relabel: the chosen class)."""
    if decisions is None:
        return None
    from labelaudit.review.actions import read_decisions
    from labelaudit.review.decisions import ReportRows, check_decisions_path

    suffix = check_decisions_path(decisions)
    checked = read_decisions(decisions, suffix, ReportRows(report))
    return dict(zip(checked.rows.tolist(), checked.new.tolist(), strict=True))
