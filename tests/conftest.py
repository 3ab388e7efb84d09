"""Shared fixtures: the real benchmark data in ../shared/data (skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DATASETS = ("cifar10-synthetic-noise", "roman-numeral")
MODELS = (
    "efficientnet_b1",
    "resnet18",
    "resnet50d",
    "swin_base_patch4_window7_224",
    "twins_pcpvt_base",
)


def shared_data_dir() -> Path:
    if not (SHARED_DATA / DATASETS[0] / "given_labels.npy").exists():
        pytest.skip(f"shared benchmark data not found at {SHARED_DATA}")
    return SHARED_DATA


def load_shared(dataset: str, member: str) -> tuple[np.ndarray, np.ndarray]:
    """(labels, pred_probs) for one model, or the 5-model ensemble averaged as cleanlab users do."""
    root = shared_data_dir() / dataset
    labels = np.load(root / "given_labels.npy")
    if member == "ensemble":
        stack = np.stack([np.load(root / "pred_probs" / f"{m}.npy") for m in MODELS])
        return labels, np.mean(stack, axis=0)
    return labels, np.load(root / "pred_probs" / f"{member}.npy")
