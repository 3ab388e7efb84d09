"""Every writing command refuses an output that is one of its inputs, by any route.

Routes: the same path, a symlink to the input, a hard link to it (same inode) and a ./ .. detour.
Each refusal is exit 2 with one sentence, before anything is read or written, and leaves every
file in the folder byte-identical.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import planted, run_cli
from tests.hostile.conftest import sha

ROUTES = ("same", "symlink", "hardlink", "detour")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """labels (.npy, .csv and .parquet), probabilities, features, a dataset and a real report."""
    root = tmp_path_factory.mktemp("guard")
    given, P, _ = planted(n=120, k=3, seed=2)
    np.save(root / "labels.npy", given)
    np.save(root / "probs.npy", P)
    np.save(root / "X.npy", P + np.random.default_rng(0).normal(0, 0.1, P.shape))
    pd.DataFrame({"label": given}).to_csv(root / "labels.csv", index=False)
    pd.DataFrame({"label": given}).to_parquet(root / "labels.parquet")
    pd.DataFrame({"text": [f"row {i}" for i in range(len(given))]}).to_csv(
        root / "data.csv", index=False
    )
    res = run_cli(
        "audit", "--labels", root / "labels.npy", "--pred-probs", root / "probs.npy",
        "--out", root / "report.parquet", "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return root


def _route(root: Path, target: str, route: str, suffix: str) -> Path:
    """A path that reaches root/target by `route`, named with `suffix`."""
    victim = root / target
    if route == "same":
        return victim
    if route == "detour":
        return root / "sub" / ".." / "." / target
    link = root / f"link-{route}-{Path(target).stem}{suffix}"
    link.unlink(missing_ok=True)
    if route == "symlink":
        link.symlink_to(victim)
    else:
        os.link(victim, link)
    return link


# command, the input it would overwrite, the arguments with {out} standing for the output.
CASES = {
    "report --html": ("report.parquet", ["report", "report.parquet", "--html", "{out}", "--dataset", "data.csv"]),
    "export": ("data.csv", ["export", "report.parquet", "--dataset", "data.csv", "--out", "{out}"]),
    "export report": ("report.parquet", ["export", "report.parquet", "--out", "{out}"]),
    "apply": ("labels.csv", ["apply", "report.parquet", "--labels", "labels.csv", "--out", "{out}", "--min-confidence", "0"]),
    "predict --features": ("X.npy", ["predict", "--features", "X.npy", "--labels", "labels.npy", "--out", "{out}"]),
    "predict labels": ("labels.npy", ["predict", "--features", "X.npy", "--labels", "labels.npy", "--out", "{out}"]),
    "audit": ("labels.parquet", ["audit", "--labels", "labels.parquet", "--pred-probs", "probs.npy", "--out", "{out}"]),
}  # fmt: skip


# The page must be named *.html, so only links can reach the report from a page path.
PAIRS = [
    (case, route)
    for case in sorted(CASES)
    for route in ROUTES
    if case != "report --html" or route in ("symlink", "hardlink")
]


@pytest.mark.parametrize(("case", "route"), PAIRS)
def test_an_input_is_never_an_output(workspace, case, route):
    target, args = CASES[case]
    (workspace / "sub").mkdir(exist_ok=True)
    suffix = ".html" if case == "report --html" else Path(target).suffix
    out = _route(workspace, target, route, suffix)
    before = {p.name: sha(p) for p in workspace.iterdir() if p.is_file()}
    argv = [
        str(out) if a == "{out}" else str(workspace / a) if (workspace / a).exists() else a
        for a in args
    ]
    res = run_cli(*argv)
    assert res.exit_code == 2, (res.exit_code, res.stderr)
    message = " ".join(res.stderr.split())
    assert message.startswith("error: ") and "Traceback" not in res.stderr, message
    assert "is also an input" in message, message
    after = {p.name: sha(p) for p in workspace.iterdir() if p.is_file()}
    assert after == before
    assert not [p for p in workspace.iterdir() if p.name.endswith(".tmp")]


def test_apply_refuses_a_change_log_that_is_an_input(workspace):
    """apply writes OUT and OUT.changes.csv: the log may not land on an input either."""
    victim = workspace / "fixed.changes.csv"
    pd.DataFrame({"label": [0]}).to_csv(victim, index=False)
    before = sha(victim)
    res = run_cli(
        "apply", workspace / "report.parquet", "--labels", victim, "--out",
        workspace / "fixed.csv", "--min-confidence", "0",
    )  # fmt: skip
    assert res.exit_code == 2 and "change log" in res.stderr and "also an input" in res.stderr
    assert sha(victim) == before and not (workspace / "fixed.csv").exists()
    victim.unlink()
