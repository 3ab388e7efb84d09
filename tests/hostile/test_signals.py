"""SIGTERM and SIGINT for real: a `python -m labelaudit audit` process is signalled while its
report's temporary file exists; it exits 143 or 130 with one line and no traceback, leaves no
temporary file, leaves the old report (or none) in place, and never touches its inputs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.hostile.conftest import sha

ROOT = Path(__file__).resolve().parents[2]
# Rows of the audited inputs: enough that writing the report takes a few hundred milliseconds
# (about 0.3 s on one core), so the temporary file is seen and signalled well before it is
# renamed; the whole audit stays near 3 s.
ROWS = 2_000_000


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("big")
    rng = np.random.default_rng(0)
    p = rng.random(ROWS)
    np.save(folder / "probs.npy", np.column_stack([p, 1.0 - p]))
    np.save(folder / "labels.npy", (p < 0.5).astype(np.int64) ^ (rng.random(ROWS) < 0.05))
    return folder / "labels.npy", folder / "probs.npy"


def _temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.tmp"))


def _signal_when_writing(out: Path, labels: Path, probs: Path, signum: int, *extra: str):
    """Start the audit, send signum once the report's temporary file appears, and return
    (exit code, stderr)."""
    env = {**os.environ, "LABELAUDIT_THREADS": "1", "NO_COLOR": "1"}
    args = ["audit", "--labels", labels, "--pred-probs", probs, "--out", out, "-q", *extra]
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelaudit", *map(str, args)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    try:
        while not _temp_files(out.parent):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the audit ended before writing ({proc.returncode}); raise ROWS")
            time.sleep(0.001)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err.decode()


@pytest.mark.parametrize(
    ("signum", "code", "old_report"),
    [(signal.SIGTERM, 143, False), (signal.SIGINT, 130, True)],
    ids=["sigterm-no-report", "sigint-old-report-kept"],
)
def test_a_signal_while_writing_leaves_no_temporary_file(
    tmp_path, big_inputs, signum, code, old_report
):
    labels, probs = big_inputs
    before = {p: sha(p) for p in big_inputs}
    out = tmp_path / "reports" / "r.parquet"
    out.parent.mkdir()
    if old_report:
        out.write_bytes(b"the previous report")
    returncode, err = _signal_when_writing(out, labels, probs, signum)
    assert returncode == code, err
    assert "Traceback" not in err
    assert err.strip().splitlines() == [
        f"labelaudit: interrupted by {signal.Signals(signum).name}; nothing was written."
    ]
    assert _temp_files(out.parent) == []
    if old_report:
        assert out.read_bytes() == b"the previous report"
    else:
        assert not out.exists()
    assert {p: sha(p) for p in big_inputs} == before


def _children(pid: int) -> set[int]:
    """Processes whose parent is pid (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _running(pids: set[int]) -> dict[int, str]:
    """{pid: command line} of the pids still running (zombies are not running)."""
    running = {}
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if state != "Z":
            running[pid] = command.decode(errors="replace")[:120]
    return running


def _ignores_sigint(pid: int) -> bool:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_during_a_dask_audit_stops_the_cluster_and_exits_130(tmp_path, big_inputs):
    """Ctrl-C signals the whole process group (the audit and its Dask workers) at once."""
    pytest.importorskip("distributed")
    labels, probs = big_inputs
    out = tmp_path / "r.parquet"
    args = ["audit", "--labels", labels, "--pred-probs", probs, "--out", out, "-q",
            "--engine", "dask"]  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "labelaudit", *map(str, args)], cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not (workers := _children(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.02)
        # The workers are started with SIGINT ignored (they inherit it); once the audit
        # catches SIGINT again, the cluster is up and computing.
        while _ignores_sigint(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        workers |= _children(proc.pid)
        assert proc.poll() is None, "the audit ended before the signal"
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=30)  # no hang on the cluster's shutdown
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()
    assert "labelaudit: interrupted" in err.decode()
    assert not out.exists() and _temp_files(tmp_path) == []
    deadline = time.monotonic() + 10
    while (left := _running(workers)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"workers left running: {left}"


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="names descriptors via /proc")
def test_atomic_writes_fsync_the_file_before_the_rename_and_the_folder_after(tmp_path, monkeypatch):
    from labelaudit.io import atomic

    events: list[str] = []
    real_fsync, real_replace = os.fsync, Path.replace

    def fsync(fd: int) -> None:
        events.append(
            "fsync dir" if Path(f"/proc/self/fd/{fd}").resolve().is_dir() else "fsync file"
        )
        real_fsync(fd)

    def replace(self, target):
        events.append("rename")
        return real_replace(self, target)

    monkeypatch.setattr(atomic.os, "fsync", fsync)
    monkeypatch.setattr(Path, "replace", replace)
    target = tmp_path / "r.bin"
    with atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"complete")
    assert events == ["fsync file", "rename", "fsync dir"]
    assert target.read_bytes() == b"complete"

    with pytest.raises(KeyboardInterrupt), atomic.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"complete" and _temp_files(tmp_path) == []


def test_forked_children_keep_the_default_sigterm():
    """A pool worker forked after the CLI installed its handler dies quietly on SIGTERM, as the
    pool expects when it terminates its workers (cleanlab's pool in `bench speed` hung before)."""
    import subprocess
    import sys

    code = (
        "import multiprocessing as mp, time\n"
        "from labelaudit.cli import interrupts\n"
        "interrupts.install()\n"
        "child = mp.get_context('fork').Process(target=time.sleep, args=(30,))\n"
        "child.start(); time.sleep(0.5); child.terminate(); child.join(10)\n"
        "print(child.exitcode)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "-15", (done.stdout, done.stderr)
    assert "Interrupted" not in done.stderr and "Traceback" not in done.stderr
