"""Scoring: every metric on every generated summary, into ``scores.jsonl``.

A score row holds the cell key, a hash of the summary, every metric value (flat columns) and each
metric's details (the explanations shown in reports). Rows whose summary and metric set are
unchanged since the last scoring run are reused, so re-scoring a grown run only scores new rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from tqdm.auto import tqdm

from bizsum.config import RunConfig
from bizsum.documents import Document, DocumentStore
from bizsum.metrics import Metric, ScoringItem, create_metric, metric_names
from bizsum.results import KEY_FIELDS, JsonlStore, read_jsonl, row_key
from bizsum.runner import GENERATIONS_FILE

log = logging.getLogger(__name__)

SCORES_FILE = "scores.jsonl"
SCORE_SCHEMA_VERSION = 1


@lru_cache(maxsize=None)
def get_metric(name: str) -> Metric:
    """One instance per metric per process: models and source caches are reused."""
    return create_metric(name)


def summary_hash(text: str | None) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]


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


def item_from_generation(row: Mapping[str, Any], document: Document, references: Mapping[str, str]) -> ScoringItem:
    meta = row.get("meta") or {}
    return ScoringItem(
        summary=row.get("text") or "",
        document=document,
        references=references,
        token_limit=int(row.get("token_limit") or 512),
        count_encoding=row.get("count_encoding") or "o200k_base",
        model_path=meta.get("model_path"),
        finish_reason=row.get("finish_reason"),
        completion_tokens=row.get("completion_tokens"),
        prompt_truncated=bool(row.get("prompt_truncated")),
    )


def _write_jsonl_atomic(path: Path, rows: Iterable[Mapping[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def score_run(config: RunConfig, progress: bool = True) -> Path:
    """Score ``generations.jsonl`` of a run into ``scores.jsonl``; returns the scores path."""
    names = config.metrics or metric_names()
    generations = [r for r in JsonlStore(config.run_dir / GENERATIONS_FILE).rows()]
    scores_path = config.run_dir / SCORES_FILE
    previous = {row_key(r): r for r in read_jsonl(scores_path)}
    store = DocumentStore(config.data_dir)
    documents: dict[str, Document] = {}
    references: dict[str, dict[str, str]] = {}
    todo: list[tuple[dict, ScoringItem]] = []
    output: dict[tuple, dict] = {}
    for row in generations:
        key = row_key(row)
        base = {field: row[field] for field in KEY_FIELDS}
        digest = summary_hash(row.get("text"))
        if row.get("error"):
            output[key] = {**base, "summary_sha": None, "error": row["error"], "metrics": []}
            continue
        old = previous.get(key)
        if old and old.get("summary_sha") == digest and set(names) <= set(old.get("metrics", [])):
            output[key] = old
            continue
        doc_id = row["doc_id"]
        if doc_id not in documents:
            documents[doc_id] = store.load(doc_id)
            references[doc_id] = store.references(doc_id)
        item = item_from_generation(row, documents[doc_id], references[doc_id])
        todo.append(({**base, "summary_sha": digest, "error": None, "metrics": names}, item))
        output[key] = None  # placeholder keeps the generation order
    # Group by document so per-document caches (source embeddings, tagged passages) are reused.
    todo.sort(key=lambda pair: pair[1].document.id)
    log.info("scoring %d summaries (%d reused) with %s", len(todo), len(output) - len(todo), names)
    scored = run_metrics([item for _, item in todo], names, progress=progress)
    for (base, _), result in zip(todo, scored):
        output[row_key(base)] = {**base, **result["values"], "details": result["details"]}
    _write_jsonl_atomic(scores_path, [row for row in output.values() if row is not None])
    return scores_path


def score_text(
    document_text: str,
    summary: str,
    references: Mapping[str, str] | None = None,
    *,
    token_limit: int = 512,
    count_encoding: str = "o200k_base",
    document_id: str = "document",
    metrics: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Every score for one summary (what ``bizsum score`` prints). Keys are documented in README."""
    document = Document(id=document_id, text=document_text)
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
        "schema_version": SCORE_SCHEMA_VERSION,
        "document": {"id": document_id, "sha256": document.sha256},
        "token_limit": token_limit,
        "count_encoding": count_encoding,
        "scores": result["values"],
        "details": result["details"],
    }
