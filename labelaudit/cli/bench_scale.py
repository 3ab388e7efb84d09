"""`labelaudit bench scale`: out-of-core audits, streamed against loaded whole."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json


def scale_command(
    sizes: Annotated[
        str, typer.Option(help="Comma-separated N×K sizes of the float32 probability files.")
    ] = "1280000x1000",
    compare: Annotated[
        bool,
        typer.Option(help="Also run with --in-memory and check that the reports are identical."),
    ] = True,
    workdir: Annotated[
        Path | None,
        typer.Option(help="Where to write the (large) temporary files.", show_default="TMPDIR"),
    ] = None,
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Audit probability files larger than the memory labelaudit may use: wall time and peak
    RSS of `labelaudit audit` streaming a memory-mapped file, against loading it whole.

    Example:

        labelaudit bench scale --sizes 1280000x1000
    """
    with console.handled(debug=debug):
        import json

        from rich.table import Table

        from labelaudit.bench import scale
        from labelaudit.bench.data import parse_sizes
        from labelaudit.errors import ConfigError

        try:
            grid = parse_sizes(sizes)
        except ValueError as exc:
            raise ConfigError(f"sizes must look like 1280000x1000, got {sizes!r}.") from exc
        rows = []
        with console.err.status("Writing and auditing") as status:
            for n, k in grid:
                status.update(f"{n:,}×{k:,} float32")
                rows.append(scale.measure(n, k, compare=compare, workdir=workdir))
        if json_output:
            console.out.print_json(json.dumps([r.as_dict() for r in rows]))
            return
        table = Table(title="Out-of-core audits: seconds, peak RSS MB", title_justify="left")
        for col in ("N×K", "file MB", "streamed", "RSS", "in memory", "RSS", "ratio", "same"):
            table.add_column(col, justify="right")
        for r in rows:
            memory = r.in_memory
            table.add_row(
                f"{r.n:,}×{r.k:,}",
                f"{r.file_mb:,.0f}",
                f"{r.streamed.seconds:.2f}",
                f"{r.streamed.peak_rss_mb:,.0f}",
                "–" if memory is None else f"{memory.seconds:.2f}",
                "–" if memory is None else f"{memory.peak_rss_mb:,.0f}",
                "–" if memory is None else f"{r.streamed.seconds / memory.seconds:.2f}×",
                "–" if r.identical is None else ("yes" if r.identical else "[red]NO[/]"),
            )
        console.out.print(table)
