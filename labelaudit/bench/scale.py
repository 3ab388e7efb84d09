"""Out-of-core benchmark: `labelaudit audit` on a probability file larger than it may hold.

Writes an N×K float32 matrix to disk in blocks (never whole in memory), then runs the audit
as fresh processes, memory-mapped with a bounded resident set and, when asked, loaded whole
(`--in-memory`), and reports wall time, peak RSS and whether the two reports are identical.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelaudit.bench.end_to_end import ProcessRun, run_process

CHUNK_ROWS = 32768


@dataclass(frozen=True)
class ScaleRow:
    n: int
    k: int
    file_mb: float
    streamed: ProcessRun
    in_memory: ProcessRun | None
    identical: bool | None
    rss_target_mb: float  # the bound for this size: 2 GB at 1.28 M × 1,000

    def as_dict(self) -> dict:
        return asdict(self)


def write_matrix(root: Path, n: int, k: int, *, seed: int = 0, noise: float = 0.1) -> Path:
    """labels.npy and probs.npy (float32 softmax outputs of a fairly good model), in chunks."""
    rng = np.random.default_rng(seed)
    true = rng.integers(0, k, n)
    labels = true.copy()
    flip = rng.random(n) < noise
    labels[flip] = (true[flip] + rng.integers(1, k, int(flip.sum()))) % k
    np.save(root / "labels.npy", labels)
    out = np.lib.format.open_memmap(root / "probs.npy", mode="w+", dtype=np.float32, shape=(n, k))
    for start in range(0, n, CHUNK_ROWS):
        stop = min(n, start + CHUNK_ROWS)
        logits = rng.standard_normal((stop - start, k), dtype=np.float32)
        logits[np.arange(stop - start), true[start:stop]] += 4.0
        logits -= logits.max(axis=1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=1, keepdims=True)
        out[start:stop] = logits
    out.flush()
    del out
    return root / "probs.npy"


def measure(n: int, k: int, *, compare: bool = True, workdir: Path | None = None) -> ScaleRow:
    """One streamed run and, with compare, one --in-memory run on the same files."""
    with tempfile.TemporaryDirectory(prefix="labelaudit-scale-", dir=workdir) as tmp:
        root = Path(tmp)
        probs = write_matrix(root, n, k)
        base = ["-m", "labelaudit", "audit", "--labels", str(root / "labels.npy")]
        base += ["--pred-probs", str(probs), "--quiet", "--out"]
        streamed = run_process([*base, str(root / "streamed.parquet")])
        in_memory = identical = None
        if compare:
            in_memory = run_process([*base, str(root / "memory.parquet"), "--in-memory"])
            identical = _same_report(root / "streamed.parquet", root / "memory.parquet")
        file_mb = probs.stat().st_size / 2**20
    return ScaleRow(
        n=n,
        k=k,
        file_mb=file_mb,
        streamed=streamed,
        in_memory=in_memory,
        identical=identical,
        rss_target_mb=1024 + n * 8 * 12 / 2**20,  # 1 GB plus a dozen O(N) vectors
    )


def _same_report(a: Path, b: Path) -> bool:
    import pyarrow.parquet as pq

    left, right = pq.read_table(a), pq.read_table(b)
    return left.equals(right)
