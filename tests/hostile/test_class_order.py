"""The class-order check: fires on a permuted column order, not on heavy label noise."""

from __future__ import annotations

import numpy as np
import pytest

from labelaudit.errors import InvalidInputError
from labelaudit.io.class_order import argmax_agreement, check_class_order


def _planted(n: int, k: int, noise: float, seed: int = 0):
    """Confident model outputs for true classes, and labels with `noise` of them replaced."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, k, n)
    logits = rng.normal(0, 1, (n, k))
    logits[np.arange(n), truth] += 4.0
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = truth.copy()
    flip = rng.random(n) < noise
    labels[flip] = rng.integers(0, k, int(flip.sum()))
    return labels, probs


def test_argmax_agreement_matches_a_groupby():
    labels, probs = _planted(500, 4, 0.3)
    top = probs.argmax(axis=1)
    expected = np.stack(
        [np.bincount(top[labels == i], minlength=4) / np.sum(labels == i) for i in range(4)]
    )
    np.testing.assert_array_equal(argmax_agreement(labels, probs), expected)


@pytest.mark.parametrize("noise", [0.0, 0.2, 0.4])
def test_noisy_labels_in_the_right_order_pass(noise):
    labels, probs = _planted(4000, 5, noise)
    check_class_order(labels, probs)


def test_one_class_mostly_mislabelled_is_still_audited():
    labels, probs = _planted(4000, 5, 0.05, seed=1)
    rng = np.random.default_rng(2)
    three = np.flatnonzero(labels == 3)
    wrong = three[rng.random(len(three)) < 0.8]
    labels[wrong] = rng.choice([0, 1, 2, 4], len(wrong))
    check_class_order(labels, probs)


def test_swapped_columns_are_refused_with_the_evidence():
    labels, probs = _planted(4000, 5, 0.1)
    permuted = probs[:, [3, 1, 2, 0, 4]]
    with pytest.raises(InvalidInputError) as info:
        check_class_order(labels, permuted, source="p.npy", class_names=list("abcde"))
    message = str(info.value)
    assert message.startswith("p.npy: ")
    assert "'a'→column 3" in message and "'d'→column 0" in message
    assert "--force" in message


def test_a_full_rotation_is_refused_and_force_overrides():
    labels, probs = _planted(3000, 4, 0.3)
    rotated = np.roll(probs, 1, axis=1)
    with pytest.raises(InvalidInputError, match="look permuted"):
        check_class_order(labels, rotated)
    check_class_order(labels, rotated, force=True)


def test_an_uninformative_model_never_fires():
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(6) * 50, 2000)
    labels = rng.integers(0, 6, 2000)
    check_class_order(labels, probs[:, ::-1])


def test_the_detectors_argmax_is_used_instead_of_a_second_pass():
    labels, probs = _planted(3000, 4, 0.1)
    rotated_argmax = (probs.argmax(axis=1) + 1) % 4
    check_class_order(labels, probs)
    with pytest.raises(InvalidInputError, match="look permuted"):
        check_class_order(labels, probs, argmax=rotated_argmax)


def test_a_correct_order_needs_no_assignment_solver():
    """The identity is provably optimal when each label's top column is its own: no scipy import."""
    import subprocess
    import sys

    code = (
        "import sys, numpy as np\n"
        "from labelaudit.io.class_order import check_class_order\n"
        "rng = np.random.default_rng(0); y = rng.integers(0, 5, 2000)\n"
        "p = np.full((2000, 5), 0.05); p[np.arange(2000), y] = 0.8\n"
        "check_class_order(y, p)\n"
        "print('scipy.optimize' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
