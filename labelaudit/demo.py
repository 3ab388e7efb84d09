"""The demo dataset: scikit-learn's digits with planted label noise and cross-validated probabilities.

Nothing is downloaded: digits ships with scikit-learn. The probabilities take a few seconds to
compute, so they are cached in the user cache directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from labelaudit.io.atomic import atomic_path

DEMO_VERSION = 1
CLASS_NAMES = [str(d) for d in range(10)]


@dataclass(frozen=True)
class DemoData:
    labels: np.ndarray  # noisy given labels (N,)
    true_labels: np.ndarray  # the labels before noise was planted (N,)
    pred_probs: np.ndarray  # 5-fold cross-validated probabilities (N, 10)

    @property
    def is_noisy(self) -> np.ndarray:
        return self.labels != self.true_labels


def cache_dir() -> Path:
    """LABELAUDIT_CACHE_DIR, else the platform's user cache directory for labelaudit."""
    override = os.environ.get("LABELAUDIT_CACHE_DIR")
    if override:
        return Path(override)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("labelaudit"))


def load_demo(*, noise: float = 0.1, seed: int = 0) -> DemoData:
    """Digits with `noise` of the labels flipped uniformly to another class (seeded), cached."""
    path = cache_dir() / f"demo-digits-v{DEMO_VERSION}-noise{noise:g}-seed{seed}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                return DemoData(z["labels"], z["true_labels"], z["pred_probs"])
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt below
    data = make_demo(noise=noise, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        np.savez(fh, labels=data.labels, true_labels=data.true_labels, pred_probs=data.pred_probs)
    return data


def make_demo(*, noise: float, seed: int) -> DemoData:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, true_labels = load_digits(return_X_y=True)
    rng = np.random.default_rng(seed)
    flip = rng.random(len(true_labels)) < noise
    shift = rng.integers(1, 10, size=len(true_labels))
    labels = np.where(flip, (true_labels + shift) % 10, true_labels)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    pred_probs = cross_val_predict(model, features, labels, cv=folds, method="predict_proba")
    return DemoData(labels.astype(np.int64), true_labels.astype(np.int64), pred_probs)
