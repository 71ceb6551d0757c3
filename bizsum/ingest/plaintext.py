"""Old plain-text filings → block lines (same shape as :func:`bizsum.ingest.html_text.html_to_lines`).

Plain-text 10-Ks (1990s–early 2000s) are hard-wrapped at ~65–80 columns, separate paragraphs with
blank lines, mark pages with ``<PAGE>`` or form feeds, and lay tables out with runs of spaces inside
SGML ``<TABLE>``/``<S>``/``<C>`` tags. This module:

* turns ``<PAGE>`` lines and form feeds into :data:`PAGE_BREAK` markers;
* drops the SGML table tags (``<TABLE>``, ``<CAPTION>``, ``<S>``, ``<C>``, ``<FN>``);
* re-joins the hard-wrapped lines of a prose paragraph into one line (a line is joined to the
  previous one only when the previous line is "full", i.e. close to the wrap width, so short
  headings stay on their own line);
* keeps tabular lines (3+ spaces between columns, dot leaders) as one line each, with the column
  gaps turned into ``" | "``.
"""

from __future__ import annotations

import re

from bizsum.ingest.lines import CELL_SEP, PAGE_BREAK, fix_c1_controls

_PAGE_TAG = re.compile(r"^\s*<PAGE>\s*\d*\s*$", re.I)
_TABLE_OPEN = re.compile(r"<TABLE>", re.I)
_TABLE_CLOSE = re.compile(r"</TABLE>", re.I)
_SGML_TABLE_TAG = re.compile(r"</?(?:TABLE|CAPTION|S|C|FN|F\d+)>", re.I)
_COLUMN_GAP = re.compile(r"(?<=\S)(?:\s{3,}|\s*\.{4,}\s*|\t+)(?=\S)")
# Inside an SGML <TABLE>, "Costs..   $3,396" also separates a label from its value.
_TABLE_GAP = re.compile(r"(?<=\S)(?:\s{3,}|\s*\.{2,}\s+|\s*\.{4,}\s*|\t+)(?=\S)")
_RULE = re.compile(r"^[\s\-=_]+$")
_HYPHEN_END = re.compile(r"[A-Za-z]-$")
MAX_PROSE_INDENT = 12  # centred lines (titles, table captions) are indented more than this


def _is_tabular(line: str) -> bool:
    return bool(_COLUMN_GAP.search(line.strip()))


def _wrap_width(lines: list[str]) -> int:
    lengths = sorted(len(line.rstrip()) for line in lines if len(line.strip()) > 20 and not _is_tabular(line))
    if not lengths:
        return 80
    return lengths[int(len(lengths) * 0.9)]


def _split_pages(text: str) -> list[tuple[str, bool]]:
    """(line, inside an SGML table) pairs, with <PAGE> lines and form feeds as PAGE_BREAK."""
    out: list[tuple[str, bool]] = []
    in_table = False
    for line in text.split("\n"):
        if _PAGE_TAG.match(line):
            out.append((PAGE_BREAK, False))
            continue
        pieces = line.split("\f")
        for n, piece in enumerate(pieces):
            if n:
                out.append((PAGE_BREAK, False))
            opens, closes = bool(_TABLE_OPEN.search(piece)), bool(_TABLE_CLOSE.search(piece))
            if opens:
                in_table = True
            cleaned = _SGML_TABLE_TAG.sub("", piece).replace("\t", "    ").rstrip()
            if cleaned.strip() or not (opens or closes):
                out.append((cleaned, in_table))
            if closes:
                in_table = False
    return out


def text_to_lines(text: str) -> list[str]:
    """Lines of a plain-text filing: prose paragraphs unwrapped, tables one row per line."""
    text = fix_c1_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    raw_lines = _split_pages(text)
    width = _wrap_width([line for line, in_table in raw_lines if line != PAGE_BREAK and not in_table])
    full = max(40, width - 22)
    out: list[str] = []
    joinable = False  # whether the last output line is prose that a following line may continue
    for line, in_table in raw_lines:
        if line == PAGE_BREAK:
            if not out or out[-1] != PAGE_BREAK:
                out.append(PAGE_BREAK)
            joinable = False
            continue
        stripped = line.strip()
        if not stripped:
            joinable = False
            continue
        if in_table or _is_tabular(stripped):
            if not _RULE.match(stripped):
                out.append((_TABLE_GAP if in_table else _COLUMN_GAP).sub(CELL_SEP, stripped))
            joinable = False
            continue
        stripped = " ".join(stripped.split())
        if joinable:
            out[-1] = f"{out[-1]}{'' if _HYPHEN_END.search(out[-1]) else ' '}{stripped}"
        else:
            out.append(stripped)
        indent = len(line) - len(line.lstrip())
        joinable = len(line) >= full and indent <= MAX_PROSE_INDENT
    return out
