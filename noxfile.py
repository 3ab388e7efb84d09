"""Developer sessions: `nox -s tests`, `nox -s lint`, `nox -s slow`, `nox -s docs`."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
INSTALL = ("-e", ".[test]")
PLUGIN = "./plugins/labelaudit-topk"  # installed second: older pip cannot resolve it alongside


@nox.session
def tests(session: nox.Session) -> None:
    """The default suite, as CI runs it."""
    session.install(*INSTALL)
    session.install(PLUGIN)
    session.run("pytest", *session.posargs)


@nox.session
def slow(session: nox.Session) -> None:
    """Long sweeps: many more generated conformance cases."""
    session.install(*INSTALL)
    session.install(PLUGIN)
    session.run("pytest", "-m", "slow", *session.posargs, env={"LABELAUDIT_HYPOTHESIS": "slow"})


@nox.session
def bench(session: nox.Session) -> None:
    """Speed against cleanlab 2.9 in one run (docs/benchmarks.md holds the latest table)."""
    session.install("-e", ".[bench]")
    session.run("labelaudit", "bench", "speed", *session.posargs)


@nox.session(name="bench_early")
def bench_early(session: nox.Session) -> None:
    """Early-learning detectors on digits with planted noise (docs/early-learning.md)."""
    session.install("-e", ".")
    session.run("labelaudit", "bench", "early", *session.posargs, env={"OMP_NUM_THREADS": "1"})


@nox.session(name="bench_scale")
def bench_scale(session: nox.Session) -> None:
    """Out-of-core audits of a 4.9 GB file (docs/scaling.md); needs ~10 GB of free disk."""
    session.install("-e", ".")
    session.run("labelaudit", "bench", "scale", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def docs(session: nox.Session) -> None:
    """Regenerate docs/cli.md from the commands' --help."""
    session.install("-e", ".")
    session.run("python", "-m", "labelaudit.cli.reference", "docs/cli.md")
