"""One self-contained HTML page for reviewing a report: styles, scripts, charts and thumbnails are
all inline (images as data URIs), so the file opens anywhere and never touches the network.

The flagged rows travel as JSON inside the page and are rendered by a small script that sorts
(click a header) and filters (text, class, grade). The URL fragment sets the initial state, e.g.
`review.html#sort=label_quality&desc=0&q=cat&grade=confident`, so a view can be linked.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import mimetypes
from pathlib import Path
from typing import Any

import numpy as np

from labelaudit.report import Report

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg")
IMAGE_COLUMNS = ("image", "image_path", "img", "path", "file", "filepath", "filename")
TEXT_COLUMNS = ("text", "sentence", "content", "caption", "review", "utterance")
MAX_IMAGE_BYTES = 512 * 1024  # larger files are not embedded (the page would balloon)
HEATMAP_MAX_CLASSES = 30
BINS = 20


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


OUTSIDE_NOTE = "(not embedded: outside the dataset folder)"


def confined_image(raw: Path, root: Path | None) -> Path | None:
    """The image file that raw names, only when it lies in root or below (symlinks resolved).

    The page embeds file contents, so a dataset cell such as /etc/passwd or ../secret must not
    pull in files the user never meant to publish. Without a root nothing is embedded.
    """
    if root is None:
        return None
    base = Path(root).resolve()
    path = (raw if raw.is_absolute() else base / raw).resolve()
    return path if path.is_relative_to(base) else None


def image_data_uri(path: Path) -> str | None:
    """A data: URI for a small image file; None when missing, unreadable or too large."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_IMAGE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def render(
    report: Report,
    *,
    dataset=None,
    dataset_dir: Path | None = None,
    image_column: str | None = None,
    text_column: str | None = None,
    max_rows: int = 5000,
    title: str = "labelaudit review",
) -> str:
    """The review page as a string. dataset: rows aligned with the report (review.dataset.align)."""
    summary = report.summary()
    cols = report.columns
    order = report.issue_order()
    shown = order[:max_rows]
    rows = _table_rows(report, shown, dataset, dataset_dir, image_column, text_column)
    payload = {
        "rows": rows,
        "classes": [r["name"] for r in summary["per_class"]],
        "total_flagged": len(order),
        "has_image": image_column is not None,
        "has_text": text_column is not None,
        "has_grade": "grade" in cols,
        "has_id": "id" in cols,
    }
    data_json = script_json(payload)
    parts = [
        _header(summary, report, title),
        _per_class(summary["per_class"]),
        _histograms(cols["label_quality"], cols["is_label_issue"]),
        _noise(summary),
        _table_shell(len(order), len(shown)),
    ]
    return _PAGE.format(
        csp=html.escape(content_security_policy(), quote=True),
        title=html.escape(title),
        style=_STYLE,
        body="\n".join(p for p in parts if p),
        data=data_json,
        script=_SCRIPT,
    )


def _table_rows(report, shown, dataset, dataset_dir, image_column, text_column) -> list[dict]:
    cols = report.columns
    names = report.metadata.get("class_names")
    multi = "given_labels" in cols

    def name(index) -> str:
        return str(names[int(index)]) if names else str(int(index))

    def label(value) -> str:
        return (", ".join(name(v) for v in value) or "∅") if multi else name(value)

    rows = []
    for i in shown.tolist():
        item: dict[str, Any] = {
            "issue_rank": int(cols["issue_rank"][i]),
            "row": int(cols["row"][i]),
            "given": label(cols["given_labels"][i] if multi else cols["given_label"][i]),
            "suggested": label(
                cols["suggested_labels"][i] if multi else cols["suggested_label"][i]
            ),
            "label_quality": round(float(cols["label_quality"][i]), 6),
        }
        if not multi:
            item["suggestion_confidence"] = round(float(cols["suggestion_confidence"][i]), 6)
        if "id" in cols:
            item["id"] = _jsonable(cols["id"][i])
        if "grade" in cols:
            item["grade"] = cols["grade"][i] or ""
        if "evidence" in cols:
            item["evidence"] = cols["evidence"][i]
        if dataset is not None and text_column is not None:
            item["text"] = str(dataset[text_column].iloc[i])
        if dataset is not None and image_column is not None:
            raw = Path(str(dataset[image_column].iloc[i]))
            path = confined_image(raw, dataset_dir)
            item["image"] = None if path is None else image_data_uri(path)
            item["image_name"] = raw.name if path is not None else f"{raw.name} {OUTSIDE_NOTE}"
        rows.append(item)
    return rows


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


