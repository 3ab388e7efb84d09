"""The labelaudit command line: a thin Typer layer over the library."""

from __future__ import annotations

import sys

import typer

from labelaudit._version import __version__
from labelaudit.cli.action_cmds import apply_command, export_command
from labelaudit.cli.audit_cmd import audit_command
from labelaudit.cli.bench_cmd import bench_app
from labelaudit.cli.demo_cmd import demo_command
from labelaudit.cli.detectors_cmd import detectors_command
from labelaudit.cli.diff_cmd import diff_command
from labelaudit.cli.gate_cmd import gate_command
from labelaudit.cli.predict_cmd import predict_command
from labelaudit.cli.report_cmd import report_command

app = typer.Typer(
    name="labelaudit",
    help="Find wrong labels in datasets from model predictions.\n\n"
    "Start with `labelaudit demo`, then `labelaudit audit --labels L --pred-probs P --out R.parquet`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command("audit")(audit_command)
app.command("predict")(predict_command)
app.command("report")(report_command)
app.command("export")(export_command)
app.command("apply")(apply_command)
app.command("diff")(diff_command)
app.command("gate")(gate_command)
app.command("demo")(demo_command)
app.command("detectors")(detectors_command)
app.add_typer(bench_app, name="bench")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"labelaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Find wrong labels in datasets from model predictions."""


def main() -> None:
    """The `labelaudit` command: SIGTERM and SIGINT unwind cleanly (exit 143, 130), and a reader
    of stdout that goes away ends the command quietly (exit 141)."""
    from labelaudit.cli import interrupts
    from labelaudit.cli.console import EXIT_BROKEN_PIPE, quiet_broken_pipe, say_interrupted

    interrupts.install()
    stdout_before = _stdout_identity()
    try:
        app(prog_name="labelaudit")
    except interrupts.Interrupted as exc:  # outside a command body (parsing, printing help)
        say_interrupted(exc.signum)
        raise SystemExit(exc.exit_code) from None
    except BrokenPipeError:  # the reader of stdout went away outside a command
        quiet_broken_pipe()
        raise SystemExit(EXIT_BROKEN_PIPE) from None
    except SystemExit as exc:
        # On EPIPE (`labelaudit audit --help | head`) click wraps sys.stdout and rich points
        # fd 1 at /dev/null, and both exit 1; report that as a broken pipe. SIGPIPE stays
        # ignored, so Dask's sockets still see EPIPE as an error instead of killing the process.
        if exc.code == 1 and _stdout_was_broken(stdout_before):
            quiet_broken_pipe()
            raise SystemExit(EXIT_BROKEN_PIPE) from None
        raise


def _stdout_identity() -> tuple[int, int] | None:
    import os

    try:
        info = os.fstat(1)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _stdout_was_broken(before: tuple[int, int] | None) -> bool:
    # click's PacifyFlushWrapper, named rather than imported: newer typer releases vendor click
    # (typer._click) and install without it.
    wrapped = type(sys.stdout).__name__ == "PacifyFlushWrapper"
    return wrapped or _stdout_identity() != before
