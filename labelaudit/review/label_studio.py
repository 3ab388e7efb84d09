"""Label Studio round trip: flagged rows as tasks with the suggestion as a prediction, the
labeling config that shows them, and the reviewers' annotations read back as decisions.

Formats: https://labelstud.io/guide/task_format (tasks, annotations, predictions) and
https://labelstud.io/tags/choices (a choices result: from_name, to_name, type, value.choices).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import quoteattr

from labelaudit.errors import InvalidInputError
from labelaudit.report import Report
from labelaudit.review.decisions import Decided, ReportRows, single_label_only

FROM_NAME = "label"  # the <Choices> tag of the config
TO_NAME = "item"  # the object tag (<Image> or <Text>) it labels
RESERVED = ("row", "label_quality", "given_label")  # what labelaudit adds to each task's data


def class_names(report: Report) -> list[str]:
    """The choices: the report's class names, else the class indices as text."""
    return [report.class_name(k) for k in range(int(report.metadata["k"]))]


def tasks(report: Report, dataset=None, dataset_path: Path | None = None, id_column=None) -> list:
    """One Label Studio task per flagged row, most likely wrong first: `data` holds the dataset's
    columns, the report's id, `row`, `label_quality` and `given_label` (a class name); the
    prediction is the suggested class, scored by its suggestion_confidence."""
    from labelaudit import __version__

    single_label_only(report, "export --format label-studio")
    cols = report.columns
    order = report.issue_order()
    records = _dataset_records(report, dataset, dataset_path, id_column, order)
    names = class_names(report)
    out = []
    for record, r in zip(records, order.tolist(), strict=True):
        data = dict(record)
        if "id" in cols:
            data["id"] = _jsonable(cols["id"][r])
        data.update(
            row=int(cols["row"][r]),
            label_quality=float(cols["label_quality"][r]),
            given_label=names[int(cols["given_label"][r])],
        )
        choice = {"choices": [names[int(cols["suggested_label"][r])]]}
        result = {"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices", "value": choice}
        prediction = {
            "model_version": f"labelaudit {__version__}",
            "score": float(cols["suggestion_confidence"][r]),
            "result": [result],
        }
        out.append({"data": data, "predictions": [prediction]})
    return out


def _dataset_records(report, dataset, dataset_path, id_column, order) -> list[dict]:
    """The dataset's rows for order as JSON-ready dicts (NaN as null); columns that clash with
    what labelaudit adds get a `_dataset` suffix, as in the other exports."""
    if dataset is None:
        return [{} for _ in order]
    from labelaudit.review.dataset import align

    joined = align(report, dataset, dataset_path, id_column).iloc[order]
    joined = joined.rename(columns={c: f"{c}_dataset" for c in joined.columns if c in RESERVED})
    return json.loads(joined.to_json(orient="records", force_ascii=False, date_format="iso"))


def config(report: Report, dataset=None) -> str:
    """The labeling config for the exported tasks: the item (an image or text column of the
    dataset, else the row's id), the given label, and one choice per class."""
    from labelaudit.review.html import IMAGE_COLUMNS, TEXT_COLUMNS, guess_column

    single_label_only(report, "export --format label-studio-config")
    tag, value = "Text", "id" if "id" in report.columns else "row"
    if dataset is not None:
        image = guess_column(dataset, IMAGE_COLUMNS, images=True)
        text = guess_column(dataset, TEXT_COLUMNS, images=False)
        if image is not None:
            tag, value = "Image", image
        elif text is not None:
            value = text
    choices = "\n".join(f"    <Choice value={quoteattr(name)}/>" for name in class_names(report))
    return (
        "<View>\n"
        f"  <{tag} name={quoteattr(TO_NAME)} value={quoteattr('$' + value)}/>\n"
        '  <Header value="Given label: $given_label"/>\n'
        f"  <Choices name={quoteattr(FROM_NAME)} toName={quoteattr(TO_NAME)} "
        'choice="single" showInline="true">\n'
        f"{choices}\n"
        "  </Choices>\n"
        "</View>\n"
    )


def read_export(path: Path, rows: ReportRows) -> list[Decided]:
    """The decisions in a Label Studio JSON export: each task's row from data.row (its id
    checked against data.id), decided by its latest annotation that was not cancelled; tasks
    with none are undecided."""
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"{path}: not a JSON file ({exc}).") from exc
    if not isinstance(payload, list):
        raise InvalidInputError(
            f"{path}: a Label Studio JSON export is a list of tasks, not a {type(payload).__name__}."
        )
    names = [str(n) for n in rows.report.metadata.get("class_names") or []]
    decided = []
    for number, task in enumerate(payload, start=1):
        where = f"{path} task {number}"
        if isinstance(task, dict) and "id" in task:
            where += f" (id {task['id']})"
        row, choice = _task_choice(task, rows, where)
        if choice is not None:
            decided.append(rows.decide(row, _class_index(choice, names, rows.k, where), where))
    return decided


