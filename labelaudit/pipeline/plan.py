"""Check a request before any large input is read: detectors, evidence, options, engine, outputs.

Every refusal is one sentence (a ConfigError, exit 2 on the command line), so a request that
cannot work costs nothing: no file is opened beyond its name and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from labelaudit.confident.methods import CONFIDENT_LEARNING_DEFAULTS
from labelaudit.detectors import registry
from labelaudit.detectors.base import EVIDENCE_KINDS, requirements
from labelaudit.errors import ConfigError
from labelaudit.pipeline.refusals import option_flag, refuse_present
from labelaudit.pipeline.request import DEFAULT_DETECTOR, ENGINES, TASK_CHOICES, AuditRequest

# The options that choose and order confident learning's flags, and those that tune its joint.
RANKING_AND_PRUNING = ("filter_by", "rank_by", "frac_noise", "num_to_remove_per_class")
JOINT_TUNING = ("calibrate", "min_examples_per_class")
# What each engine cannot take yet: input kind -> the reason, said before any work.
DASK_REFUSES = {
    "dynamics": "training dynamics",
    "features": "--features (cross-validate first with `labelaudit predict`)",
    "device": "--device (the cluster's workers decide where they run)",
    "in_memory": "--in-memory (the matrix stays on the workers)",
}


@dataclass(frozen=True)
class Plan:
    """What the pipeline will do: the task, the detector classes in order, the changed options."""

    task: str  # "classification", "multi_label", "dynamics", "segmentation", "token", …
    detectors: tuple[tuple[str, type], ...]
    changed_options: dict  # confident-learning options that differ from the defaults


def changed_options(options: dict) -> dict:
    """The confident-learning options that differ from cleanlab's defaults."""
    unknown = set(options) - set(CONFIDENT_LEARNING_DEFAULTS)
    if unknown:
        raise ConfigError(f"unknown confident-learning option {sorted(unknown)[0]!r}.")
    return {k: v for k, v in options.items() if v != CONFIDENT_LEARNING_DEFAULTS[k]}


def check(request: AuditRequest) -> Plan:
    """The request's plan, or a one-sentence ConfigError."""
    if request.task == "regression":
        from labelaudit.pipeline.regression_plan import check_regression

        _check_columns(request)
        check_regression(request, changed_options(dict(request.options)))
        return Plan("regression", (), {})
    if request.predictions is not None:
        raise ConfigError("--predictions are regression predictions; add --task regression.")
    _check_sources(request)
    _check_embeddings(request)
    _check_engine(request)
    if request.task not in TASK_CHOICES:
        raise ConfigError(f"--task must be one of {', '.join(TASK_CHOICES)}, got {request.task!r}.")
    if request.outputs.pixel_mask is not None and request.task != "segmentation":
        raise ConfigError("--pixel-mask-out needs --task segmentation.")
    if request.annotations is not None or request.outputs.annotator_report is not None:
        return Plan("multiannotator", (), _check_annotations(request))
    if request.labels is None:
        raise ConfigError("give the labels (--labels), or several annotators' (--annotations).")
    if request.task in ("segmentation", "token"):
        return Plan(request.task, (), _check_per_part(request))
    detectors = tuple((name, registry.load(name)) for name in request.detector_names)
    task = _task(request, detectors)
    changed = changed_options(dict(request.options))
    _check_options(request, task, detectors[0][0], changed)
    return Plan(task, detectors, changed)


def _check_sources(request: AuditRequest) -> None:
    if request.dynamics_kind != "auto":  # the default needs no import of the dynamics package
        from labelaudit.dynamics.source import KINDS

        if request.dynamics_kind not in KINDS:
            raise ConfigError(
                f"--dynamics-kind must be one of {', '.join(KINDS)}, got {request.dynamics_kind!r}."
            )
    _check_columns(request)
    if request.features is not None and request.pred_probs:
        raise ConfigError("give --pred-probs (one or more) or --features, not both.")
    if not request.given():
        raise ConfigError(
            "give out-of-sample probabilities (--pred-probs, --features or --embeddings) or "
            "training dynamics (--dynamics)."
        )


