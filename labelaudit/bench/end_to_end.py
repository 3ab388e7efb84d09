"""End-to-end: `labelaudit audit` on .npy files against the script a cleanlab user would write.

Both run as fresh processes on the same files; wall time and peak RSS (from wait4) are measured
per process. The script loads with np.load, calls cleanlab's find_label_issues (ranked) and
get_label_quality_scores, and writes a Parquet report with the same columns.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelaudit.bench.data import synthetic

CLEANLAB_SCRIPT = """
import sys, warnings
import numpy as np, pandas as pd
from cleanlab.filter import find_label_issues
from cleanlab.rank import get_label_quality_scores
warnings.simplefilter("ignore")
labels = np.load(sys.argv[1]); pred_probs = np.load(sys.argv[2])
ranked = find_label_issues(labels, pred_probs, return_indices_ranked_by="self_confidence")
scores = get_label_quality_scores(labels, pred_probs)
rank = np.zeros(len(labels), dtype=np.int64); rank[ranked] = np.arange(1, len(ranked) + 1)
suggested = pred_probs.argmax(axis=1)
pd.DataFrame({
    "row": np.arange(len(labels)), "given_label": labels, "suggested_label": suggested,
    "suggestion_confidence": pred_probs[np.arange(len(labels)), suggested],
    "label_quality": scores, "is_label_issue": rank > 0,
    "issue_rank": pd.array(np.where(rank > 0, rank, 0), dtype="Int64"),
}).to_parquet(sys.argv[3])
"""


@dataclass(frozen=True)
class ProcessRun:
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class EndToEndRow:
    n: int
    k: int
    file_mb: float
    cleanlab: ProcessRun
    labelaudit: ProcessRun
    speedup: float
    rss_budget_mb: float  # 1.5 × the probability file + 150 MB

    def as_dict(self) -> dict:
        return asdict(self)


# Runs a script or module and reports its own peak RSS (VmHWM) at exit. getrusage/wait4 cannot
# be used: a child forked from this large benchmark process inherits its high-water mark.
PEAK_REPORTER = """
import atexit, runpy, sys
def report():
    with open("/proc/self/status") as fh:
        kb = next(line.split()[1] for line in fh if line.startswith("VmHWM"))
    sys.stderr.write("\\nPEAK_KB " + kb + "\\n")
atexit.register(report)
target, sys.argv = sys.argv[1], sys.argv[1:]
if target == "-c":
    exec(sys.argv[1])
elif target == "-m":
    sys.argv = sys.argv[1:]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    runpy.run_path(target, run_name="__main__")
"""


def run_process(args: list[str]) -> ProcessRun:
    """Run `python ARGS...` to completion; wall seconds and its own peak RSS."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_REPORTER, *args], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{args[:3]} failed: {done.stderr.strip()[-500:]}")
    peak_kb = int(done.stderr.rsplit("PEAK_KB ", 1)[1].split()[0])
    return ProcessRun(seconds=seconds, peak_rss_mb=peak_kb / 1024)


def best_of(args: list[str], repeat: int) -> ProcessRun:
    """The fastest of `repeat` runs of `python ARGS...`."""
    return min((run_process(args) for _ in range(repeat)), key=lambda r: r.seconds)


def rss_budget_mb(file_mb: float) -> float:
    """The peak RSS an audit of a probability file may reach: 1.5 × the file + 150 MB."""
    return 1.5 * file_mb + 150


def measure(n: int, k: int, *, repeat: int = 3, seed: int = 0) -> EndToEndRow:
    """Best of `repeat` runs of each command on the same freshly written files."""
    labels, pred_probs = synthetic(n, k, seed=seed)
    with tempfile.TemporaryDirectory(prefix="labelaudit-bench-") as tmp:
        root = Path(tmp)
        np.save(root / "labels.npy", labels)
        np.save(root / "probs.npy", pred_probs)
        del labels, pred_probs
        script = root / "cleanlab_audit.py"
        script.write_text(CLEANLAB_SCRIPT)
        theirs = [str(script), str(root / "labels.npy"), str(root / "probs.npy")]
        ours = ["-m", "labelaudit", "audit", "--labels", str(root / "labels.npy")]
        ours += ["--pred-probs", str(root / "probs.npy"), "--quiet", "--out"]
        best_theirs = best_of([*theirs, str(root / "c.parquet")], repeat)
        best_ours = best_of([*ours, str(root / "l.parquet")], repeat)
        file_mb = (root / "probs.npy").stat().st_size / 2**20
    return EndToEndRow(
        n=n,
        k=k,
        file_mb=file_mb,
        cleanlab=best_theirs,
        labelaudit=best_ours,
        speedup=best_theirs.seconds / best_ours.seconds,
        rss_budget_mb=rss_budget_mb(file_mb),
    )


def startup_seconds(repeat: int = 5) -> tuple[float, float]:
    """(labelaudit --help, python -c 'import pandas'): best wall time of each."""
    help_runs = [run_process(["-m", "labelaudit", "--help"]) for _ in range(repeat)]
    pandas_runs = [run_process(["-c", "import pandas"]) for _ in range(repeat)]
    return min(r.seconds for r in help_runs), min(r.seconds for r in pandas_runs)
