"""Terminal rendering of a Report summary: rich tables for people, JSON for programs."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from labelaudit.cli.render_tasks import (
    embeddings_line,
    pairs_table,
    print_regression,
)

# Beyond this many classes, tables show only the classes and class pairs that matter most.
MAX_CLASSES_SHOWN = 12
DUPLICATE_TABLES = (
    ("conflicting_duplicates", "Conflicting near-duplicates (another label)"),
    ("duplicates", "Exact duplicates with the same label"),
)


def print_json(console: Console, summary: dict[str, Any]) -> None:
    """Indented, highlighted JSON on a terminal; plain JSON text into a pipe or file, written
    directly, because rich's highlighter needs gigabytes for a summary of 100,000 classes."""
    if console.is_terminal:
        console.print_json(json.dumps(summary))
        return
    console.file.write(json.dumps(summary, indent=2) + "\n")
    console.file.flush()


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    """Headline, per-class flags, the top flagged rows and the estimated noise matrix."""
    if summary.get("task") == "segmentation":
        _print_segmentation(console, summary)
        return
    if summary.get("task") == "regression":
        print_regression(console, summary)
        return
    n, flagged = summary["n"], summary["num_issues"]
    console.print(
        f"[bold]{flagged:,} of {n:,} labels look wrong[/] "
        f"({summary['issue_fraction']:.1%}) — detector {summary['detector']}, "
        f"{summary['k']} classes"
    )
    if summary.get("default_rule"):
        console.print(default_rule_line(summary["default_rule"]))
    if summary.get("embeddings"):
        console.print(embeddings_line(summary["embeddings"]))
    if "grades" in summary:
        grades = summary["grades"]
        console.print(
            f"{grades['confident']:,} suggestions graded [bold]confident[/] (safe to apply), "
            f"{grades['review']:,} for review"
        )
    if "onset_epoch_per_class" in summary:
        onsets = summary["onset_epoch_per_class"]
        console.print(
            f"Memorisation onset per class (epoch): {', '.join(map(str, onsets[:MAX_CLASSES_SHOWN]))}"
            + (" …" if len(onsets) > MAX_CLASSES_SHOWN else "")
        )
    console.print(_per_class_table(summary["per_class"]))
    if summary["top_issues"]:
        console.print(_top_issues_table(summary["top_issues"]))
    if summary.get("noise_matrix") is not None:
        console.print(_noise_table(summary["noise_matrix"], summary["per_class"]))
    elif summary.get("largest_flips"):
        console.print(_flips_table(summary["largest_flips"], summary["per_class"]))
    for key, title in DUPLICATE_TABLES:
        if summary.get(key):
            console.print(pairs_table(summary[key], title, summary))


def _print_segmentation(console: Console, summary: dict[str, Any]) -> None:
    h, w = summary.get("image_shape") or ("?", "?")
    console.print(
        f"[bold]{summary['num_issues']:,} of {summary['n']:,} images have a mislabelled "
        f"region[/] ({summary['issue_fraction']:.1%}); {summary['num_pixel_issues']:,} pixels "
        f"flagged — {h}×{w} pixels, {summary['k']} classes"
    )
    table = _per_class_table(summary["per_class"])
    table.title = "Flagged pixels per given class"
    console.print(table)
    if not summary["top_issues"]:
        return
    top = Table(title="Images most likely mislabelled", title_justify="left")
    for col in ("rank", "row", "flagged pixels", "largest region", "worst class", "model says"):
        top.add_column(col, justify="right" if col != "worst class" else "left")
    top.add_column("quality", justify="right")
    names = {c["class"]: c["name"] for c in summary["per_class"]}
    for t in summary["top_issues"]:
        top.add_row(
            str(t["issue_rank"]),
            str(t["row"]),
            f"{t['pixel_issue_count']:,} ({t['pixel_issue_fraction']:.1%})",
            f"{t['largest_region']:,}",
            names.get(t["worst_class"], "–"),
            names.get(t["suggested_class"], "–"),
            f"{t['label_quality']:.4f}",
        )
    console.print(top)