def _task_choice(task, rows: ReportRows, where: str) -> tuple[int, str | None]:
    """The task's report row and the class its latest annotation chose (None: undecided)."""
    data = task.get("data") if isinstance(task, dict) else None
    if not isinstance(data, dict):
        raise InvalidInputError(f"{where}: a task is an object with a `data` object.")
    row = data.get("row")
    if isinstance(row, bool) or not isinstance(row, int):
        raise InvalidInputError(
            f"{where}: data.row must be the report row (an integer), got {row!r}; export the "
            "tasks with `labelaudit export --format label-studio`."
        )
    rows.check_row(row, where)
    rows.check_id(row, data.get("id"), where)
    annotations = task.get("annotations", [])
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise InvalidInputError(f"{where}: `annotations` must be a list of objects.")
    done = [(i, a) for i, a in enumerate(annotations) if not a.get("was_cancelled")]
    if not done:
        return row, None
    _, latest = max(done, key=lambda item: (_when(item[1], where), item[0]))
    return row, _choice(latest, where)


def _choice(annotation: dict, where: str) -> str | None:
    result = annotation.get("result", [])
    if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
        raise InvalidInputError(f"{where}: the annotation's `result` must be a list of objects.")
    choices = [r for r in result if r.get("type") == "choices"]
    ours = [r for r in choices if r.get("from_name") == FROM_NAME]
    choices = ours or choices
    if len(choices) > 1:
        raise InvalidInputError(
            f"{where}: the annotation has {len(choices)} choices results; apply reads one "
            f"(from_name {FROM_NAME!r})."
        )
    if not choices:
        return None
    picked = (choices[0].get("value") or {}).get("choices")
    if not isinstance(picked, list) or not all(isinstance(c, str) for c in picked):
        raise InvalidInputError(f"{where}: value.choices must be a list of class names.")
    if len(picked) > 1:
        raise InvalidInputError(
            f"{where}: the annotation chooses {len(picked)} classes ({', '.join(picked)}); a "
            "single-label decision is one class."
        )
    return picked[0] if picked else None


def _class_index(choice: str, names: list[str], k: int, where: str) -> int:
    if names:
        if choice not in names:
            raise InvalidInputError(
                f"{where}: the annotation chose {choice!r}, which is not one of the report's "
                f"classes ({', '.join(names[:10])}{', …' if len(names) > 10 else ''})."
            )
        return names.index(choice)
    if choice.isdigit() and int(choice) < k:
        return int(choice)
    raise InvalidInputError(
        f"{where}: the annotation chose {choice!r}, which is not a class index (0 to {k - 1})."
    )


def _when(annotation: dict, where: str) -> datetime:
    """When the annotation was last saved (updated_at, else created_at); the epoch when absent."""
    stamp = annotation.get("updated_at") or annotation.get("created_at")
    if not stamp:
        return datetime.min.replace(tzinfo=UTC)
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        raise InvalidInputError(
            f"{where}: the annotation's time {stamp!r} is not an ISO 8601 timestamp."
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _jsonable(value):
    return value.item() if hasattr(value, "item") else value


def export_label_studio(
    report_path: Path,
    out: Path,
    *,
    config_only: bool = False,
    dataset: Path | None = None,
    id_column: str | None = None,
) -> int:
    """Write the flagged rows as Label Studio tasks (.json), or with config_only the labeling
    config (.xml) for them; the number of tasks either way."""
    from labelaudit.io.atomic import atomic_path
    from labelaudit.io.outputs import guard_output
    from labelaudit.review.dataset import read_dataset

    suffix, what = (
        (".xml", "a Label Studio labeling config is an .xml file")
        if config_only
        else (".json", "Label Studio tasks are a .json file")
    )
    guard_output(out, [report_path, dataset], suffixes=(suffix,), what=what)
    report = Report.read_parquet(report_path)
    table = None if dataset is None else read_dataset(dataset)
    if config_only:
        text, count = config(report, table), report.num_issues
    else:
        exported = tasks(report, table, dataset, id_column)
        text, count = json.dumps(exported, indent=2, ensure_ascii=False) + "\n", len(exported)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return count
