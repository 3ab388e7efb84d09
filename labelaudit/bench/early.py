"""Early-learning benchmark: record MLP dynamics on noisy digits, score every detector.

For each noise setting and seed: plant noise, train an MLP with partial_fit while recording the
training-set probabilities per epoch, cross-validate a logistic regression for out-of-sample
probabilities (confident learning and the combination), then audit with each detector. Metrics
against the planted noise: AUROC of 1 - label_quality, precision and recall of the flags, and
label accuracy after applying the suggestions graded `confident`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from labelaudit.bench.training import noisy_digits, record_mlp

DETECTORS = ("elr", "adele", "aum", "cartography", "forgetting", "learning-time")
COMBINED = "elr+confident_learning"
CONFIDENT_LEARNING = "confident_learning"
DEFAULT_SETTINGS = "symmetric:0.2,symmetric:0.4,pair:0.2,pair:0.4,none:0"


@dataclass(frozen=True)
class EarlyRow:
    setting: str
    detector: str
    seeds: int
    auroc: float
    precision: float
    recall: float
    flagged_share: float
    confident: float  # suggestions graded confident (mean count)
    accuracy_before: float
    accuracy_after: float  # label accuracy after applying the confident suggestions

    def as_dict(self) -> dict:
        return asdict(self)


def parse_settings(spec: str) -> list[tuple[str, float]]:
    """'symmetric:0.4,pair:0.2' -> [('symmetric', 0.4), ('pair', 0.2)]; 'none:0' = no noise."""
    out = []
    for part in spec.split(","):
        kind, _, rate = part.strip().partition(":")
        if kind not in ("symmetric", "pair", "none") or not rate:
            raise ValueError(part)
        value = float(rate)
        if not 0 <= value < 1:
            raise ValueError(part)
        out.append((kind, 0.0 if kind == "none" else value))
    return out


def _metrics(flag, quality, suggestion, confident, labels, true_labels):
    from sklearn.metrics import roc_auc_score

    errors = labels != true_labels
    hits = int((flag & errors).sum())
    precision = hits / flag.sum() if flag.any() else float("nan")
    recall = hits / errors.sum() if errors.any() else float("nan")
    auroc = roc_auc_score(errors, 1 - quality) if 0 < errors.sum() < len(errors) else float("nan")
    fixed = labels.copy()
    apply = flag & confident
    fixed[apply] = suggestion[apply]
    return {
        "auroc": auroc,
        "precision": precision,
        "recall": recall,
        "flagged_share": flag.mean(),
        "confident": float(apply.sum()),
        "accuracy_before": (labels == true_labels).mean(),
        "accuracy_after": (fixed == true_labels).mean(),
    }


def _cross_validated(features, labels, seed):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_predict(
            LogisticRegression(max_iter=1000), features, labels, cv=folds, method="predict_proba"
        )


def run_setting(kind: str, rate: float, seed: int, *, epochs: int, hidden: int) -> dict:
    """Metrics per detector for one noise setting and seed."""
    import warnings

    from labelaudit import audit, audit_dynamics
    from labelaudit.detectors import registry
    from labelaudit.dynamics.analysis import WeakEvidenceWarning, analyse
    from labelaudit.dynamics.source import dynamics_from_array

    data = noisy_digits("symmetric" if kind == "none" else kind, rate, seed)
    record = record_mlp(data, epochs=epochs, seed=seed, hidden=hidden)
    probs = _cross_validated(data.features, data.labels, seed)
    out = {}
    with warnings.catch_warnings():  # the bench reports quality, not per-record advice
        warnings.simplefilter("ignore", WeakEvidenceWarning)
        combined = audit_dynamics(data.labels, record, pred_probs=probs)
        # One analysis of the record serves every detector (as in a multi-detector audit).
        analysis = analyse(data.labels, dynamics_from_array(record))
    for name in DETECTORS:
        result = registry.load(name)().detect_dynamics(analysis)
        out[name] = _metrics(
            result.is_label_issue,
            result.label_quality,
            result.suggested_label,
            result.confident,
            data.labels,
            data.true_labels,
        )
    c = combined.columns
    out[COMBINED] = _metrics(
        c["is_label_issue"],
        c["label_quality"],
        c["suggested_label"],
        c["grade"] == "confident",
        data.labels,
        data.true_labels,
    )
    cl = audit(data.labels, probs).columns
    out[CONFIDENT_LEARNING] = _metrics(
        cl["is_label_issue"],
        cl["label_quality"],
        cl["suggested_label"],
        cl["is_label_issue"],  # no grades: every suggestion applied
        data.labels,
        data.true_labels,
    )
    return out


def run(
    settings: list[tuple[str, float]],
    seeds: list[int],
    *,
    epochs: int = 100,
    hidden: int = 512,
    progress=None,
) -> list[EarlyRow]:
    rows = []
    for kind, rate in settings:
        per_seed = []
        for seed in seeds:
            if progress:
                progress(f"{kind} {rate:.0%}, seed {seed}")
            per_seed.append(run_setting(kind, rate, seed, epochs=epochs, hidden=hidden))
        label = "none" if kind == "none" else f"{kind} {rate:.0%}"
        for detector in (*DETECTORS, COMBINED, CONFIDENT_LEARNING):
            values = [s[detector] for s in per_seed]
            mean = {key: _mean([v[key] for v in values]) for key in values[0]}
            rows.append(EarlyRow(setting=label, detector=detector, seeds=len(seeds), **mean))
    return rows


def _mean(values: list[float]) -> float:
    """Mean over seeds, NaN when undefined for every seed (e.g. recall without noise)."""
    finite = [v for v in values if v == v]
    return float(np.mean(finite)) if finite else float("nan")
