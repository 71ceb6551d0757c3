"""HTML (plain or inline XBRL) → visible text, one line per block.

The document is parsed with lxml's HTML parser and walked once. Each block element (``p``, ``div``,
headings, list items, table rows, ``br``) starts a new line; inline elements (``span``, ``b``,
``font``, ``a``, ``ix:nonNumeric``...) are joined, so a heading split over several bold spans stays on
one line. Hidden parts are dropped: ``ix:header`` (the inline-XBRL facts block), anything styled
``display:none``, scripts, styles and the ``<head>``.

Tables become one line per row with the non-empty cells joined by ``" | "``; a lone ``$`` cell is
glued to the next cell and a lone ``)`` or ``%`` cell to the previous one, and a bullet cell
("•") to its text. A row with a single non-empty cell, or with a cell holding several paragraphs
(a page-layout row: main text beside a sidebar box), is emitted as ordinary paragraphs, cell after
cell, so layout tables that wrap whole sections keep their line structure.

Page breaks (``<hr>``, CSS ``page-break-before/after``, ``<!-- PAGEBREAK -->``) become a
:data:`PAGE_BREAK` line, which the item locator uses to spot page numbers and running headers.
A ``<pre>`` block (late-1990s filings that wrap the whole plain-text document in HTML) goes through
:func:`bizsum.ingest.plaintext.text_to_lines`, so its hard-wrapped paragraphs are unwrapped too.
"""

from __future__ import annotations

import re
from typing import Any

import lxml.etree
import lxml.html

from bizsum.ingest.lines import CELL_SEP, PAGE_BREAK, fix_c1_controls
from bizsum.ingest.plaintext import text_to_lines

PROSE_CELL_CHARS = 200

# Elements whose start and end break the line.
BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "dd",
        "details",
        "dir",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "html",
        "li",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "title",
        "tr",
        "ul",
    ]
)
# Elements whose content is never shown.
HIDDEN_TAGS = frozenset(
    [
        "head",
        "script",
        "style",
        "noscript",
        "template",
        "ix:header",
        "ix:hidden",
        "ix:references",
        "ix:resources",
        "xbrli:context",
    ]
)
_DISPLAY_NONE = re.compile(r"(?:^|;)\s*display\s*:\s*none\b", re.I)
_PAGE_BREAK_STYLE = re.compile(r"(?:page-)?break-(before|after)\s*:\s*(?:always|page)\b", re.I)
_WS = re.compile(r"\s+")
_CURRENCY_CELL = re.compile(r"^[$€£¥]$")
_CLOSING_CELL = re.compile(r"^(?:\)|%|\)%|%\)|\*+)$")
_BULLET_LINE = re.compile(r"^[•●◦▪■□❖➢►▸·∙]")
_BULLET_CELL = re.compile(r"^[•●◦▪■□❖➢►▸·∙–—-]$|^\(?[a-z0-9]\)$|^\d{1,2}\.$")


def _is_hidden(el) -> bool:
    tag = el.tag
    if tag in HIDDEN_TAGS:
        return True
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    return bool(style and _DISPLAY_NONE.search(style))


