"""`labelaudit diff`: what changed between two audits of the same examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json, Quiet
from labelaudit.cli.review_render import print_diff


def diff_command(
    old: Annotated[Path, typer.Argument(metavar="OLD", help="The earlier report.")],
    new: Annotated[Path, typer.Argument(metavar="NEW", help="The later report.")],
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code",
            help="Exit 1 when the flagged sets differ (rows added or removed), 0 when they are "
            "the same, as `git diff --exit-code`.",
        ),
    ] = False,
    json_output: Json = False,
    quiet: Quiet = False,
    debug: Debug = False,
) -> None:
    """Compare two audits of the same examples.

    Lists rows newly flagged, no longer flagged, and flagged in both with a different
    suggestion. --json lists them with their ids (`added`, `removed`, `changed`).

    Exit codes: 0 (with --exit-code: the flagged sets are the same), 1 (with --exit-code: they
    differ), 2 bad input.

    Example:

        labelaudit diff last_week.parquet today.parquet
        labelaudit diff last_week.parquet today.parquet --exit-code --quiet   # in CI
    """
    with console.handled(debug=debug, quiet=quiet):
        from labelaudit.report import Report
        from labelaudit.review.actions import diff_reports

        a, b = Report.read_parquet(old), Report.read_parquet(new)
        result = diff_reports(a, b, old, new)
        if json_output:
            import json

            console.out.print_json(json.dumps(result.as_dict()))
        elif not quiet:
            print_diff(result, a, b)
    if exit_code and result.flags_differ:
        raise typer.Exit(1)