def default_rule_line(rule: dict[str, Any]) -> str:
    """One line: what labelaudit's adaptive default decided, and the evidence it rests on."""
    ev = rule["evidence"]
    mixture = (
        f"self-confidence mixture separated (Ashman's D {ev['separation_ashman_d']:.2f})"
        if rule["decision"] == "noise_posterior_and_mixture"
        else f"mixture not separated (Ashman's D {ev['separation_ashman_d']:.2f})"
    )
    return (
        f"Default rule: error posterior, expected-F1 cut ({ev['expected_errors']:,.0f} expected "
        f"wrong labels; {mixture}); {rule['num_flagged']:,} flagged "
        f"(cleanlab estimates {ev['calibrated_off_diagonal']:,}, "
        f"predicted≠given {ev['num_candidates_predicted_neq_given']:,})"
    )


def _per_class_table(per_class: list[dict[str, Any]]) -> Table:
    rows = per_class
    title = "Flags per class"
    if len(rows) > MAX_CLASSES_SHOWN:
        rows = sorted(rows, key=lambda r: (-r["flagged"], r["class"]))[:MAX_CLASSES_SHOWN]
        title += f" (the {MAX_CLASSES_SHOWN} most flagged of {len(per_class)})"
    table = Table(title=title, title_justify="left")
    table.add_column("class")
    table.add_column("examples", justify="right")
    table.add_column("flagged", justify="right")
    table.add_column("share", justify="right")
    for r in rows:
        label = r["name"] if r["name"] == str(r["class"]) else f"{r['class']} {r['name']}"
        table.add_row(label, f"{r['examples']:,}", f"{r['flagged']:,}", f"{r['flagged_share']:.1%}")
    return table


def _top_issues_table(top: list[dict[str, Any]]) -> Table:
    table = Table(title="Most likely wrong", title_justify="left")
    has_id = any("id" in t for t in top)
    table.add_column("rank", justify="right")
    table.add_column("row", justify="right")
    if has_id:
        table.add_column("id")
    table.add_column("given")
    table.add_column("suggested")
    table.add_column("p(suggested)", justify="right")
    table.add_column("quality", justify="right")
    for t in top:
        if "given_labels" in t:  # multi-label: label sets, no single suggestion confidence
            given = ", ".join(map(str, t["given_labels"])) or "∅"
            suggested = ", ".join(map(str, t["suggested_labels"])) or "∅"
            confidence = "–"
        else:
            given = t.get("given_name", str(t["given_label"]))
            suggested = t.get("suggested_name", str(t["suggested_label"]))
            confidence = f"{t['suggestion_confidence']:.3f}"
        cells = [str(t["issue_rank"]), str(t["row"])]
        if has_id:
            cells.append(str(t.get("id", "")))
        cells += [given, suggested, confidence, f"{t['label_quality']:.4f}"]
        table.add_row(*cells)
    return table


def _noise_table(noise: list[list[float]], per_class: list[dict[str, Any]]) -> Table:
    """P(given = row | true = column) in percent, or its largest off-diagonal cells for many classes."""
    names = [r["name"] for r in per_class]
    k = len(noise)
    if k <= MAX_CLASSES_SHOWN:
        table = Table(title="Estimated noise matrix: P(given | true) in %", title_justify="left")
        table.add_column("given/true")
        for name in names:
            table.add_column(name, justify="right")
        for i in range(k):
            table.add_row(names[i], *(_percent(noise[i][j], i == j) for j in range(k)))
        return table
    cells = [
        {"true": j, "given": i, "rate": noise[i][j]} for i in range(k) for j in range(k) if i != j
    ]
    return _flips_table(sorted(cells, key=lambda c: -c["rate"]), per_class)


def _flips_table(flips: list[dict[str, Any]], per_class: list[dict[str, Any]]) -> Table:
    names = [r["name"] for r in per_class]
    table = Table(title="Largest estimated label flips: P(given | true)", title_justify="left")
    table.add_column("true")
    table.add_column("given")
    table.add_column("rate", justify="right")
    for flip in flips[:MAX_CLASSES_SHOWN]:
        table.add_row(names[flip["true"]], names[flip["given"]], f"{flip['rate']:.1%}")
    return table


def _percent(value: float, diagonal: bool) -> str:
    text = f"{100 * value:.1f}"
    if diagonal:
        return f"[dim]{text}[/]"
    return f"[bold]{text}[/]" if value >= 0.05 else text
