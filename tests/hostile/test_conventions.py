"""Every command: a hostile input gets one sentence and exit 2 without --debug (no traceback,
nothing written, inputs unchanged), and --debug lets the traceback through."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from labelaudit.errors import LabelAuditError
from tests.helpers import planted, run_cli
from tests.hostile.conftest import one_sentence, sha

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def junk(tmp_path) -> Path:
    (tmp_path / "bad.parquet").write_bytes(b"garbage")
    (tmp_path / "bad.npy").write_text("0\n1\n")
    (tmp_path / "bad.toml").write_text("labels = [\n")
    return tmp_path


# command -> arguments, with T standing for the folder of junk inputs
COMMANDS = {
    "audit": ["audit", "--labels", "T/bad.npy", "--pred-probs", "T/bad.npy", "--out", "T/o.parquet"],
    "predict": ["predict", "--labels", "T/bad.npy", "--features", "T/bad.npy", "--out", "T/o.npy"],
    "report": ["report", "T/bad.parquet", "--html", "T/p.html"],
    "export": ["export", "T/bad.parquet", "--out", "T/e.csv"],
    "apply": ["apply", "T/bad.parquet", "--labels", "T/bad.npy", "--out", "T/a.npy"],
    "diff": ["diff", "T/bad.parquet", "T/bad.parquet"],
    "gate": ["gate", "--config", "T/bad.toml"],
    "demo": ["demo", "--out-dir", "T/bad.npy"],
    "bench quality": ["bench", "quality", "--seeds", "x", "--data", "T/none"],
    "bench speed": ["bench", "speed", "--sizes", "10y3"],
    "bench early": ["bench", "early", "--seeds", "x"],
    "bench scale": ["bench", "scale", "--sizes", "abc"],
}  # fmt: skip


def _args(command: str, folder: Path) -> list[str]:
    return [a.replace("T/", f"{folder}/") for a in COMMANDS[command]]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_no_traceback_without_debug_and_one_with_it(junk, command):
    before = {p.name: sha(p) for p in junk.iterdir()}
    res = run_cli(*_args(command, junk))
    assert res.exit_code == 2, (res.exit_code, res.stderr)
    one_sentence(res.stderr)
    assert {p.name: sha(p) for p in junk.iterdir()} == before, "nothing written or changed"
    debug = run_cli(*_args(command, junk), "--debug")
    # --debug re-raises the error itself, so the interpreter prints its traceback.
    assert debug.exit_code == 1 and isinstance(debug.exception, LabelAuditError), debug


def test_debug_prints_a_real_traceback(junk):
    proc = subprocess.run(
        [sys.executable, "-m", "labelaudit", *_args("audit", junk), "--debug"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback (most recent call last)" in proc.stderr
    assert "InvalidInputError" in proc.stderr


def test_json_into_a_closed_pipe_is_quiet(tmp_path):
    given, P, _ = planted(n=200, k=3)
    np.save(tmp_path / "l.npy", given)
    np.save(tmp_path / "p.npy", P)
    args = ["audit", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy",
            "--out", tmp_path / "r.parquet", "--json"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelaudit", *map(str, args)], cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    proc.stdout.close()  # `| head -0`: the reader is gone before the first byte
    err = proc.stderr.read()
    assert proc.wait(timeout=120) in (0, 141), err
    assert err == b""


# audit options whose value cannot work -> fragments of the one sentence
OPTION_CASES = {
    "counts for too few classes": (["--num-to-remove-per-class", "1,2"], ("--num-to-remove-per-class", "p.npy", "3 classes")),
    "label column of an array": (["--label-column", "y"], ("--label-column", "l.npy", "without columns")),
    "id column of an array": (["--id-column", "key"], ("--id-column", "l.npy")),
    "unknown dynamics kind": (["--dynamics-kind", "softmax"], ("--dynamics-kind", "'softmax'", "logits")),
    "unknown detector": (["--detector", "confident_learnin"], ("'confident_learnin'", "did you mean 'confident_learning'")),
    "out is a directory": (["--out", "T"], ("--out", ".parquet")),
    "scheduler without dask": (["--scheduler", "tcp://127.0.0.1:1"], ("--scheduler", "--engine dask")),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(OPTION_CASES))
def test_an_option_value_that_cannot_work_is_one_sentence(tmp_path, case):
    given, P, _ = planted(n=90, k=3)
    np.save(tmp_path / "l.npy", given)
    np.save(tmp_path / "p.npy", P)
    extra, fragments = OPTION_CASES[case]
    extra = [str(tmp_path) if a == "T" else a for a in extra]
    out = tmp_path / "out" / "r.parquet"
    out.parent.mkdir()
    before = {p.name: sha(p) for p in tmp_path.iterdir() if p.is_file()}
    args = ["audit", "--labels", tmp_path / "l.npy", "--pred-probs", tmp_path / "p.npy"]
    if "--out" not in extra:
        args += ["--out", out]
    res = run_cli(*args, *extra, "-q")
    assert res.exit_code == 2, (res.exit_code, res.stderr)
    message = one_sentence(res.stderr)
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert list(out.parent.iterdir()) == []
    assert {p.name: sha(p) for p in tmp_path.iterdir() if p.is_file()} == before
