"""Documents: 10-K Item 1 texts in ``data/documents/`` with their metadata.

Layout::

    data/documents/manifest.csv      one row per document (id, company, fiscal_year, ...)
    data/documents/<id>.txt          normalized UTF-8 text
    data/references/<id>/<name>.txt  reference summaries for that document (optional)
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from bizsum.errors import InputError
from bizsum.nlp.text import normalize_text
from bizsum.nlp.tokens import count_tokens

MANIFEST_NAME = "manifest.csv"

#: a text with more than this share of control characters (other than whitespace) is binary data
MAX_CONTROL_SHARE = 0.01
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")  # control characters that are not whitespace


def check_plain_text(text: str, path: str | Path, what: str = "document") -> None:
    """Refuse a file that is not text: any NUL character, or more than 1% control characters."""
    if "\x00" in text:
        raise InputError(
            f"{what} file {path} contains NUL characters (offset {text.index(chr(0))}): binary data, not text"
        )
    controls = len(_CONTROLS.findall(text))
    if text and controls / len(text) > MAX_CONTROL_SHARE:
        raise InputError(f"{what} file {path} is {controls / len(text):.0%} control characters: binary data, not text")


@dataclass(frozen=True)
class Document:
    """One source text with the metadata recorded in the manifest."""

    id: str
    text: str
    company: str = ""
    fiscal_year: int | None = None
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def read_text_file(path: str | Path, what: str = "document") -> str:
    """Read a UTF-8 text file, normalize it, and refuse empty or undecodable files by name."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{what} file not found: {path}")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{what} file {path} is not UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start}); "
            "convert it to UTF-8 first"
        ) from None
    check_plain_text(text, path, what)
    text = normalize_text(text)
    if not text:
        raise InputError(f"{what} file {path} is empty")
    return text


def read_manifest(documents_dir: str | Path) -> dict[str, dict[str, str]]:
    manifest = Path(documents_dir) / MANIFEST_NAME
    if not manifest.is_file():
        raise InputError(f"document manifest not found: {manifest}")
    with manifest.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    if "id" not in (reader.fieldnames or ()):
        raise InputError(f"{manifest}: expected a CSV with an 'id' column")
    return {row["id"]: row for row in rows}


def _year(value: str | None) -> int | None:
    try:
        return int(str(value)[:4]) if value else None
    except ValueError:
        return None


class DocumentStore:
    """Loads documents and their references from a data folder."""

    def __init__(self, data_dir: str | Path = "data"):
        self.data_dir = Path(data_dir)
        self.documents_dir = self.data_dir / "documents"
        self.references_dir = self.data_dir / "references"
        self._manifest: dict[str, dict[str, str]] | None = None

    @property
    def manifest(self) -> dict[str, dict[str, str]]:
        if self._manifest is None:
            self._manifest = read_manifest(self.documents_dir)
        return self._manifest

    def ids(self) -> list[str]:
        return list(self.manifest)

    def load(self, doc_id: str) -> Document:
        row = self.manifest.get(doc_id)
        if row is None:
            close = [i for i in self.manifest if doc_id.lower() in i.lower()][:5]
            hint = f"; did you mean {close}?" if close else ""
            raise InputError(f"unknown document id {doc_id!r} (not in {self.documents_dir / MANIFEST_NAME}){hint}")
        text = read_text_file(self.documents_dir / f"{doc_id}.txt")
        return Document(
            id=doc_id,
            text=text,
            company=row.get("company", ""),
            fiscal_year=_year(row.get("fiscal_year")),
            meta=dict(row),
        )

    def load_many(self, doc_ids: Iterable[str]) -> list[Document]:
        return [self.load(doc_id) for doc_id in doc_ids]

    def references(self, doc_id: str) -> dict[str, str]:
        """Reference summaries for a document, by name (file stem); empty when there are none."""
        folder = self.references_dir / doc_id
        if not folder.is_dir():
            return {}
        return {path.stem: read_text_file(path, what="reference summary") for path in sorted(folder.glob("*.txt"))}


#: ``bizsum score`` refuses longer summaries (the longest token_limit in use is a few thousand tokens)
MAX_SUMMARY_TOKENS = 20_000


def check_summary_size(summary: str, limit: int = MAX_SUMMARY_TOKENS, where: str = "summary") -> None:
    """Refuse a summary above ``limit`` o200k tokens before any metric reads it. Only a prefix is
    counted when it already passes the limit, so a 5 MB file is refused in well under a second."""
    if len(summary.encode("utf-8")) <= limit:
        return
    prefix = summary[: 16 * limit]
    tokens = count_tokens(prefix)
    if tokens <= limit and len(prefix) < len(summary):
        tokens = count_tokens(summary)
    if tokens <= limit:
        return
    more = "more than " if len(prefix) < len(summary) else ""
    raise InputError(
        f"{where} is {more}{tokens:,} tokens ({len(summary):,} characters), above the {limit:,} a summary may have: "
        "is this the document? Raise --max-summary-tokens if it really is a summary"
    )


def check_document_size(document: Document, limit: int) -> None:
    """Refuse a document above ``limit`` o200k tokens (cheaply: UTF-8 bytes bound the tokens)."""
    if len(document.text.encode("utf-8")) <= limit:
        return
    tokens = count_tokens(document.text)
    if tokens <= limit:
        return
    raise InputError(
        f"document {document.id!r} is {tokens:,} tokens, above max_document_tokens {limit:,} (the longest real "
        "10-K Item 1 is about 200k tokens: is this the whole filing? `bizsum ingest` extracts Item 1). "
        "A model cannot read it whole: give the model strategy 'map-reduce' (sections summarized, then "
        "combined) or 'truncate', and raise max_document_tokens if the text really is this long."
    )
