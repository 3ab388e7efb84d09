"""Planted-noise datasets written as real files, and a CLI runner that keeps stdout and stderr apart."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from labelaudit.cli import app


def planted(n: int = 600, k: int = 4, *, noise: float = 0.2, seed: int = 0):
    """(given labels, pred_probs, true labels): a confident model and `noise` flipped labels."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), true] += 3.0
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    flip = rng.random(n) < noise
    given = np.where(flip, (true + rng.integers(1, k, n)) % k, true)
    return given.astype(np.int64), P, true


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None = None  # what the command raised (SystemExit on exit)


def run_cli(*args: str) -> Result:
    runner = CliRunner()
    res = runner.invoke(app, [str(a) for a in args], prog_name="labelaudit")
    return Result(res.exit_code, res.stdout, res.stderr, res.exception)


def run_audit(labels, pred_probs, out, *extra) -> Result:
    """`labelaudit audit --labels LABELS --pred-probs P [--pred-probs P2 ...] --out OUT EXTRA...`;
    pred_probs is one path or a list of them (an ensemble)."""
    paths = pred_probs if isinstance(pred_probs, (list, tuple)) else [pred_probs]
    args: list = ["audit", "--labels", labels]
    for path in paths:
        args += ["--pred-probs", path]
    return run_cli(*args, "--out", out, *extra)


def digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
