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
from typing import Any

import pandas as pd

from bizsum.errors import BizsumError
from bizsum.report.data import ReportData
from bizsum.report.html import Span, esc, format_value, kind_badge, locate, marked_text, term

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


def ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Per document: LLMs first, then baselines; by model, prompt, sample."""
    if "model_kind" not in frame:
        return frame
    order = frame.assign(_baseline=frame["model_kind"] == "baseline")
    return order.sort_values(["doc_id", "_baseline", "model_id", "prompt_id", "sample"]).drop(columns="_baseline")


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
        if passage not in known and locate(self.texts[doc_id], passage) is None:
            return ""  # not found in the source: no link (a link needs its target)
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


@dataclass
class Context:
    """What cards need beyond the row: prompt templates, references, source texts."""

    templates: dict[str, str]
    references: dict[str, dict[str, str]]
    sources: SourcePassages
    problems: dict[Any, list[str]] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    #: card id -> the card id whose side-by-side cell shows the summary (a baseline's twin prompt: its kept one)
    sbs_target: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, data: ReportData) -> Context:
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
        return cls(
            templates,
            references,
            SourcePassages(texts),
            problems=dict(data.tables.problems.items()),
            columns=data.tables.columns,
            sbs_target=side_by_side_targets(data),
        )


def side_by_side_targets(data: ReportData) -> dict[str, str]:
    """card id -> the card id of the side-by-side cell showing it (a baseline once per model)."""
    from bizsum.analysis.verdict import one_per_baseline

    kept = one_per_baseline(data.tables.kinds)
    stand_in = {model: prompt for (prompt, model), kind in kept.items() if kind == "baseline"}
    targets = {}
    for doc_id, prompt_id, model_id, sample, kind in zip(
        data.frame["doc_id"],
        data.frame["prompt_id"],
        data.frame["model_id"],
        data.frame["sample"],
        data.frame.get("model_kind", pd.Series("llm", index=data.frame.index)),
    ):
        prompt = stand_in.get(str(model_id), prompt_id) if kind == "baseline" else prompt_id
        targets[card_id(doc_id, prompt_id, model_id, sample)] = card_id(doc_id, prompt, model_id, sample)
    return targets


def sbs_cell_id(ident: str) -> str:
    """The side-by-side cell of the summary whose card is ``ident`` (cell → card → back)."""
    return "sbs-" + ident


def card(row: Any, context: Context) -> str:
    """One summary, collapsed, with everything behind its scores. The header's ⚠ count is the
    number of problems listed in the body (one list, counted once)."""
    ident = card_id(row["doc_id"], row["prompt_id"], row["model_id"], row["sample"])
    problems: list[str] = context.problems.get(row.name, [])
    scores = " · ".join(
        f"{term(c.label, c.meaning)} <b>{esc(format_value(row.get(c.name), kind=c.kind))}</b>"
        for c in context.columns.values()
        if c.headline and c.name in row and c.name not in ("latency_s", "cost_usd")
    )
    counter = row.get("token_counter")
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    title = (
        f"{kind_badge(row.get('model_kind'))} {esc(row['doc_id'])} · {esc(row['prompt_id'])} · {esc(row['model_id'])}"
        f" · sample {esc(row['sample'])}" + (f' <span class="flag count">⚠ {count}</span>' if problems else "")
    )
    text = _text(row)
    claims = _details(row, "source_only").get("claims") or []
    body, located = _annotated(text, row, claims, ident) if text is not None else ("", set())
    if text is None:
        body = '<span class="muted">(no summary)</span>'
    flags = "".join(f'<div class="flag">⚠ {_flag_link(p, claims, located, ident)}</div>' for p in problems)
    back = context.sbs_target.get(ident)
    css = "card flagged" if problems else "card"
    return (
        f'<details class="{css}" id="{ident}"><summary>{title}</summary>'
        f'<div class="muted">{scores}'
        + (f" · counted with {esc(counter)}" if isinstance(counter, str) else "")
        + (f' · <a href="#{sbs_cell_id(back)}">↩ side by side</a>' if back else "")
        + "</div>"
        f'{flags}<div class="summary-text">{body}</div>'
        + _claims_list(row, claims, ident, context, located)
        + _areas_list(row)
        + _prompt_and_reference(row, context)
        + "</details>"
    )


def _flag_link(problem: str, claims: Sequence[dict[str, Any]], located: set[int], ident: str) -> str:
    """A problem line; "claim(s) not supported" links to the first flagged claim in the text."""
    if "not supported" not in problem:
        return esc(problem)
    for index, claim in enumerate(claims):
        if str(claim.get("verdict")) == "unsupported" and index in located:
            return f'<a href="#{ident}-c{index}">{esc(problem)}</a>'
    return f'<a href="#{ident}-claims">{esc(problem)}</a>' if claims else esc(problem)


def _reasons(claim: dict[str, Any]) -> str:
    """A claim's reasons, with the verifier's probability called support (it is not a p-value)."""
    return re.sub(r"\b[Pp] = ", "support ", "; ".join(claim.get("reasons") or []))


def _support(claim: dict[str, Any]) -> str:
    """A claim's support probability (a verifier's score, not a p-value)."""
    return f"support {float(claim.get('score') or 0):.2f}"


def _annotated(text: str, row: Any, claims: Sequence[dict[str, Any]], ident: str) -> tuple[str, set[int]]:
    """The summary text with every claim, format problem and the token limit marked; returns the
    HTML and the indexes of the claims found in the text (only those get an anchor and a link)."""
    spans: list[Span] = []
    located: set[int] = set()
    cursor = 0
    for index, claim in enumerate(claims):
        where = locate(text, str(claim.get("text") or ""), cursor)
        if where is None:
            continue
        located.add(index)
        cursor = where[1]
        verdict = str(claim.get("verdict") or "not_checkable")
        reasons = _reasons(claim)
        evidence = claim.get("evidence") or ""
        title = f"{verdict.replace('_', ' ')} ({_support(claim)}){': ' + reasons if reasons else ''}"
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
    return marked_text(text, spans, points), located


def _claims_list(row: Any, claims: Sequence[dict[str, Any]], ident: str, context: Context, located: set[int]) -> str:
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
        reasons = _reasons(claim)
        claim_text = esc(claim.get("text"))
        shown = (
            f'<a href="#{ident}-c{index}" class="claim-{esc(verdict)}">{claim_text}</a>'
            if index in located
            else f'<span class="claim-{esc(verdict)}" title="not found verbatim in the summary">{claim_text}</span>'
        )
        items.append(
            f"<li>{shown} <b>{esc(verdict.replace('_', ' '))}</b> ({_support(claim)})"
            + (f" — {esc(reasons)}" if reasons else "")
            + (f'<span class="evidence">evidence: {esc(evidence)}{source}</span>' if evidence else "")
            + "</li>"
        )
    uncertain = sum(1 for claim in claims if str(claim.get("verdict")) == "uncertain")
    opened = " open" if unsupported or uncertain else ""
    unclear = f', <span class="n-uncertain">{uncertain}</span> uncertain (to review)' if uncertain else ""
    return (
        f'<details{opened} id="{ident}-claims"><summary>Claims: {len(claims)} checked, '
        f'<span class="n-unsupported">{unsupported}</span> not supported{unclear}</summary>'
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


def _prompt_and_reference(row: Any, context: Context) -> str:
    doc_id = str(row["doc_id"])
    template = context.templates.get(str(row["prompt_id"]))
    parts = []
    if template is not None:
        placeholder = f"[the text of {esc(doc_id)}]"
        if doc_id in context.sources.texts:
            placeholder = f'<a href="#{doc_anchor(doc_id)}">{placeholder}</a>'
        shown = esc(template).replace(esc("{document}"), placeholder)
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
