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

from bizsum.ingest.html_text import CELL_SEP, PAGE_BREAK, fix_c1_controls

_PAGE_TAG = re.compile(r"^\s*<PAGE>\s*\d*\s*$", re.I)
_SGML_TABLE_TAG = re.compile(r"</?(?:TABLE|CAPTION|S|C|FN|F\d+)>", re.I)
_COLUMN_GAP = re.compile(r"(?<=\S)(?:\s{3,}|\s*\.{4,}\s*|\t+)(?=\S)")


def _is_tabular(line: str) -> bool:
    return bool(_COLUMN_GAP.search(line.strip()))


def _wrap_width(lines: list[str]) -> int:
    lengths = sorted(len(line.rstrip()) for line in lines if len(line.strip()) > 20 and not _is_tabular(line))
    if not lengths:
        return 80
    return lengths[int(len(lengths) * 0.9)]


def text_to_lines(text: str) -> list[str]:
    """Lines of a plain-text filing: prose paragraphs unwrapped, tables one row per line."""
    text = fix_c1_controls(text.replace("\r\n", "\n").replace("\r", "\n"))
    raw_lines: list[str] = []
    for line in text.split("\n"):
        if _PAGE_TAG.match(line):
            raw_lines.append(PAGE_BREAK)
            continue
        if "\f" in line:
            before, _, after = line.partition("\f")
            if before.strip():
                raw_lines.append(before)
            raw_lines.append(PAGE_BREAK)
            line = after.replace("\f", "")
        line = _SGML_TABLE_TAG.sub("", line).replace("\t", "    ").rstrip()
        raw_lines.append(line)

    width = _wrap_width([line for line in raw_lines if line != PAGE_BREAK])
    full = max(40, width - 22)
    out: list[str] = []
    joinable = False  # whether the last output line is prose that a following line may continue
    previous_raw_len = 0
    for line in raw_lines:
        if line == PAGE_BREAK:
            if not out or out[-1] != PAGE_BREAK:
                out.append(PAGE_BREAK)
            joinable = False
            continue
        stripped = line.strip()
        if not stripped:
            joinable = False
            continue
        if _is_tabular(stripped):
            out.append(_COLUMN_GAP.sub(CELL_SEP, stripped))
            joinable = False
            continue
        if joinable and previous_raw_len >= full:
            out[-1] = f"{out[-1]} {stripped}"
        else:
            out.append(stripped)
        joinable = True
        previous_raw_len = len(line)
    return out
