"""OpenAI Batch API mode: the same rows as live requests, at batch prices, resumable.

For a model with ``batch: true`` (provider ``openai``) the cells still to produce are written as
one JSONL of Chat Completions requests (``custom_id`` = the cell key
``doc_id|prompt_id|model_id|sample``, body = exactly what a live request would send), uploaded
(``purpose=batch``) and submitted (``/v1/chat/completions``, 24 h window). The job is polled every
``batch.poll_interval`` seconds; when it ends the output and error files are downloaded and each
line is mapped back by ``custom_id`` into the same ``generations.jsonl`` row a live request
gives (plus ``batch_id``, and ``cost_usd`` at batch prices). Lines that are errors, malformed or
missing become per-cell error rows; a rerun submits those cells again in a new batch.

Resuming: every step is recorded in ``<run_dir>/batches/<model_id>.json`` before the next one
starts (request file written → uploaded file id → batch id → collected). A rerun, or a run that
stopped waiting (``batch.wait``), picks the recorded batch up again instead of submitting it a
second time; after an interruption between upload and creation it first looks for a batch made
from the uploaded file. Rows of cells that are already finished are never written twice.

Cells whose prompt does not fit the model's context window are not batched: the runner sends them
through the live path, where the long-document strategy (truncate, map-reduce) applies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bizsum.errors import BizsumError, ProviderError
from bizsum.providers.base import Generation, Provider

if TYPE_CHECKING:  # pragma: no cover
    from bizsum.config import ModelSpec
    from bizsum.runner import Cell, RunContext

log = logging.getLogger(__name__)

BATCH_DIR = "batches"
ENDPOINT = "/v1/chat/completions"
TERMINAL = {"completed", "failed", "expired", "cancelled"}


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name)


def state_path(run_dir: Path, model_id: str) -> Path:
    return Path(run_dir) / BATCH_DIR / f"{_safe(model_id)}.json"


class BatchState:
    """The model's batch jobs, persisted atomically after every change."""

    def __init__(self, path: Path, jobs: list[dict[str, Any]] | None = None):
        self.path = path
        self.jobs = jobs or []

    @classmethod
    def load(cls, run_dir: Path, model_id: str) -> "BatchState":
        path = state_path(run_dir, model_id)
        if not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, list(data["jobs"]))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ProviderError(
                f"{path}: unreadable batch state ({error}). If no batch of this run is still running, delete the "
                "file and rerun; otherwise fix it by hand (it lists the batch ids)."
            ) from None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"jobs": self.jobs}, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def open_jobs(self) -> list[dict[str, Any]]:
        return [job for job in self.jobs if not job.get("collected")]


def submitted_cell_ids(run_dir: Path, model_id: str) -> set[str]:
    """Cells already in a batch that has not been collected (not to be submitted or priced again)."""
    state = BatchState.load(run_dir, model_id)
    return {cid for job in state.open_jobs() for cid in job["cells"]}


def request_line(provider: Provider, cell: "Cell") -> dict[str, Any]:
    return {"custom_id": cell.cell_id, "method": "POST", "url": ENDPOINT, "body": provider.request_body(cell.request)}


async def run_model(ctx: "RunContext", spec: "ModelSpec", provider: Provider, cells: list["Cell"]) -> None:
    """Submit what is not yet submitted, then wait for and collect this model's open batches."""
    inner = getattr(provider, "inner", provider)
    state = BatchState.load(ctx.config.run_dir, spec.id)
    by_id = {cell.cell_id: cell for cell in cells}
    submitted = {cid for job in state.open_jobs() for cid in job["cells"]}
    new = [cell for cell in cells if cell.cell_id not in submitted]
    try:
        if new:
            _new_job(ctx, state, inner, new)
        for job in state.open_jobs():
            await _submit(ctx, state, inner, job)
        await _wait_and_collect(ctx, spec, state, inner, by_id)
    except Exception as error:  # the batch API itself failed: every open cell gets the error
        detail = str(error) if isinstance(error, BizsumError) else f"unexpected {type(error).__name__}: {error}"
        log.debug("batch mode of %s failed", spec.id, exc_info=True)
        message = (f"model {spec.id!r} (batch mode): {detail}. The batch state is kept in {state.path}; "
                   "a rerun continues from it.")
        for job in state.open_jobs():
            for cid in job["cells"]:
                if cid in by_id:
                    ctx.record_failure(by_id.pop(cid), message, batch_id=job.get("batch_id"))


def _new_job(ctx: "RunContext", state: BatchState, provider: Provider, cells: list["Cell"]) -> None:
    number = len(state.jobs) + 1
    path = state.path.parent / f"{state.path.stem}-{number}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for cell in cells:
            handle.write(json.dumps(request_line(provider, cell), ensure_ascii=False) + "\n")
    state.jobs.append({
        "number": number,
        "input_path": str(path),
        "cells": {cell.cell_id: cell.key for cell in cells},
        "prompts": {cell.cell_id: provider.count_prompt(cell.request.prompt) for cell in cells},
        "file_id": None,
        "batch_id": None,
        "status": "prepared",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "collected": False,
    })
    state.save()
    log.info("model %s: %d request(s) written to %s", provider.spec.id, len(cells), path)


