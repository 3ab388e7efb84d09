"""`labelaudit bench`: benchmarks against cleanlab, measured in the same run."""

from __future__ import annotations

import typer

from labelaudit.cli.bench_embeddings import embeddings_command
from labelaudit.cli.bench_quality import early_command, quality_command
from labelaudit.cli.bench_scale import scale_command
from labelaudit.cli.bench_segmentation import segmentation_command
from labelaudit.cli.bench_speed import speed_command
from labelaudit.cli.bench_tokens import tokens_command

bench_app = typer.Typer(help="Benchmarks against cleanlab, measured in the same run.")


@bench_app.callback()
def _bench() -> None:
    """Benchmarks against cleanlab, measured in the same run."""
    from labelaudit.cli.interrupts import restore_defaults

    # Benchmarks write only temporary files, and cleanlab's process pools run inside them.
    restore_defaults()


bench_app.command("speed")(speed_command)
bench_app.command("quality")(quality_command)
bench_app.command("early")(early_command)
bench_app.command("scale")(scale_command)
bench_app.command("segmentation")(segmentation_command)
bench_app.command("tokens")(tokens_command)
bench_app.command("embeddings")(embeddings_command)
