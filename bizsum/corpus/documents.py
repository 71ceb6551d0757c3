"""Documents: 10-K Item 1 texts in ``data/documents/`` with their metadata.

Layout::

    data/documents/manifest.csv      one row per document (id, company, fiscal_year, ...)
    data/documents/<id>.txt          normalized UTF-8 text
    data/references/<id>/<name>.txt  reference summaries for that document (optional)
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Iterable, Sequence
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


def data_layers(data_dir: str | Path | Sequence[str | Path]) -> list[Path]:
    """One data folder, or several layered (the first one wins on an id), as a list of paths."""
    if isinstance(data_dir, (str, os.PathLike)):
        return [Path(data_dir)]
    layers = [Path(p) for p in data_dir]
    if not layers:
        raise InputError("no data folder given")
    return layers


class DocumentStore:
    """Loads documents and their references from a data folder, or from several layered ones.

    With layers (``[study, builtin]``) a document id is looked up in each folder's manifest in
    order, the first one wins: a study adds documents and overrides built-in ones by id.
    References of a document come from the first folder, up to the document's own, that has any,
    so a study can add references to a built-in document.
    """

    def __init__(self, data_dir: str | Path | Sequence[str | Path] = "data"):
        self.layers = data_layers(data_dir)
        self.data_dir = self.layers[0]
        self.documents_dir = self.data_dir / "documents"
        self.references_dir = self.data_dir / "references"
        self._manifest: dict[str, dict[str, str]] | None = None
        self._home: dict[str, int] = {}  # document id -> index of the layer it comes from

    @property
    def manifest(self) -> dict[str, dict[str, str]]:
        if self._manifest is None:
            if len(self.layers) > 1 and not self.data_dir.is_dir():
                raise InputError(f"data folder not found: {self.data_dir} (config field 'data_dir')")
            found = [i for i, layer in enumerate(self.layers) if (layer / "documents" / MANIFEST_NAME).is_file()]
            if not found:
                read_manifest(self.documents_dir)  # raises, naming the data folder's manifest
            merged: dict[str, dict[str, str]] = {}
            for index in found:
                for doc_id, row in read_manifest(self.layers[index] / "documents").items():
                    if doc_id not in merged:
                        merged[doc_id] = row
                        self._home[doc_id] = index
            self._manifest = merged
        return self._manifest

    def ids(self) -> list[str]:
        return list(self.manifest)

    def source(self, doc_id: str) -> Path:
        """The data folder a document comes from."""
        self.manifest  # noqa: B018  # reads the manifests, which fill _home
        return self.layers[self._home.get(doc_id, 0)]

    def load(self, doc_id: str) -> Document:
        row = self.manifest.get(doc_id)
        if row is None:
            close = [i for i in self.manifest if doc_id.lower() in i.lower()][:5]
            hint = f"; did you mean {close}?" if close else ""
            where = ", ".join(str(layer / "documents" / MANIFEST_NAME) for layer in self.layers)
            raise InputError(f"unknown document id {doc_id!r} (not in {where}){hint}")
        text = read_text_file(self.source(doc_id) / "documents" / f"{doc_id}.txt")
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
        home = self._home.get(doc_id, 0) if doc_id in self.manifest else len(self.layers) - 1
        for layer in self.layers[: home + 1]:
            folder = layer / "references" / doc_id
            files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
            if files:
                return {path.stem: read_text_file(path, what="reference summary") for path in files}
        return {}


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
