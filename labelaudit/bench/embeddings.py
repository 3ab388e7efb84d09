"""Detection quality of audits from embeddings (no training), in `bench quality`.

Two families with known label errors, fixed seeds, no downloads:
- emb-digits: scikit-learn digits, the raw 64 pixels as embeddings, 10% of labels flipped to
  another class. labelaudit (auto, kNN, probe) against cleanlab's Datalab label check on the
  same features (its kNN vote, in-sample with the row's own vote subtracted; when Datalab is not
  installed, its label path reproduced line for line: KNeighborsClassifier(k + 1), the
  correction, CleanLearning.find_label_issues), and against a cross-validated logistic probe
  fed to cleanlab.filter.find_label_issues.
- emb-clusters: Gaussian clusters of unequal size (0.3-3 × a scale) and spread (0.3-1.5), 30%
  noise, in two regimes: many tiny well-separated clusters (a large k reaches into the next
  cluster) and few large overlapping ones (a small k votes on noise). The data-driven k against
  the same vote with k fixed at 5, 10, 20 and 50 (metric, weighting and prior still chosen).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from labelaudit.bench.quality import Scores, _mean, _scores

AUTO = "labelaudit auto"
KNN = "labelaudit knn"
PROBE = "labelaudit probe"
DATALAB = "Datalab"
PROBE_CLEANLAB = "probe + cleanlab"
DATA_DRIVEN = "data-driven k"
FIXED_KS = (5, 10, 20, 50)
# (cluster size scale, spread of the centres): tiny separated clusters, large overlapping ones.
CLUSTER_REGIMES = ((8, 6.0), (8, 4.0), (500, 1.0), (500, 0.6))


@dataclass
class EmbeddingRow:
    family: str
    description: str
    cases: int
    errors: float
    scores: dict[str, Scores]  # method -> mean scores over the cases
    choices: list[str] = field(default_factory=list)  # labelaudit's choice per case
    notes: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def digits_case(seed: int, *, rate: float = 0.1):
    """(raw pixels N×64, given labels, error mask): `rate` of labels moved to another class."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    flip = rng.random(len(y)) < rate
    noisy = np.where(flip, (y + rng.integers(1, 10, len(y))) % 10, y)
    return X, noisy, noisy != y


def clusters_case(seed: int, scale: int, sep: float, *, n: int = 3000, k: int = 5, d: int = 8):
    """(embeddings, given labels, error mask): clusters of sizes 0.3-3 × scale, spreads 0.3-1.5,
    centres N(0, sep²), each cluster one of k classes, 30% of labels moved to another class."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(max(4, int(scale * rng.uniform(0.3, 3.0))))
    spreads = rng.uniform(0.3, 1.5, len(sizes))
    centres = rng.normal(size=(len(sizes), d)) * sep
    classes = rng.integers(0, k, len(sizes))
    X = np.concatenate(
        [c + s * rng.normal(size=(m, d)) for c, s, m in zip(centres, spreads, sizes, strict=True)]
    )
    y = np.repeat(classes, sizes)
    flip = rng.random(len(y)) < 0.3
    noisy = np.where(flip, (y + rng.integers(1, k, len(y))) % k, y)
    return X, noisy, noisy != y


def labelaudit_flags(X, labels, *, model: str = "auto", k: int | None = None, seed: int = 0):
    """(flags, label_quality, choice) of labelaudit's audit from embeddings."""
    from labelaudit.pipeline.classification import classify
    from labelaudit.predict.embeddings import embedding_pred_probs, knn_pred_probs

    if k is not None:
        P, details = knn_pred_probs(X, labels, k=k, seed=seed)
        choice = f"knn k={k}"
    else:
        result = embedding_pred_probs(X, labels, model=model, seed=seed)
        P, details = result.pred_probs, result.details
        knn = details.get("knn")
        choice = result.model + (
            f" (k={knn['k']}, {knn['weights']}, {knn['metric']})" if result.model == "knn" else ""
        )
    report = classify(labels, P)
    return report.columns["is_label_issue"], report.columns["label_quality"], choice


