"""Scoring: every metric on every generated summary, into ``scores.jsonl``.

A :class:`~bizsum.records.ScoreRecord` holds the cell key, the generation it scored, the document
sha256, a hash of the references, every metric's values and the details that explain them. A row
is reused only when all of that is unchanged (the same generation row, the same document text, the
same references, each metric's version fingerprint), so re-scoring a grown run only scores new
rows, and a changed metric, document or reference rescores exactly the rows it affects.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tqdm import tqdm  # text bars: the same in a terminal, a papermill kernel and a notebook

from bizsum.config import RunConfig
from bizsum.corpus.documents import Document, DocumentStore, check_document_size
from bizsum.errors import InputError
from bizsum.jsonl import dumps, read_row_at, write_lines_atomic
from bizsum.metrics import Metric, ScoringItem, create_metric, metric_names
from bizsum.records import (
    CellKey,
    GenerationRecord,
    ScoreRecord,
    load_latest,
    read_records,
    references_hash,
    summary_hash,
    to_row,
)
from bizsum.rundir import RunDir

log = logging.getLogger(__name__)

#: the layout of ``bizsum score --json`` output (not of scores.jsonl rows: see bizsum.records)
SCORE_JSON_SCHEMA = 1
#: summaries scored per ``run_metrics`` call in :func:`score_run` (all of one document at most)
SCORE_GROUP = 256


@cache
def get_metric(name: str) -> Metric:
    """One instance per metric per process: models and source caches are reused."""
    return create_metric(name)


def run_metrics(items: Sequence[ScoringItem], names: Iterable[str], progress: bool = False) -> list[dict[str, Any]]:
    """Score items with the named metrics; returns per item {'values': {...}, 'details': {metric: ...}}."""
    out: list[dict[str, Any]] = [{"values": {}, "details": {}} for _ in items]
    names = list(names)
    for name in tqdm(names, desc="metrics", disable=not progress or not items):
        results = get_metric(name).score_batch(items)
        for slot, result in zip(out, results):
            slot["values"].update(result.values)
            slot["details"][name] = result.details
    return out


def metric_versions(names: Iterable[str]) -> dict[str, dict[str, str]]:
    return {name: get_metric(name).version() for name in names}


def version_fingerprints(names: Iterable[str]) -> dict[str, str]:
    """Short hash of each metric's version (code and models): a score row is reused only when equal."""
    return {
        name: hashlib.sha256(json.dumps(version, sort_keys=True).encode("utf-8")).hexdigest()[:12]
        for name, version in metric_versions(names).items()
    }


def item_from_generation(record: GenerationRecord, document: Document, references: Mapping[str, str]) -> ScoringItem:
    return ScoringItem(
        summary=record.text or "",
        document=document,
        references=references,
        token_limit=record.token_limit,
        count_encoding=record.count_encoding,
        model_path=record.meta.get("model_path"),
        finish_reason=record.finish_reason,
        completion_tokens=record.completion_tokens,
        prompt_truncated=record.prompt_truncated,
    )


@dataclass(frozen=True)
class _Previous:
    """What an earlier score row was made from, and where it is in the old file."""

    generation_key: str | None
    summary_sha: str | None
    document_sha256: str | None
    references_sha256: str | None
    metric_versions: dict[str, str]
    offset: int
    error: str | None = None


def _previous_rows(path: Path) -> dict[CellKey, _Previous]:
    """Index of an earlier ``scores.jsonl`` (rows are parsed one at a time and not kept)."""
    index: dict[CellKey, _Previous] = {}
    for offset, record in read_records(path, ScoreRecord):
        index[record.key] = _Previous(
            record.generation_key,
            record.summary_sha,
            record.document_sha256,
            record.references_sha256,
            dict(record.metric_versions),
            offset,
            record.error,
        )
    return index


class _Corpus:
    """Documents and references of a run, loaded once each."""

    def __init__(self, data_dir: Path):
        self.store = DocumentStore(data_dir)
        self.documents: dict[str, Document] = {}
        self.references: dict[str, dict[str, str]] = {}

    def document(self, doc_id: str) -> Document:
        if doc_id not in self.documents:
            self.documents[doc_id] = self.store.load(doc_id)
        return self.documents[doc_id]

    def refs(self, doc_id: str) -> dict[str, str]:
        if doc_id not in self.references:
            self.references[doc_id] = self.store.references(doc_id)
        return self.references[doc_id]


def _reusable(old: _Previous | None, new: ScoreRecord, names: Sequence[str], versions: Mapping[str, str]) -> bool:
    return (
        old is not None
        and old.generation_key == new.generation_key
        and old.summary_sha == new.summary_sha
        and old.document_sha256 == new.document_sha256
        and old.references_sha256 == new.references_sha256
        and all(old.metric_versions.get(name) == versions[name] for name in names)
    )


