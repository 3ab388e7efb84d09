"""Helpers for hostile inputs: run the audit, check one sentence, nothing written, inputs unchanged."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tests.helpers import run_cli


def sha(path: Path) -> str | None:
    path = Path(path)
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def one_sentence(stderr: str) -> str:
    """The error on stderr: one line, one sentence starting "error: ", no traceback."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    message = lines[0]
    assert message.startswith("error: ") and message.endswith((".", "?", ")")), message
    # A second sentence would start after ". " with a capital letter.
    assert not re.search(r"[.?!] [A-Z]", message[len("error: ") :]), message
    return message


def refused(tmp_path: Path, labels: Path, probs: Path, *extra: str, names: tuple[str, ...] = ()):
    """Run `audit` and assert exit 2, one error sentence naming the files in `names`, no report
    written and every input byte-identical. Returns the message."""
    before = {p: sha(p) for p in (labels, probs)}
    out = tmp_path / "out" / "r.parquet"
    out.parent.mkdir(exist_ok=True)
    res = run_cli("audit", "--labels", labels, "--pred-probs", probs, "--out", out, "-q", *extra)
    assert res.exit_code == 2, (res.exit_code, res.stderr)
    message = one_sentence(res.stderr)
    for name in names:
        assert name in message, (name, message)
    assert list(out.parent.iterdir()) == [], "nothing may be written"
    assert {p: sha(p) for p in (labels, probs)} == before
    return message
