"""HTML pieces for the report: escaping, values, static and interactive tables, figures, highlights.

Everything model-generated or user-supplied is escaped with :func:`html.escape` before it is put
into markup, so a summary containing ``<script>`` shows as text. Static tables are plain HTML
(they print); interactive tables use ``itables`` (DataTables) in its offline mode: the library's
JavaScript is embedded once in the page (:func:`interactive_setup`), no CDN, works from ``file://``.
Charts are embedded PNGs with alt text.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def format_value(value: Any, digits: int = 3, kind: str = "score") -> str:
    """A value as the report prints it: rates in %, counts with one decimal, missing as '–'."""
    if is_missing(value):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple) and len(value) == 2:  # (mean, sd)
        mean, sd = value
        return (
            format_value(mean, digits, kind)
            if is_missing(sd) or kind == "rate"
            else f"{format_value(mean, digits, kind)} ± {format_value(sd, digits, kind)}"
        )
    if isinstance(value, float):
        if kind == "rate":
            return f"{100 * value:.0f} %"
        magnitude = abs(value)
        return f"{value:.{0 if magnitude >= 100 else 1 if magnitude >= 10 else digits}f}"
    return str(value)


def kind_badge(kind: str | None) -> str:
    """A visible mark that tells a language model from a baseline method."""
    kind = kind or "llm"
    label = "baseline" if kind == "baseline" else "LLM"
    return f'<span class="badge kind-{esc(kind)}" title="{esc(_KIND_TITLE.get(kind, kind))}">{label}</span>'


_KIND_TITLE = {
    "llm": "a language model",
    "baseline": "a baseline without a language model (e.g. extractive sentences): the floor a model must beat",
}


def config_cell(prompt: str, model: str, kind: str | None) -> str:
    """A configuration with its kind badge (a baseline by its model alone: it ignores the prompt)."""
    name = esc(model) if kind == "baseline" else f"{esc(prompt)} · {esc(model)}"
    return f'{kind_badge(kind)} <span class="cfg">{name}</span>'


def term(label: str, meaning: str) -> str:
    """A criterion's name with its definition on hover (``<abbr title>``)."""
    return f'<abbr class="term" title="{esc(meaning)}">{esc(label)}</abbr>'