def plan_scores(
    config: RunConfig,
) -> tuple[list[tuple[str, Any]], dict[str, list[tuple[ScoreRecord, ScoringItem]]], list[str]]:
    """What :func:`score_run` will do: per generation row, write an error row, reuse an old row
    (by byte offset) or score it anew (grouped by document)."""
    rundir = config.rundir
    names = config.metrics or metric_names()
    versions = version_fingerprints(names)
    previous = _previous_rows(rundir.scores)
    corpus = _Corpus(config.data_path)
    plan: list[tuple[str, Any]] = []
    todo: dict[str, list[tuple[ScoreRecord, ScoringItem]]] = {}
    for key, generation in load_latest(rundir.generations, GenerationRecord).items():
        base = dict(zip(("doc_id", "prompt_id", "model_id", "sample"), key))
        if generation.error is not None or generation.text is None:
            failed = ScoreRecord(**base, generation_key=generation.request_id, error=generation.error or "no summary")
            old = previous.get(key)
            if old is not None and old.error == failed.error and old.generation_key == failed.generation_key:
                plan.append(("old", old.offset))  # the same failure: keep its row (and its timestamp)
            else:
                plan.append(("row", failed))
            continue
        document = corpus.document(generation.doc_id)
        if generation.document_sha256 is not None and generation.document_sha256 != document.sha256:
            log.warning(
                "%s: the document changed since this summary was generated; scoring against the current "
                "text (regenerate to compare like with like)",
                "/".join(map(str, key)),
            )
        references = corpus.refs(generation.doc_id)
        record = ScoreRecord(
            **base,
            summary_sha=summary_hash(generation.text),
            generation_key=generation.request_id,
            document_sha256=document.sha256,
            references_sha256=references_hash(references),
            metrics=list(names),
            metric_versions={name: versions[name] for name in names},
        )
        old = previous.get(key)
        if old is not None and _reusable(old, record, names, versions):
            plan.append(("old", old.offset))
            continue
        todo.setdefault(generation.doc_id, []).append((record, item_from_generation(generation, document, references)))
        plan.append(("new", key))
    return plan, todo, names


def score_run(config: RunConfig, progress: bool = True) -> Path:
    """Score ``generations.jsonl`` of a run into ``scores.jsonl``; returns the scores path.

    Memory stays flat in the number of rows: summaries are scored a document at a time (at most
    ``SCORE_GROUP`` per call) and each scored row goes to a spill file at once; earlier rows that
    are reused are read back from the old ``scores.jsonl`` only when the new file is written.
    """
    rundir = config.rundir
    with rundir.lock("bizsum score"):
        plan, todo, names = plan_scores(config)
        count = sum(len(pairs) for pairs in todo.values())
        log.info("scoring %d summaries (%d reused) with %s", count, len(plan) - count, names)
        _write_scores(rundir, plan, todo, names, count, progress)
    return rundir.scores


def score_groups(
    todo: Mapping[str, list[tuple[ScoreRecord, ScoringItem]]], names: Sequence[str]
) -> Iterator[list[ScoreRecord]]:
    """Scored records, a group at a time: document by document (sorted by id) so per-document
    caches (source embeddings, tagged passages) are reused and evicted in turn."""
    for doc_id in sorted(todo):
        pairs = todo[doc_id]
        for start in range(0, len(pairs), SCORE_GROUP):
            group = pairs[start : start + SCORE_GROUP]
            results = run_metrics([item for _, item in group], names)
            yield [
                record.model_copy(update={"values": result["values"], "details": result["details"]})
                for (record, _), result in zip(group, results)
            ]


def _write_scores(
    rundir: RunDir,
    plan: list[tuple[str, Any]],
    todo: dict[str, list[tuple[ScoreRecord, ScoringItem]]],
    names: Sequence[str],
    count: int,
    progress: bool,
) -> None:
    rundir.path.mkdir(parents=True, exist_ok=True)
    spill_fd, spill_name = tempfile.mkstemp(dir=rundir.path, prefix=".scores-", suffix=".spill")
    try:
        scored: dict[CellKey, int] = {}  # key -> byte offset in the spill file
        with (
            os.fdopen(spill_fd, "wb") as spill,
            tqdm(total=count, desc="scoring", disable=not progress or not count) as bar,
        ):
            for group in score_groups(todo, names):
                for record in group:
                    scored[record.key] = spill.tell()
                    spill.write(dumps(to_row(record)).encode("utf-8"))
                bar.update(len(group))
        with open(spill_name, "rb") as spilled, ExitStack() as stack:
            old_file = stack.enter_context(rundir.scores.open("rb")) if any(kind == "old" for kind, _ in plan) else None

            def lines() -> Iterator[str]:
                for kind, value in plan:
                    if kind == "row":
                        yield dumps(to_row(value))
                    elif kind == "old":
                        assert old_file is not None
                        yield dumps(read_row_at(old_file, value))
                    else:
                        spilled.seek(scored[value])
                        yield spilled.readline().decode("utf-8")

            write_lines_atomic(rundir.scores, lines())
    finally:
        os.unlink(spill_name)


def score_text(
    document_text: str,
    summary: str,
    references: Mapping[str, str] | None = None,
    *,
    token_limit: int = 512,
    count_encoding: str = "o200k_base",
    document_id: str = "document",
    metrics: Sequence[str] | None = None,
    max_document_tokens: int | None = None,
) -> dict[str, Any]:
    """Every score for one summary (what ``bizsum score`` prints). Keys are documented in README."""
    document = Document(id=document_id, text=document_text)
    if max_document_tokens is not None:
        check_document_size(document, max_document_tokens)
    if not summary.strip() and not document_text.strip():
        raise InputError("both the document and the summary are empty")
    item = ScoringItem(
        summary=summary,
        document=document,
        references=dict(references or {}),
        token_limit=token_limit,
        count_encoding=count_encoding,
    )
    names = list(metrics or metric_names())
    result = run_metrics([item], names)[0]
    return {
        "schema_version": SCORE_JSON_SCHEMA,
        "document": {"id": document_id, "sha256": document.sha256},
        "token_limit": token_limit,
        "count_encoding": count_encoding,
        "scores": result["values"],
        "details": result["details"],
    }
