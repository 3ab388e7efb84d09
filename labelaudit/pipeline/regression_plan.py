"""What a regression audit refuses before any input is read (plan.check calls it)."""

from __future__ import annotations

from labelaudit.errors import ConfigError
from labelaudit.pipeline.refusals import option_flag, refuse_present

# What --task regression does not take, with the reason said before any work.
REGRESSION_REFUSES = {
    "pred_probs": "--pred-probs (give --predictions, one predicted value per row)",
    "multi_label": "--multi-label",
    "dynamics": "--dynamics",
    "logits": "--logits",
    "detectors": "--detector (the regression audit is OUTRE with the robust residual rule)",
    "class_names": "--class-names (regression labels are numbers)",
    "dask": "--engine dask",
    "pixel_mask": "--pixel-mask-out",
}


def check_regression(request, changed: dict) -> None:
    """One sentence for anything a regression audit cannot take or is missing."""

    given = {
        "pred_probs": bool(request.pred_probs),
        "multi_label": request.multi_label,
        "dynamics": request.dynamics is not None,
        "logits": request.logits,
        "detectors": bool(request.detectors),
        "class_names": request.class_names is not None,
        "dask": request.engine == "dask",
        "pixel_mask": request.outputs.pixel_mask is not None,
    }
    refuse_present(given, REGRESSION_REFUSES, "--task regression does not take {}.")
    if changed:
        flag = option_flag(sorted(changed)[0])
        raise ConfigError(f"{flag} tunes confident learning; --task regression does not use it.")
    if request.features is not None and request.predictions is not None:
        raise ConfigError("give --predictions or --features, not both.")
    if request.features is None and request.predictions is None:
        raise ConfigError(
            "--task regression needs --predictions (out-of-sample predicted values) or "
            "--features to cross-validate a regressor."
        )
    if request.features is not None:
        from labelaudit.regression.cross_val import make_regressor

        make_regressor(request.features.model_for("regression"), seed=0, impute=False)
    _check_prediction_column(request)


def _check_prediction_column(request) -> None:
    from pathlib import Path

    if request.prediction_column == "prediction" or not isinstance(
        request.predictions, (str, Path)
    ):
        return
    if Path(request.predictions).suffix.lower() == ".npy":
        raise ConfigError(
            f"--prediction-column names a column, but {request.predictions} is a .npy file "
            "without columns; give the predictions as .csv or .parquet, or drop the option."
        )
