"""Terminal summaries of the other kinds of evidence: regression outliers, and what an audit from
embeddings chose and found (its near-duplicate pairs)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_regression(console: Console, summary: dict[str, Any]) -> None:
    console.print(
        f"[bold]{summary['num_issues']:,} of {summary['n']:,} regression labels look wrong[/] "
        f"({summary['issue_fraction']:.1%}) — robust residual z above "
        f"{summary['z_threshold']:.2f}, ranked by OUTRE label quality"
    )
    if not summary["top_issues"]:
        return
    top = Table(title="Labels most likely wrong", title_justify="left")
    for col in ("rank", "row", "given", "predicted", "z", "quality"):
        top.add_column(col, justify="right")
    for t in summary["top_issues"]:
        top.add_row(
            str(t["issue_rank"]),
            str(t["row"]),
            f"{t['given_label']:.6g}",
            f"{t['suggested_label']:.6g}",
            f"{t['outlier_z']:.1f}",
            f"{t['label_quality']:.4g}",
        )
    console.print(top)


def embeddings_line(embeddings: dict[str, Any]) -> str:
    """How --embeddings made the probabilities: the model, its settings, the log-losses."""
    knn, probe = embeddings.get("knn"), embeddings.get("probe")
    scores = [
        f"{name} {part['log_loss']:.4f}"
        for name, part in (("knn", knn), ("probe", probe))
        if part and "log_loss" in part
    ]
    line = f"Probabilities from embeddings: {embeddings['model']}"
    if embeddings["model"] == "knn":
        line += f" (k={knn['k']}, {knn['weights']} weights, {knn['metric']}, alpha {knn['alpha']})"
    line += "; out-of-sample log-loss " + ", ".join(scores)
    if "duplicate_threshold" in embeddings:  # the cut fitted to the nearest-neighbour distances
        line += f"; near-duplicates below cosine distance {embeddings['duplicate_threshold']:.3g}"
    return line


def pairs_table(found: dict[str, Any], title: str, summary: dict[str, Any]) -> Table | str:
    """The near-duplicate pairs of the summary, each once, with both rows' labels."""
    if not found["num_pairs"]:
        return f"{title}: none"
    names = {c["class"]: c["name"] for c in summary["per_class"]}
    shown = len(found["pairs"])
    more = f", the first {shown}" if shown < found["num_pairs"] else ""
    count = f"{found['num_pairs']:,} pair{'s' if found['num_pairs'] != 1 else ''}"
    table = Table(title=f"{title}: {count}{more}", title_justify="left")
    has_id = any("id" in p for p in found["pairs"])
    for col in ("row", "id", "given", "other row", "other id", "other given"):
        if has_id or "id" not in col:
            table.add_column(col, justify="right" if "row" in col else "left")
    for p in found["pairs"]:
        cells = []
        for prefix, row in (("", "row"), ("other_", "other")):
            cells.append(str(p[row]))
            if has_id:
                cells.append(str(p.get(f"{prefix}id", "")))
            label = p.get(f"{prefix}given_label")
            cells.append("–" if label is None else names.get(label, str(label)))
        table.add_row(*cells)
    return table
