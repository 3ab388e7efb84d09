"""`labelaudit detectors`: list the installed detectors (built-in and plugins)."""

from __future__ import annotations

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json


def detectors_command(
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """List installed detectors: built-ins and plugins registered under the entry-point group
    `labelaudit.detectors`. "needs" is the evidence a detector cannot run without, "can use" the
    evidence it combines when given (pred_probs: --pred-probs or --features; dynamics: --dynamics).

    Example:

        labelaudit detectors
    """
    with console.handled(debug=debug):
        from labelaudit.detectors.registry import describe

        rows = describe()
        if json_output:
            import json

            data = [
                {
                    "name": row.name,
                    "package": row.package,
                    "reads": ",".join(row.needs) or "?",
                    "needs": list(row.needs),
                    "uses": list(row.uses),
                    "summary": row.summary,
                }
                for row in rows
            ]
            console.out.print_json(json.dumps(data))
            return
        from rich.table import Table

        table = Table(title="Installed detectors", title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("package")
        table.add_column("needs")
        table.add_column("can use")
        table.add_column("summary")
        for row in rows:
            table.add_row(
                row.name, row.package, ", ".join(row.needs) or "?", ", ".join(row.uses), row.summary
            )
        console.out.print(table)
