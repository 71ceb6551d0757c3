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
import shutil
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from bizsum.config import RunConfig
from bizsum.corpus.documents import MAX_SUMMARY_TOKENS, Document, DocumentStore, check_document_size, check_summary_size
from bizsum.errors import BizsumError, InputError
from bizsum.jsonl import dumps, read_row_at, write_lines_atomic
from bizsum.metrics import (
    OPTIONAL_METRICS,
    Metric,
    MetricResult,
    ScoringItem,
    create_metric,
    default_metric_names,
    metric_class,
)
from bizsum.metrics.judge.client import JudgeSetup
from bizsum.nlp.source_index import source_splits
from bizsum.nlp.text import remember_sentences
from bizsum.progress import progress_bar
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
from bizsum.side_process import side_process

log = logging.getLogger(__name__)

#: the layout of ``bizsum score --json`` output (not of scores.jsonl rows: see bizsum.records)
SCORE_JSON_SCHEMA = 1
#: summaries scored per ``run_metrics`` call in :func:`score_run` (all of one document at most)
SCORE_GROUP = 256


@cache
def get_metric(name: str) -> Metric:
    """One instance per metric per process: models and source caches are reused."""
    return create_metric(name)


_JUDGE_METRICS: dict[tuple[str, str], Metric] = {}


def judge_setup(config: RunConfig) -> JudgeSetup | None:
    """The LLM judge of a run (its cache and prices are the run's), or None without one."""
    if config.judge is None:
        return None
    return JudgeSetup(config.judge, cache_dir=config.cache_path, data_dir=config.data_path)


def metric_for(name: str, judge: JudgeSetup | None = None) -> Metric:
    """The metric instance: offline metrics once per process; judge metrics once per judge setup
    (a local judge model stays loaded), and without a judge an unconfigured instance (it reports
    its version but refuses to score)."""
    if name not in OPTIONAL_METRICS:
        return get_metric(name)
    key = (
        name,
        json.dumps(
            {
                **judge.fingerprint(),
                "cache": str(judge.cache_dir),
                "data": str(judge.data_dir),
                "max_cost": judge.settings.max_cost,
            }
        )
        if judge
        else "",
    )
    if judge is not None and judge.provider is not None:
        return create_metric(name, setup=judge)  # a provider passed in (tests): never shared
    if key not in _JUDGE_METRICS:
        _JUDGE_METRICS[key] = create_metric(name, setup=judge)
    return _JUDGE_METRICS[key]


def run_metrics(
    items: Sequence[ScoringItem], names: Iterable[str], progress: bool = False, judge: JudgeSetup | None = None
) -> list[dict[str, Any]]:
    """Score items with the named metrics; returns per item {'values': {...}, 'details': {metric: ...}}."""
    names = list(names)
    results = {
        name: metric_for(name, judge).score_batch(items)
        for name in progress_bar(names, desc="metrics", disable=not progress or not items)
    }
    return _per_item(len(items), names, results)


def _per_item(count: int, names: Sequence[str], results: Mapping[str, list[MetricResult]]) -> list[dict[str, Any]]:
    """Each metric's results (aligned with the items) as one {'values', 'details'} per item, values
    in the order of ``names``."""
    out: list[dict[str, Any]] = [{"values": {}, "details": {}} for _ in range(count)]
    for name in names:
        for slot, result in zip(out, results[name]):
            slot["values"].update(result.values)
            slot["details"][name] = result.details
    return out


def _score_offline(items: Sequence[ScoringItem], names: Sequence[str]) -> dict[str, list[MetricResult]]:
    """Each named offline metric's results (what the side process of :func:`_run_metrics_beside` returns)."""
    return {name: get_metric(name).score_batch(items) for name in names}


