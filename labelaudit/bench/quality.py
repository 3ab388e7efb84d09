"""Detection quality: labelaudit's default audit against cleanlab's default, on benchmark data
with known label errors, computed in one run.

Data layout (as in the project's shared benchmark folder): DATASET/given_labels.npy, either
true_labels.npy or label_errors_mask.npy, and pred_probs/MODEL.npy for several models; every
model alone and the ensemble of all of them are evaluated.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from labelaudit.errors import InvalidInputError


@dataclass(frozen=True)
class Scores:
    flagged: int
    precision: float
    recall: float
    f1: float
    average_precision: float
    relabel_accuracy: float | None  # on flagged true errors: suggestion == true label


@dataclass(frozen=True)
class QualityRow:
    dataset: str
    model: str
    errors: int
    cleanlab: Scores
    labelaudit: Scores

    def as_dict(self) -> dict:
        return asdict(self)


def _scores(flagged, score, suggested, errors, true_labels) -> Scores:
    from sklearn.metrics import average_precision_score

    hits = int((flagged & errors).sum())
    precision = hits / max(int(flagged.sum()), 1)
    recall = hits / max(int(errors.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    relabel = None
    if true_labels is not None and hits:
        caught = flagged & errors
        relabel = float((suggested[caught] == true_labels[caught]).mean())
    ap = float(average_precision_score(errors, -np.asarray(score, dtype=np.float64)))
    return Scores(int(flagged.sum()), precision, recall, f1, ap, relabel)


def load_dataset(root: Path):
    """(given labels, error mask, true labels or None, {model: pred_probs})."""
    labels = np.load(root / "given_labels.npy")
    true_labels = None
    if (root / "true_labels.npy").exists():
        true_labels = np.load(root / "true_labels.npy")
        errors = labels != true_labels
    elif (root / "label_errors_mask.npy").exists():
        errors = np.load(root / "label_errors_mask.npy").astype(bool)
    else:
        raise InvalidInputError(f"{root}: needs true_labels.npy or label_errors_mask.npy.")
    models = {p.stem: np.load(p) for p in sorted((root / "pred_probs").glob("*.npy"))}
    if not models:
        raise InvalidInputError(f"{root}: no pred_probs/*.npy files.")
    return labels, errors, true_labels, models


def evaluate(data_dir: Path) -> list[QualityRow]:
    """Every dataset under data_dir × (each model alone, the ensemble of all)."""
    import cleanlab.filter
    import cleanlab.rank

    from labelaudit import audit
    from labelaudit.io.probabilities import ensemble_mean

    datasets = sorted(p for p in Path(data_dir).iterdir() if (p / "given_labels.npy").exists())
    if not datasets:
        raise InvalidInputError(f"{data_dir}: no benchmark datasets (DATASET/given_labels.npy).")
    rows = []
    for root in datasets:
        labels, errors, true_labels, models = load_dataset(root)
        configs = [(name, [P]) for name, P in models.items()]
        configs.append(("ensemble", list(models.values())))
        for name, members in configs:
            P = ensemble_mean(members)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                theirs = cleanlab.filter.find_label_issues(labels, P)
                their_scores = cleanlab.rank.get_label_quality_scores(labels, P)
                report = audit(labels, P, members=members if len(members) > 1 else None)
            argmax = P.argmax(axis=1)
            ours = report.columns
            rows.append(
                QualityRow(
                    dataset=root.name,
                    model=name,
                    errors=int(errors.sum()),
                    cleanlab=_scores(theirs, their_scores, argmax, errors, true_labels),
                    labelaudit=_scores(
                        ours["is_label_issue"],
                        ours["label_quality"],
                        ours["suggested_label"],
                        errors,
                        true_labels,
                    ),
                )
            )
    return rows


def means(rows: list[QualityRow]) -> dict[str, dict[str, dict[str, float]]]:
    """Per dataset: the mean of each metric for cleanlab and labelaudit."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    for dataset in sorted({r.dataset for r in rows}):
        subset = [r for r in rows if r.dataset == dataset]
        out[dataset] = {}
        for side in ("cleanlab", "labelaudit"):
            values = [asdict(getattr(r, side)) for r in subset]
            out[dataset][side] = {
                key: float(np.mean([v[key] for v in values]))
                for key in ("precision", "recall", "f1", "average_precision", "relabel_accuracy")
                if all(v[key] is not None for v in values)
            }
    return out
