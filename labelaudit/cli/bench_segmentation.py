"""`labelaudit bench segmentation`: the pixel audit against cleanlab's, one process each."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json

Size = Annotated[
    str,
    typer.Option(
        help="N×K×H×W of the generated float32 probabilities (150x8x288x288 is about 400 MB)."
    ),
]
Repeat = Annotated[int, typer.Option(min=1, help="Runs of each command (best is shown).")]


def segmentation_command(
    size: Size = "150x8x288x288",
    repeat: Repeat = 1,
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Time `labelaudit audit --task segmentation --pixel-mask-out` against a script that does
    np.load plus cleanlab's segmentation find_label_issues and get_label_quality_scores, on the
    same generated files; peak RSS of each process; check that both pixel masks are identical.

    Example:

        labelaudit bench segmentation --size 40x8x288x288
    """
    with console.handled(debug=debug):
        from rich.table import Table

        from labelaudit.bench.segmentation import measure
        from labelaudit.errors import ConfigError

        try:
            n, k, h, w = (int(part) for part in size.lower().split("x"))
        except ValueError as exc:
            raise ConfigError(f"--size must look like 150x8x288x288, got {size!r}.") from exc
        with console.err.status(f"Auditing {n}×{k}×{h}×{w} with cleanlab and labelaudit"):
            row = measure(n, k, h, w, repeat=repeat)
        if json_output:
            console.out.print_json(json.dumps(row.as_dict()))
            return
        table = Table(
            title="Segmentation end to end, one process each: best seconds, peak RSS MB",
            title_justify="left",
        )
        for col in ("N×K×H×W", "file MB", "cleanlab", "ours", "ratio", "cl RSS", "ours RSS"):
            table.add_column(col, justify="right")
        table.add_column("budget", justify="right")
        table.add_column("same mask", justify="right")
        table.add_row(
            f"{n}×{k}×{h}×{w}",
            f"{row.file_mb:.0f}",
            f"{row.cleanlab.seconds:.2f}",
            f"{row.labelaudit.seconds:.2f}",
            f"{row.speedup:.1f}×",
            f"{row.cleanlab.peak_rss_mb:.0f}",
            f"{row.labelaudit.peak_rss_mb:.0f}",
            f"{row.rss_budget_mb:.0f}",
            "yes" if row.identical else "[red]NO[/]",
        )
        console.out.print(table)
