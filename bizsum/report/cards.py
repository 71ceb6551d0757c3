"""The summaries themselves: side by side per document, a filterable list, and one card per summary.

A card shows why each score is what it is: every claim highlighted by its verdict (the evidence
passage and the reason on hover, and listed below), bullets / headings / tables / inline HTML
located in the text, the point where the token limit falls, the key content of each focus area
carried or missed, the prompt, the reference summary and links to the source passages. All text
from a model, a document or a config is escaped.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from bizsum.analysis.tables import headline_columns, problems_of
from bizsum.errors import BizsumError
from bizsum.report.html import Span, esc, format_value, interactive_table, kind_badge, locate, marked_text

if TYPE_CHECKING:
    from bizsum.report.build import ReportData

#: opens a card when a link (or the address bar) points into it
OPEN_ON_HASH = (
    "<script>(function(){function o(){var h=decodeURIComponent(location.hash.slice(1));if(!h)return;"
    "var e=document.getElementById(h);if(!e)return;var d=e.closest('details');while(d){d.open=true;"
    "d=d.parentElement&&d.parentElement.closest('details');}e.scrollIntoView();}"
    "window.addEventListener('hashchange',o);document.addEventListener('DOMContentLoaded',o);})();</script>"
)


def slug(text: Any) -> str:
    """Letters, digits and single dashes: safe in an id and a link."""
    return re.sub(r"[^A-Za-z0-9]+", "-", str(text)).strip("-")


def doc_anchor(doc_id: Any) -> str:
    return f"doc-{slug(doc_id)}"


def card_id(doc_id: Any, prompt_id: Any, model_id: Any, sample: Any) -> str:
    key = f"{doc_id}|{prompt_id}|{model_id}|{sample}"
    readable = slug(f"{doc_id}-{prompt_id}-{model_id}-{sample}")[:80]
    return f"card-{readable}-{hashlib.sha1(key.encode()).hexdigest()[:6]}"


def _details(row: Any, metric: str) -> dict[str, Any]:
    details = row.get("details") if isinstance(row.get("details"), dict) else {}
    value = details.get(metric)
    return value if isinstance(value, dict) else {}


def _text(row: Any) -> str | None:
    text = row.get("text")
    return text if isinstance(text, str) else None


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    if "model_kind" not in frame:
        return frame
    order = frame.assign(_baseline=frame["model_kind"] == "baseline")
    return order.sort_values(["doc_id", "_baseline", "model_id", "prompt_id", "sample"]).drop(columns="_baseline")


# --------------------------------------------------------------------------------------------
# Side by side


def side_by_side(frame: pd.DataFrame) -> str:
    """One document per page, every prompt × model as a column (toggle columns, search the text)."""
    if frame.empty:
        return ""
    kinds = frame if "model_kind" in frame else frame.assign(model_kind="llm")
    configs = (  # LLMs first, then baselines; the prompts of one model side by side
        kinds[["prompt_id", "model_id", "model_kind"]]
        .drop_duplicates()
        .assign(_baseline=lambda t: t["model_kind"] == "baseline")
        .sort_values(["_baseline", "model_id", "prompt_id"])
    )
    rows = []
    for doc_id, group in frame.groupby("doc_id", sort=True):
        company = group["company"].dropna().iloc[0] if "company" in group and group["company"].notna().any() else ""
        row = {"document": f"<b>{esc(doc_id)}</b><br><span class='muted'>{esc(company)}</span>"}
        for config in configs.itertuples(index=False):
            cell = group[(group.prompt_id == config.prompt_id) & (group.model_id == config.model_id)]
            header = f"{config.prompt_id} · {config.model_id}" + (
                " (baseline)" if config.model_kind == "baseline" else ""
            )
            row[header] = _grid_cell(cell)
        rows.append(row)
    table = pd.DataFrame(rows)
    return (
        '<p class="muted">One document per page (use the pager or the search box: it searches every summary). '
        "The buttons show or hide a prompt × model. ⚠ marks a summary with a problem; “card” opens its details.</p>"
        + interactive_table(table, "side_by_side", page_length=1, column_toggles=True)
    )


def _grid_cell(cell: pd.DataFrame) -> str:
    if cell.empty:
        return '<span class="muted">(not generated)</span>'
    parts = []
    for _, row in cell.iterrows():
        problems = problems_of(row)
        link = f'<a href="#{card_id(row["doc_id"], row["prompt_id"], row["model_id"], row["sample"])}">card</a>'
        flags = "".join(f'<div class="flag">⚠ {esc(p)}</div>' for p in problems[:4])
        text = _text(row)
        body = esc(text) if text is not None else '<span class="muted">(no summary)</span>'
        sample = f"sample {row['sample']} · " if len(cell) > 1 else ""
        parts.append(f'<div class="muted">{sample}{link}</div>{flags}<div class="cell-text">{body}</div>')
    return "".join(parts)


# --------------------------------------------------------------------------------------------
# The list and the cards


@dataclass
class SourcePassages:
    """Source passages the cards link to, per document: anchors into the appended source texts."""

    texts: dict[str, str] = field(default_factory=dict)
    anchors: dict[str, dict[str, str]] = field(default_factory=dict)

    def link(self, doc_id: str, passage: str | None) -> str:
        """An anchor id for ``passage`` of ``doc_id`` ('' when the document text is unknown)."""
        if not passage or doc_id not in self.texts:
            return ""
        known = self.anchors.setdefault(doc_id, {})
        if passage not in known:
            known[passage] = f"src-{slug(doc_id)}-{len(known)}"
        return known[passage]

    def render(self) -> str:
        parts = []
        for doc_id, text in self.texts.items():
            spans = []
            for passage, anchor in self.anchors.get(doc_id, {}).items():
                where = locate(text, passage)
                if where:
                    spans.append(Span(where[0], where[1], "src-passage", "", anchor))
            marked = marked_text(text, spans)
            parts.append(
                f'<details class="card" id="{doc_anchor(doc_id)}"><summary>Source: {esc(doc_id)} '
                f'({len(text):,} characters; marked: passages the cards cite)</summary><div class="src-doc">{marked}</div></details>'
            )
        return "".join(parts)


def summaries(data: ReportData) -> str:
    """A filterable list of every summary (failures only, per model, prompt, document, text search),
    then one collapsed card per summary, then the source documents the cards link into."""
    frame = _ordered(data.frame)
    if frame.empty:
        return ""
    context = _Context.of(data)
    shown = [c for c in headline_columns() if c.name in frame and c.kind != "measure"][:6]
    rows = []
    for _, row in frame.iterrows():
        problems = problems_of(row)
        ident = card_id(row["doc_id"], row["prompt_id"], row["model_id"], row["sample"])
        text = _text(row) or ""
        record = {
            "document": esc(row["doc_id"]),
            "prompt": esc(row["prompt_id"]),
            "model": esc(row["model_id"]),
            "kind": "baseline" if row.get("model_kind") == "baseline" else "LLM",
            "status": "flagged" if problems else "ok",
            "problems": esc("; ".join(problems)),
        }
        for column in shown:
            record[column.label] = esc(format_value(row.get(column.name), kind=column.kind))
        record["summary"] = esc(text[:240] + ("…" if len(text) > 240 else ""))
        record["card"] = f'<a href="#{ident}">open</a>'
        rows.append(record)
    table = interactive_table(
        pd.DataFrame(rows),
        "summaries",
        caption="Every summary: filter by status (flagged = failures only), model, prompt, document, or search the text",
        search_panes=[0, 1, 2, 3, 4],
        page_length=10,
    )
    cards = [card(row, context) for _, row in frame.iterrows()]
    return (
        table + "<h3>Summary cards</h3>" + '<p class="muted">Claims: <span class="claim-supported">supported</span>, '
        '<span class="claim-unsupported">not supported</span>, <span class="claim-not_checkable">not checkable</span> '
        '(hover for the reason and the evidence); <span class="fmt">dashed</span>: a bullet, heading, table or inline '
        'HTML; <span class="limit-mark">▲ limit</span>: where the token limit falls.</p>'
        + "".join(cards)
        + "<h3>Source documents</h3>"
        + context.sources.render()
        + OPEN_ON_HASH
    )


@dataclass
class _Context:
    """What cards need beyond the row: prompt templates, references, source texts."""

    templates: dict[str, str]
    references: dict[str, dict[str, str]]
    sources: SourcePassages

    @classmethod
    def of(cls, data: ReportData) -> _Context:
        from bizsum.corpus.documents import DocumentStore
        from bizsum.corpus.prompts import load_template, prompt_folders

        data_dir = data.config.data_paths
        templates, references, texts = {}, {}, {}
        for prompt_id in sorted(data.frame["prompt_id"].astype(str).unique()):
            with contextlib.suppress(BizsumError, OSError):
                templates[prompt_id] = load_template(prompt_folders(data_dir), prompt_id).text
        store = DocumentStore(data_dir)
        for doc_id in sorted(data.frame["doc_id"].astype(str).unique()):
            try:
                texts[doc_id] = store.load(doc_id).text
                references[doc_id] = store.references(doc_id)
            except (BizsumError, OSError):
                pass
        return cls(templates, references, SourcePassages(texts))


def card(row: Any, context: _Context) -> str:
    """One summary, collapsed, with everything behind its scores."""
    ident = card_id(row["doc_id"], row["prompt_id"], row["model_id"], row["sample"])
    problems = problems_of(row)
    scores = " · ".join(
        f"{esc(c.label)} <b>{esc(format_value(row.get(c.name), kind=c.kind))}</b>"
        for c in headline_columns()
        if c.name in row and c.name not in ("latency_s", "cost_usd")
    )
    counter = row.get("token_counter")
    title = (
        f"{kind_badge(row.get('model_kind'))} {esc(row['doc_id'])} · {esc(row['prompt_id'])} · {esc(row['model_id'])}"
        f" · sample {esc(row['sample'])}" + (f' <span class="flag">⚠ {len(problems)}</span>' if problems else "")
    )
    flags = "".join(f'<div class="flag">⚠ {esc(p)}</div>' for p in problems)
    text = _text(row)
    claims = _details(row, "source_only").get("claims") or []
    body = _annotated(text, row, claims, ident) if text is not None else '<span class="muted">(no summary)</span>'
    css = "card flagged" if problems else "card"
    return (
        f'<details class="{css}" id="{ident}"><summary>{title}</summary>'
        f'<div class="muted">{scores}'
        + (f" · counted with {esc(counter)}" if isinstance(counter, str) else "")
        + "</div>"
        f'{flags}<div class="summary-text">{body}</div>'
        + _claims_list(row, claims, ident, context)
        + _areas_list(row)
        + _prompt_and_reference(row, context)
        + "</details>"
    )


def _annotated(text: str, row: Any, claims: Sequence[dict[str, Any]], ident: str) -> str:
    spans: list[Span] = []
    cursor = 0
    for index, claim in enumerate(claims):
        where = locate(text, str(claim.get("text") or ""), cursor)
        if where is None:
            continue
        cursor = where[1]
        verdict = str(claim.get("verdict") or "not_checkable")
        reasons = "; ".join(claim.get("reasons") or [])
        evidence = claim.get("evidence") or ""
        title = f"{verdict.replace('_', ' ')} (p = {claim.get('score', 0):.2f}){': ' + reasons if reasons else ''}"
        if evidence:
            title += f" — evidence: {evidence[:300]}"
        spans.append(Span(where[0], where[1], f"claim-{verdict}", title, f"{ident}-c{index}"))
    for problem in _details(row, "format").get("problems") or []:
        kind = str(problem.get("kind"))
        if kind == "html" and str(problem.get("offset", "")).isdigit():
            start = int(problem["offset"])
            spans.append(Span(start, start + len(problem.get("line", "")), "fmt fmt-html", "inline HTML"))
            continue
        where = locate(text, str(problem.get("line") or ""))
        if where:
            spans.append(Span(where[0], where[1], f"fmt fmt-{kind}", f"{kind}: not continuous text"))
    points = []
    token_details = _details(row, "token_limit")
    offset = token_details.get("limit_offset")
    if isinstance(offset, int) and 0 <= offset < len(text):
        limit = token_details.get("limit", "")
        label = f'<span class="limit-mark" title="token {esc(limit)} ends here: the rest is over the limit">▲ {esc(limit)} tokens</span>'
        points.append((offset, label))
        spans.append(Span(offset, len(text), "over-limit", f"over the {limit}-token limit"))
    return marked_text(text, spans, points)


def _claims_list(row: Any, claims: Sequence[dict[str, Any]], ident: str, context: _Context) -> str:
    if not claims:
        return ""
    items = []
    unsupported = 0
    for index, claim in enumerate(claims):
        verdict = str(claim.get("verdict") or "not_checkable")
        unsupported += verdict == "unsupported"
        evidence = claim.get("evidence") or ""
        anchor = context.sources.link(str(row["doc_id"]), evidence)
        source = f' <a href="#{anchor}">source</a>' if anchor else ""
        reasons = "; ".join(claim.get("reasons") or [])
        items.append(
            f'<li><a href="#{ident}-c{index}" class="claim-{esc(verdict)}">{esc(claim.get("text"))}</a> '
            f"<b>{esc(verdict.replace('_', ' '))}</b> (p = {float(claim.get('score') or 0):.2f})"
            + (f" — {esc(reasons)}" if reasons else "")
            + (f'<span class="evidence">evidence: {esc(evidence)}{source}</span>' if evidence else "")
            + "</li>"
        )
    opened = " open" if unsupported else ""
    return (
        f"<details{opened}><summary>Claims: {len(claims)} checked, {unsupported} not supported</summary>"
        f'<ul class="claims">{"".join(items)}</ul></details>'
    )


def _areas_list(row: Any) -> str:
    areas = _details(row, "focus_coverage").get("areas") or {}
    if not areas:
        return ""
    parts = []
    for area, info in areas.items():
        coverage = row.get(f"coverage_{area}")
        addressed = row.get(f"addressed_{area}")
        carried = info.get("key_content_carried") or []
        missed = info.get("key_content_missing") or []
        head = (
            f"<b>{esc(info.get('label', area))}</b>: coverage {esc(format_value(coverage))}"
            f"{' (the source is thin on this area)' if info.get('thin_in_source') else ''}"
            f" · {'addressed' if addressed else 'not addressed'} · key content {len(carried)} carried, {len(missed)} missed"
        )
        lines = [f'<li class="carried">✓ {esc(p.get("passage"))}</li>' for p in carried[:4]]
        lines += [f'<li class="missed">✗ {esc(p.get("passage"))}</li>' for p in missed[:4]]
        parts.append(f'<li>{head}<ul class="area-list">{"".join(lines)}</ul></li>')
    return f'<details><summary>Focus areas: key content carried and missed</summary><ul class="area-list">{"".join(parts)}</ul></details>'


def _prompt_and_reference(row: Any, context: _Context) -> str:
    doc_id = str(row["doc_id"])
    template = context.templates.get(str(row["prompt_id"]))
    parts = []
    if template is not None:
        shown = esc(template).replace(
            esc("{document}"), f'<a href="#{doc_anchor(doc_id)}">[the text of {esc(doc_id)}]</a>'
        )
        parts.append(
            f'<details><summary>Prompt ({esc(row["prompt_id"])})</summary><div class="summary-text">{shown}</div></details>'
        )
    for name, reference in (context.references.get(doc_id) or {}).items():
        parts.append(
            f'<details><summary>Reference summary ({esc(name)})</summary><div class="summary-text">{esc(reference)}</div></details>'
        )
    if doc_id in context.sources.texts:
        parts.append(f'<div class="muted"><a href="#{doc_anchor(doc_id)}">Source document {esc(doc_id)}</a></div>')
    return "".join(parts)
