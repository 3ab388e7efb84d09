"""Consoles and error handling shared by every command: results on stdout, the rest on stderr."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.markup import escape

from labelaudit.cli.interrupts import EXIT_SIGINT, Interrupted
from labelaudit.errors import LabelAuditError

EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 1
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `cmd | head`

out = Console(soft_wrap=True)  # results; rich honours NO_COLOR and plain pipes
err = Console(stderr=True, soft_wrap=True)  # progress, warnings, errors


@contextlib.contextmanager
def handled(*, debug: bool = False, quiet: bool = False) -> Iterator[None]:
    """Turn LabelAuditError into one line on stderr and exit code 2; show warnings on stderr.

    Unexpected exceptions are a bug: one line asking for --debug, exit code 1. With --debug the
    traceback is shown for both. SIGTERM and SIGINT (cli/interrupts.py) exit 143 and 130.
    """

    def show_warning(message, category, filename, lineno, file=None, line=None):
        if not quiet:
            err.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False)

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show_warning
        try:
            yield
        except LabelAuditError as exc:
            if debug:
                raise
            err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except BrokenPipeError:
            quiet_broken_pipe()
            raise typer.Exit(EXIT_BROKEN_PIPE) from None
        except Interrupted as exc:  # SIGTERM or SIGINT, after every finally block ran
            say_interrupted(exc.signum)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            say_interrupted(None)
            raise typer.Exit(EXIT_SIGINT) from None
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as exc:
            if debug:
                raise
            err.print(
                f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
                "This is a bug in labelaudit; rerun with --debug for the traceback and report it.",
                highlight=False,
            )
            raise typer.Exit(EXIT_INTERNAL) from None


def say_interrupted(signum: int | None) -> None:
    """One line on stderr for an interrupted command (temporary files are already gone)."""
    import signal

    name = "" if signum is None else f" by {signal.Signals(signum).name}"
    with contextlib.suppress(Exception):  # stderr may be gone too
        err.print(f"labelaudit: interrupted{name}; nothing was written.", highlight=False)


def quiet_broken_pipe() -> None:
    """The reader of stdout went away (`labelaudit ... --json | head`): point stdout at
    /dev/null so the interpreter's final flush does not print a second BrokenPipeError."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


@contextlib.contextmanager
def stage(message: str, *, quiet: bool) -> Iterator[None]:
    """A spinner on stderr while a step runs (only on a terminal, never with --quiet)."""
    if quiet or not err.is_terminal:
        yield
        return
    with err.status(message, spinner="dots"):
        yield


def is_terminal_stdout() -> bool:
    return sys.stdout.isatty()
