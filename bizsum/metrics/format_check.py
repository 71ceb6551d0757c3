"""Format compliance with "answer with a continuous text": no bullet lists, headings or tables.

Line-based rules (each violation is reported with the offending line):

* bullet: a line starting with ``-``, ``*``, ``+``, ``•``, ``▪``, ``–`` or ``1.``/``1)``/``a)``;
* heading: a Markdown heading (``#``), a line that is only bold text (``**Revenue**``), or a short
  line (≤ 8 words) with no end punctuation followed by more text, or ending in ``:``;
* table: a line with two or more ``|`` characters, or a Markdown table rule (``---|---``);
* html: an inline HTML tag anywhere (``<b>``, ``</p>``, ``<script ...>``): a summary is text, and
  markup in it is either a formatting attempt or an injection.

A single block of text (no line breaks) is continuous text whatever its first characters; so are
several prose paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem

_BULLET = re.compile(r"^\s*(?:[-*+•▪◦–]\s+|\(?\d{1,2}[.)]\s+|\(?[a-zA-Z][)]\s+)")
_MD_HEADING = re.compile(r"^\s*#{1,6}\s+\S")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^*_]+(\*\*|__)\s*:?\s*$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_END_PUNCT = re.compile(r"[.!?\"”')]\s*$")
#: an HTML tag: ``<name ...>``, ``</name>`` or ``<name/>`` with a known-looking tag name
HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]{0,20}(?:\s[^<>]{0,200})?/?>")


def html_problems(text: str) -> list[dict[str, str]]:
    """Every inline HTML tag in the text, with its character offset."""
    return [{"kind": "html", "line": m.group(0), "offset": str(m.start())} for m in HTML_TAG.finditer(text)]


def format_problems(text: str) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []
    lines = list(text.splitlines())
    nonempty = [i for i, line in enumerate(lines) if line.strip()]
    if len(nonempty) < 2:
        # One block of text is continuous, even if it starts like "(a) ..." (old filings do).
        return (
            [{"kind": "table", "line": lines[nonempty[0]].strip()}]
            if nonempty and lines[nonempty[0]].count("|") >= 2
            else []
        )
    for position, index in enumerate(nonempty):
        line = lines[index].strip()
        is_last = position == len(nonempty) - 1
        if line.count("|") >= 2 or _TABLE_RULE.match(line):
            problems.append({"kind": "table", "line": line})
        elif _BULLET.match(line):
            problems.append({"kind": "bullet", "line": line})
        elif (
            _MD_HEADING.match(line)
            or _BOLD_LINE.match(line)
            or (not is_last and len(line.split()) <= 8 and (line.endswith(":") or not _END_PUNCT.search(line)))
        ):
            problems.append({"kind": "heading", "line": line})
    return problems


class FormatMetric(Metric):
    name = "format"
    model_free = True
    label = "Continuous text"
    description = "no bullet lists, headings, tables or inline HTML (the prompt asks for continuous text)."
    columns = (
        Column(
            "format_compliant",
            "Continuous text",
            "No bullet lists, headings, tables or inline HTML, and not empty.",
            kind="rate",
            headline=True,
        ),
        Column(
            "has_bullets", "Bullets", "The summary has a bulleted or numbered list.", direction="lower", kind="flag"
        ),
        Column(
            "has_headings",
            "Headings",
            "The summary has Markdown or bold-line headings.",
            direction="lower",
            kind="flag",
        ),
        Column("has_tables", "Tables", "The summary has a table.", direction="lower", kind="flag"),
        Column("has_html", "Inline HTML", "The summary has inline HTML tags.", direction="lower", kind="flag"),
    )

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        results = []
        for item in items:
            problems = format_problems(item.summary) + html_problems(item.summary)
            kinds = {p["kind"] for p in problems}
            results.append(
                MetricResult(
                    values={
                        "format_compliant": not problems and bool(item.summary.strip()),
                        "has_bullets": "bullet" in kinds,
                        "has_headings": "heading" in kinds,
                        "has_tables": "table" in kinds,
                        "has_html": "html" in kinds,
                    },
                    details={"problems": problems[:20]},
                )
            )
        return results

    def version(self) -> dict[str, str]:
        return {"format": "2"}  # 2: inline HTML is a format problem
