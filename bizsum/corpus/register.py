"""Adding a document to the corpus: its text and a manifest row."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from bizsum.corpus.documents import MANIFEST_NAME, DocumentStore
from bizsum.corpus.select import MANIFEST_COLUMNS
from bizsum.errors import InputError
from bizsum.nlp.text import normalize_text
from bizsum.nlp.tokens import count_tokens


def register_document(
    data_dir: str | Path, doc_id: str, text: str, metadata: Mapping[str, object], tokens: int | None = None
) -> Path:
    """Add a document (e.g. an ingested filing) to ``data/documents`` and its manifest.

    The text is normalized like every corpus text; ``chars``, ``words`` and ``tokens_o200k`` are
    computed here (``tokens``: the o200k count of the normalized text when the caller has it
    already, e.g. from a worker process). An id already in the manifest is refused rather than
    overwritten.
    """
    documents = Path(data_dir) / "documents"
    manifest = documents / MANIFEST_NAME
    if not manifest.is_file():
        raise InputError(f"document manifest not found: {manifest}")
    existing = DocumentStore(data_dir).manifest
    if doc_id in existing:
        raise InputError(f"document id {doc_id!r} is already in {manifest}; choose another id with --id")
    text = normalize_text(text)
    row = dict.fromkeys(MANIFEST_COLUMNS, "")
    row.update({key: "" if value is None else str(value) for key, value in metadata.items() if key in row})
    row.update(
        id=doc_id,
        chars=str(len(text)),
        words=str(len(text.split())),
        tokens_o200k=str(count_tokens(text) if tokens is None else tokens),
    )
    path = documents / f"{doc_id}.txt"
    path.write_text(text + "\n", encoding="utf-8")
    with manifest.open("a", encoding="utf-8", newline="") as handle:
        csv.DictWriter(handle, fieldnames=list(MANIFEST_COLUMNS)).writerow(row)
    return path
