"""Names of the confident-learning methods, importable without numpy (the CLI's --help uses them)."""

FILTER_METHODS = (
    "prune_by_noise_rate",
    "prune_by_class",
    "both",
    "confident_learning",
    "predicted_neq_given",
    "low_normalized_margin",
    "low_self_confidence",
)
PRUNING_METHODS = ("prune_by_noise_rate", "prune_by_class", "both")
LOW_SCORE_METHODS = ("low_normalized_margin", "low_self_confidence")
RANK_METHODS = ("self_confidence", "normalized_margin", "confidence_weighted_entropy")

# The options of `labelaudit audit` that belong to confident learning, at cleanlab's defaults.
CONFIDENT_LEARNING_DEFAULTS = {
    "filter_by": None,  # labelaudit's default (cleanlab's, plus member-averaged ensembles)
    "rank_by": "self_confidence",
    "frac_noise": 1.0,
    "num_to_remove_per_class": None,
    "min_examples_per_class": 1,
    "calibrate": True,
}
