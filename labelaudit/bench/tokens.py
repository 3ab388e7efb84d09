"""`bench tokens`: `audit --task token` against the script a cleanlab user writes.

Both run as fresh processes on the same files (B/I-tagged sentences with injected tag errors:
one Parquet row of tags per sentence, and the token rows' probabilities concatenated in one
float32 `.npy`). The script reads them, splits the probabilities per sentence, calls cleanlab's
token `find_label_issues` and `get_label_quality_scores`, and saves the flagged (sentence,
token) pairs; labelaudit writes its report, whose flagged pairs in `issue_rank` order must be
the same list.
"""

from __future__ import annotations

import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelaudit.bench.end_to_end import ProcessRun, best_of

CLEANLAB_SCRIPT = """
import sys, warnings
import numpy as np, pyarrow.parquet as pq
from cleanlab.token_classification.filter import find_label_issues
from cleanlab.token_classification.rank import get_label_quality_scores
warnings.simplefilter("ignore")
labels = [list(tags) for tags in pq.read_table(sys.argv[1], columns=["label"])["label"].to_pylist()]
flat = np.load(sys.argv[2])
offsets = np.cumsum([len(tags) for tags in labels])[:-1]
pred_probs = np.split(flat, offsets)
issues = find_label_issues(labels, pred_probs)
sentence_scores, token_scores = get_label_quality_scores(labels, pred_probs)
np.save(sys.argv[3], np.array(issues, dtype=np.int64).reshape(-1, 2))
"""

TAGS = ("O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC", "I-MISC")


@dataclass(frozen=True)
class TokenRow:
    tokens: int
    sentences: int
    k: int
    file_mb: float
    cleanlab: ProcessRun
    labelaudit: ProcessRun
    speedup: float
    identical: bool

    def as_dict(self) -> dict:
        return asdict(self)


def tagged_sentences(total: int, *, seed: int = 0, noise: float = 0.05):
    """(tag lists, total×9 float32 probabilities): sentences of 1–29 tokens with one B/I entity
    each, a model whose logit for the true tag is raised by 3, and `noise` of the tags replaced
    at random. Every fortieth sentence repeats the one 20 before it verbatim (ties in cleanlab's
    order).
    """
    rng = np.random.default_rng(seed)
    k = len(TAGS)
    lengths = rng.integers(1, 30, total // 15 + 2)
    repeats = np.arange(39, len(lengths), 40)
    lengths[repeats] = lengths[repeats - 20]
    lengths = lengths[: np.searchsorted(np.cumsum(lengths), total) + 1]
    lengths[-1] -= lengths.sum() - total  # the last sentence ends at `total` tokens
    lengths = lengths[lengths > 0]
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    truth = np.zeros(total, dtype=np.int64)
    starts = offsets[:-1] + (rng.random(len(lengths)) * lengths).astype(np.int64)
    kinds = 1 + 2 * rng.integers(0, 4, len(lengths))
    truth[starts] = kinds
    inside = np.minimum(starts + 1, offsets[1:] - 1)
    truth[inside[inside > starts]] = kinds[inside > starts] + 1
    logits = rng.normal(0, 1, (total, k)).astype(np.float32)
    logits[np.arange(total), truth] += 3.0
    np.exp(logits, out=logits)
    probs = logits / logits.sum(axis=1, keepdims=True)
    given = truth.copy()
    flip = rng.random(total) < noise
    given[flip] = rng.integers(0, k, int(flip.sum()))
    for s in repeats[repeats < len(lengths) - 1]:  # the last one may have been cut short
        a, b = offsets[s - 20], offsets[s - 19]
        given[offsets[s] : offsets[s + 1]] = given[a:b]
        probs[offsets[s] : offsets[s + 1]] = probs[a:b]
    return np.split(given, offsets[1:-1]), probs


def measure(total: int, *, repeat: int = 1, seed: int = 0) -> TokenRow:
    """Best of `repeat` runs of each command on the same freshly written files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from labelaudit.report import Report

    with tempfile.TemporaryDirectory(prefix="labelaudit-tok-") as tmp:
        root = Path(tmp)
        tags, probs = tagged_sentences(total, seed=seed)
        pq.write_table(pa.table({"label": [t.tolist() for t in tags]}), root / "labels.parquet")
        np.save(root / "probs.npy", probs)
        sentences, k = len(tags), probs.shape[1]
        del tags, probs
        script = root / "cleanlab_tokens.py"
        script.write_text(CLEANLAB_SCRIPT)
        theirs = [str(script), str(root / "labels.parquet"), str(root / "probs.npy")]
        theirs.append(str(root / "cleanlab_issues.npy"))
        ours = ["-m", "labelaudit", "audit", "--task", "token", "--quiet"]
        ours += ["--labels", str(root / "labels.parquet"), "--pred-probs", str(root / "probs.npy")]
        ours += ["--out", str(root / "r.parquet")]
        best_theirs, best_ours = best_of(theirs, repeat), best_of(ours, repeat)
        report = Report.read_parquet(root / "r.parquet")
        order = report.issue_order()  # flagged rows by issue_rank
        ours_pairs = np.stack(
            [report.columns["sentence"][order], report.columns["token"][order]], 1
        )
        identical = bool(np.array_equal(np.load(root / "cleanlab_issues.npy"), ours_pairs))
        file_mb = (root / "probs.npy").stat().st_size / 2**20
    return TokenRow(
        tokens=total,
        sentences=sentences,
        k=k,
        file_mb=file_mb,
        cleanlab=best_theirs,
        labelaudit=best_ours,
        speedup=best_theirs.seconds / best_ours.seconds,
        identical=identical,
    )
