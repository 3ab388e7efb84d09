"""One self-contained HTML page for reviewing a report and deciding on it: styles, scripts, charts
and thumbnails are all inline (images as data URIs), so the file opens anywhere and never touches
the network.

The listed rows travel as JSON inside the page; the script (assets/page.js) renders only the rows
in view, so 50,000 rows stay quick. It sorts (click a header), filters (text, class, grade,
flagged, decided), and takes decisions from the keyboard, kept in localStorage under the report's
hash and downloaded as decisions.csv. The URL fragment sets the initial view, e.g.
`review.html#sort=label_quality&desc=0&q=cat&grade=confident&decided=no`, so a view can be linked.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.report import Report
from labelaudit.review.page_rows import IMAGE_SUFFIXES, listed, table_rows

IMAGE_COLUMNS = ("image", "image_path", "img", "path", "file", "filepath", "filename")
TEXT_COLUMNS = ("text", "sentence", "content", "caption", "review", "utterance")
HEATMAP_MAX_CLASSES = 30
BINS = 20
PAGE_PAIRS = 500  # near-duplicate pairs listed on the page (the count is always given)
DUPLICATE_SECTIONS = (
    ("conflicting_duplicate_of", "conflicting-duplicates", "Conflicting near-duplicates"),
    ("duplicate_of", "duplicates", "Exact duplicates with the same label"),
)


def _asset(name: str) -> str:
    return files("labelaudit.review").joinpath("assets", name).read_text(encoding="utf-8")


_STYLE = _asset("page.css")
_SCRIPT = _asset("page.js")


def guess_column(dataset, candidates: tuple[str, ...], *, images: bool) -> str | None:
    """The first column named like a candidate whose values look right (image paths or text)."""
    if dataset is None:
        return None
    lower = {str(c).lower(): c for c in dataset.columns}
    for name in candidates:
        column = lower.get(name)
        if column is None or dataset[column].dtype.kind != "O":
            continue
        sample = [str(v) for v in dataset[column].dropna().head(20)]
        if not sample:
            continue
        if images and all(s.lower().endswith(IMAGE_SUFFIXES) for s in sample):
            return column
        if not images:
            return column
    return None


def render(
    report: Report,
    *,
    report_hash: str,
    dataset=None,
    dataset_dir: Path | None = None,
    image_column: str | None = None,
    text_column: str | None = None,
    max_rows: int | None = 5000,
    all_rows: bool = False,
    title: str = "labelaudit review",
) -> str:
    """The review page as a string. dataset: rows aligned with the report (review.dataset.align).

    report_hash (the report file's sha256) names the page's saved decisions, so two pages of one
    report share them and a page of another report never sees them. all_rows lists every row
    (max_rows is then ignored); otherwise the max_rows most likely wrong flagged rows.
    """
    summary = report.summary()
    cols = report.columns
    shown = listed(report, all_rows=all_rows, max_rows=max_rows)
    rows = table_rows(
        report,
        shown,
        dataset,
        dataset_dir=dataset_dir,
        image_column=image_column,
        text_column=text_column,
    )
    payload = {
        "rows": rows,
        "classes": [r["name"] for r in summary["per_class"]],
        "report_hash": report_hash,
        "all_rows": all_rows,
        "total_flagged": report.num_issues,
        "multi_label": "given_labels" in cols,
        "has_image": image_column is not None,
        "has_text": text_column is not None,
        "has_grade": "grade" in cols,
        "has_id": "id" in cols,
    }
    parts = [
        _header(summary, report, title),
        _per_class(summary["per_class"]),
        _histograms(cols["label_quality"], cols["is_label_issue"]),
        _noise(summary),
        _duplicates(report),
        _table_shell(report.num_issues, len(shown), all_rows=all_rows),
        _dialogs(),
    ]
    return _PAGE.format(
        csp=html.escape(content_security_policy(), quote=True),
        title=html.escape(title),
        style=_STYLE,
        body="\n".join(p for p in parts if p),
        data=script_json(payload),
        script=_SCRIPT,
    )


def _header(summary: dict, report: Report, title: str) -> str:
    inputs = report.metadata.get("inputs") or []
    files = ", ".join(html.escape(Path(str(i.get("path", ""))).name) for i in inputs)
    cards = [
        ("examples", f"{summary['n']:,}"),
        ("classes", f"{summary['k']:,}"),
        ("flagged", f"{summary['num_issues']:,}"),
        ("flagged share", f"{summary['issue_fraction']:.1%}"),
        ("detector", html.escape(str(summary.get("detector")))),
    ]
    if "grades" in summary:
        cards.append(("confident suggestions", f"{summary['grades']['confident']:,}"))
    card_html = "".join(
        f'<div class="card"><div class="value">{v}</div><div class="label">{k}</div></div>'
        for k, v in cards
    )
    warnings = "".join(
        f'<li class="warning">{html.escape(w)}</li>' for w in summary.get("warnings", [])
    )
    return (
        f"<header><h1>{html.escape(title)}</h1>"
        f'<p class="meta">labelaudit {html.escape(str(summary.get("labelaudit_version")))}'
        f"{' · inputs: ' + files if files else ''}</p></header>"
        f'<section id="summary"><div class="cards">{card_html}</div>'
        f"{'<ul>' + warnings + '</ul>' if warnings else ''}</section>"
    )


def _per_class(per_class: list[dict]) -> str:
    peak = max((r["flagged"] for r in per_class), default=0) or 1
    rows = []
    for r in sorted(per_class, key=lambda r: (-r["flagged"], r["class"]))[:50]:
        width = 100 * r["flagged"] / peak
        rows.append(
            f'<tr><td>{html.escape(r["name"])}</td><td class="num">{r["examples"]:,}</td>'
            f'<td class="num">{r["flagged"]:,}</td><td class="num">{r["flagged_share"]:.1%}</td>'
            f'<td class="barcell"><div class="bar" style="width:{width:.1f}%"></div></td></tr>'
        )
    more = len(per_class) - 50
    note = (
        f'<p class="meta">The 50 most flagged of {len(per_class)} classes.</p>' if more > 0 else ""
    )
    return (
        '<section id="per-class"><h2>Flags per class</h2>'
        '<table class="compact"><thead><tr><th>class</th><th>examples</th><th>flagged</th>'
        f"<th>share</th><th></th></tr></thead><tbody>{''.join(rows)}</tbody></table>{note}</section>"
    )


def _histograms(quality: np.ndarray, flagged: np.ndarray) -> str:
    edges = np.linspace(0, 1, BINS + 1)
    svgs = []
    for name, mask, css in (("flagged", flagged, "flagged"), ("not flagged", ~flagged, "kept")):
        counts, _ = np.histogram(np.clip(quality[mask], 0, 1), bins=edges)
        peak = counts.max() or 1
        bars = []
        for b, count in enumerate(counts.tolist()):
            height = 100 * count / peak
            bars.append(
                f'<rect class="{css}" x="{b * 15 + 1}" y="{110 - height:.1f}" width="13" '
                f'height="{height:.1f}"><title>{edges[b]:.2f}–{edges[b + 1]:.2f}: {count:,}'
                "</title></rect>"
            )
        svgs.append(
            f'<figure><svg class="hist" viewBox="0 0 302 125" role="img" aria-label="{name}">'
            f"{''.join(bars)}"
            '<line x1="0" y1="110.5" x2="302" y2="110.5" class="axis"/>'
            '<text x="0" y="123">0</text><text x="290" y="123">1</text></svg>'
            f"<figcaption>{name}: {int(mask.sum()):,} rows</figcaption></figure>"
        )
    return (
        '<section id="histograms"><h2>label_quality (low = likely wrong)</h2>'
        f'<div class="figures">{"".join(svgs)}</div></section>'
    )


def _noise(summary: dict) -> str:
    noise = summary.get("noise_matrix")
    names = [r["name"] for r in summary["per_class"]]
    if noise is None or len(noise) > HEATMAP_MAX_CLASSES:
        flips = summary.get("largest_flips")
        if noise is not None:
            k = len(noise)
            flips = sorted(
                (
                    {"true": j, "given": i, "rate": noise[i][j]}
                    for i in range(k)
                    for j in range(k)
                    if i != j
                ),
                key=lambda f: -f["rate"],
            )
        if not flips:
            return ""
        items = "".join(
            f"<tr><td>{html.escape(names[f['true']])}</td><td>{html.escape(names[f['given']])}</td>"
            f'<td class="num">{f["rate"]:.1%}</td></tr>'
            for f in flips[:30]
        )
        return (
            '<section id="noise"><h2>Largest estimated label flips</h2><table class="compact">'
            "<thead><tr><th>true</th><th>given</th><th>P(given | true)</th></tr></thead>"
            f"<tbody>{items}</tbody></table></section>"
        )
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    body = []
    for i, row in enumerate(noise):
        cells = []
        for j, value in enumerate(row):
            alpha = min(1.0, value * (1 if i == j else 4))
            css = "diag" if i == j else "off"
            cells.append(
                f'<td class="{css}" style="--a:{alpha:.3f}" title="P(given={html.escape(names[i])}'
                f' | true={html.escape(names[j])}) = {value:.3f}">{100 * value:.1f}</td>'
            )
        body.append(f"<tr><th>{html.escape(names[i])}</th>{''.join(cells)}</tr>")
    return (
        '<section id="noise"><h2>Estimated noise matrix: P(given | true), %</h2>'
        '<table class="heatmap"><thead><tr><th>given \\ true</th>'
        f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></section>"
    )


def _duplicates(report: Report) -> str:
    """The pairs of the duplicate columns (--embeddings), each pair once, with both labels."""
    threshold = (report.metadata.get("embeddings") or {}).get("duplicate_threshold")
    sections = []
    for column, anchor, title in DUPLICATE_SECTIONS:
        if column not in report.columns:
            continue
        found = report.duplicate_pairs(column, limit=PAGE_PAIRS)
        plural = "" if found["num_pairs"] == 1 else "s"
        note = f"{found['num_pairs']:,} pair{plural} ({found['rows']:,} rows)"
        if len(found["pairs"]) < found["num_pairs"]:
            note += f", the first {len(found['pairs']):,} listed"
        if column == "conflicting_duplicate_of" and threshold is not None:
            note += (
                f"; near-duplicates are below cosine distance {threshold:.3g}, fitted to the data"
            )
        table = _pairs_table(report, found["pairs"]) if found["pairs"] else ""
        sections.append(
            f'<section id="{anchor}"><h2>{title}</h2><p class="meta">{html.escape(note)}.</p>'
            f"{table}</section>"
        )
    return "".join(sections)


def _pairs_table(report: Report, pairs: list[dict]) -> str:
    names = report.metadata.get("class_names")
    has_id = "id" in report.columns
    head = ["row", "id", "given", "other row", "other id", "other given"]
    rows = []
    for p in pairs:
        cells = []
        for prefix, row in (("", "row"), ("other_", "other")):
            cells.append(str(p[row]))
            if has_id:
                cells.append(str(p.get(f"{prefix}id", "")))
            label = p.get(f"{prefix}given_label")
            cells.append("–" if label is None else str(names[label] if names else label))
        rows.append("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    heads = "".join(f"<th>{h}</th>" for h in head if has_id or "id" not in h)
    return (
        f'<table class="compact"><thead><tr>{heads}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _table_shell(total: int, shown: int, *, all_rows: bool) -> str:
    if all_rows:
        note = f"Every row ({shown:,}), the {total:,} flagged first."
    elif shown < total:
        note = f"The {shown:,} most likely wrong of {total:,} flagged rows (--all-rows lists all)."
    else:
        note = ""
    return (
        f'<section id="issues"><h2>{"Rows" if all_rows else "Flagged rows"}</h2>'
        '<div class="controls"><input id="filter" type="search" placeholder="Filter rows…" '
        'aria-label="filter"> <select id="class-filter" aria-label="class"></select> '
        '<select id="grade-filter" aria-label="grade"></select> '
        '<select id="flagged-filter" aria-label="flagged"></select> '
        '<select id="decided-filter" aria-label="decided"></select> <span id="count"></span>'
        '<span class="spacer"></span><span id="decided-count"></span> '
        '<button id="download" type="button">Download decisions</button> '
        '<button id="show-keys" type="button" title="keys (?)">?</button></div>'
        f'<p class="meta">{note} Keys: j/k move, a accept, x keep, 0–9 or / relabel, u undo, '
        '? all keys.</p><p id="status" class="meta" role="status"></p>'
        '<div class="review"><div id="table-scroll" tabindex="-1">'
        '<table id="issue-table" role="grid"><thead></thead><tbody></tbody></table></div>'
        '<aside id="detail" aria-live="polite"></aside></div></section>'
    )


def _dialogs() -> str:
    keys = (
        ("j / ↓", "next row"),
        ("k / ↑", "previous row"),
        ("a", "accept the suggested label"),
        ("x", "keep the given label"),
        ("0–9", "relabel to that class index"),
        ("/", "search the classes (any index or name), Enter picks"),
        ("u", "undo the last decision"),
        ("?", "show or hide these keys"),
        ("Esc", "close a dialog, leave a filter box"),
    )
    items = "".join(f"<tr><th><kbd>{html.escape(k)}</kbd></th><td>{v}</td></tr>" for k, v in keys)
    return (
        '<div id="help" class="dialog" role="dialog" aria-label="keys" hidden><h2>Keys</h2>'
        f'<table>{items}</table><p class="meta">After a decision the next row is selected. '
        "Decisions are saved in this browser for this report; Download decisions saves "
        "decisions.csv for <code>labelaudit apply --decisions</code>.</p></div>"
        '<div id="class-search" class="dialog" role="dialog" aria-label="relabel" hidden>'
        '<input id="class-query" type="search" placeholder="class index or name" '
        'aria-label="class"><ul id="class-options" role="listbox"></ul></div>'
    )


# Inside <script>, "<!--", "<script" and "</script" change how the HTML parser reads the rest of
# the page, and U+2028/2029 end a JavaScript line in older engines; none of them survive this.
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(payload: Any) -> str:
    """JSON safe to place between <script> tags: still valid JSON, with no markup characters."""
    text = json.dumps(payload, default=_jsonable)
    return text.translate(str.maketrans(_SCRIPT_ESCAPES))


def content_security_policy() -> str:
    """Nothing from the network, no inline handlers: only the page's own script and style run."""

    def sha(text: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"

    return (
        f"default-src 'none'; script-src {sha(_SCRIPT)}; style-src {sha(_STYLE)}; "
        "style-src-attr 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title><style>{style}</style></head>
<body>{body}
<script type="application/json" id="report-data">{data}</script>
<script>{script}</script>
</body></html>
"""