def _run_metrics_beside(
    items: Sequence[ScoringItem], names: Sequence[str], judge: JudgeSetup | None
) -> list[dict[str, Any]]:
    """:func:`run_metrics`, with the model-free metrics and the source texts' sentence splits in a
    forked side process while this process imports torch and loads the models (a cold
    ``bizsum score``: 0.7 s of pysbd and about 1 s of ROUGE and tiktoken move off the critical path).
    The same values and details in the same order as :func:`run_metrics`; without a side process
    (see :mod:`bizsum.side_process`) it is :func:`run_metrics`."""
    beside = [n for n in names if n not in OPTIONAL_METRICS and metric_class(n).model_free]
    if not beside or len(beside) == len(names):
        return run_metrics(items, names, judge=judge)
    with side_process() as pool:
        if pool is None:
            return run_metrics(items, names, judge=judge)
        splits = [pool.submit(source_splits, text) for text in dict.fromkeys(item.document.text for item in items)]
        beside_results = pool.submit(_score_offline, items, beside)
        rest = [n for n in names if n not in beside]
        for name in rest:
            metric_for(name, judge)  # imports torch and loads the models while the side process splits
        try:
            for future in splits:
                for text, sentences in future.result().items():
                    remember_sentences(text, sentences)
        except BrokenProcessPool:  # the side process died (killed, out of memory): split here
            log.warning("the side process stopped; scoring every metric in this process")
        results = {name: metric_for(name, judge).score_batch(items) for name in rest}
        try:
            results.update(beside_results.result())
        except BrokenProcessPool:
            results.update(_score_offline(items, beside))
    return _per_item(len(items), names, results)


def metric_versions(names: Iterable[str], judge: JudgeSetup | None = None) -> dict[str, dict[str, str]]:
    return {name: metric_for(name, judge).version() for name in names}


def version_fingerprints(names: Iterable[str], judge: JudgeSetup | None = None) -> dict[str, str]:
    """Short hash of each metric's version (code and models): a score row is reused only when equal."""
    return {
        name: hashlib.sha256(json.dumps(version, sort_keys=True).encode("utf-8")).hexdigest()[:12]
        for name, version in metric_versions(names, judge).items()
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
    """What an earlier score row was made from, and where it is (file and byte offset)."""

    generation_key: str | None
    summary_sha: str | None
    document_sha256: str | None
    references_sha256: str | None
    metric_versions: dict[str, str]
    error: str | None
    source: Path
    offset: int


def part_files(rundir: RunDir) -> list[Path]:
    """The finished groups of an interrupted scoring run, oldest first (names sort by time)."""
    if not rundir.score_parts.is_dir():
        return []
    return sorted(path for path in rundir.score_parts.glob("part-*.jsonl") if path.is_file())


def _previous_rows(rundir: RunDir) -> dict[CellKey, _Previous]:
    """Index of the earlier ``scores.jsonl`` and of the part files an interrupted run left (a later
    row of a cell supersedes an earlier one); rows are parsed one at a time and not kept."""
    index: dict[CellKey, _Previous] = {}
    for path in [rundir.scores, *part_files(rundir)]:
        for offset, record in read_records(path, ScoreRecord):
            index[record.key] = _Previous(
                record.generation_key,
                record.summary_sha,
                record.document_sha256,
                record.references_sha256,
                dict(record.metric_versions),
                record.error,
                path,
                offset,
            )
    return index


class _Corpus:
    """Documents and references of a run, loaded once each."""

    def __init__(self, data_dir: Path | list[Path]):
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
    config: RunConfig, judge: JudgeSetup | None
) -> tuple[list[tuple[str, Any]], dict[str, list[tuple[ScoreRecord, ScoringItem]]], list[str]]:
    """What :func:`score_run` will do: per generation row, write an error row, reuse an old row
    (by byte offset) or score it anew (grouped by document). ``judge`` is the run's
    :func:`judge_setup` (its metrics' versions decide what is reused)."""
    rundir = config.rundir
    names = config.metric_names(default_metric_names())
    versions = version_fingerprints(names, judge)
    previous = _previous_rows(rundir)
    corpus = _Corpus(config.data_paths)
    plan: list[tuple[str, Any]] = []
    todo: dict[str, list[tuple[ScoreRecord, ScoringItem]]] = {}
    for key, generation in load_latest(rundir.generations, GenerationRecord).items():
        base = dict(zip(("doc_id", "prompt_id", "model_id", "sample"), key))
        if generation.error is not None or generation.text is None:
            error = generation.error or "no summary"
            old = previous.get(key)
            if old is not None and old.error == error and old.generation_key == generation.request_id:
                plan.append(("old", (old.source, old.offset)))  # the same error row, kept as it was
            else:
                plan.append(("row", ScoreRecord(**base, generation_key=generation.request_id, error=error)))
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
            plan.append(("old", (old.source, old.offset)))
            continue
        todo.setdefault(generation.doc_id, []).append((record, item_from_generation(generation, document, references)))
        plan.append(("new", key))
    return plan, todo, names