def _table_shell(total: int, shown: int) -> str:
    note = (
        f'<p class="meta">Showing the {shown:,} most likely wrong of {total:,} flagged rows.</p>'
        if shown < total
        else ""
    )
    return (
        '<section id="issues"><h2>Flagged rows</h2>'
        '<div class="controls"><input id="filter" type="search" placeholder="Filter rows…" '
        'aria-label="filter"> <select id="class-filter" aria-label="class"></select> '
        '<select id="grade-filter" aria-label="grade"></select> <span id="count"></span></div>'
        f'{note}<table id="issue-table"><thead></thead><tbody></tbody></table></section>'
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

_STYLE = """
:root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #fafafa; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 2rem 3rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; font-size: 1.15rem; }
.meta { color: #666; font-size: 0.85rem; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 0.6rem 1rem; min-width: 8rem; }
.card .value { font-size: 1.5rem; font-weight: 600; } .card .label { color: #666; font-size: 0.8rem; }
.warning { color: #8a5a00; }
table { border-collapse: collapse; background: #fff; font-size: 0.85rem; }
th, td { border: 1px solid #e2e2e2; padding: 0.25rem 0.5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.barcell { width: 240px; } .bar { background: #d9534f; height: 0.8rem; border-radius: 2px; }
.figures { display: flex; gap: 2rem; flex-wrap: wrap; }
svg.hist { width: 360px; height: 150px; background: #fff; border: 1px solid #ddd; }
svg.hist rect.flagged { fill: #d9534f; } svg.hist rect.kept { fill: #7a8ba0; }
svg.hist .axis { stroke: #999; } svg.hist text { font-size: 9px; fill: #666; }
table.heatmap td { text-align: right; min-width: 2.5rem; }
table.heatmap td.off { background: rgba(217, 83, 79, var(--a)); }
table.heatmap td.diag { background: rgba(92, 184, 92, var(--a)); }
.controls { margin: 0.5rem 0; display: flex; gap: 0.5rem; align-items: center; }
#filter { padding: 0.3rem; width: 18rem; }
#issue-table th { cursor: pointer; user-select: none; background: #f3f3f3; position: sticky; top: 0; }
#issue-table th.sorted::after { content: " ▲"; } #issue-table th.sorted.desc::after { content: " ▼"; }
#issue-table img { max-width: 96px; max-height: 96px; display: block; }
.grade-confident { color: #2d7a2d; font-weight: 600; } .grade-review { color: #8a5a00; }
"""

_SCRIPT = r"""
(function () {
  const data = JSON.parse(document.getElementById("report-data").textContent);
  const columns = [["issue_rank", "rank"], ["row", "row"]];
  if (data.has_id) columns.push(["id", "id"]);
  if (data.has_image) columns.push(["image", "image"]);
  if (data.has_text) columns.push(["text", "text"]);
  columns.push(["given", "given"], ["suggested", "suggested"]);
  if (data.rows.length && "suggestion_confidence" in data.rows[0])
    columns.push(["suggestion_confidence", "p(suggested)"]);
  columns.push(["label_quality", "quality"]);
  if (data.has_grade) columns.push(["grade", "grade"], ["evidence", "evidence"]);

  const params = new URLSearchParams(location.hash.slice(1));
  const state = {
    sort: params.get("sort") || "issue_rank",
    desc: params.get("desc") === "1",
    q: params.get("q") || "",
    cls: params.get("class") || "",
    grade: params.get("grade") || "",
  };
  const thead = document.querySelector("#issue-table thead");
  const tbody = document.querySelector("#issue-table tbody");
  const filter = document.getElementById("filter");
  const classFilter = document.getElementById("class-filter");
  const gradeFilter = document.getElementById("grade-filter");
  filter.value = state.q;

  function option(select, value, text) {
    const o = document.createElement("option");
    o.value = value; o.textContent = text; select.appendChild(o);
  }
  option(classFilter, "", "any class");
  data.classes.forEach((c) => option(classFilter, c, c));
  classFilter.value = state.cls;
  if (data.has_grade) {
    option(gradeFilter, "", "any grade");
    option(gradeFilter, "confident", "confident");
    option(gradeFilter, "review", "review");
    gradeFilter.value = state.grade;
  } else gradeFilter.style.display = "none";

  const header = document.createElement("tr");
  columns.forEach(([key, label]) => {
    const th = document.createElement("th");
    th.textContent = label; th.dataset.key = key;
    th.addEventListener("click", () => {
      if (state.sort === key) state.desc = !state.desc; else { state.sort = key; state.desc = false; }
      draw();
    });
    header.appendChild(th);
  });
  thead.appendChild(header);

  function text(row) {
    return columns.map(([k]) => (k === "image" ? row.image_name || "" : String(row[k] ?? ""))).join(" ").toLowerCase();
  }
  function compare(a, b) {
    const x = a[state.sort], y = b[state.sort];
    const r = typeof x === "number" && typeof y === "number" ? x - y : String(x ?? "").localeCompare(String(y ?? ""));
    return (state.desc ? -r : r) || a.issue_rank - b.issue_rank;
  }
  function draw() {
    const q = state.q.toLowerCase();
    const rows = data.rows.filter((r) =>
      (!q || text(r).includes(q)) &&
      (!state.cls || r.given === state.cls || r.suggested === state.cls) &&
      (!state.grade || r.grade === state.grade));
    rows.sort(compare);
    tbody.replaceChildren(...rows.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.row = r.row;
      columns.forEach(([k]) => {
        const td = document.createElement("td");
        if (k === "image") {
          if (r.image) { const img = document.createElement("img"); img.src = r.image; img.alt = r.image_name; td.appendChild(img); }
          else td.textContent = r.image_name || "";
        } else {
          const v = r[k];
          td.textContent = typeof v === "number" && !Number.isInteger(v) ? v.toFixed(4) : (v ?? "");
          if (typeof v === "number") td.className = "num";
          if (k === "grade" && v) td.className = "grade-" + v;
        }
        tr.appendChild(td);
      });
      return tr;
    }));
    header.querySelectorAll("th").forEach((th) => {
      th.classList.toggle("sorted", th.dataset.key === state.sort);
      th.classList.toggle("desc", th.dataset.key === state.sort && state.desc);
    });
    document.getElementById("count").textContent = rows.length + " of " + data.rows.length + " rows";
  }
  filter.addEventListener("input", () => { state.q = filter.value; draw(); });
  classFilter.addEventListener("change", () => { state.cls = classFilter.value; draw(); });
  gradeFilter.addEventListener("change", () => { state.grade = gradeFilter.value; draw(); });
  draw();
})();
"""
