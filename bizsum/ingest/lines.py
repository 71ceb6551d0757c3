"""The line stream every filing format is turned into: markers and character fixes they share."""

from __future__ import annotations

#: a line holding only this marks a page break (used to spot page numbers and running headers)
PAGE_BREAK = "\f"
#: table cells of one row are joined with this
CELL_SEP = " | "

# C1 control characters that old filings use for Windows-1252 punctuation (&#147; &#148; &#150; ...).
_C1_TO_CP1252 = {code: bytes([code]).decode("cp1252", errors="ignore") or " " for code in range(0x80, 0xA0)}


def fix_c1_controls(text: str) -> str:
    """Map U+0080..U+009F (cp1252 bytes written as numeric entities) to the characters meant."""
    return text.translate(_C1_TO_CP1252)