# What an audit from --embeddings does not take, with the reason said before any work.
EMBEDDINGS_REFUSE = {
    "pred_probs": "--pred-probs (the probabilities come from the embeddings)",
    "features": "--features (give the vectors as --embeddings or as --features, not both)",
    "dynamics": "--dynamics",
    "multi_label": "--multi-label",
    "logits": "--logits",
    "task": "--task segmentation or token",
    "dask": "--engine dask",
}


def _check_embeddings(request: AuditRequest) -> None:
    from labelaudit.predict.embeddings import MODELS

    spec = request.embeddings
    if spec is None:
        return
    given = {
        "pred_probs": bool(request.pred_probs),
        "features": request.features is not None,
        "dynamics": request.dynamics is not None,
        "multi_label": request.multi_label,
        "logits": request.logits,
        "task": request.task in ("segmentation", "token"),
        "dask": request.engine == "dask",
    }
    refuse_present(given, EMBEDDINGS_REFUSE, "--embeddings does not combine with {}.")
    if spec.model not in MODELS:
        raise ConfigError(
            f"--embedding-model must be one of {', '.join(MODELS)}, got {spec.model!r}."
        )
    if spec.folds < 2:
        raise ConfigError(f"--folds must be at least 2, got {spec.folds}.")


def _check_columns(request: AuditRequest) -> None:
    """--label-column and --id-column name columns of a table; arrays and text have none."""
    from pathlib import Path

    if not isinstance(request.labels, (str, Path)):
        return
    suffix = Path(request.labels).suffix.lower()
    if suffix not in (".npy", ".txt"):
        return
    given = [
        flag
        for flag, set_ in (
            ("--label-column", request.label_column != "label"),
            ("--id-column", request.id_column is not None),
        )
        if set_
    ]
    if given:
        raise ConfigError(
            f"{given[0]} names a column, but {request.labels} is a {suffix} file without "
            "columns; give the labels as .csv or .parquet, or drop the option."
        )


def _check_engine(request: AuditRequest) -> None:
    if request.engine not in ENGINES:
        raise ConfigError(f"--engine must be one of {', '.join(ENGINES)}, got {request.engine!r}.")
    if request.scheduler is not None and request.engine != "dask":
        raise ConfigError("--scheduler needs --engine dask.")
    if request.engine != "dask":
        return
    given = {
        "dynamics": request.dynamics is not None,
        "features": request.features is not None,
        "device": request.device != "cpu",
        "in_memory": request.in_memory,
    }
    refuse_present(given, DASK_REFUSES, "--engine dask does not take {} yet.")


def _task(request: AuditRequest, detectors: tuple[tuple[str, type], ...]) -> str:
    """Which audit runs, after checking that every detector has the evidence it needs."""
    names = [name for name, _ in detectors]
    if len(set(names)) != len(names):
        raise ConfigError(f"a detector is named twice: {', '.join(names)}.")
    given = request.given()
    for name, cls in detectors:
        needs, _ = requirements(cls)
        missing = [kind for kind in needs if kind not in given]
        if missing:
            raise ConfigError(f"{name} needs {EVIDENCE_KINDS.get(missing[0], missing[0])}.")
    primary_needs, primary_uses = requirements(detectors[0][1])
    reads_dynamics = "dynamics" in primary_needs
    if request.dynamics is not None and not reads_dynamics:
        raise ConfigError(
            f"{names[0]} does not read training dynamics; drop --dynamics, or name a dynamics "
            "detector (`labelaudit detectors` lists them)."
        )
    if len(detectors) > 1 and not all("dynamics" in requirements(c)[0] for _, c in detectors):
        raise ConfigError(
            "several --detector values need --dynamics (training dynamics), and all of them "
            "must be dynamics detectors."
        )
    if request.multi_label:
        if reads_dynamics or request.features is not None or names[0] != DEFAULT_DETECTOR:
            raise ConfigError("--multi-label works with --pred-probs and confident learning only.")
        return "multi_label"
    if reads_dynamics:
        if request.features is not None:
            raise ConfigError("--dynamics combines with --pred-probs, not with --features.")
        if "pred_probs" in given and "pred_probs" not in primary_needs + primary_uses:
            raise ConfigError(f"{names[0]} does not combine with --pred-probs; drop it.")
        return "dynamics"
    return "classification"


