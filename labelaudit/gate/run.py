"""Run the gate: audit as configured, set accepted rows aside, check the limits."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

import numpy as np

from labelaudit.errors import ConfigError, InvalidInputError
from labelaudit.gate.baseline import accepted_mask, read_baseline, row_keys, write_baseline
from labelaudit.gate.config import GateConfig


@dataclass(frozen=True)
class Check:
    """One limit and what the audit measured against it, as numbers (never formatted text).

    unit: "fraction" (limit and actual in [0, 1]; flagged/examples give the count behind actual)
    or "count" (open issues; flagged is actual, examples None).
    """

    name: str
    limit: float
    actual: float
    passed: bool
    unit: str
    flagged: int
    examples: int | None = None

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "limit": self.limit,
            "actual": self.actual,
            "passed": self.passed,
            "unit": self.unit,
            "flagged": self.flagged,
            "examples": self.examples,
        }


@dataclass
class GateResult:
    report: object
    checks: list[Check]
    open_rows: np.ndarray  # flagged and not accepted, most likely wrong first
    accepted: int
    key_kind: str
    keys: list[str] = field(repr=False)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def run_audit(config: GateConfig):
    """The audit the configuration describes (the same as `labelaudit audit` would run), and
    the labels it read (with their whole table, which keys baseline rows without ids)."""
    from labelaudit.io.outputs import guard_output
    from labelaudit.pipeline import AuditRequest
    from labelaudit.pipeline.plan import check as check_plan
    from labelaudit.pipeline.runner import run_with_labels

    inputs = [config.source, config.labels, *config.pred_probs, config.dynamics]
    where = f"{config.source} [tool.labelaudit]:"
    guard_output(
        config.report, [*inputs, config.baseline], option=f"{where} report", create_parent=True
    )
    # The baseline is the one file the gate may rewrite in place (--update-baseline).
    guard_output(
        config.baseline, [*inputs, config.report], option=f"{where} baseline", suffixes=None
    )
    # load_config checked the options: confident learning's own, or the named detector's.
    detector = config.detectors[0] if config.detectors else None
    confident = config.dynamics is None and detector in (None, "confident_learning")
    request = AuditRequest(
        labels=config.labels,
        pred_probs=tuple(config.pred_probs),
        dynamics=config.dynamics,
        dynamics_kind=config.dynamics_kind,
        task=config.task,
        logits=config.logits,
        force=config.force,
        label_column=config.label_column,
        id_column=config.id_column,
        class_names=None if config.class_names is None else tuple(config.class_names),
        detectors=tuple(config.detectors),
        options=config.options if confident else {},
        detector_options={} if confident else config.options,
    )
    try:
        check_plan(request)
    except ConfigError as exc:  # said with the audit command's flags: say it with config keys
        raise ConfigError(f"{config.source} [tool.labelaudit]: {_as_config_keys(exc)}") from exc
    return run_with_labels(request, keep_label_table=True)


# The audit command's flags that a plan refusal may name, and the configuration keys they are.
FLAG_KEYS = {
    "--pred-probs": "'pred_probs'",
    "--dynamics": "'dynamics'",
    "--detector": "'detector'",
    "--filter-by": "options.filter_by",
    "--rank-by": "options.rank_by",
    "--no-calibrate": "options.calibrate",
    "--min-examples-per-class": "options.min_examples_per_class",
}


def _as_config_keys(exc: ConfigError) -> str:
    import re

    pattern = "|".join(re.escape(flag) for flag in sorted(FLAG_KEYS, key=len, reverse=True))
    return re.sub(rf"({pattern})\b", lambda m: FLAG_KEYS[m.group(1)], str(exc))


def evaluate(config: GateConfig, *, update_baseline: bool = False) -> GateResult:
    """Audit, write the report for inspection, and check the limits against open issues."""
    report, labels = run_audit(config)
    kind, keys = row_keys(report, None if labels is None else labels.table)
    flagged = report.columns["is_label_issue"]
    current = [k for k, f in zip(keys, flagged, strict=True) if f]
    if update_baseline:
        baseline_kind, accepted_keys = kind, set(current)
    else:
        baseline_kind, accepted_keys = read_baseline(config.baseline)
    if baseline_kind is not None and baseline_kind != kind:
        raise InvalidInputError(
            f"baseline {config.baseline} keys rows by {baseline_kind} but this audit by {kind}; "
            "rewrite it with `labelaudit gate --update-baseline`."
        )
    accepted = accepted_mask(keys, accepted_keys)
    open_flags = flagged & ~accepted
    order = report.issue_order()
    open_rows = order[open_flags[order]]
    n = len(flagged)
    checks = []
    if config.max_issue_fraction is not None:
        count = int(open_flags.sum())
        share = count / n
        limit = float(config.max_issue_fraction)
        checks.append(Check("issue fraction", limit, share, share <= limit, "fraction", count, n))
    if config.max_new_issues is not None:
        count = int(open_flags.sum())
        limit = config.max_new_issues
        checks.append(Check("new issues", limit, count, count <= limit, "count", count))
    checks += _class_checks(config, report, open_flags)
    # Every check could be computed: only now write the report (and the new baseline).
    config.report.parent.mkdir(parents=True, exist_ok=True)
    report.to_parquet(config.report)
    if update_baseline:
        write_baseline(config.baseline, kind, current)
    return GateResult(report, checks, open_rows, int((flagged & accepted).sum()), kind, keys)


def _class_checks(config: GateConfig, report, open_flags: np.ndarray) -> list[Check]:
    if not config.max_class_issue_fraction:
        return []
    k = int(report.metadata["k"])
    names = [report.class_name(c) for c in range(k)]
    given = report.columns["given_label"]
    totals = np.bincount(given, minlength=k)
    flags = np.bincount(given[open_flags], minlength=k)
    limits = {
        _class_index(name, names, config): limit
        for name, limit in config.max_class_issue_fraction.items()
        if name != "*"
    }
    default = config.max_class_issue_fraction.get("*")
    if default is not None:  # '*': every class without a limit of its own
        limits = {c: limits.get(c, default) for c in range(k)}
    checks = []
    for c, limit in sorted(limits.items()):
        share = float(flags[c] / totals[c]) if totals[c] else 0.0
        flagged, examples = int(flags[c]), int(totals[c])
        checks.append(
            Check(
                f"class {names[c]}",
                float(limit),
                share,
                share <= limit,
                "fraction",
                flagged,
                examples,
            )
        )
    return checks


def _class_index(name: str, names: list[str], config: GateConfig) -> int:
    if name in names:
        return names.index(name)
    close = difflib.get_close_matches(name, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(
        f"{config.source} [tool.labelaudit]: max_class_issue_fraction.{name} names a class the "
        f"audit does not have{hint}; expected one of {', '.join(map(repr, names))}, or '*' for "
        "every class."
    )
