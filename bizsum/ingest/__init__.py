"""``bizsum ingest``: a whole 10-K filing (HTML, inline XBRL, plain text or SGML submission) →
the text of Item 1 ("Business") plus filing metadata.

>>> result = ingest_filing("aapl-10-k-2024-11-01.html")        # doctest: +SKIP
>>> result.start_heading, result.end_heading, result.fiscal_year  # doctest: +SKIP
('Item 1. Business', 'Item 1A. Risk Factors', 2024)
>>> write_ingested(result, "data/documents")                    # doctest: +SKIP
PosixPath('data/documents/AAPL_2024.txt')

Pipeline: :mod:`.source` (decode, unwrap SGML, HTML or text?) → :mod:`.html_text` /
:mod:`.plaintext` (block lines, hidden parts dropped, tables as " | " rows) → :mod:`.item1`
(page furniture, headings, table of contents, end heading, incorporation by reference) →
:mod:`.metadata`. See ``docs/ingest.md``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.etree

from bizsum.errors import InputError
from bizsum.ingest.html_text import html_to_lines, parse_html
from bizsum.ingest.item1 import MIN_WORDS, locate_item1
from bizsum.ingest.metadata import company_slug, extract_metadata
from bizsum.ingest.plaintext import text_to_lines
from bizsum.ingest.source import read_filing
from bizsum.nlp.text import normalize_text

log = logging.getLogger(__name__)

__all__ = ["MIN_WORDS", "IngestedFiling", "default_doc_id", "ingest_filing", "write_ingested"]

COVER_LINES = 400  # the cover page and table of contents are within the first lines
_DOC_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$")


@dataclass
class IngestedFiling:
    """Item 1 text of a 10-K with the filing's metadata."""

    text: str
    company: str = ""
    fiscal_year: int | None = None
    form: str = ""
    accession: str = ""
    cik: str = ""
    start_heading: str = ""
    end_heading: str | None = None
    warnings: list[str] = field(default_factory=list)
    ticker: str = ""
    period_end: str = ""
    fiscal_year_focus: int | None = None
    source_path: str = ""
    source_sha256: str = ""
    source_kind: str = ""  # "html" or "text"
    start_line: int = 0  # 1-based line of the start heading in the extracted block lines
    end_line: int | None = None
    metadata_sources: dict[str, str] = field(default_factory=dict)

    @property
    def words(self) -> int:
        return len(self.text.split())

    def to_json(self, doc_id: str) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("text")
        return {"id": doc_id, "words": self.words, "chars": len(self.text), **data}


def ingest_filing(path: str | Path, min_words: int = MIN_WORDS) -> IngestedFiling:
    """Extract Item 1 and metadata from a whole 10-K file; raise :class:`InputError` naming the file."""
    path = Path(path)
    source = read_filing(path)
    root = None
    if source.kind == "html":
        try:
            root = parse_html(source.body)
        except (ValueError, lxml.etree.LxmlError) as error:
            raise InputError(f"{path}: cannot parse the HTML ({error})") from None
        lines = html_to_lines(root=root)
    else:
        lines = text_to_lines(source.body)
    if not any(line.strip() for line in lines):
        raise InputError(f"{path}: no visible text in the filing")

    meta = extract_metadata(
        root=root,
        header=source.header,
        cover_lines=lines[:COVER_LINES],
        file_name=path.name,
        document_type=source.document_type,
    )
    label = str(path) if not meta.form or meta.form.upper().startswith("10-K") else f"{path} (form {meta.form})"
    span = locate_item1(lines, source=label, min_words=min_words)
    warnings = list(span.warnings)
    if meta.form and not re.match(r"(?i)^10-?K", meta.form):
        warnings.append(f"form type is {meta.form!r}, not a 10-K")
    for warning in warnings:
        log.warning("%s: %s", path, warning)

    result = IngestedFiling(
        text=normalize_text(span.text),
        company=meta.company,
        fiscal_year=meta.fiscal_year,
        form=meta.form,
        accession=meta.accession,
        cik=meta.cik,
        start_heading=span.start_heading,
        end_heading=span.end_heading,
        warnings=warnings,
        ticker=meta.ticker,
        period_end=meta.period_end,
        fiscal_year_focus=meta.fiscal_year_focus,
        source_path=str(path),
        source_sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        source_kind=source.kind,
        start_line=span.start_line + 1,
        end_line=span.end_line + 1 if span.end_line is not None else None,
        metadata_sources=meta.sources,
    )
    log.info(
        "%s: Item 1 = lines %s..%s (%r → %r), %d words",
        path,
        result.start_line,
        result.end_line,
        result.start_heading,
        result.end_heading,
        result.words,
    )
    return result


def default_doc_id(result: IngestedFiling) -> str:
    """``<TICKER or COMPANY_SLUG>_<fiscal year>`` (e.g. ``AAPL_2024``), else the file's stem."""
    name = result.ticker or company_slug(result.company)
    if name and result.fiscal_year:
        return f"{name}_{result.fiscal_year}"
    stem = Path(result.source_path).stem if result.source_path else "filing"
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._-") or "filing"


def write_ingested(result: IngestedFiling, out_dir: str | Path, doc_id: str | None = None) -> Path:
    """Write ``<id>.txt`` (normalized Item 1 text) and ``<id>.json`` (metadata); return the .txt path."""
    doc_id = doc_id or default_doc_id(result)
    if not _DOC_ID.match(doc_id):
        raise InputError(f"invalid document id {doc_id!r}: use letters, digits, '.', '_' or '-' (no spaces or slashes)")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"output folder {out_dir} exists and is not a folder")
    text_path = out_dir / f"{doc_id}.txt"
    json_path = out_dir / f"{doc_id}.json"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        text_path.write_text(normalize_text(result.text) + "\n", encoding="utf-8")
        json_path.write_text(json.dumps(result.to_json(doc_id), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {text_path} / {json_path}: {error.strerror or error}") from None
    log.info("wrote %s and %s", text_path, json_path)
    return text_path
