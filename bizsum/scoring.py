"""Scoring: every metric on every generated summary, into ``scores.jsonl``.

A score row holds the cell key, a hash of the summary, every metric value (flat columns) and each
metric's details (the explanations shown in reports). Rows whose summary and metrics (each
metric's version: its code revision and models) are unchanged since the last scoring run are
reused, so re-scoring a grown run only scores new rows, and a changed metric rescores its rows.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from contextlib import ExitStack
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from tqdm.auto import tqdm

from bizsum.config import RunConfig
from bizsum.documents import Document, DocumentStore
from bizsum.errors import InputError
from bizsum.metrics import Metric, ScoringItem, create_metric, metric_names
from bizsum.results import KEY_FIELDS, JsonlStore, row_key
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


def version_fingerprints(names: Iterable[str]) -> dict[str, str]:
    """Short hash of each metric's version (code and models): a score row is reused only when equal."""
    return {
        name: hashlib.sha256(json.dumps(version, sort_keys=True).encode("utf-8")).hexdigest()[:12]
        for name, version in metric_versions(names).items()
    }


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
    _write_lines_atomic(path, (_dump(row) for row in rows))


def _write_lines_atomic(path: Path, lines: Iterable[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(line)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


#: summaries scored per ``run_metrics`` call in :func:`score_run` (all of one document at most)
SCORE_GROUP = 256


def _previous_rows(path: Path) -> dict[tuple, tuple[str | None, dict, int]]:
    """Index of an earlier ``scores.jsonl``: key -> (summary_sha, metric versions, byte offset of the row).

    Rows are parsed one at a time and not kept (a scored row carries every metric's details), with
    ``read_jsonl``'s rules: blank lines skipped, a torn last line skipped with a warning, any other
    invalid line an error; the last row of a key wins.
    """
    index: dict[tuple, tuple[str | None, dict, int]] = {}
    if not path.is_file():
        return index
    with path.open("rb") as handle:
        offset, number = 0, 1
        line = handle.readline()
        while line:
            following = handle.readline()
            text = line.decode("utf-8")
            if text.strip():
                try:
                    row = json.loads(text)
                except json.JSONDecodeError:
                    if not following:
                        log.warning("%s: skipping an incomplete last line (interrupted write)", path)
                    else:
                        raise InputError(f"{path}, line {number}: not valid JSON") from None
                else:
                    index[row_key(row)] = (row.get("summary_sha"), row.get("metric_versions") or {}, offset)
            offset += len(line)
            number += 1
            line = following
    return index


def _dump(row: Mapping[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=str) + "\n"


def score_run(config: RunConfig, progress: bool = True) -> Path:
    """Score ``generations.jsonl`` of a run into ``scores.jsonl``; returns the scores path.

    Memory stays flat in the number of rows: summaries are scored a document at a time (at most
    ``SCORE_GROUP`` per call) and each scored row goes to a spill file at once; earlier rows that
    are reused are read back from the old ``scores.jsonl`` only when the new file is written.
    """
    names = config.metrics or metric_names()
    versions = version_fingerprints(names)
    generations = [r for r in JsonlStore(config.run_dir / GENERATIONS_FILE).rows()]
    scores_path = config.run_dir / SCORES_FILE
    previous = _previous_rows(scores_path)
    store = DocumentStore(config.data_dir)
    documents: dict[str, Document] = {}
    references: dict[str, dict[str, str]] = {}
    # generation order: ("row", row) written as is, ("old", offset) reused, ("new", key) scored now
    plan: list[tuple[str, Any]] = []
    todo: dict[str, list[tuple[dict, ScoringItem]]] = {}
    for row in generations:
        key = row_key(row)
        base = {field: row[field] for field in KEY_FIELDS}
        digest = summary_hash(row.get("text"))
        if row.get("error"):
            plan.append(("row", {**base, "summary_sha": None, "error": row["error"], "metrics": []}))
            continue
        old = previous.get(key)
        if old and old[0] == digest and all(old[1].get(name) == versions[name] for name in names):
            plan.append(("old", old[2]))
            continue
        doc_id = row["doc_id"]
        if doc_id not in documents:
            documents[doc_id] = store.load(doc_id)
            references[doc_id] = store.references(doc_id)
        item = item_from_generation(row, documents[doc_id], references[doc_id])
        todo.setdefault(doc_id, []).append(
            ({**base, "summary_sha": digest, "error": None, "metrics": names,
              "metric_versions": {name: versions[name] for name in names}}, item))
        plan.append(("new", key))
    count = sum(len(pairs) for pairs in todo.values())
    log.info("scoring %d summaries (%d reused) with %s", count, len(plan) - count, names)
    scores_path.parent.mkdir(parents=True, exist_ok=True)
    spill_fd, spill_name = tempfile.mkstemp(dir=scores_path.parent, prefix=".scores-", suffix=".spill")
    try:
        scored: dict[tuple, int] = {}  # key -> byte offset in the spill file
        with os.fdopen(spill_fd, "wb") as spill, tqdm(total=count, desc="scoring", disable=not progress or not count) as bar:
            # Document by document (sorted by id) so per-document caches (source embeddings, tagged
            # passages) are reused and evicted in turn.
            for doc_id in sorted(todo):
                pairs = todo.pop(doc_id)
                for start in range(0, len(pairs), SCORE_GROUP):
                    group = pairs[start : start + SCORE_GROUP]
                    results = run_metrics([item for _, item in group], names)
                    for (base, _), result in zip(group, results):
                        scored[row_key(base)] = spill.tell()
                        spill.write(_dump({**base, **result["values"], "details": result["details"]}).encode("utf-8"))
                    bar.update(len(group))
                documents.pop(doc_id, None)
        with open(spill_name, "rb") as spilled, ExitStack() as stack:
            old_file = stack.enter_context(scores_path.open("rb")) if any(kind == "old" for kind, _ in plan) else None

            def lines():
                for kind, value in plan:
                    if kind == "row":
                        yield _dump(value)
                    elif kind == "old":
                        old_file.seek(value)
                        yield _dump(json.loads(old_file.readline().decode("utf-8")))
                    else:
                        spilled.seek(scored[value])
                        yield spilled.readline().decode("utf-8")

            _write_lines_atomic(scores_path, lines())
    finally:
        os.unlink(spill_name)
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
