"""Generated benchmark families with known label errors: fixed seeds, no downloads.

Each family plants label errors into a scikit-learn dataset and produces out-of-sample
pred_probs (N, K) with a scikit-learn model, so the truth of every label is known. The kinds of
noise and models are chosen to pull the cleanlab options apart: class-conditional noise at three
rates, asymmetric pair flips, a long tail of rare classes, a small held-out test set scored by a
weak model, and an over- and an underconfident model (temperature scaling of the logits).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Case:
    """One labelled problem: given labels (N,), truth (N,), each member's pred_probs (N, K)."""

    labels: np.ndarray
    true_labels: np.ndarray
    members: list[np.ndarray]

    @property
    def errors(self) -> np.ndarray:
        return self.labels != self.true_labels


def _features(seed: int, *, n: int, k: int, weights=None, sep: float = 1.0):
    from sklearn.datasets import make_classification

    return make_classification(
        n_samples=n,
        n_features=20,
        n_informative=12,
        n_redundant=2,
        n_classes=k,
        n_clusters_per_class=1,
        weights=weights,
        class_sep=sep,
        flip_y=0.0,
        random_state=seed,
    )


def _class_conditional(rng, y: np.ndarray, k: int, rate: float) -> np.ndarray:
    """Flip a fraction `rate` of each class into 1-3 other classes with random weights
    (a sparse noise matrix, as in the shared CIFAR-10 set)."""
    noisy = y.copy()
    for c in range(k):
        rows = np.flatnonzero(y == c)
        flip = rows[rng.random(len(rows)) < rate]
        targets = rng.choice(np.setdiff1d(np.arange(k), [c]), size=min(3, k - 1), replace=False)
        weights = rng.dirichlet(np.ones(len(targets)))
        noisy[flip] = rng.choice(targets, size=len(flip), p=weights)
    return noisy


def _cross_val_probs(x, y, seed: int, model: str = "logistic") -> np.ndarray:
    from sklearn.model_selection import cross_val_predict

    return cross_val_predict(_model(model, seed), x, y, cv=5, method="predict_proba")


def _model(name: str, seed: int):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier

    return {
        "logistic": lambda: LogisticRegression(max_iter=300),
        "forest": lambda: RandomForestClassifier(n_estimators=60, random_state=seed, n_jobs=1),
        "bayes": GaussianNB,
        "knn": lambda: KNeighborsClassifier(n_neighbors=25),
    }[name]()


def _temper(P: np.ndarray, temperature: float) -> np.ndarray:
    """Softmax(log P / T): T < 1 sharpens (overconfident), T > 1 flattens (underconfident)."""
    logits = np.log(np.clip(P, 1e-12, None)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    return out / out.sum(axis=1, keepdims=True)


def class_conditional(
    rate: float, seed: int, *, n: int = 4000, k: int = 8, models=("logistic", "forest")
) -> Case:
    rng = np.random.default_rng(seed)
    x, y = _features(seed, n=n, k=k, sep=1.5)
    noisy = _class_conditional(rng, y, k, rate)
    members = [_cross_val_probs(x, noisy, seed, m) for m in models]
    return Case(noisy, y, members)


def pair_flips(seed: int, *, n: int = 4000, k: int = 6, rate: float = 0.3) -> Case:
    """Class c is mislabelled as c+1 (mod K) at `rate`, never the other way (asymmetric)."""
    rng = np.random.default_rng(seed)
    x, y = _features(seed, n=n, k=k, sep=1.5)
    noisy = y.copy()
    flip = rng.random(n) < rate
    noisy[flip] = (y[flip] + 1) % k
    return Case(noisy, y, [_cross_val_probs(x, noisy, seed, "logistic")])


def long_tail(seed: int, *, n: int = 5000, k: int = 10, rate: float = 0.1) -> Case:
    """Class frequencies fall geometrically (the rarest ~40 examples); uniform 10% noise."""
    rng = np.random.default_rng(seed)
    weights = 0.6 ** np.arange(k)
    x, y = _features(seed, n=n, k=k, weights=list(weights / weights.sum()), sep=1.5)
    noisy = y.copy()
    flip = np.flatnonzero(rng.random(n) < rate)
    noisy[flip] = (y[flip] + rng.integers(1, k, len(flip))) % k
    return Case(noisy, y, [_cross_val_probs(x, noisy, seed, "logistic")])


def small_test_set(seed: int, *, n_train: int = 3000, n_test: int = 800, k: int = 5) -> Case:
    """A weak model (Gaussian naive Bayes, few features) trained on a clean training split scores
    a small test split whose labels are 1-3% wrong: model errors outnumber label errors."""
    rng = np.random.default_rng(seed)
    x, y = _features(seed, n=n_train + n_test, k=k, sep=1.0)
    x = x[:, :10]
    model = _model("bayes", seed).fit(x[:n_train], y[:n_train])
    P = model.predict_proba(x[n_train:])
    truth = y[n_train:]
    noisy = truth.copy()
    rate = rng.uniform(0.01, 0.03)
    flip = np.flatnonzero(rng.random(n_test) < rate)
    noisy[flip] = (truth[flip] + rng.integers(1, k, len(flip))) % k
    return Case(noisy, truth, [P])


def tempered(temperature: float, seed: int, *, n: int = 4000, k: int = 8) -> Case:
    """20% class-conditional noise, the model's logits divided by a temperature."""
    base = class_conditional(0.2, seed, n=n, k=k, models=("logistic",))
    return Case(base.labels, base.true_labels, [_temper(base.members[0], temperature)])


# name -> builder(seed); the descriptions appear in the benchmark table's notes.
FAMILIES: dict[str, tuple[str, Callable[[int], Case]]] = {
    "cc-noise-5": ("class-conditional noise 5%, 2 models", lambda s: class_conditional(0.05, s)),
    "cc-noise-20": ("class-conditional noise 20%, 2 models", lambda s: class_conditional(0.2, s)),
    "cc-noise-40": ("class-conditional noise 40%, 2 models", lambda s: class_conditional(0.4, s)),
    "small-test": ("weak model, small test set, 1-3% errors", small_test_set),
    "pair-flips": ("asymmetric flips c -> c+1 at 30%", pair_flips),
    "long-tail": ("geometric class sizes, 10% noise", long_tail),
    "overconfident": ("20% noise, temperature 0.5", lambda s: tempered(0.5, s)),
    "underconfident": ("20% noise, temperature 2", lambda s: tempered(2.0, s)),
}
