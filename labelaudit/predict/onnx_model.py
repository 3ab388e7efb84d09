"""Score inputs with ONNX classifiers through onnxruntime, in batches, GPU when available."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from labelaudit.errors import ConfigError, InvalidInputError
from labelaudit.io.formats import check_readable

PREFERRED_PROVIDERS = ("CUDAExecutionProvider", "CPUExecutionProvider")
# Model outputs whose rows sum to 1 within this and lie in [0, 1] are taken as probabilities;
# anything else is treated as logits and softmaxed.
PROBABILITY_SUM_TOLERANCE = 1e-3
_ONNX_DTYPES = {"tensor(float)": np.float32, "tensor(double)": np.float64}


def open_model(path: Path, providers: list[str] | None = None):
    """An onnxruntime InferenceSession, with a readable error for files that are not ONNX."""
    import onnxruntime as ort

    path = Path(path)
    check_readable(path, (".onnx",), "model")
    available = ort.get_available_providers()
    if providers:
        unknown = [p for p in providers if p not in available]
        if unknown:
            raise ConfigError(
                f"execution provider {unknown[0]} is not available here; available: "
                f"{', '.join(available)}."
            )
        chosen = providers
    else:
        chosen = [p for p in PREFERRED_PROVIDERS if p in available]
    try:
        return ort.InferenceSession(str(path), providers=chosen)
    except Exception as exc:  # onnxruntime raises its own pybind exception types
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"{path}: not a loadable ONNX model ({first}).") from exc


def output_name(session, requested: str | None, source: Path) -> str:
    """The requested output, else the first 2-D floating-point output (class scores)."""
    outputs = session.get_outputs()
    names = [o.name for o in outputs]
    if requested is not None:
        if requested not in names:
            raise ConfigError(f"{source}: no output {requested!r}; outputs: {', '.join(names)}.")
        return requested
    for out in outputs:
        if out.type in _ONNX_DTYPES and len(out.shape or ()) == 2:
            return out.name
    raise InvalidInputError(
        f"{source}: no 2-D floating-point output to read class scores from; outputs: "
        f"{', '.join(f'{o.name} {o.type}' for o in outputs)} (choose one with --output-name)."
    )


def run_model(
    session,
    inputs: np.ndarray,
    *,
    output: str,
    batch_size: int = 4096,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Raw N×K model outputs, computed batch by batch."""
    model_input = session.get_inputs()[0]
    dtype = _ONNX_DTYPES.get(model_input.type, np.float32)
    parts = []
    for start in range(0, len(inputs), batch_size):
        batch = np.ascontiguousarray(inputs[start : start + batch_size], dtype=dtype)
        (scores,) = session.run([output], {model_input.name: batch})
        parts.append(np.asarray(scores, dtype=np.float64))
        if on_batch is not None:
            on_batch(len(batch))
    return np.concatenate(parts) if parts else np.empty((0, 0))


def to_probabilities(scores: np.ndarray) -> np.ndarray:
    """Probabilities as they are; logits (rows outside [0, 1] or not summing to 1) softmaxed."""
    from labelaudit.io.probabilities import softmax

    if scores.ndim != 2:
        raise InvalidInputError(f"the model output has shape {scores.shape}, not N×K.")
    in_range = scores.min() >= 0 and scores.max() <= 1
    sums_to_one = np.all(np.abs(scores.sum(axis=1) - 1) <= PROBABILITY_SUM_TOLERANCE)
    return scores if in_range and sums_to_one else softmax(scores)


def score(
    model_paths: list[Path],
    inputs: np.ndarray,
    *,
    folds: np.ndarray | None = None,
    providers: list[str] | None = None,
    output: str | None = None,
    batch_size: int = 4096,
    num_classes: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """N×K probabilities. With `folds`, row i is scored by model_paths[folds[i]] only."""
    if folds is None:
        if len(model_paths) != 1:
            raise ConfigError(
                "several --onnx models need --fold-column to say which scores which row."
            )
        folds = np.zeros(len(inputs), dtype=np.int64)
    fold_ids = np.unique(folds)
    if fold_ids.min() < 0 or fold_ids.max() >= len(model_paths):
        missing = int(fold_ids[(fold_ids < 0) | (fold_ids >= len(model_paths))][0])
        raise InvalidInputError(
            f"fold {missing} has no model: {len(model_paths)} --onnx model(s) cover folds "
            f"0..{len(model_paths) - 1}, in the order given."
        )
    result: np.ndarray | None = None
    for f, path in enumerate(model_paths):
        session = open_model(path, providers)
        name = output_name(session, output, path)
        rows = np.flatnonzero(folds == f)
        if len(rows) == 0:
            continue
        probs = to_probabilities(
            run_model(session, inputs[rows], output=name, batch_size=batch_size, on_batch=on_batch)
        )
        if num_classes is not None and probs.shape[1] != num_classes:
            raise InvalidInputError(
                f"{path}: output {name!r} has {probs.shape[1]} columns but the labels have "
                f"{num_classes} classes."
            )
        if result is None:
            result = np.zeros((len(inputs), probs.shape[1]))
        elif probs.shape[1] != result.shape[1]:
            raise InvalidInputError(
                f"{path}: {probs.shape[1]} output columns, other models have {result.shape[1]}."
            )
        result[rows] = probs
    return result
