"""A filterable list of every summary (status, model, prompt, document, text search), then one
collapsed card per summary, then the source documents the cards link into."""

from __future__ import annotations

import pandas as pd

from bizsum.report.cards import OPEN_ON_HASH, Context, card, card_id, ordered
from bizsum.report.data import ReportData
from bizsum.report.html import esc, format_value, interactive_table, term

ID, TITLE, SCREEN_ONLY = "summaries", "Every summary", True

#: the status filter's values; "broke a rule" counts exactly the rows the compliance box counts
BROKE_RULE, OTHER_PROBLEM, OK = "broke a rule", "other problem", "ok"


def status(broke_rule: bool, problems: list[str]) -> str:
    return BROKE_RULE if broke_rule else OTHER_PROBLEM if problems else OK


def render(data: ReportData) -> str:
    frame = ordered(data.frame)
    if frame.empty:
        return ""
    context = Context.of(data)
    columns = [c for c in data.tables.columns.values() if c.headline and c.name in frame and c.kind != "measure"][:6]
    rows = []
    for index, row in frame.iterrows():
        problems = data.tables.problems.get(index, [])
        text = row.get("text") if isinstance(row.get("text"), str) else ""
        record = {
            "document": esc(row["doc_id"]),
            "prompt": esc(row["prompt_id"]),
            "model": esc(row["model_id"]),
            "kind": "baseline" if row.get("model_kind") == "baseline" else "LLM",
            "status": status(bool(data.tables.broke_rule.get(index, False)), problems),
            "problems": esc("; ".join(problems)),
        }
        for column in columns:
            record[term(column.label, column.meaning)] = esc(format_value(row.get(column.name), kind=column.kind))
        record["summary"] = esc(text[:240] + ("…" if len(text) > 240 else ""))
        ident = card_id(row["doc_id"], row["prompt_id"], row["model_id"], row["sample"])
        record["card"] = f'<a href="#{ident}">open</a>'
        rows.append(record)
    table = interactive_table(
        pd.DataFrame(rows),
        "summaries",
        caption="Every summary: filter by status (“broke a rule”: the summaries the compliance box counts; "
        "“other problem”: e.g. claims not supported), model, prompt, document, or search the text",
        search_panes=[0, 1, 2, 3, 4],
        page_length=10,
    )
    cards = [card(row, context) for _, row in frame.iterrows()]
    return (
        table + "<h3>Summary cards</h3>" + '<p class="muted">Claims: <span class="claim-supported">supported</span>, '
        '<span class="claim-unsupported">not supported</span>, '
        '<span class="claim-uncertain">uncertain</span> (evidence unclear: to review, not counted as a violation), '
        '<span class="claim-not_checkable">not checkable</span> '
        "(hover for the reason, the verifier's support probability and the evidence); "
        '<span class="fmt">dashed</span>: a bullet, heading, table or inline '
        'HTML; <span class="limit-mark">▲ limit</span>: where the token limit falls.</p>'
        + "".join(cards)
        + "<h3>Source documents</h3>"
        + context.sources.render()
        + OPEN_ON_HASH
    )
