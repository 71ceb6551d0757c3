"""Filing metadata: company, CIK, form, period end / fiscal year, accession number, ticker.

Sources, most trusted first:

1. inline-XBRL cover facts (``ix:nonNumeric name="dei:..."``, visible or in the hidden ``ix:header``):
   ``EntityRegistrantName``, ``EntityCentralIndexKey``, ``DocumentType``, ``DocumentPeriodEndDate``,
   ``DocumentFiscalYearFocus``, ``TradingSymbol``;
2. the SGML header of a full submission: ``COMPANY CONFORMED NAME``, ``CENTRAL INDEX KEY``,
   ``CONFORMED SUBMISSION TYPE``, ``CONFORMED PERIOD OF REPORT``, ``ACCESSION NUMBER``;
3. the cover page text: "FORM 10-K", "For the fiscal year ended June 30, 1999", the line above
   "(Exact name of registrant as specified in its charter)";
4. the file name, for an accession number such as ``0000950153-99-001234``.

``fiscal_year`` is the calendar year in which the reported period ends (Home Depot's fiscal 2024
ends 2025-02-02 → 2025), the convention of ``data/``; the XBRL ``DocumentFiscalYearFocus`` is kept
separately as ``fiscal_year_focus``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from bizsum.ingest.lines import CELL_SEP, PAGE_BREAK

DEI_FIELDS = (
    "EntityRegistrantName",
    "EntityCentralIndexKey",
    "DocumentType",
    "DocumentPeriodEndDate",
    "DocumentFiscalYearFocus",
    "TradingSymbol",
    "AmendmentFlag",
)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DATE_MDY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})\s*,?\s*(\d{{4}})\b", re.I)
_DATE_DMY = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH_RE})\.?,?\s+(\d{{4}})\b", re.I)
_DATE_ISO = re.compile(r"\b(\d{4})-?(\d{2})-?(\d{2})\b")
_DATE_US = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
_FISCAL_YEAR_ENDED = re.compile(r"(?:fiscal\s+)?year\s+ended\s*:?\s*(?P<date>.{6,40})", re.I)
_FORM_LINE = re.compile(r"^form\s+(10-?[kq](?:sb|405|t)?(?:\s*/\s*a)?|20-?f|40-?f|8-?k)\b", re.I)
_EXACT_NAME = re.compile(r"exact\s+name\s+of\s+(?:the\s+)?registrant", re.I)
_ACCESSION = re.compile(r"\b(\d{10}-\d{2}-\d{6})\b")
_CORPORATE_SUFFIXES = {
    "INC",
    "INCORPORATED",
    "CORP",
    "CORPORATION",
    "CO",
    "COMPANY",
    "LTD",
    "LIMITED",
    "LLC",
    "LP",
    "L_P",
    "PLC",
    "NV",
    "SA",
    "AG",
    "THE",
    "DE",
    "HOLDINGS_INC",
}


@dataclass
class FilingMetadata:
    company: str = ""
    cik: str = ""
    form: str = ""
    period_end: str = ""  # ISO date
    fiscal_year: int | None = None
    fiscal_year_focus: int | None = None
    accession: str = ""
    ticker: str = ""
    sources: dict[str, str] = field(default_factory=dict)  # field -> where it came from


def parse_date(text: str) -> dt.date | None:
    """First date in ``text`` written as "June 30, 1999", "30 June 1999", "1999-06-30" or "6/30/1999"."""
    text = text.replace("\u00a0", " ")
    candidates: list[tuple[int, dt.date | None]] = []
    for match in _DATE_MDY.finditer(text):
        month = _MONTHS.get(match.group(1).lower().rstrip("."))
        candidates.append((match.start(), _safe_date(match.group(3), month, match.group(2))))
    for match in _DATE_DMY.finditer(text):
        month = _MONTHS.get(match.group(2).lower().rstrip("."))
        candidates.append((match.start(), _safe_date(match.group(3), month, match.group(1))))
    for match in _DATE_ISO.finditer(text):
        candidates.append((match.start(), _safe_date(match.group(1), match.group(2), match.group(3))))
    for match in _DATE_US.finditer(text):
        candidates.append((match.start(), _safe_date(match.group(3), match.group(1), match.group(2))))
    valid = sorted((pos, date) for pos, date in candidates if date is not None)
    return valid[0][1] if valid else None


def _safe_date(year, month, day) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except (TypeError, ValueError):
        return None


def dei_facts(root) -> dict[str, str]:
    """``dei:*`` cover facts of an inline-XBRL document (first occurrence of each name)."""
    facts: dict[str, str] = {}
    if root is None:
        return facts
    for el in root.iter("ix:nonnumeric", "ix:nonNumeric", "ix:nonfraction"):
        name = (el.get("name") or "").split(":")[-1]
        if name in DEI_FIELDS and name not in facts:
            value = " ".join(el.text_content().split())
            if value:
                facts[name] = value
    return facts


def company_slug(name: str) -> str:
    """``"Medicis Pharmaceutical Corp"`` → ``"MEDICIS_PHARMACEUTICAL"`` (the data/ naming style)."""
    words = re.sub(r"[^A-Za-z0-9]+", " ", name.replace("&", " ")).upper().split()
    while words and words[-1] in _CORPORATE_SUFFIXES:
        words.pop()
    while words and words[0] == "THE":
        words.pop(0)
    return "_".join(words)


def _cover_text_fields(cover_lines: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    text_lines = [" ".join(line.replace(CELL_SEP, " ").split()) for line in cover_lines if line != PAGE_BREAK]
    for i, line in enumerate(text_lines):
        if "form" not in found:
            match = _FORM_LINE.match(line)
            if match:
                found["form"] = re.sub(r"^(\d+)-?", r"\1-", re.sub(r"\s+", "", match.group(1)).upper())
        if "period_end" not in found:
            match = _FISCAL_YEAR_ENDED.search(line)
            if match:
                date = parse_date(match.group("date"))
                if date is None and i + 1 < len(text_lines):
                    date = parse_date(f"{match.group('date')} {text_lines[i + 1]}")
                if date is not None:
                    found["period_end"] = date.isoformat()
        exact = _EXACT_NAME.search(line) if "company" not in found else None
        if exact is not None:
            before = line[: exact.start()].strip(" (")
            name = before or (text_lines[i - 1] if i else "")
            name = name.strip(" |()")
            if name and len(name) <= 120:
                found["company"] = name
    return found


def extract_metadata(
    *,
    root=None,
    header: dict[str, str] | None = None,
    cover_lines: list[str] | None = None,
    file_name: str = "",
    document_type: str = "",
) -> FilingMetadata:
    """Combine iXBRL facts, SGML header, cover text and file name (most trusted first)."""
    meta = FilingMetadata()
    header = header or {}
    facts = dei_facts(root)
    cover = _cover_text_fields(cover_lines or [])

    def pick(field_name: str, *options: tuple[str, str | None]) -> None:
        for source, value in options:
            if value:
                setattr(meta, field_name, value)
                meta.sources[field_name] = source
                return

    pick(
        "company",
        ("ixbrl:dei:EntityRegistrantName", facts.get("EntityRegistrantName")),
        ("sgml:COMPANY CONFORMED NAME", header.get("COMPANY CONFORMED NAME")),
        ("cover page", cover.get("company")),
    )
    cik = facts.get("EntityCentralIndexKey") or header.get("CENTRAL INDEX KEY")
    if cik and cik.strip().isdigit():
        pick(
            "cik",
            (
                "ixbrl:dei:EntityCentralIndexKey" if facts.get("EntityCentralIndexKey") else "sgml:CENTRAL INDEX KEY",
                cik.strip().zfill(10),
            ),
        )
    pick(
        "form",
        ("ixbrl:dei:DocumentType", facts.get("DocumentType")),
        ("sgml:CONFORMED SUBMISSION TYPE", header.get("CONFORMED SUBMISSION TYPE")),
        ("sgml:<TYPE>", document_type),
        ("cover page", cover.get("form")),
    )
    period = None
    for source, value in (
        ("ixbrl:dei:DocumentPeriodEndDate", facts.get("DocumentPeriodEndDate")),
        ("sgml:CONFORMED PERIOD OF REPORT", header.get("CONFORMED PERIOD OF REPORT")),
        ("cover page", cover.get("period_end")),
    ):
        period = parse_date(value) if value else None
        if period:
            meta.period_end = period.isoformat()
            meta.fiscal_year = period.year
            meta.sources["period_end"] = source
            break
    focus = facts.get("DocumentFiscalYearFocus", "")
    if focus.strip().isdigit():
        meta.fiscal_year_focus = int(focus)
        if meta.fiscal_year is None:
            meta.fiscal_year = meta.fiscal_year_focus
            meta.sources["fiscal_year"] = "ixbrl:dei:DocumentFiscalYearFocus"
    ticker = facts.get("TradingSymbol", "")
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9.\-]{0,9}", ticker) and ticker.upper() not in {"NA", "N/A", "NONE"}:
        meta.ticker = ticker.upper()
        meta.sources["ticker"] = "ixbrl:dei:TradingSymbol"
    accession = header.get("ACCESSION NUMBER", "")
    match = _ACCESSION.search(accession) or _ACCESSION.search(file_name)
    if match:
        meta.accession = match.group(1)
        meta.sources["accession"] = "sgml:ACCESSION NUMBER" if _ACCESSION.search(accession) else "file name"
    return meta
