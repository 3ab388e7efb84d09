"""Record training dynamics of a scikit-learn MLP on digits with planted label noise.

Nothing is downloaded: digits ships with scikit-learn. The recorder follows our study
(docs/early-learning.md): MLP(512), Adam, learning rate 2e-3, batch 32, one `partial_fit` per
epoch, probabilities on the training set after each epoch, long enough to memorise the noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NOISE_KINDS = ("symmetric", "pair")


@dataclass(frozen=True)
class NoisyDigits:
    features: np.ndarray
    true_labels: np.ndarray
    labels: np.ndarray  # given (noisy)
    k: int


def plant_noise(true_labels: np.ndarray, k: int, kind: str, rate: float, seed: int) -> np.ndarray:
    """Flip exactly round(rate·N) labels: to a uniformly chosen other class, or c → c+1 (pair)."""
    if kind not in NOISE_KINDS:
        raise ValueError(f"noise kind must be one of {NOISE_KINDS}, got {kind!r}.")
    rng = np.random.default_rng(seed)
    labels = true_labels.copy()
    flip = rng.choice(len(labels), size=round(rate * len(labels)), replace=False)
    if kind == "symmetric":
        labels[flip] = (labels[flip] + rng.integers(1, k, size=len(flip))) % k
    else:
        labels[flip] = (labels[flip] + 1) % k
    return labels


def noisy_digits(kind: str, rate: float, seed: int) -> NoisyDigits:
    from sklearn.datasets import load_digits

    digits = load_digits()
    features = digits.data / 16.0
    true = digits.target.astype(np.int64)
    return NoisyDigits(features, true, plant_noise(true, 10, kind, rate, seed), 10)


def record_mlp(
    data: NoisyDigits,
    *,
    epochs: int,
    seed: int,
    hidden: int = 512,
    recorder=None,
) -> np.ndarray:
    """Train with partial_fit, one call per epoch; return E×N×K probabilities on the training set.

    With a labelaudit Recorder, each epoch is also logged to it in mini-batches.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        solver="adam",
        learning_rate_init=2e-3,
        batch_size=32,
        alpha=1e-4,
        random_state=seed,
    )
    classes = np.arange(data.k)
    n = len(data.labels)
    record = np.empty((epochs, n, data.k), dtype=np.float32)
    rng = np.random.default_rng(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(epochs):
            order = rng.permutation(n)
            model.partial_fit(data.features[order], data.labels[order], classes=classes)
            record[epoch] = model.predict_proba(data.features)
            if recorder is not None:
                for start in range(0, n, 256):
                    rows = np.arange(start, min(start + 256, n))
                    recorder.log(epoch, rows, record[epoch, rows])
    if recorder is not None:
        recorder.close()
    return record
