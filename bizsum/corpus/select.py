"""Choosing documents from the corpus, and a typed view of its manifest.

A run config lists *selectors* under ``documents:``; :func:`select_documents` turns them into
document ids. Selectors are resolved one after another; the result keeps the order of the selectors
(within one selector, manifest order) and each id appears once, at its first match.

Selector syntax (whitespace around keys, operators and values is ignored):

``AAPL_2024``
    a plain document id (exact, as in ``data/documents/manifest.csv``).
``NUANCE_*``, ``*_199?``, ``WALT_DISNEY_201[2-4]``
    a shell-style glob over ids (``*``, ``?``, ``[...]``), case-insensitive.
``company=<text>``
    the company name contains ``<text>``, case-insensitive (``company=disney``).
``industry=<text>``
    the industry label (derived from the SIC code) contains ``<text>``, case-insensitive
    (``industry=software``, ``industry=retail``).
``ticker=<symbol>``
    the ticker equals ``<symbol>``, case-insensitive (``ticker=AAPL``). Tickers are only known for
    some of the older filings.
``year=2010`` or ``year=1990..1999``
    fiscal year (the calendar year in which the fiscal period ends), a single year or an inclusive
    range.
``tokens<=5000``, ``tokens>=20000`` (also ``<`` and ``>``)
    length of the text in o200k_base tokens, as recorded in the manifest column ``tokens_o200k``.

A selector that cannot be parsed, names an unknown key, or matches no document raises
:class:`bizsum.errors.InputError` naming that selector.
"""

from __future__ import annotations

import fnmatch
import logging
import operator
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from bizsum.corpus.documents import DocumentStore
from bizsum.errors import InputError

if TYPE_CHECKING:  # pandas is imported where it is used: selecting documents does not need it
    import pandas as pd

log = logging.getLogger(__name__)

SELECTOR_KEYS = ("company", "industry", "ticker", "year", "tokens")
_GLOB_CHARS = re.compile(r"[*?\[]")
_TOKENS = re.compile(r"^tokens\s*(<=|>=|<|>)\s*(\d+)$", re.IGNORECASE)
_KEY_VALUE = re.compile(r"^([A-Za-z_]+)\s*=\s*(.*)$")
_YEAR = re.compile(r"^(\d{4})(?:\s*\.\.\s*(\d{4}))?$")
_OPERATORS: dict[str, Callable[[int, int], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}

Row = dict[str, str]


def _int(value: str | None) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _predicate(selector: str) -> Callable[[str, Row], bool] | None:
    """A test (id, manifest row) -> bool for a non-id selector, or None when it is a plain id."""
    text = selector.strip()
    match = _TOKENS.match(text)
    if match:
        compare, limit = _OPERATORS[match.group(1)], int(match.group(2))

        def by_tokens(_id: str, row: Row) -> bool:
            tokens = _int(row.get("tokens_o200k"))
            return tokens is not None and compare(tokens, limit)

        return by_tokens
    if re.match(r"^tokens\s*[<>=!]", text, re.IGNORECASE):
        raise InputError(f"document selector {selector!r}: expected tokens<=N, tokens>=N, tokens<N or tokens>N")

    match = _KEY_VALUE.match(text)
    if match:
        key, value = match.group(1).lower(), match.group(2).strip()
        if key not in SELECTOR_KEYS or key == "tokens":
            raise InputError(
                f"unknown document selector {selector!r}: key {match.group(1)!r} is not one of "
                "company=, industry=, ticker=, year=, tokens<=/>= (see bizsum.corpus.select)"
            )
        if not value:
            raise InputError(f"document selector {selector!r}: empty value after '='")
        if key == "year":
            years = _YEAR.match(value)
            if not years:
                raise InputError(f"document selector {selector!r}: expected year=YYYY or year=YYYY..YYYY")
            low = int(years.group(1))
            high = int(years.group(2) or low)
            if high < low:
                raise InputError(f"document selector {selector!r}: empty year range ({low} > {high})")

            def by_year(_id: str, row: Row) -> bool:
                year = _int(row.get("fiscal_year"))
                return year is not None and low <= year <= high

            return by_year
        needle = value.casefold()
        if key == "ticker":
            return lambda _id, row: (row.get("ticker") or "").strip().casefold() == needle
        return lambda _id, row: needle in (row.get(key) or "").casefold()

    if _GLOB_CHARS.search(text):
        pattern = text.casefold()
        return lambda doc_id, _row: fnmatch.fnmatchcase(doc_id.casefold(), pattern)
    if any(char in text for char in "=<>"):
        raise InputError(f"unknown document selector {selector!r} (see bizsum.corpus.select for the syntax)")
    return None


def select_documents(store: DocumentStore, selectors: list[str]) -> list[str]:
    """Resolve config selectors into document ids: selector order kept, duplicates removed."""
    if isinstance(selectors, str):
        selectors = [selectors]
    manifest = store.manifest
    chosen: list[str] = []
    seen: set[str] = set()
    for selector in selectors:
        if not isinstance(selector, str) or not selector.strip():
            raise InputError(f"document selector {selector!r}: expected a non-empty string")
        predicate = _predicate(selector)
        if predicate is None:
            doc_id = selector.strip()
            if doc_id not in manifest:
                close = [i for i in manifest if doc_id.casefold() in i.casefold()][:5]
                hint = f"; did you mean {close}?" if close else ""
                raise InputError(
                    f"document selector {selector!r} is neither a known document id nor a selector "
                    f"(company=, industry=, ticker=, year=, tokens<=/>=, or a glob){hint}"
                )
            matched = [doc_id]
        else:
            matched = [doc_id for doc_id, row in manifest.items() if predicate(doc_id, row)]
            if not matched:
                raise InputError(f"document selector {selector!r} matches no document in the corpus")
        log.debug("selector %r -> %d documents", selector, len(matched))
        for doc_id in matched:
            if doc_id not in seen:
                seen.add(doc_id)
                chosen.append(doc_id)
    return chosen


_INT_COLUMNS = ("fiscal_year", "chars", "words", "tokens_o200k")
_DATE_COLUMNS = ("period_of_report", "filing_date")


def describe_corpus(store: DocumentStore) -> pd.DataFrame:
    """The manifest as a DataFrame, one row per document in manifest order.

    Identifiers and labels (id, company, cik, ticker, accession, sic, industry, source, license) are
    pandas ``string`` columns with missing values as ``<NA>``; fiscal_year, chars, words and
    tokens_o200k are nullable ``Int64``; period_of_report and filing_date are ``datetime64``
    (``NaT`` when unknown). Columns not listed here are kept as strings.
    """
    import pandas as pd

    frame = pd.DataFrame(list(store.manifest.values()), dtype="string")
    frame = frame.replace("", pd.NA)
    for column in frame.columns:
        if column in _INT_COLUMNS:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")
        elif column in _DATE_COLUMNS:
            frame[column] = pd.to_datetime(frame[column], errors="coerce", format="%Y-%m-%d")
        else:
            frame[column] = frame[column].astype("string")
    return frame.reset_index(drop=True)


MANIFEST_COLUMNS = (
    "id",
    "company",
    "cik",
    "ticker",
    "fiscal_year",
    "period_of_report",
    "filing_date",
    "accession",
    "sic",
    "industry",
    "chars",
    "words",
    "tokens_o200k",
    "source",
    "license",
)
