"""`bench embeddings`: `audit --embeddings` against cleanlab's Datalab, one process each.

Both run as fresh processes on the same files: N × D float32 embeddings of Gaussian clusters
(`clustered_embeddings`) with planted label errors and planted duplicate pairs. labelaudit runs
`audit --labels L.npy --embeddings E.npy --duplicates --out R.parquet`; the script runs
`Datalab(data={"label": y}, label_name="label").find_issues(features=E, issue_types={"label":
{}, "near_duplicate": {}})` and saves its label-issue mask. Each side's label-issue F1 is taken
against the planted errors. Datalab needs `cleanlab[datalab]` (Hugging Face `datasets`); it may
live in a private directory (`datalab_path`), appended after the normal site-packages in the
script's process only, so it cannot shadow the versions labelaudit runs with.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelaudit.bench.end_to_end import ProcessRun, best_of
from labelaudit.errors import ConfigError

DATALAB_ENV = "LABELAUDIT_DATALAB_PATH"
MISSING = "bench embeddings needs cleanlab[datalab]: pip install 'labelaudit[bench]'"

DATALAB_SCRIPT = """
import sys, warnings
if sys.argv[4]:
    sys.path.append(sys.argv[4])
import numpy as np
from cleanlab import Datalab
warnings.simplefilter("ignore")
labels = np.load(sys.argv[1]); features = np.load(sys.argv[2])
lab = Datalab(data={"label": labels}, label_name="label", verbosity=0)
lab.find_issues(features=features, issue_types={"label": {}, "near_duplicate": {}})
np.save(sys.argv[3], lab.get_issues("label")["is_label_issue"].to_numpy())
"""

# Can the script's process make a Datalab (with the private path appended)? cleanlab imports
# the name without its extra and fails only when it is called.
PROBE = """
import sys
if sys.argv[1]:
    sys.path.append(sys.argv[1])
from cleanlab import Datalab
Datalab(data={"label": [0, 1]}, label_name="label", verbosity=0)
"""


@dataclass(frozen=True)
class EmbeddingSpeedRow:
    n: int
    d: int
    k: int
    planted_errors: int
    planted_duplicates: int
    file_mb: float
    datalab: ProcessRun
    labelaudit: ProcessRun
    speedup: float
    datalab_f1: float
    labelaudit_f1: float
    conflicting_pairs_found: int

    def as_dict(self) -> dict:
        return asdict(self)


def clustered_embeddings(
    n: int,
    d: int = 64,
    *,
    classes: int = 10,
    noise: float = 0.1,
    duplicates: int = 20,
    spread: float = 0.3,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(embeddings N×D float32, given labels (N,) int64, planted-error mask (N,), duplicate
    pairs P×2): `classes` Gaussian clusters of unit spread around centres drawn at scale
    `spread` (at 0.3 in 64 dimensions neighbouring clusters overlap, so not every error is
    obvious), `noise` of the labels flipped to another class, and `duplicates` pairs whose second row is a copy of the first plus a 1e-4 perturbation, given another
    label (conflicting near-duplicates; the copy counts as a planted error)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, spread, (classes, d))
    truth = rng.integers(0, classes, n)
    X = (centres[truth] + rng.normal(0.0, 1.0, (n, d))).astype(np.float32)
    given = truth.copy()
    flip = rng.random(n) < noise
    given[flip] = (truth[flip] + rng.integers(1, classes, int(flip.sum()))) % classes
    rows = rng.choice(n, 2 * duplicates, replace=False)
    pairs = rows.reshape(duplicates, 2)
    X[pairs[:, 1]] = X[pairs[:, 0]] + rng.normal(0.0, 1e-4, (duplicates, d)).astype(np.float32)
    truth[pairs[:, 1]] = truth[pairs[:, 0]]
    given[pairs[:, 0]] = truth[pairs[:, 0]]
    given[pairs[:, 1]] = (truth[pairs[:, 1]] + 1) % classes
    return X, given.astype(np.int64), given != truth, pairs


def f1(flagged: np.ndarray, planted: np.ndarray) -> float:
    """F1 of a flagged mask against the planted errors."""
    hits = int((flagged & planted).sum())
    total = int(flagged.sum()) + int(planted.sum())
    return 2.0 * hits / total if total else 1.0


def require_datalab(datalab_path: str = "") -> None:
    """ConfigError (one sentence) unless a fresh process can import cleanlab's Datalab."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, datalab_path], capture_output=True, check=False
    )
    if done.returncode != 0:
        raise ConfigError(f"{MISSING}.")


def measure(
    n: int = 60_000, d: int = 64, *, repeat: int = 1, seed: int = 0, datalab_path: str = ""
) -> EmbeddingSpeedRow:
    """Best of `repeat` runs of each process on the same freshly written files."""
    from labelaudit.report import Report

    require_datalab(datalab_path)
    X, labels, planted, pairs = clustered_embeddings(n, d, seed=seed)
    with tempfile.TemporaryDirectory(prefix="labelaudit-emb-") as tmp:
        root = Path(tmp)
        np.save(root / "labels.npy", labels)
        np.save(root / "emb.npy", X)
        del X
        script = root / "datalab_audit.py"
        script.write_text(DATALAB_SCRIPT)
        theirs = [str(script), str(root / "labels.npy"), str(root / "emb.npy")]
        theirs += [str(root / "datalab_issues.npy"), datalab_path]
        ours = ["-m", "labelaudit", "audit", "--quiet", "--duplicates"]
        ours += ["--labels", str(root / "labels.npy"), "--embeddings", str(root / "emb.npy")]
        ours += ["--out", str(root / "r.parquet")]
        best_theirs, best_ours = best_of(theirs, repeat), best_of(ours, repeat)
        frame = Report.read_parquet(root / "r.parquet").frame
        theirs_flagged = np.load(root / "datalab_issues.npy").astype(bool)
        file_mb = (root / "emb.npy").stat().st_size / 2**20
    ours_flagged = frame["is_label_issue"].to_numpy(dtype=bool)
    conflicting = frame["conflicting_duplicate_of"].to_numpy(dtype=float, na_value=np.nan)
    found = int(np.sum(conflicting[pairs[:, 0]] == pairs[:, 1]))
    return EmbeddingSpeedRow(
        n=n,
        d=d,
        k=int(labels.max()) + 1,
        planted_errors=int(planted.sum()),
        planted_duplicates=len(pairs),
        file_mb=file_mb,
        datalab=best_theirs,
        labelaudit=best_ours,
        speedup=best_theirs.seconds / best_ours.seconds,
        datalab_f1=f1(theirs_flagged, planted),
        labelaudit_f1=f1(ours_flagged, planted),
        conflicting_pairs_found=found,
    )