def static_table(
    frame: pd.DataFrame,
    caption: str = "",
    *,
    index: bool = False,
    html_columns: Iterable[str] = (),
    kinds: dict[str, str] | None = None,
    row_classes: Sequence[str] | None = None,
    cell_classes: dict[tuple[int, str], str] | None = None,
    css: str = "",
) -> str:
    """A plain, escaped HTML table that prints. ``html_columns`` hold markup this module made
    (already escaped); ``kinds`` formats columns (``rate`` in %); ``cell_classes`` marks cells."""
    if index:
        frame = frame.reset_index()
    raw = set(html_columns)
    kinds = kinds or {}
    head = "".join(f'<th scope="col">{c if c in raw else esc(c)}</th>' for c in frame.columns)
    body = []
    for position, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for column, value in row.items():
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            classes = ["n" if numeric else "t"]
            if cell_classes and (position, str(column)) in cell_classes:
                classes.append(cell_classes[(position, str(column))])
            text = value if column in raw else esc(format_value(value, kind=kinds.get(str(column), "score")))
            cells.append(f'<td class="{" ".join(classes)}">{text}</td>')
        row_class = f' class="{esc(row_classes[position])}"' if row_classes and row_classes[position] else ""
        body.append(f"<tr{row_class}>" + "".join(cells) + "</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="scroll"><table class="bz {esc(css)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def interactive_setup() -> str:
    """The DataTables bundle of ``itables``, embedded once per page (offline: no CDN request)."""
    from itables import options
    from itables.javascript import generate_init_offline_itables_html

    return generate_init_offline_itables_html(options.dt_bundle)


_TABLE_ID = re.compile(r"[^A-Za-z0-9_-]")


def table_dom_id(name: str) -> str:
    """The element id of interactive table ``name``: ``<name>_table``, never a section's id (a
    duplicate id made the script that shows each table find the section instead)."""
    return _TABLE_ID.sub("_", name) + "_table"


def interactive_table(
    frame: pd.DataFrame,
    table_id: str,
    caption: str = "",
    *,
    search_panes: Sequence[int] = (),
    column_toggles: bool = False,
    page_length: int = 10,
    hidden: Sequence[int] = (),
    **options: Any,
) -> str:
    """A sortable, searchable table (itables/DataTables, offline). Cells must already be escaped
    HTML (this function passes them through as HTML). ``search_panes`` lists the columns that get a
    filter pane; ``column_toggles`` adds a button per column to show or hide it."""
    from itables import to_html_datatable

    layout: dict[str, Any] = {"topStart": "pageLength", "topEnd": "search"}
    extra: dict[str, Any] = {}
    if search_panes:
        layout["top1"] = "searchPanes"
        extra["searchPanes"] = {"columns": list(search_panes), "cascadePanes": True, "initCollapsed": False}
    if column_toggles:
        layout["top2"] = "buttons"
        extra["buttons"] = ["columnsToggle"]
    if hidden:
        extra["columnDefs"] = [{"targets": list(hidden), "visible": False}]
    return to_html_datatable(
        frame,
        caption=caption or None,
        table_id=table_dom_id(table_id),
        connected=False,
        allow_html=True,
        showIndex=False,
        pageLength=page_length,
        lengthMenu=[1, 5, 10, 25, 50, 100],
        layout=layout,
        classes="display compact cell-border",
        style="width:100%",
        autoWidth=False,
        maxBytes=0,
        **extra,
        **options,
    )


FIGURE_DPI = 110


def figure_html(figure: Any, alt: str, caption: str = "", font_pt: float | None = None) -> str:
    """Embed a matplotlib figure as a PNG data URI (works offline, no external files). ``font_pt``
    (the figure's smallest text) is kept on the image with the dpi, so a test can tell how big the
    text shows on a screen."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=FIGURE_DPI, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    size = f' data-font-pt="{font_pt:g}" data-dpi="{FIGURE_DPI}"' if font_pt else ""
    return f'<figure><img alt="{esc(alt)}"{size} src="data:image/png;base64,{data}"/>{cap}</figure>'


def csv_link(frame: pd.DataFrame, filename: str, label: str = "") -> str:
    """A download link carrying the table as CSV in a data URI (works in a single offline file)."""
    data = base64.b64encode(frame.to_csv(index=False).encode("utf-8")).decode("ascii")
    return (
        f'<a class="csv" download="{esc(filename)}" href="data:text/csv;charset=utf-8;base64,{data}">'
        f"⤓ {esc(label or filename)}</a>"
    )


@dataclass(frozen=True)
class Span:
    """A stretch of a summary to mark: ``[start, end)`` characters, CSS class, tooltip, anchor."""

    start: int
    end: int
    css: str
    title: str = ""
    anchor: str = ""


def marked_text(text: str, spans: Sequence[Span], points: Sequence[tuple[int, str]] = ()) -> str:
    """Escape ``text`` and mark every span (overlaps allowed: a segment takes every class over it).

    ``points`` are (offset, html label) inserted at a position, e.g. where the token limit falls.
    """
    bounds = {0, len(text)}
    for span in spans:
        bounds.update((max(0, span.start), min(len(text), span.end)))
    inserts: dict[int, list[str]] = {}
    for offset, label in points:
        offset = max(0, min(len(text), offset))
        bounds.add(offset)
        inserts.setdefault(offset, []).append(label)
    cuts = sorted(bounds)
    anchors_at: dict[int, list[str]] = {}
    for span in spans:
        if span.anchor:
            anchors_at.setdefault(max(0, min(len(text), span.start)), []).append(span.anchor)
    out = []
    for start, end in zip(cuts, cuts[1:] + [None]):
        out.extend(inserts.get(start, []))
        anchors = list(dict.fromkeys(anchors_at.get(start, [])))
        if end is None or end <= start:
            out.extend(f'<span id="{esc(a)}"></span>' for a in anchors)  # every anchor gets its target
            continue
        covering = [s for s in spans if s.start <= start and s.end >= end]
        segment = esc(text[start:end])
        if covering:
            classes = " ".join(dict.fromkeys(s.css for s in covering))
            title = " | ".join(s.title for s in covering if s.title)
            ident = f' id="{esc(anchors.pop(0))}"' if anchors else ""
            segment = f'<span class="{esc(classes)}"{ident} title="{esc(title)}">{segment}</span>'
        out.extend(f'<span id="{esc(a)}"></span>' for a in anchors)
        out.append(segment)
    return "".join(out)


def locate(text: str, needle: str, start: int = 0) -> tuple[int, int] | None:
    """Where ``needle`` occurs in ``text`` (from ``start``, else anywhere): exactly, else word by word
    with any punctuation or spacing between the words. None when it cannot be found."""
    if not needle or not needle.strip():
        return None
    for origin in (start, 0):
        found = text.find(needle, origin)
        if found >= 0:
            return found, found + len(needle)
    words = re.findall(r"\w+", needle)
    if not words:
        return None
    pattern = re.compile(r"\W*".join(re.escape(w) for w in words), re.IGNORECASE)
    for origin in (start, 0):
        match = pattern.search(text, origin)
        if match:
            return match.start(), match.end()
    return None
