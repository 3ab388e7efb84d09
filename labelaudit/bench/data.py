"""Synthetic benchmark inputs: Dirichlet(1) probability rows and 70% model-agreeing labels."""

from __future__ import annotations

import numpy as np


def synthetic(n: int, k: int, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(labels, pred_probs): P rows ~ Dirichlet(1) (float64); labels = argmax for 70% of rows and
    uniform for 30%, the setting of our cleanlab study (shared/research)."""
    rng = np.random.default_rng(seed)
    pred_probs = rng.dirichlet(np.ones(k), size=n)
    labels = np.where(rng.random(n) < 0.7, pred_probs.argmax(axis=1), rng.integers(0, k, n))
    return labels.astype(np.int64), pred_probs


def parse_sizes(spec: str) -> list[tuple[int, int]]:
    """'1000x10,50000x1000' -> [(1000, 10), (50000, 1000)]."""
    sizes = []
    for part in spec.split(","):
        n, _, k = part.strip().lower().partition("x")
        sizes.append((int(n.replace("_", "")), int(k.replace("_", ""))))
    return sizes