# What a segmentation or token audit does not take, with the reason said before any work.
PER_PART_REFUSES = {
    "multi_label": "--multi-label",
    "dynamics": "--dynamics",
    "features": "--features",
    "logits": "--logits (give softmax probabilities)",
    "detectors": "--detector (the pixel audit is confident learning)",
    "id_column": "--id-column (a segmentation row is an image position; a token table's `id` "
    "column is carried as it is)",
    "ensemble": "several --pred-probs",
    "dask": "--engine dask",
}


def _check_per_part(request: AuditRequest) -> dict:
    """Refuse what a pixel or token audit cannot take; neither has options of its own yet."""
    given = {
        "multi_label": request.multi_label,
        "dynamics": request.dynamics is not None,
        "features": request.features is not None,
        "logits": request.logits,
        "detectors": bool(request.detectors),
        "id_column": request.id_column is not None,
        "ensemble": len(request.pred_probs) > 1,
        "dask": request.engine == "dask",
    }
    refuse_present(given, PER_PART_REFUSES, f"--task {request.task} does not take {{}}.")
    changed = changed_options(dict(request.options))
    if changed:
        flag = option_flag(sorted(changed)[0])
        raise ConfigError(
            f"--task {request.task} runs cleanlab's audit with its defaults; drop {flag}."
        )
    return changed


def _check_options(request: AuditRequest, task: str, primary: str, changed: dict) -> None:
    if task == "dynamics":
        if any(key in changed for key in RANKING_AND_PRUNING):
            raise ConfigError(
                "--filter-by, --rank-by and the pruning options apply to confident_learning "
                "alone; with --dynamics, confident learning runs with its defaults."
            )
        if changed and not request.pred_probs:
            raise ConfigError(
                "--no-calibrate and --min-examples-per-class tune confident learning, which "
                "runs with --dynamics only when --pred-probs is given too."
            )
        return
    if primary != DEFAULT_DETECTOR and changed:
        raise ConfigError(
            f"--filter-by, --rank-by and the pruning options apply to confident_learning, "
            f"not to detector {primary!r}."
        )
    if task == "multi_label" and not request.options.get("calibrate", True):
        raise ConfigError("--no-calibrate does not apply to --multi-label audits.")


# What an audit of several annotators' labels (--annotations) does not take, with the reason.
ANNOTATIONS_REFUSE = {
    "labels": "--labels (the consensus of the annotations is the label)",
    "task": "--task",
    "multi_label": "--multi-label",
    "dynamics": "--dynamics",
    "features": "--features (cross-validation needs one label per example)",
    "detectors": "--detector (the consensus and its quality are CROWDLAB's)",
    "label_column": "--label-column (every column but the id is an annotator)",
    "dask": "--engine dask",
}


def _check_annotations(request: AuditRequest) -> dict:
    """Refuse what a CROWDLAB audit cannot take; it has no options of its own yet."""
    if request.annotations is None:
        raise ConfigError("--annotator-report needs --annotations.")
    given = {
        "labels": request.labels is not None,
        "task": request.task != "auto",
        "multi_label": request.multi_label,
        "dynamics": request.dynamics is not None,
        "features": request.features is not None,
        "detectors": bool(request.detectors),
        "label_column": request.label_column != "label",
        "dask": request.engine == "dask",
    }
    refuse_present(given, ANNOTATIONS_REFUSE, "--annotations does not take {}.")
    changed = changed_options(dict(request.options))
    if changed:
        flag = option_flag(sorted(changed)[0])
        raise ConfigError(
            f"--annotations flags by CROWDLAB's consensus quality (docs/annotators.md); drop {flag}."
        )
    return changed