class _Lines:
    """Accumulates inline text into the current line and flushes it at block boundaries."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.parts: list[str] = []

    def add(self, text: str | None) -> None:
        if text:
            self.parts.append(_WS.sub(" ", text))

    def newline(self) -> None:
        line = "".join(self.parts).strip()
        self.parts = []
        if line:
            self.lines.append(line)

    def page_break(self) -> None:
        self.newline()
        if not self.lines or self.lines[-1] != PAGE_BREAK:
            self.lines.append(PAGE_BREAK)

    def extend(self, lines: list[str]) -> None:
        self.newline()
        for line in lines:
            if line == PAGE_BREAK:
                self.page_break()
            else:
                self.lines.append(line)

    def finish(self) -> list[str]:
        self.newline()
        return self.lines


def _breaks(el, where: str) -> bool:
    style = el.get("style")
    return bool(style) and where in [m.lower() for m in _PAGE_BREAK_STYLE.findall(style)]


def _walk(root: Any, out: _Lines) -> None:
    """Depth-first walk without recursion (old filings nest unclosed tags very deeply)."""
    stack: list[tuple[str, Any]] = [("el", root)]
    while stack:
        kind, item = stack.pop()
        if kind == "text":
            out.add(item)
            continue
        el = item
        if kind == "close":
            if el.tag in BLOCK_TAGS:
                out.newline()
            if _breaks(el, "after"):
                out.page_break()
            continue
        tag = el.tag
        stack.append(("text", el.tail))
        if not isinstance(tag, str):  # comment, processing instruction, entity
            if tag is lxml.etree.Comment and "PAGEBREAK" in (el.text or "").upper():
                out.page_break()
            continue
        if _is_hidden(el):
            continue
        tag = tag.lower()
        if tag == "br":
            out.newline()
            continue
        if tag == "hr":
            out.page_break()
            continue
        if _breaks(el, "before"):
            out.page_break()
        if tag == "table":
            out.extend(table_lines(el))
            if _breaks(el, "after"):
                out.page_break()
            continue
        if tag == "pre":
            # Old filings wrap a whole plain-text document in <pre>: unwrap it like a .txt filing.
            out.extend(text_to_lines(el.text_content()))
            if _breaks(el, "after"):
                out.page_break()
            continue
        if tag in BLOCK_TAGS:
            out.newline()
        stack.append(("close", el))
        for child in reversed(el):
            stack.append(("el", child))
        stack.append(("text", el.text))


def element_lines(el) -> list[str]:
    """Visible lines of one element (used for table cells and whole documents)."""
    out = _Lines()
    # Walk the element's content, not its tail (the tail belongs to the parent's flow).
    tail, el.tail = el.tail, None
    try:
        _walk(el, out)
    finally:
        el.tail = tail
    return out.finish()


def _rows(table) -> list:
    rows = []
    for child in table:
        tag = child.tag.lower() if isinstance(child.tag, str) else ""
        if tag == "tr":
            rows.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows.extend(r for r in child if isinstance(r.tag, str) and r.tag.lower() == "tr")
    return rows


def _merge_cells(cells: list[str]) -> list[str]:
    merged: list[str] = []
    pending = ""
    for cell in cells:
        if _CURRENCY_CELL.match(cell):
            pending += cell
            continue
        if pending:
            cell = pending + cell
            pending = ""
        if merged and _CLOSING_CELL.match(cell):
            merged[-1] += cell
            continue
        merged.append(cell)
    if pending:
        merged.append(pending)
    if len(merged) >= 2 and _BULLET_CELL.match(merged[0]):
        merged[:2] = [f"{merged[0]} {merged[1]}"]
    return merged


def _is_prose_cell(content: list[str]) -> bool:
    """A cell holding several paragraphs of text (page layout), not a data value."""
    if len(content) < 2:
        return False
    bullets = sum(1 for line in content if _BULLET_LINE.match(line))
    return bullets >= 2 or sum(len(line) for line in content) >= PROSE_CELL_CHARS


def table_lines(table) -> list[str]:
    """One line per row: non-empty cells joined by " | "; single-cell rows keep their own lines."""
    lines: list[str] = []
    for row in _rows(table):
        if _is_hidden(row):
            continue
        cell_lines: list[list[str]] = []
        for cell in row:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th") or _is_hidden(cell):
                continue
            content = [line for line in element_lines(cell) if line.strip() and line != PAGE_BREAK]
            if content:
                cell_lines.append(content)
        if not cell_lines:
            continue
        if len(cell_lines) == 1 or any(_is_prose_cell(content) for content in cell_lines):
            # A single cell, or a layout row (main text beside a sidebar box): keep the paragraphs.
            for content in cell_lines:
                lines.extend(content)
            continue
        cells = _merge_cells([" ".join(part.strip() for part in content) for content in cell_lines])
        lines.append(CELL_SEP.join(cells))
    return lines


def parse_html(text: str):
    """Parse HTML text (any declared encoding is ignored: the text is already decoded)."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=False, huge_tree=True)
    return lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)


def html_to_lines(html: str | None = None, *, root=None) -> list[str]:
    """Visible text of an HTML document as block lines (with :data:`PAGE_BREAK` markers)."""
    if root is None:
        root = parse_html(html or "")
    lines = element_lines(root)
    return [fix_c1_controls(line) for line in lines]
