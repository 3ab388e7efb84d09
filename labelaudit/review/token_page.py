"""The review page of a token report: each sentence with a flagged tag, in the order of its most
likely wrong token (the smallest `issue_rank`), its suspect tokens highlighted with the given and
the suggested tag.

Token text comes from the report's `sentence_tokens` column (the labels table's `tokens`, carried
by the audit) when present, else each token shows its position. Tags are class names when the
report has them. Every token shows its given tag; a flagged one shows `given → suggested`.
"""

from __future__ import annotations

import numpy as np

from labelaudit.report import Report
from labelaudit.review.static_page import cap_note, class_namer, esc, header, page

DEFAULT_MAX_SENTENCES = 500
TOKENS_COLUMN = "sentence_tokens"


def render(report: Report, *, max_rows: int | None = None, title: str = "labelaudit review") -> str:
    """The page as a string."""
    cols = report.columns
    order = report.issue_order()
    sentences_in_order = _sentences_by_rank(cols["sentence"][order])
    shown = sentences_in_order[: max_rows or DEFAULT_MAX_SENTENCES]
    by_sentence = np.argsort(cols["sentence"], kind="stable")  # rows are in order; be sure
    sorted_sentence = cols["sentence"][by_sentence]
    starts = np.searchsorted(sorted_sentence, shown, side="left")
    ends = np.searchsorted(sorted_sentence, shown, side="right")
    name = class_namer(report)
    articles = [
        _sentence(report, int(s), by_sentence[a:b], name)
        for s, a, b in zip(shown.tolist(), starts.tolist(), ends.tolist(), strict=True)
    ]
    meta = report.metadata
    cards = [
        ("tokens", f"{int(meta['n']):,}"),
        ("sentences", f"{int(meta.get('sentences', 0)):,}"),
        ("classes", f"{int(meta['k']):,}"),
        ("flagged tokens", f"{len(order):,}"),
        ("flagged sentences", f"{len(sentences_in_order):,}"),
    ]
    text_note = (
        ""
        if TOKENS_COLUMN in cols
        else '<p class="meta">The report carries no tokens column: tokens show their position.</p>'
    )
    body = [
        header(report, title, cards),
        '<main id="sentences"><h2>Sentences with flagged tags</h2>',
        '<p class="meta">Highlighted tokens are flagged: given tag → suggested tag. '
        "Sentences are ordered by their most likely wrong token.</p>",
        text_note,
        cap_note(len(shown), len(sentences_in_order), "sentences"),
        "".join(articles) or '<p class="meta">No token is flagged.</p>',
        "</main>",
    ]
    return page(title, _STYLE, "\n".join(part for part in body if part))


def _sentences_by_rank(flagged_sentences: np.ndarray) -> np.ndarray:
    """Distinct sentences in the order they first appear among the ranked flagged tokens."""
    unique, first = np.unique(flagged_sentences, return_index=True)
    return unique[np.argsort(first, kind="stable")].astype(np.int64)


def _sentence(report: Report, sentence: int, rows: np.ndarray, name) -> str:
    """One sentence: its tokens inline (flagged ones marked) and a table of its flagged tokens."""
    cols = report.columns
    words = cols.get(TOKENS_COLUMN)
    spans, flagged, previous = [], [], -1
    for r in rows.tolist():
        position = int(cols["token"][r])
        if position != previous + 1:  # rows missing (an --only-flagged report): say so
            spans.append('<span class="gap">…</span>')
        previous = position
        text = esc(str(words[r])) if words is not None and words[r] is not None else str(position)
        given = esc(name(cols["given_label"][r]))
        rank = int(cols["issue_rank"][r])
        if rank > 0:
            suggested = esc(name(cols["suggested_label"][r]))
            flagged.append((rank, r, text, given, suggested))
            spans.append(
                f'<mark class="tok flagged" data-token="{position}" data-rank="{rank}" '
                f'title="#{rank}: given {given}, suggested {suggested}">{text}'
                f'<small class="tags">{given} → {suggested}</small></mark>'
            )
        else:
            spans.append(
                f'<span class="tok" data-token="{position}">{text}<small>{given}</small></span>'
            )
    flagged.sort()
    quality = float(cols["sentence_quality"][rows[0]]) if len(rows) else float("nan")
    ident = f" · id {esc(str(cols['id'][rows[0]]))}" if "id" in cols and len(rows) else ""
    table = "".join(
        f'<tr><td class="num">{rank}</td><td class="num">{int(cols["token"][r])}</td>'
        f"<td>{text}</td><td>{given}</td><td>{suggested}</td>"
        f'<td class="num">{float(cols["suggestion_confidence"][r]):.4f}</td>'
        f'<td class="num">{float(cols["label_quality"][r]):.4f}</td></tr>'
        for rank, r, text, given, suggested in flagged
    )
    return (
        f'<article class="sentence" id="sentence-{sentence}" data-sentence="{sentence}">'
        f"<h3>#{flagged[0][0]} · sentence {sentence}{ident} · sentence_quality {quality:.4f} · "
        f"{len(flagged)} flagged</h3>"
        f'<p class="tokens">{" ".join(spans)}</p>'
        '<table class="flagged"><thead><tr><th>rank</th><th>token</th><th>text</th>'
        "<th>given</th><th>suggested</th><th>p(suggested)</th><th>quality</th></tr></thead>"
        f"<tbody>{table}</tbody></table></article>"
    )


_STYLE = """
article.sentence { background: #fff; border: 1px solid #ddd; border-radius: 8px; margin: 1rem 0;
  padding: 0.4rem 0.8rem 0.8rem; }
article.sentence h3 { font-size: 0.95rem; margin: 0.3rem 0 0.6rem; }
.tokens { line-height: 2.6; font-size: 1.05rem; }
.tok { display: inline-flex; flex-direction: column; align-items: center; padding: 0 0.15rem;
  line-height: 1.3; vertical-align: top; }
.tok small { font-size: 0.7rem; color: #777; }
mark.flagged { background: #fde2e1; border-bottom: 2px solid #d9534f; border-radius: 3px; }
mark.flagged small { color: #b02a25; font-weight: 600; }
.gap { color: #999; }
"""
