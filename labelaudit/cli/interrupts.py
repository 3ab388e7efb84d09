"""SIGTERM and SIGINT end a command cleanly: every `finally` runs, then exit 128 + the signal.

Python's default SIGTERM kills the process on the spot, without running `finally` blocks, so a
report being written would leave its temporary file behind. The CLI entry point installs a
handler that raises Interrupted instead: it unwinds the stack like any exception (atomic writes
remove their temporary file, engines close their clusters and thread pools stop claiming work),
and the CLI exits 143 (SIGTERM) or 130 (SIGINT) with one line on stderr.

Interrupted derives from BaseException, not Exception, so no `except Exception` in the library
or a dependency can swallow it; click does not turn it into "Aborted!" either.
"""

from __future__ import annotations

import os
import signal
from types import FrameType

HANDLED = (signal.SIGTERM, signal.SIGINT)
EXIT_SIGINT = 128 + signal.SIGINT  # 130, what a shell reports for Ctrl-C


class Interrupted(BaseException):
    """The process received SIGTERM or SIGINT; `exit_code` is 128 + the signal number."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum


_OWNER: list[int] = []  # the pid that installed the handler


def _raise(signum: int, frame: FrameType | None) -> None:
    if _OWNER and os.getpid() != _OWNER[0]:
        # A forked child (a multiprocessing pool worker, e.g. cleanlab's in `bench speed`)
        # inherited the handler: take the default action, as the parent of a pool expects when
        # it terminates its workers.
        signal.signal(signum, signal.SIG_DFL if signum == signal.SIGTERM else signal.SIG_IGN)
        os.kill(os.getpid(), signum)
        return
    # A second signal while unwinding gets the default action (SIGTERM kills, Ctrl-C raises
    # KeyboardInterrupt): an escape hatch should a cleanup ever hang.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise Interrupted(signum)


def _defaults_in_child() -> None:
    """Right after a fork: the child (a pool worker) takes the default SIGTERM at once."""
    if _OWNER and os.getpid() != _OWNER[0]:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def restore_defaults() -> None:
    """Default SIGTERM and SIGINT again: for commands that write no user file and run process
    pools of their own (the benchmarks run cleanlab's), where a raising handler only gets in
    the way of the pool's own shutdown."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)


def install() -> None:
    """Raise Interrupted on SIGTERM and SIGINT (main thread only, as Python requires); forked
    children that inherit the handler keep the default actions."""
    if not _OWNER:
        os.register_at_fork(after_in_child=_defaults_in_child)
    _OWNER[:] = [os.getpid()]
    for signum in HANDLED:
        signal.signal(signum, _raise)
