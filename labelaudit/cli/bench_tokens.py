"""`labelaudit bench tokens`: the token audit against cleanlab's, one process each."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from labelaudit.cli import console
from labelaudit.cli.options import Debug, Json

Tokens = Annotated[
    int,
    typer.Option(min=100, help="Total tokens of the generated sentences (9 tags, float32)."),
]
Repeat = Annotated[int, typer.Option(min=1, help="Runs of each command (best is shown).")]


def tokens_command(
    tokens: Tokens = 1_000_000,
    repeat: Repeat = 1,
    json_output: Json = False,
    debug: Debug = False,
) -> None:
    """Time `labelaudit audit --task token` against a script that reads the same Parquet tags
    and .npy probabilities, splits them per sentence and calls cleanlab's token
    find_label_issues and get_label_quality_scores; peak RSS of each process; check that both
    list the same flagged (sentence, token) pairs in the same order.

    Example:

        labelaudit bench tokens --tokens 200000
    """
    with console.handled(debug=debug):
        from rich.table import Table

        from labelaudit.bench.tokens import measure

        with console.err.status(f"Auditing {tokens:,} tokens with cleanlab and labelaudit"):
            row = measure(tokens, repeat=repeat)
        if json_output:
            console.out.print_json(json.dumps(row.as_dict()))
            return
        table = Table(
            title="Token classification end to end, one process each: best seconds, peak RSS MB",
            title_justify="left",
        )
        columns = ("tokens", "sentences", "K", "file MB", "cleanlab", "ours", "ratio")
        for col in (*columns, "cl RSS", "ours RSS", "same flags"):
            table.add_column(col, justify="right")
        table.add_row(
            f"{row.tokens:,}",
            f"{row.sentences:,}",
            str(row.k),
            f"{row.file_mb:.0f}",
            f"{row.cleanlab.seconds:.2f}",
            f"{row.labelaudit.seconds:.2f}",
            f"{row.speedup:.1f}×",
            f"{row.cleanlab.peak_rss_mb:.0f}",
            f"{row.labelaudit.peak_rss_mb:.0f}",
            "yes" if row.identical else "[red]NO[/]",
        )
        console.out.print(table)