def datalab_flags(X, labels, *, k: int = 10):
    """(flags, label scores, source) of Datalab's label check on features X."""
    try:
        from cleanlab import Datalab

        lab = Datalab(data={"label": labels}, label_name="label", verbosity=0)
    except ImportError:  # cleanlab[datalab] (Hugging Face datasets) is not installed
        return (*_datalab_reproduced(X, labels, k=k), "reproduced (cleanlab[datalab] absent)")
    lab.find_issues(features=X, issue_types={"label": {"k": k}})
    issues = lab.get_issues("label")
    flags = issues["is_label_issue"].to_numpy()
    return flags, issues["label_score"].to_numpy(), "cleanlab.Datalab"


def _datalab_reproduced(X, labels, *, k: int):
    """Datalab's LabelIssueManager.find_issues with features, as cleanlab 2.9 writes it."""
    from cleanlab.classification import CleanLearning
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.preprocessing import OneHotEncoder

    P = KNeighborsClassifier(n_neighbors=k + 1).fit(X, labels).predict_proba(X)
    one_hot = OneHotEncoder().fit_transform(labels.reshape(-1, 1))
    P = np.asarray((P - 1 / (k + 1) * one_hot) * (k + 1) / k)
    issues = CleanLearning().find_label_issues(labels=labels, pred_probs=P)
    return issues["is_label_issue"].to_numpy(), issues["label_quality"].to_numpy()


def probe_cleanlab_flags(X, labels, *, seed: int = 0):
    """cleanlab.filter.find_label_issues on the cross-validated logistic probe's probabilities."""
    import cleanlab.filter
    import cleanlab.rank

    from labelaudit.predict.cross_val import cross_val_probabilities

    P = cross_val_probabilities(X, labels, model="logreg", seed=seed)
    flags = cleanlab.filter.find_label_issues(labels, P)
    return flags, cleanlab.rank.get_label_quality_scores(labels, P)


def digits_family(seeds: list[int]) -> EmbeddingRow:
    per: dict[str, list[Scores]] = {}
    choices, errors, notes = [], [], {}
    for seed in seeds:
        X, labels, err = digits_case(seed)
        flags, quality, choice = labelaudit_flags(X, labels, seed=seed)
        per.setdefault(AUTO, []).append(_scores(flags, quality, err))
        choices.append(choice)
        for name, model in ((KNN, "knn"), (PROBE, "probe")):
            flags, quality, _ = labelaudit_flags(X, labels, model=model, seed=seed)
            per.setdefault(name, []).append(_scores(flags, quality, err))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            flags, score, notes[DATALAB] = datalab_flags(X, labels)
            per.setdefault(DATALAB, []).append(_scores(flags, score, err))
            flags, score = probe_cleanlab_flags(X, labels, seed=seed)
        per.setdefault(PROBE_CLEANLAB, []).append(_scores(flags, score, err))
        errors.append(int(err.sum()))
    scores = {m: _mean(v) for m, v in per.items()}
    description = "digits raw pixels, 10% flipped"
    return EmbeddingRow("emb-digits", description, len(seeds), float(np.mean(errors)), scores,
                        choices, notes)  # fmt: skip


def clusters_family(seeds: list[int], regimes=CLUSTER_REGIMES, *, n: int = 3000) -> EmbeddingRow:
    per: dict[str, list[Scores]] = {}
    choices, errors = [], []
    for seed in seeds:
        for scale, sep in regimes:
            X, labels, err = clusters_case(seed, scale, sep, n=n)
            flags, quality, choice = labelaudit_flags(X, labels, model="knn", seed=seed)
            per.setdefault(DATA_DRIVEN, []).append(_scores(flags, quality, err))
            choices.append(f"scale {scale}, sep {sep}: {choice}")
            for k in FIXED_KS:
                flags, quality, _ = labelaudit_flags(X, labels, k=k, seed=seed)
                per.setdefault(f"k={k}", []).append(_scores(flags, quality, err))
            errors.append(int(err.sum()))
    scores = {m: _mean(v) for m, v in per.items()}
    description = "unequal clusters, 30% noise; tiny separated and large overlapping"
    return EmbeddingRow("emb-clusters", description, len(errors), float(np.mean(errors)), scores,
                        choices)  # fmt: skip


def evaluate(seeds: list[int]) -> list[EmbeddingRow]:
    """Both embedding families at the given seeds."""
    return [digits_family(seeds), clusters_family(seeds)]
