"""``bizsum ingest DIR``: a folder of 10-K filings, ingested in parallel, with a per-file report.

Each filing is read and cut to its Item 1 in a worker (local processes, or Ray tasks with
``executor: ray``: the file's bytes travel with the task, so the nodes need no shared folder);
the driver then writes the results and registers them one at a time, in file-name order, so the
manifest is written by one process only and the outcome does not depend on which worker was
faster. A filing that fails is listed with its error and the batch goes on. A filing whose
accession number is already in the manifest or in ``out``, or was seen earlier in the batch (a
filing without one: the same bytes as a filing already in ``out`` or earlier in the batch), is a
duplicate: it is listed and not written again. A document id already taken (the same company and year from
another accession) gets a ``-2``, ``-3``... suffix, noted in the report.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm.auto import tqdm

from bizsum.config import ExecutorSettings
from bizsum.corpus.documents import DocumentStore
from bizsum.corpus.register import register_document
from bizsum.errors import BizsumError, InputError
from bizsum.ingest import IngestedFiling, default_doc_id, ingest_filing, write_ingested
from bizsum.nlp.text import normalize_text
from bizsum.nlp.tokens import count_tokens

log = logging.getLogger(__name__)

FILING_SUFFIXES = (".htm", ".html", ".xhtml", ".txt")
Status = Literal["registered", "ingested", "duplicate", "failed"]


@dataclass
class FileOutcome:
    """What happened to one filing."""

    path: str
    status: Status
    doc_id: str | None = None
    accession: str = ""
    company: str = ""
    fiscal_year: int | None = None
    words: int = 0
    seconds: float = 0.0
    message: str = ""


@dataclass
class IngestReport:
    """Every filing of a batch, in file-name order."""

    outcomes: list[FileOutcome] = field(default_factory=list)
    wall_s: float = 0.0
    workers: int = 1

    def count(self, status: Status) -> int:
        return sum(1 for outcome in self.outcomes if outcome.status == status)

    def summary(self) -> str:
        parts = [f"{self.count(s)} {s}" for s in ("registered", "ingested", "duplicate", "failed") if self.count(s)]
        return f"{len(self.outcomes)} filing(s) in {self.wall_s:.1f} s with {self.workers} worker(s): " + (
            ", ".join(parts) or "nothing to do"
        )

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {"summary": self.summary(), "wall_s": self.wall_s, "workers": self.workers}
        data["files"] = [asdict(outcome) for outcome in self.outcomes]
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path


def find_filings(folder: str | Path) -> list[Path]:
    """The filings under ``folder`` (any depth), sorted by path; hidden files are skipped."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"not a folder of filings: {folder}")
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and path.suffix.lower() in FILING_SUFFIXES and not path.name.startswith(".")
    )


@dataclass
class _Ingested:
    """A worker's answer: the filing's Item 1 (text normalized, tokens counted) or its error."""

    result: IngestedFiling | None
    tokens: int | None
    error: str | None
    seconds: float


def ingest_one(path: str | Path) -> _Ingested:
    """Ingest one filing; any error is returned as its message, never raised."""
    started = time.perf_counter()
    try:
        result = ingest_filing(path)
        result.text = normalize_text(result.text)
        tokens = count_tokens(result.text)
    except BizsumError as error:
        return _Ingested(None, None, str(error), time.perf_counter() - started)
    except Exception as error:  # a parser bug on one filing must not stop the batch
        return _Ingested(
            None, None, f"{path}: unexpected {type(error).__name__}: {error}", time.perf_counter() - started
        )
    return _Ingested(result, tokens, None, time.perf_counter() - started)


def _ingest_bytes(name: str, data: bytes) -> _Ingested:
    """A Ray task: the filing's bytes under its own file name in a scratch folder of the node."""
    with tempfile.TemporaryDirectory(prefix="bizsum-ingest-") as scratch:
        path = Path(scratch) / Path(name).name
        path.write_bytes(data)
        answer = ingest_one(path)
    if answer.result is not None:
        answer.result.source_path = name
    elif answer.error:
        answer.error = answer.error.replace(str(path), name)
    return answer


def _run_local(paths: Sequence[Path], workers: int) -> Iterator[tuple[int, _Ingested]]:
    if workers <= 1:
        for index, path in enumerate(paths):
            yield index, ingest_one(path)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(ingest_one, path): index for index, path in enumerate(paths)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _run_ray(paths: Sequence[Path], settings: ExecutorSettings) -> Iterator[tuple[int, _Ingested]]:
    from bizsum.execution.ray_session import ray_session

    with ray_session(settings) as ray:
        task = ray.remote(num_cpus=1, max_retries=2)(_ingest_bytes)
        pending = {task.remote(str(path), path.read_bytes()): index for index, path in enumerate(paths)}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)


