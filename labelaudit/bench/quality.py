"""Detection quality: labelaudit's adaptive default, cleanlab's default and every cleanlab
filter_by option, on families of data with known label errors, all from one run.

Families: each shared benchmark set under --data (DATASET/given_labels.npy, true_labels.npy or
label_errors_mask.npy, pred_probs/MODEL.npy) as single models and as the ensemble of all its
models, plus the generated families of bench/families.py at fixed seeds. Within a family every
figure is the mean over its cases (models, seeds).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from labelaudit.confident.methods import FILTER_METHODS
from labelaudit.errors import InvalidInputError

LABELAUDIT = "labelaudit"
CLEANLAB = "cleanlab default"


@dataclass(frozen=True)
class Scores:
    flagged: float
    precision: float
    recall: float
    f1: float
    average_precision: float


@dataclass
class FamilyRow:
    family: str
    description: str
    cases: int
    errors: float
    scores: dict[str, Scores]  # method -> mean scores
    decisions: list[str] = field(default_factory=list)  # the adaptive rule's choice per case

    @property
    def best_option(self) -> str:
        options = {m: s.f1 for m, s in self.scores.items() if m in FILTER_METHODS}
        return max(options, key=options.get)

    def as_dict(self) -> dict:
        out = asdict(self)
        out["best_option"] = self.best_option
        return out


def _scores(flagged: np.ndarray, score: np.ndarray, errors: np.ndarray) -> Scores:
    from sklearn.metrics import average_precision_score

    hits = int((flagged & errors).sum())
    precision = hits / max(int(flagged.sum()), 1)
    recall = hits / max(int(errors.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    ap = float(average_precision_score(errors, -np.asarray(score, dtype=np.float64)))
    return Scores(float(flagged.sum()), precision, recall, f1, ap)


def _mean(scores: list[Scores]) -> Scores:
    return Scores(
        *(float(np.mean([getattr(s, f) for s in scores])) for f in Scores.__annotations__)
    )


def evaluate_case(labels: np.ndarray, errors: np.ndarray, members: list[np.ndarray]):
    """{method: Scores} and the rule's decision record for one case."""
    import cleanlab.filter
    import cleanlab.rank

    from labelaudit.detectors.confident_learning import ConfidentLearning
    from labelaudit.io.probabilities import ensemble_mean

    P = ensemble_mean(members)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = cleanlab.rank.get_label_quality_scores(labels, P)
        for filter_by in FILTER_METHODS:
            mask = cleanlab.filter.find_label_issues(labels, P, filter_by=filter_by)
            out[filter_by] = _scores(mask, theirs, errors)
    out[CLEANLAB] = out["prune_by_noise_rate"]
    result = ConfidentLearning(members=members).detect(labels, P)
    out[LABELAUDIT] = _scores(result.is_label_issue, result.label_quality, errors)
    return out, result.details["default_rule"]


def load_dataset(root: Path):
    """(given labels, error mask, {model: pred_probs})."""
    labels = np.load(root / "given_labels.npy")
    if (root / "true_labels.npy").exists():
        errors = labels != np.load(root / "true_labels.npy")
    elif (root / "label_errors_mask.npy").exists():
        errors = np.load(root / "label_errors_mask.npy").astype(bool)
    else:
        raise InvalidInputError(f"{root}: needs true_labels.npy or label_errors_mask.npy.")
    models = {p.stem: np.load(p) for p in sorted((root / "pred_probs").glob("*.npy"))}
    if not models:
        raise InvalidInputError(f"{root}: no pred_probs/*.npy files.")
    return labels, errors, models


def _family(name: str, description: str, cases) -> FamilyRow:
    per_method: dict[str, list[Scores]] = {}
    decisions, errors = [], []
    for labels, err, members in cases:
        scores, rule = evaluate_case(labels, err, members)
        for method, s in scores.items():
            per_method.setdefault(method, []).append(s)
        decisions.append(rule["decision"])
        errors.append(int(err.sum()))
    means = {m: _mean(v) for m, v in per_method.items()}
    return FamilyRow(name, description, len(errors), float(np.mean(errors)), means, decisions)


def shared_families(data_dir: Path) -> list[FamilyRow]:
    datasets = sorted(p for p in Path(data_dir).iterdir() if (p / "given_labels.npy").exists())
    if not datasets:
        raise InvalidInputError(f"{data_dir}: no benchmark datasets (DATASET/given_labels.npy).")
    rows = []
    for root in datasets:
        labels, errors, models = load_dataset(root)
        singles = [(labels, errors, [P]) for P in models.values()]
        rows.append(_family(f"{root.name} single", f"{len(models)} models, one at a time", singles))
        ensemble = [(labels, errors, list(models.values()))]
        rows.append(_family(f"{root.name} ensemble", f"mean of {len(models)} models", ensemble))
    return rows


def generated_families(seeds: list[int]) -> list[FamilyRow]:
    from labelaudit.bench.families import FAMILIES

    rows = []
    for name, (description, build) in FAMILIES.items():
        cases = []
        for seed in seeds:
            case = build(seed)
            cases.append((case.labels, case.errors, case.members))
        rows.append(_family(name, description, cases))
    return rows


def evaluate(data_dir: Path | None, seeds: list[int]) -> list[FamilyRow]:
    """Shared families (when data_dir is given) then the generated ones."""
    rows = shared_families(data_dir) if data_dir is not None else []
    return rows + generated_families(seeds)