#: a group of summaries of one document, scored in one ``run_metrics`` call
Group = list[tuple[ScoreRecord, ScoringItem]]
#: scores groups (anywhere: in this process, on Ray actors) with the named metrics and the run's LLM
#: judge (or None), and yields each group's scored records as it finishes, in any order
GroupScorer = Callable[[list[Group], Sequence[str], "JudgeSetup | None"], Iterable[list[ScoreRecord]]]


def score_run(config: RunConfig, progress: bool = True, scorer: GroupScorer | None = None) -> Path:
    """Score ``generations.jsonl`` of a run into ``scores.jsonl``; returns the scores path.

    Memory stays flat in the number of rows: summaries are scored a document at a time (at most
    ``SCORE_GROUP`` per call, see :func:`score_units`) and each finished group goes to a part file in
    ``scores.parts/`` at once, so a killed run continues where it stopped (the part rows are reused
    by the same rules as the rows of ``scores.jsonl``). Earlier rows are read back only when the new
    ``scores.jsonl`` is written, in one atomic step; then the part files are removed.

    ``scorer`` scores the groups (default: :func:`score_groups_here`, in this process);
    :mod:`bizsum.execution` passes one that scores them on Ray actors. The public verb is
    :func:`bizsum.score_run` (:func:`bizsum.execution.score_run`), which picks the scorer from
    ``config.executor``.
    """
    rundir = config.rundir
    judge = judge_setup(config)  # built once: it versions the metrics and scores with them
    with rundir.lock("bizsum score"):
        plan, todo, names = plan_scores(config, judge)
        count = sum(len(pairs) for pairs in todo.values())
        reused = sum(kind == "old" for kind, _ in plan)
        log.info(
            "scoring %d summaries (%d reused, %d without a summary) with %s",
            count,
            reused,
            len(plan) - count - reused,
            names,
        )
        _write_scores(rundir, plan, score_units(todo), names, count, progress, scorer or score_groups_here, judge)
    return rundir.scores


def score_units(todo: Mapping[str, Group], size: int | None = None) -> list[Group]:
    """The groups scoring works in: document by document (sorted by id), at most ``size`` each, so
    per-document caches (source embeddings, tagged passages) are reused and evicted in turn. Every
    executor scores exactly these groups, so a summary is batched with the same neighbours
    everywhere (BERTScore pads a batch to its longest member)."""
    size = size or SCORE_GROUP
    units: list[Group] = []
    for doc_id in sorted(todo):
        pairs = todo[doc_id]
        units.extend(pairs[start : start + size] for start in range(0, len(pairs), size))
    return units


def score_group(group: Group, names: Sequence[str], judge: JudgeSetup | None = None) -> list[ScoreRecord]:
    """One group's records with every metric's values and details filled in."""
    results = run_metrics([item for _, item in group], names, judge=judge)
    return [
        record.model_copy(update={"values": result["values"], "details": result["details"]})
        for (record, _), result in zip(group, results)
    ]


def score_groups_here(
    units: list[Group], names: Sequence[str], judge: JudgeSetup | None = None
) -> Iterator[list[ScoreRecord]]:
    """The local scorer: every group in this process, in order."""
    for group in units:
        yield score_group(group, names, judge)


def score_groups(
    todo: Mapping[str, Group], names: Sequence[str], judge: JudgeSetup | None = None
) -> Iterator[list[ScoreRecord]]:
    """Scored records, a group at a time (see :func:`score_units`)."""
    return score_groups_here(score_units(todo), names, judge)


