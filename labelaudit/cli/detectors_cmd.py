"""`labelaudit detectors`: list the installed detectors (built-in and plugins)."""

from __future__ import annotations

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json


def detectors_command(
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """List installed detectors: built-ins and plugins registered under the entry-point group
    `labelaudit.detectors`. "reads" says whether a detector takes --pred-probs or --dynamics.

    Example:

        labelaudit detectors
    """
    with console.handled(debug=debug):
        from labelaudit.detectors.registry import describe

        rows = describe()
        if json_output:
            import json

            data = [{"name": n, "package": d, "reads": r, "summary": s} for n, d, r, s in rows]
            console.out.print_json(json.dumps(data))
            return
        from rich.table import Table

        table = Table(title="Installed detectors", title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("package")
        table.add_column("reads")
        table.add_column("summary")
        for row in rows:
            table.add_row(*row)
        console.out.print(table)