async def _submit(ctx: "RunContext", state: BatchState, provider: Any, job: dict[str, Any]) -> None:
    if job.get("batch_id"):
        return
    client = provider.client
    spec_id = provider.spec.id
    if not job.get("file_id"):
        data = Path(job["input_path"]).read_bytes()
        uploaded = await ctx.in_thread(lambda: provider.call_api(
            lambda: client.files.create(file=(Path(job["input_path"]).name, data, "application/jsonl"), purpose="batch"),
            f"model {spec_id!r}: uploading the batch requests"))
        job["file_id"] = uploaded.id
        job["status"] = "uploaded"
        state.save()
    # A create whose answer was lost (interrupted run, 5xx after the server made the batch) may
    # still have made a batch: look for one from our file before creating another.
    maybe_created = job.get("status") == "creating"
    job["status"] = "creating"
    state.save()

    def find_or_create() -> Any:
        nonlocal maybe_created
        if maybe_created:
            for existing in client.batches.list(limit=100).data:
                if existing.input_file_id == job["file_id"]:
                    log.info("model %s: found batch %s made from file %s", spec_id, existing.id, job["file_id"])
                    return existing
        maybe_created = True
        return client.batches.create(
            input_file_id=job["file_id"], endpoint=ENDPOINT, completion_window="24h",
            metadata={"bizsum_run": ctx.config.name[:512], "bizsum_model": spec_id[:512]},
        )

    created = await ctx.in_thread(lambda: provider.call_api(find_or_create, f"model {spec_id!r}: creating the batch"))
    job["batch_id"], job["status"] = created.id, created.status
    state.save()
    log.info("model %s: batch %s submitted with %d request(s)", spec_id, created.id, len(job["cells"]))


async def _wait_and_collect(ctx: "RunContext", spec: "ModelSpec", state: BatchState, provider: Any,
                            by_id: dict[str, "Cell"]) -> None:
    client = provider.client
    wait = spec.batch.wait
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        for job in state.open_jobs():
            batch = await ctx.in_thread(lambda: provider.call_api(
                lambda: client.batches.retrieve(job["batch_id"]), f"model {spec.id!r}: batch {job['batch_id']}"))
            if batch.status != job.get("status"):
                counts = getattr(batch, "request_counts", None)
                log.info("model %s: batch %s is %s (%s)", spec.id, batch.id, batch.status,
                         counts.model_dump() if counts is not None else "no counts")
                job["status"] = batch.status
                state.save()
            if batch.status in TERMINAL:
                await _collect(ctx, spec, state, provider, job, batch, by_id)
        still_open = state.open_jobs()
        if not still_open:
            return
        if deadline is not None and time.monotonic() >= deadline:
            pending = sum(1 for job in still_open for cid in job["cells"] if cid in by_id)
            ctx.stats.pending += pending
            log.warning("model %s: %d cell(s) still in batch(es) %s; run generate again to collect them",
                        spec.id, pending, [job["batch_id"] for job in still_open])
            return
        pause = spec.batch.poll_interval
        if deadline is not None:
            pause = max(0.0, min(pause, deadline - time.monotonic()))
        await asyncio.sleep(pause)


def _download(provider: Any, file_id: str | None, what: str) -> list[dict[str, Any]]:
    if not file_id:
        return []
    content = provider.call_api(lambda: provider.client.files.content(file_id),
                                f"model {provider.spec.id!r}: downloading the batch {what} file {file_id}")
    lines = []
    for number, line in enumerate(content.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("batch %s file %s, line %d: not JSON; skipped", what, file_id, number)
    return lines


def _line_error(line: dict[str, Any]) -> str | None:
    if line.get("error"):
        error = line["error"]
        return f"{error.get('code') or 'error'}: {error.get('message') or error}" if isinstance(error, dict) else str(error)
    response = line.get("response") or {}
    status = response.get("status_code")
    if status != 200:
        body = response.get("body") or {}
        message = body.get("error", {}).get("message") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
        return f"HTTP {status}: {message}"
    return None


async def _collect(ctx: "RunContext", spec: "ModelSpec", state: BatchState, provider: Any, job: dict[str, Any],
                   batch: Any, by_id: dict[str, "Cell"]) -> None:
    batch_id = job["batch_id"]
    outputs = await ctx.in_thread(lambda: _download(provider, batch.output_file_id, "output"))
    errors = await ctx.in_thread(lambda: _download(provider, batch.error_file_id, "error"))
    seen: set[str] = set()
    for line in [*outputs, *errors]:
        cid = line.get("custom_id")
        if cid not in job["cells"] or cid in seen:
            log.warning("batch %s: ignoring a line with unknown or repeated custom_id %r", batch_id, cid)
            continue
        seen.add(cid)
        cell = by_id.pop(cid, None)
        problem = _line_error(line)
        if problem is not None:
            problem = f"model {spec.id!r} batch {batch_id}: {problem}"
        generation: Generation | None = None
        if problem is None:
            try:
                generation = provider.to_generation((line.get("response") or {}).get("body"),
                                                    int(job["prompts"].get(cid, 0)), None)
            except ProviderError as error:
                problem = f"{error} (batch {batch_id})"
            else:
                generation.meta.update(batch_id=batch_id, batch_request_id=(line.get("response") or {}).get("request_id"))
                ctx.cache.put(job["cells"][cid], generation)  # paid for: kept even if the cell left the plan
        if cell is None:  # finished meanwhile, or no longer part of this run's matrix
            continue
        if problem is None:
            ctx.record_success(cell, generation, batch_id=batch_id)
        else:
            ctx.record_failure(cell, problem, batch_id=batch_id)
    missing = [cid for cid in job["cells"] if cid not in seen and cid in by_id]
    if missing:
        reasons = "; ".join(f"{e.code}: {e.message}" for e in (getattr(batch.errors, "data", None) or [])) if batch.errors else ""
        message = (f"model {spec.id!r} batch {batch_id} ended '{batch.status}' without a result for this cell"
                   + (f" ({reasons})" if reasons else ""))
        for cid in missing:
            ctx.record_failure(by_id.pop(cid), message, batch_id=batch_id)
    job["collected"] = True
    job["collected_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    state.save()
    log.info("model %s: batch %s collected (%d result line(s), %d missing)", spec.id, batch_id, len(seen), len(missing))