class _RowReader:
    """Reads rows by (file, offset), keeping a few files open."""

    def __init__(self, keep_open: int = 32):
        self.keep_open = keep_open
        self.handles: OrderedDict[Path, BinaryIO] = OrderedDict()

    def __call__(self, path: Path, offset: int) -> dict[str, Any]:
        handle = self.handles.pop(path, None) or path.open("rb")
        self.handles[path] = handle
        while len(self.handles) > self.keep_open:
            self.handles.popitem(last=False)[1].close()
        return read_row_at(handle, offset)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()
        self.handles.clear()


def write_part(rundir: RunDir, records: Sequence[ScoreRecord]) -> dict[CellKey, tuple[Path, int]]:
    """One finished group as a part file (written atomically); returns where each row is."""
    rundir.score_parts.mkdir(parents=True, exist_ok=True)
    path = rundir.score_parts / f"part-{time.time_ns():020d}-{os.getpid()}.jsonl"
    where: dict[CellKey, tuple[Path, int]] = {}
    lines, offset = [], 0
    for record in records:
        line = dumps(to_row(record))
        where[record.key] = (path, offset)
        offset += len(line.encode("utf-8"))
        lines.append(line)
    write_lines_atomic(path, lines)
    return where


def _write_scores(
    rundir: RunDir,
    plan: list[tuple[str, Any]],
    units: list[Group],
    names: Sequence[str],
    count: int,
    progress: bool,
    scorer: GroupScorer,
    judge: JudgeSetup | None = None,
) -> None:
    rundir.path.mkdir(parents=True, exist_ok=True)
    scored: dict[CellKey, tuple[Path, int]] = {}
    if units:
        with progress_bar(total=count, desc="scoring", disable=not progress or not count) as bar:
            for group in scorer(units, names, judge):
                scored.update(write_part(rundir, group))
                bar.update(len(group))
    missing = [value for kind, value in plan if kind == "new" and value not in scored]
    if missing:
        raise BizsumError(
            f"scoring returned no row for {len(missing)} summaries (first: {'/'.join(map(str, missing[0]))}); "
            f"the finished groups are kept in {rundir.score_parts} and a rerun continues from them"
        )
    reader = _RowReader()
    try:

        def lines() -> Iterator[str]:
            for kind, value in plan:
                if kind == "row":
                    yield dumps(to_row(value))
                else:
                    yield dumps(reader(*(value if kind == "old" else scored[value])))

        write_lines_atomic(rundir.scores, lines())
    finally:
        reader.close()
    if rundir.score_parts.exists():
        shutil.rmtree(rundir.score_parts, ignore_errors=True)


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
    judge: JudgeSetup | None = None,
    max_summary_tokens: int | None = MAX_SUMMARY_TOKENS,
) -> dict[str, Any]:
    """Every score for one summary (what ``bizsum score`` prints). Keys are documented in README.

    ``metrics`` default to every offline metric; with a ``judge``, its metrics are added. A summary
    above ``max_summary_tokens`` (None = no limit) is refused before any metric runs.
    """
    document = Document(id=document_id, text=document_text)
    if max_document_tokens is not None:
        check_document_size(document, max_document_tokens)
    if max_summary_tokens is not None:
        check_summary_size(summary, max_summary_tokens)
    if not summary.strip() and not document_text.strip():
        raise InputError("both the document and the summary are empty")
    item = ScoringItem(
        summary=summary,
        document=document,
        references=dict(references or {}),
        token_limit=token_limit,
        count_encoding=count_encoding,
    )
    names = list(metrics or default_metric_names())
    if judge is not None:
        names += [m for m in judge.settings.metrics if m not in names]
    result = _run_metrics_beside([item], names, judge)[0]
    return {
        "schema_version": SCORE_JSON_SCHEMA,
        "document": {"id": document_id, "sha256": document.sha256},
        "token_limit": token_limit,
        "count_encoding": count_encoding,
        "scores": result["values"],
        "details": result["details"],
    }
