"""What the segmentation and token pages share: one self-contained HTML file with no script, an
inline style allowed by its hash, images only as data URIs, and the summary cards.

The classification page (review/html.py) has its own script and table; these pages are static:
everything is laid out when the page is written, so they need no JavaScript at all.
"""

from __future__ import annotations

import base64
import hashlib
import html
from pathlib import Path

from labelaudit.report import Report

esc = html.escape

BASE_STYLE = """
:root { font-family: system-ui, sans-serif; color: #1d1d1f; background: #fafafa; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 2rem 3rem; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2rem; font-size: 1.15rem; }
.meta { color: #666; font-size: 0.85rem; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8rem; }
.card { background: #fff; border: 1px solid #ddd; border-radius: 8px; padding: 0.6rem 1rem; min-width: 8rem; }
.card .value { font-size: 1.5rem; font-weight: 600; } .card .label { color: #666; font-size: 0.8rem; }
table { border-collapse: collapse; background: #fff; font-size: 0.85rem; }
th, td { border: 1px solid #e2e2e2; padding: 0.25rem 0.5rem; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<title>{title}</title><style>{style}</style></head>
<body>{body}
</body></html>
"""


def content_security_policy(style: str) -> str:
    """Nothing from the network and no script: only the page's own style and data: images."""
    digest = base64.b64encode(hashlib.sha256(style.encode("utf-8")).digest()).decode("ascii")
    return (
        f"default-src 'none'; script-src 'none'; style-src 'sha256-{digest}'; "
        "style-src-attr 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )


def page(title: str, style: str, body: str) -> str:
    """The whole HTML document around body (already escaped markup)."""
    style = BASE_STYLE + style
    return _PAGE.format(
        csp=esc(content_security_policy(style), quote=True),
        title=esc(title),
        style=style,
        body=body,
    )


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def header(report: Report, title: str, cards: list[tuple[str, str]]) -> str:
    """The title, the version and input file names, and one card per (label, value)."""
    inputs = report.metadata.get("inputs") or []
    files = ", ".join(esc(Path(str(i.get("path", ""))).name) for i in inputs)
    card_html = "".join(
        f'<div class="card"><div class="value">{esc(v)}</div>'
        f'<div class="label">{esc(k)}</div></div>'
        for k, v in cards
    )
    version = esc(str(report.metadata.get("labelaudit_version")))
    return (
        f"<header><h1>{esc(title)}</h1>"
        f'<p class="meta">labelaudit {version}{" · inputs: " + files if files else ""}</p>'
        f'</header><section id="summary"><div class="cards">{card_html}</div></section>'
    )


def class_namer(report: Report):
    """index -> the class name when the report has names, else the index as text."""
    names = report.metadata.get("class_names")

    def name(index: int) -> str:
        index = int(index)
        return str(names[index]) if names and 0 <= index < len(names) else str(index)

    return name


def cap_note(shown: int, total: int, what: str) -> str:
    """The sentence that says the page holds only the first `shown` of `total` (--max-rows)."""
    if shown >= total:
        return ""
    return (
        f'<p class="meta cap">Showing the {shown:,} most likely wrong of {total:,} flagged {what} '
        "(raise --max-rows to show more).</p>"
    )
