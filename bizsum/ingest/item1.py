"""Locate Item 1 ("Business") in the block lines of a whole 10-K.

Steps (all on extracted text lines, never on markup):

1. **Page furniture** (:func:`furniture_flags`): page numbers and "Table of Contents" links next to a
   page break, and running headers/footers, i.e. short lines that recur (digits ignored, case kept)
   within 3 lines of at least 3 different page breaks ("Apple Inc. | 2024 Form 10-K | 5",
   "PART I" / "ITEM 1. BUSINESS" at the top of every page). Such lines are ignored when looking for
   headings and left out of the text.
2. **Start candidates**: lines that read like the Item 1 heading — "Item 1. Business",
   "ITEM 1 — BUSINESS", "Item 1 Business", "Items 1 and 2. Business and Properties",
   "Item 1. Description of Business", "ITEM 1." + "BUSINESS" on the next line, "Item 1. | Business"
   (table cells). A candidate followed by a page number ("Item 1. | Business | 4") is a table-of-
   contents entry.
3. **End**: the first later line that reads like another item heading (Item 1A/1B/1C/2/3/...,
   with a capitalised title or none) or "PART II".
4. The candidate whose span holds the most words wins; this skips the table of contents and the
   one-line "PART I" section index that some filings print before Item 1.
5. If the winning span is tiny, the filing's Item 1 is only a cross-reference ("incorporated by
   reference" to the annual report, IBM/GE style) or is missing: :class:`InputError`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bizsum.errors import InputError
from bizsum.ingest.lines import CELL_SEP, PAGE_BREAK

MIN_WORDS = 100  # an Item 1 shorter than this is not a business description

_DASH = r"[.:;,\u2014\u2013\u2012\-]"
_PART_I = rf"(?:part\s+i\b\s*{_DASH}?\s*)?"
_START = re.compile(
    rf"^{_PART_I}items?\s*1(?![0-9])\s*(?:{_DASH}\s*)*"
    rf"(?:(?:and|&)\s*2(?![0-9])\s*(?:{_DASH}\s*)*)?"
    r"(?P<title>(?:description\s+of\s+(?:the\s+)?)?business(?:es)?\b"
    r"(?:\s*(?:and|&)\s*properties\b)?)"
    r"(?P<rest>.*)$",
    re.I,
)
_START_NUMBER_ONLY = re.compile(rf"^{_PART_I}items?\s*1(?![0-9])\s*(?:{_DASH}\s*)*$", re.I)
_BUSINESS_ONLY = re.compile(
    r"^(?:description\s+of\s+(?:the\s+)?)?business(?:es)?\b(?:\s*(?:and|&)\s*properties\b)?\W{0,3}$", re.I
)
_END = re.compile(
    rf"^(?:part\s+i{{1,3}}\b\s*{_DASH}?\s*)?items?\s*"
    r"(?P<num>1\s?\(?[a-d]\)?(?![a-z0-9])|[2-9](?![0-9])|1[0-6](?![0-9]))"
    rf"\s*(?:{_DASH}\s*)*(?P<title>.*)$",
    re.I,
)
_PART_II = re.compile(rf"^part\s+ii\b(?!\s*{_DASH}?\s*items?\s*1(?![0-9]))", re.I)
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-\u2013\u2014(]?\s*(?:\d{1,4}|[ivxlc]{1,7}|[a-z]-?\d{1,3}|\d{1,4}\s+of\s+\d{1,4})\s*[-\u2013\u2014)]?$",
    re.I,
)
_TOC_LINK = re.compile(
    r"^(?:back\s+to\s+|return\s+to\s+)?(?:the\s+)?(?:table\s+of\s+contents?|index|contents|toc)\.?$", re.I
)
# What follows the title in a TOC / cross-reference index row: "3", "... 3", "Page 3", "4-11, 62".
_TOC_REST = re.compile(
    r"^(?:\.{2,}|\s|\|)*(?:pages?\s*)?[A-Z]?-?\d{1,4}(?:\s*(?:[-\u2013\u2014,;]|and|to)\s*[A-Z]?-?\d{1,4})*$", re.I
)
_INCORPORATED = re.compile(r"incorporated\s+(?:herein\s+|in\s+this\s+\w+\s+)?by\s+reference", re.I)
_INCORPORATED_NEGATED = re.compile(r"\b(?:not|nothing|neither|nor|no\s+part|none)\b|n[’']t\b", re.I)
_ELSEWHERE = re.compile(
    r"annual\s+report(?!\s+on\s+form)|proxy\s+statement|information\s+statement|"
    r"exhibit\s+\d|pages?\s+\d|appendix|annex",
    re.I,
)

_SENTENCE_END = re.compile(r"[.!?:;\"”’)\]]\s*$")

RUNNING_MIN_PAGES = 3
RUNNING_WINDOW = 3
RUNNING_MAX_CHARS = 150
RUNNING_SHARE = 0.75  # share of a running line's occurrences that must sit next to a page break


def heading_view(line: str) -> str:
    """The line as a heading matcher sees it: table separators and spacing removed."""
    return " ".join(line.replace(CELL_SEP.strip(), " ").split())


def _running_key(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


def _break_neighbourhoods(lines: list[str]) -> list[list[int]]:
    """Indices of the up-to-3 text lines before and after each page break."""
    hoods: list[list[int]] = []
    for b, line in enumerate(lines):
        if line != PAGE_BREAK:
            continue
        hood: list[int] = []
        i = b - 1
        while i >= 0 and lines[i] != PAGE_BREAK and len(hood) < RUNNING_WINDOW:
            hood.append(i)
            i -= 1
        after = 0
        i = b + 1
        while i < len(lines) and lines[i] != PAGE_BREAK and after < RUNNING_WINDOW:
            hood.append(i)
            after += 1
            i += 1
        hoods.append(hood)
    return hoods


def furniture_flags(lines: list[str]) -> list[bool]:
    """True for page numbers, "Table of Contents" links and running headers/footers."""
    flags = [line == PAGE_BREAK for line in lines]
    hoods = _break_neighbourhoods(lines)
    pages_with_key: dict[str, set[int]] = defaultdict(set)
    for h, hood in enumerate(hoods):
        for i in hood:
            if len(lines[i]) <= RUNNING_MAX_CHARS:
                pages_with_key[_running_key(lines[i])].add(h)
    near_break = {i for hood in hoods for i in hood}
    # A running header/footer recurs next to page breaks and (almost) nowhere else; a subheading
    # that happens to start several pages ("Energy Generation and Storage") also occurs mid-page.
    total: Counter[str] = Counter()
    at_break: Counter[str] = Counter()
    for i, line in enumerate(lines):
        if line != PAGE_BREAK and len(line) <= RUNNING_MAX_CHARS:
            key = _running_key(line)
            if key in pages_with_key:
                total[key] += 1
                at_break[key] += i in near_break
    running = {
        key
        for key, pages in pages_with_key.items()
        if len(pages) >= RUNNING_MIN_PAGES and at_break[key] >= RUNNING_SHARE * total[key]
    }
    few_breaks = len(hoods) < 3
    for i, line in enumerate(lines):
        if flags[i]:
            continue
        view = heading_view(line)
        if (
            _TOC_LINK.match(view)
            or (_PAGE_NUMBER.match(view) and (i in near_break or few_breaks))
            or (i in near_break and _running_key(line) in running)
        ):
            flags[i] = True
    return flags


@dataclass
class _Candidate:
    index: int  # line index of the heading (first line when split over two lines)
    body_start: int  # first line index after the heading
    heading: str
    run_in: str = ""  # text after a run-in heading on the same line
    toc: bool = False
    end: int | None = None
    end_heading: str | None = None
    words: int = 0


@dataclass
class Item1Span:
    """Where Item 1 is in the lines, and its cleaned text."""

    start_line: int
    end_line: int | None
    start_heading: str
    end_heading: str | None
    text: str
    words: int
    warnings: list[str] = field(default_factory=list)


def _start_candidates(lines: list[str], usable: list[bool]) -> list[_Candidate]:
    found: list[_Candidate] = []
    indices = [i for i, ok in enumerate(usable) if ok]
    for pos, i in enumerate(indices):
        view = heading_view(lines[i])
        match = _START.match(view)
        if match:
            rest = match.group("rest").strip()
            rest_clean = rest.lstrip(".:;,\u2014\u2013- ").strip()
            heading = view[: match.end("title")].rstrip()
            if rest and not rest_clean:
                heading = view  # only punctuation after the title ("Business.")
            if rest_clean and _TOC_REST.match(rest_clean):
                found.append(_Candidate(i, i + 1, view, toc=True))
            elif not rest_clean or len(view) <= 100:
                found.append(_Candidate(i, i + 1, view if len(view) <= 100 else heading))
            else:
                found.append(_Candidate(i, i + 1, heading, run_in=rest_clean))
            continue
        if _START_NUMBER_ONLY.match(view) and pos + 1 < len(indices):
            j = indices[pos + 1]
            next_view = heading_view(lines[j])
            if _BUSINESS_ONLY.match(next_view):
                found.append(_Candidate(i, j + 1, f"{view} {next_view}"))
    return found


def _is_end(view: str) -> bool:
    if _PART_II.match(view):
        return True
    match = _END.match(view)
    if not match:
        return False
    title = match.group("title").strip()
    if not title:
        return True
    if len(view) > 160:
        return False
    first = title.lstrip("\"'“‘(").strip()
    return bool(first) and (first[0].isupper() or first[0].isdigit())


def _words(lines: list[str]) -> int:
    return sum(len(line.split()) for line in lines)


def _incorporation_sentence(text: str, min_words: int = MIN_WORDS) -> str | None:
    """The first sentence that pulls material in by reference from another document.

    "The following information is included in IBM's 2024 Annual Report to Stockholders and is
    incorporated by reference" counts; "the information on our website is not incorporated by
    reference into this report" (negated) does not.
    """
    for match in _INCORPORATED.finditer(text):
        start = max(text.rfind(". ", 0, match.start()), text.rfind("\n", 0, match.start())) + 1
        end_candidates = [p for p in (text.find(". ", match.end()), text.find("\n", match.end())) if p != -1]
        end = min(end_candidates) + 1 if end_candidates else len(text)
        sentence = text[start:end].strip()
        if _INCORPORATED_NEGATED.search(text[start : match.start()]):
            continue
        if _ELSEWHERE.search(sentence) or len(text.split()) < min_words:
            return sentence
    return None


def _join_body(lines: list[str]) -> str:
    parts: list[str] = []
    previous_table = False
    for line in lines:
        is_table = CELL_SEP in line
        if parts:
            parts.append("\n" if (is_table and previous_table) else "\n\n")
        parts.append(line)
        previous_table = is_table
    return "".join(parts)


def _body_lines(lines: list[str], usable: list[bool], start: int, end: int) -> list[str]:
    """Text lines of a span without page furniture; a paragraph cut by a page break is re-joined."""
    body: list[str] = []
    crossed_page = False
    for i in range(start, end):
        if not usable[i]:
            crossed_page = crossed_page or lines[i] == PAGE_BREAK
            continue
        line = lines[i]
        view = heading_view(line)
        match = _START.match(view)
        if match and not match.group("rest").strip(" .:;—–-"):
            continue  # a repeated "Item 1. Business" running header that escaped the furniture pass
        if (
            crossed_page
            and body
            and (line[:1].islower() or len(body[-1]) >= 150)
            and not _SENTENCE_END.search(body[-1])
            and CELL_SEP not in body[-1]
        ):
            body[-1] = f"{body[-1]} {line}"
        else:
            body.append(line)
        crossed_page = False
    return body


def locate_item1(lines: list[str], source: str = "filing", min_words: int = MIN_WORDS) -> Item1Span:
    """Find Item 1 in block lines; raise :class:`InputError` (naming ``source``) when there is none."""
    furniture = furniture_flags(lines)
    usable = [not f for f in furniture]
    warnings: list[str] = []
    candidates = _start_candidates(lines, usable)
    if not candidates:
        # A running header identical to the real heading is flagged as furniture; retry with it.
        all_text = [line != PAGE_BREAK for line in lines]
        candidates = _start_candidates(lines, all_text)
        if candidates:
            warnings.append("the Item 1 heading was only found among page headers/footers")
    if not candidates:
        seen = [
            heading_view(line)
            for line, ok in zip(lines, usable)
            if ok and re.match(r"(?i)^items?\s*\d", heading_view(line))
        ]
        hint = f" (item headings seen: {'; '.join(seen[:6])})" if seen else " (no 'Item N.' headings at all)"
        raise InputError(f"{source}: no 'Item 1. Business' heading found; is this a 10-K?{hint}")

    ends = [i for i, ok in enumerate(usable) if ok and _is_end(heading_view(lines[i]))]
    for cand in candidates:
        following = [e for e in ends if e >= cand.body_start]
        if following:
            cand.end = following[0]
            cand.end_heading = heading_view(lines[cand.end])
        stop = cand.end if cand.end is not None else len(lines)
        cand.words = _words(_body_lines(lines, usable, cand.body_start, stop)) + len(cand.run_in.split())

    pool = [c for c in candidates if not c.toc] or candidates  # TOC rows ("Item 1. Business 4")
    with_end = [c for c in pool if c.end is not None] or pool
    best = max(with_end, key=lambda c: (c.words, -c.index))
    if best.end is None:
        warnings.append(
            "no heading after Item 1 (Item 1A/1B/1C/2/3 or PART II) found; kept text to the end of the document"
        )

    stop = best.end if best.end is not None else len(lines)
    body = _body_lines(lines, usable, best.body_start, stop)
    if best.run_in:
        body.insert(0, best.run_in)
    text_lines = [best.heading, *body]
    text = _join_body(text_lines)
    words = _words(body)

    incorporation = _incorporation_sentence("\n".join(body), min_words)
    if words < min_words:
        where = f"line {best.index + 1} ({best.heading!r})"
        if best.toc:
            raise InputError(
                f"{source}: 'Item 1. Business' only appears as a table-of-contents or cross-reference index "
                f"entry ({where}); the filing has no Item 1 text of its own (it may point to pages of an "
                "annual report exhibit)"
            )
        if incorporation:
            raise InputError(
                f"{source}: Item 1 (Business) at {where} only refers to another document "
                f"({words} words): {incorporation[:300]!r}. The business description is not in this "
                "file; use the document it is incorporated from (e.g. the annual report exhibit)."
            )
        raise InputError(
            f"{source}: Item 1 (Business) at {where} has only {words} words before "
            f"{best.end_heading!r}; expected a business description of at least {min_words} words"
        )
    if incorporation:
        warnings.append(f"part of Item 1 is incorporated by reference from another document: {incorporation[:200]!r}")
    return Item1Span(
        start_line=best.index,
        end_line=best.end,
        start_heading=best.heading,
        end_heading=best.end_heading,
        text=text,
        words=words,
        warnings=warnings,
    )
