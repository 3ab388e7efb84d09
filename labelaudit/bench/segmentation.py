"""`bench segmentation`: `audit --task segmentation` against the script a cleanlab user writes.

Both run as fresh processes on the same .npy files (generated blob masks with relabelled regions
and float32 probabilities); wall time and each process's own peak RSS. The script does np.load
and cleanlab's two segmentation calls and saves the pixel mask; labelaudit writes its report and
`--pixel-mask-out`. The two pixel masks are compared element for element.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelaudit.bench.end_to_end import ProcessRun, best_of, rss_budget_mb

CLEANLAB_SCRIPT = """
import sys, warnings
import numpy as np
from cleanlab.segmentation.filter import find_label_issues
from cleanlab.segmentation.rank import get_label_quality_scores
warnings.simplefilter("ignore")
labels = np.load(sys.argv[1]); pred_probs = np.load(sys.argv[2])
issues = find_label_issues(labels, pred_probs, verbose=False)
image_scores, pixel_scores = get_label_quality_scores(labels, pred_probs, verbose=False)
np.save(sys.argv[3], issues)
"""


@dataclass(frozen=True)
class SegmentationRow:
    n: int
    k: int
    h: int
    w: int
    file_mb: float
    cleanlab: ProcessRun
    labelaudit: ProcessRun
    speedup: float
    rss_budget_mb: float  # 1.5 × the probability file + 150 MB
    identical: bool

    def as_dict(self) -> dict:
        return asdict(self)


def scenes(n: int, k: int, h: int, w: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Masks of k-1 random discs per image, float32 softmax outputs with noise, and a relabelled
    square in every other image; built one image at a time so memory stays at the file's size."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w]
    masks = np.zeros((n, h, w), dtype=np.uint8)
    probs = np.empty((n, k, h, w), dtype=np.float32)
    side = max(h // 8, 3)
    for i in range(n):
        for c in range(1, k):
            cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(side / 2, h / 3)
            masks[i][(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = c
        logits = rng.normal(0, 1, (k, h, w)).astype(np.float32)
        logits[masks[i], yy, xx] += 3.0
        np.exp(logits, out=logits)
        probs[i] = logits / logits.sum(axis=0, keepdims=True)
        if i % 2 == 0:
            y0, x0 = rng.integers(0, h - side), rng.integers(0, w - side)
            masks[i, y0 : y0 + side, x0 : x0 + side] = rng.integers(0, k)
    return masks, probs


def measure(n: int, k: int, h: int, w: int, *, repeat: int = 1, seed: int = 0) -> SegmentationRow:
    """Best of `repeat` runs of each command on the same freshly written files."""
    with tempfile.TemporaryDirectory(prefix="labelaudit-seg-") as tmp:
        root = Path(tmp)
        masks, probs = scenes(n, k, h, w, seed=seed)
        np.save(root / "masks.npy", masks)
        np.save(root / "probs.npy", probs)
        del masks, probs
        script = root / "cleanlab_segmentation.py"
        script.write_text(CLEANLAB_SCRIPT)
        theirs = [str(script), str(root / "masks.npy"), str(root / "probs.npy")]
        theirs.append(str(root / "cleanlab_mask.npy"))
        ours = ["-m", "labelaudit", "audit", "--task", "segmentation", "--quiet"]
        ours += ["--labels", str(root / "masks.npy"), "--pred-probs", str(root / "probs.npy")]
        ours += ["--out", str(root / "r.parquet"), "--pixel-mask-out", str(root / "mask.npy")]
        best_theirs, best_ours = best_of(theirs, repeat), best_of(ours, repeat)
        identical = bool(
            np.array_equal(
                np.load(root / "cleanlab_mask.npy", mmap_mode="r"),
                np.load(root / "mask.npy", mmap_mode="r"),
            )
        )
        file_mb = (root / "probs.npy").stat().st_size / 2**20
    return SegmentationRow(
        n=n,
        k=k,
        h=h,
        w=w,
        file_mb=file_mb,
        cleanlab=best_theirs,
        labelaudit=best_ours,
        speedup=best_theirs.seconds / best_ours.seconds,
        rss_budget_mb=rss_budget_mb(file_mb),
        identical=identical,
    )
