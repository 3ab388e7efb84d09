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
        print_diff(result, a, b)