def ingest_folder(
    folder: str | Path,
    out: str | Path,
    *,
    register: bool = False,
    data_dir: str | Path = "data",
    workers: int | None = None,
    executor: ExecutorSettings | None = None,
    progress: bool = True,
    on_result: Callable[[FileOutcome], None] | None = None,
) -> IngestReport:
    """Ingest every filing under ``folder`` into ``out`` (and register them when ``register``)."""
    started = time.perf_counter()
    paths = find_filings(folder)
    if not paths:
        raise InputError(f"no filings ({', '.join(FILING_SUFFIXES)}) under {folder}")
    on_ray = executor is not None and executor.kind == "ray"
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths)))  # on Ray: Ray places the tasks
    if register:
        DocumentStore(data_dir).manifest  # noqa: B018  # a missing manifest stops the batch before any work
    answers: list[_Ingested | None] = [None] * len(paths)
    run = _run_ray(paths, executor) if on_ray and executor is not None else _run_local(paths, workers)
    with tqdm(total=len(paths), desc="ingest", unit="filing", disable=not progress) as bar:
        for index, ingested in run:
            answers[index] = ingested
            bar.update(1)
    report = IngestReport(workers=workers)
    known = _Known.load(data_dir if register else None, out)
    for path, answer in zip(paths, answers):
        assert answer is not None
        outcome = _settle(path, answer, out, register, data_dir, known)
        report.outcomes.append(outcome)
        if on_result is not None:
            on_result(outcome)
    report.wall_s = round(time.perf_counter() - started, 3)
    log.info("%s", report.summary())
    return report


@dataclass
class _Known:
    """Ids and accessions already in the manifest or earlier in the batch."""

    ids: set[str] = field(default_factory=set)
    accessions: dict[str, str] = field(default_factory=dict)  # accession -> document id
    sources: dict[str, str] = field(default_factory=dict)  # sha256 of the filing's bytes -> document id

    @classmethod
    def load(cls, data_dir: str | Path | None, out: str | Path) -> _Known:
        """What the manifest (when registering) and the ``<id>.json`` files already in ``out`` hold."""
        known = cls()
        for path in sorted(Path(out).glob("*.json")) if Path(out).is_dir() else []:
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and data.get("id"):
                known.ids.add(str(data["id"]))
                if data.get("accession"):
                    known.accessions[str(data["accession"])] = str(data["id"])
                if data.get("source_sha256"):
                    known.sources[str(data["source_sha256"])] = str(data["id"])
        if data_dir is not None:
            manifest = DocumentStore(data_dir).manifest
            known.ids.update(manifest)
            known.accessions.update({row["accession"]: i for i, row in manifest.items() if row.get("accession")})
        return known

    def free_id(self, doc_id: str) -> str:
        candidate, number = doc_id, 1
        while candidate in self.ids:
            number += 1
            candidate = f"{doc_id}-{number}"
        return candidate


def _settle(
    path: Path, answer: _Ingested, out: str | Path, register: bool, data_dir: str | Path, known: _Known
) -> FileOutcome:
    outcome = FileOutcome(path=str(path), status="failed", seconds=round(answer.seconds, 3))
    result = answer.result
    if result is None:
        outcome.message = answer.error or "no result"
        return outcome
    outcome.accession, outcome.company = result.accession, result.company
    outcome.fiscal_year, outcome.words = result.fiscal_year, result.words
    if result.accession and result.accession in known.accessions:
        outcome.status = "duplicate"
        outcome.doc_id = known.accessions[result.accession]
        outcome.message = f"accession {result.accession} is already {outcome.doc_id!r}: not written again"
        return outcome
    if result.source_sha256 in known.sources:  # a filing without an accession number: the same bytes
        outcome.status = "duplicate"
        outcome.doc_id = known.sources[result.source_sha256]
        outcome.message = f"the same file as {outcome.doc_id!r} (sha256 {result.source_sha256[:12]}): not written again"
        return outcome
    wanted = default_doc_id(result)
    doc_id = known.free_id(wanted)
    notes = [f"id {wanted!r} was taken: registered as {doc_id!r}"] if doc_id != wanted else []
    try:
        write_ingested(result, out, doc_id)
        if register:
            register_document(data_dir, doc_id, result.text, manifest_fields(result, path), tokens=answer.tokens)
    except BizsumError as error:
        outcome.message = str(error)
        return outcome
    known.ids.add(doc_id)
    known.sources[result.source_sha256] = doc_id
    if result.accession:
        known.accessions[result.accession] = doc_id
    outcome.status, outcome.doc_id = ("registered" if register else "ingested"), doc_id
    outcome.message = "; ".join(notes + result.warnings)
    return outcome


def manifest_fields(result: IngestedFiling, path: Path) -> dict[str, Any]:
    return {
        "company": result.company,
        "cik": result.cik.lstrip("0"),  # the manifest's CIKs have no leading zeros
        "ticker": result.ticker,
        "fiscal_year": result.fiscal_year,
        "period_of_report": result.period_end,
        "accession": result.accession,
        "source": f"bizsum ingest {path.name}",
        "license": "SEC public record",
    }
