"""Batch mode: the same rows as live requests, at batch prices, resumable.

For a model with ``batch: true`` (a provider whose ``supports_batch`` is true) the cells still to
produce are written as one JSONL of requests (``custom_id`` = the cell key
``doc_id|prompt_id|model_id|sample``, body = exactly what a live request would send), uploaded
and submitted through the provider's :class:`~bizsum.providers.base.BatchAPI`. The job is polled
every ``batch.poll_interval`` seconds; when it ends the output and error files are downloaded and
each line is mapped back by ``custom_id`` into the same ``generations.jsonl`` row a live request
gives (plus ``batch_id``, and ``cost_usd`` at batch prices). Lines that are errors, malformed or
missing become per-cell error rows; a rerun submits those cells again in a new batch.

Resuming: every step is recorded in ``<run_dir>/batches/<model_id>.json`` before the next one
starts (request file written → uploaded file id → batch id → collected). A rerun, or a run that
stopped waiting (``batch.wait``), picks the recorded batch up again instead of submitting it a
second time; after an interruption between upload and creation it first looks for a batch made
from the uploaded file. Rows of cells that are already finished are never written twice.

Under ``max_cost`` the worst case of a whole batch is booked before it is uploaded; a batch that
does not fit is not submitted and its cells are left for a rerun.

Cells whose prompt does not fit the model's context window are not batched: the runner sends them
through the live path, where the long-document strategy (truncate, map-reduce) applies.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import tempfile
import time
from typing import Any

from bizsum.config import ModelSpec
from bizsum.errors import BizsumError, ProviderError
from bizsum.generation.budget import Budget
from bizsum.generation.plan import Cell
from bizsum.generation.workers import RunContext
from bizsum.providers import BudgetExhausted, Provider
from bizsum.providers.base import BatchAPI, BatchStatus, Generation
from bizsum.rundir import RunDir

log = logging.getLogger(__name__)


class BatchState:
    """The model's batch jobs, persisted atomically after every change."""

    def __init__(self, path: Any, jobs: list[dict[str, Any]] | None = None):
        self.path = path
        self.jobs = jobs or []

    @classmethod
    def load(cls, rundir: RunDir, model_id: str) -> BatchState:
        path = rundir.batch_state(model_id)
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


def submitted_cell_ids(rundir: RunDir, model_id: str) -> set[str]:
    """Cells already in a batch that has not been collected (not to be submitted or priced again)."""
    state = BatchState.load(rundir, model_id)
    return {cid for job in state.open_jobs() for cid in job["cells"]}


def _api(provider: Provider) -> BatchAPI:
    api = provider.batch_api()
    if api is None:
        raise ProviderError(f"model {provider.spec.id!r}: provider {provider.name!r} has no batch mode")
    return api


async def run_model(
    ctx: RunContext, spec: ModelSpec, provider: Provider, cells: list[Cell], budget: Budget | None = None
) -> None:
    """Submit what is not yet submitted, then wait for and collect this model's open batches."""
    rundir = ctx.config.rundir
    state = BatchState.load(rundir, spec.id)
    by_id = {cell.cell_id: cell for cell in cells}
    submitted = {cid for job in state.open_jobs() for cid in job["cells"]}
    new = [cell for cell in cells if cell.cell_id not in submitted]
    try:
        api = _api(provider)
        if new:
            try:
                _book(budget, spec, provider, new)
            except BudgetExhausted:
                for cell in new:
                    by_id.pop(cell.cell_id, None)
                ctx.record_not_requested(new)
                new = []
            if new:
                _new_job(rundir, state, api, provider, new)
        for job in state.open_jobs():
            await _submit(ctx, state, api, job, spec.id)
        await _wait_and_collect(ctx, spec, state, api, by_id)
    except Exception as error:  # the batch service itself failed: every open cell gets the error
        detail = str(error) if isinstance(error, BizsumError) else f"unexpected {type(error).__name__}: {error}"
        log.debug("batch mode of %s failed", spec.id, exc_info=True)
        message = (
            f"model {spec.id!r} (batch mode): {detail}. The batch state is kept in {state.path}; "
            "a rerun continues from it."
        )
        for job in state.open_jobs():
            for cid in job["cells"]:
                if cid in by_id:
                    ctx.record_failure(by_id.pop(cid), message, batch_id=job.get("batch_id"))


def _book(budget: Budget | None, spec: ModelSpec, provider: Provider, cells: list[Cell]) -> None:
    """Book the worst case of the whole batch at batch prices (it is settled as results arrive)."""
    if budget is None or provider.is_free:
        return
    prompt = sum(provider.max_prompt_tokens(cell.request.prompt) for cell in cells)
    output = sum(provider.max_output_tokens(cell.request) for cell in cells)
    ticket = budget.reserve(spec, prompt, output, batch=True, wait=False)  # runs on the event loop: never waits
    budget.settle(ticket, None, None)  # booked as spent: a submitted batch is paid when it runs


def _new_job(rundir: RunDir, state: BatchState, api: BatchAPI, provider: Provider, cells: list[Cell]) -> None:
    number = len(state.jobs) + 1
    path = rundir.batch_requests(provider.spec.id, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for cell in cells:
            handle.write(json.dumps(api.request_line(cell.cell_id, cell.request), ensure_ascii=False) + "\n")
    state.jobs.append(
        {
            "number": number,
            "input_path": str(path),
            "cells": {cell.cell_id: cell.key for cell in cells},
            "prompts": {cell.cell_id: provider.count_prompt(cell.request.prompt) for cell in cells},
            "file_id": None,
            "batch_id": None,
            "status": "prepared",
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "collected": False,
        }
    )
    state.save()
    log.info("model %s: %d request(s) written to %s", provider.spec.id, len(cells), path)


async def _submit(ctx: RunContext, state: BatchState, api: BatchAPI, job: dict[str, Any], model_id: str) -> None:
    if job.get("batch_id"):
        return
    if not job.get("file_id"):
        path = job["input_path"]
        with open(path, "rb") as handle:
            data = handle.read()
        job["file_id"] = await ctx.in_thread(lambda: api.upload(os.path.basename(path), data))
        job["status"] = "uploaded"
        state.save()
    # A create whose answer was lost (interrupted run, 5xx after the server made the batch) may
    # still have made a batch: look for one from our file before creating another.
    maybe_created = job.get("status") == "creating"
    job["status"] = "creating"
    state.save()
    metadata = {"bizsum_run": ctx.config.name[:512], "bizsum_model": model_id[:512]}
    created = await ctx.in_thread(lambda: api.create(job["file_id"], metadata, maybe_created))
    job["batch_id"], job["status"] = created.batch_id, created.status
    state.save()
    log.info("model %s: batch %s submitted with %d request(s)", model_id, created.batch_id, len(job["cells"]))


async def _wait_and_collect(
    ctx: RunContext, spec: ModelSpec, state: BatchState, api: BatchAPI, by_id: dict[str, Cell]
) -> None:
    wait = spec.batch.wait
    deadline = None if wait is None else time.monotonic() + wait
    while True:
        for job in state.open_jobs():
            batch = await ctx.in_thread(functools.partial(api.retrieve, job["batch_id"]))
            if batch.status != job.get("status"):
                log.info(
                    "model %s: batch %s is %s (%s)", spec.id, batch.batch_id, batch.status, batch.counts or "no counts"
                )
                job["status"] = batch.status
                state.save()
            if batch.ended:
                await _collect(ctx, spec, state, api, job, batch, by_id)
        still_open = state.open_jobs()
        if not still_open:
            return
        if deadline is not None and time.monotonic() >= deadline:
            pending = sum(1 for job in still_open for cid in job["cells"] if cid in by_id)
            ctx.stats.pending += pending
            log.warning(
                "model %s: %d cell(s) still in batch(es) %s; run generate again to collect them",
                spec.id,
                pending,
                [job["batch_id"] for job in still_open],
            )
            return
        pause = spec.batch.poll_interval
        if deadline is not None:
            pause = max(0.0, min(pause, deadline - time.monotonic()))
        await asyncio.sleep(pause)


def _download(api: BatchAPI, file_id: str | None, what: str) -> list[dict[str, Any]]:
    if not file_id:
        return []
    lines = []
    for number, line in enumerate(api.download(file_id).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            log.warning("batch %s file %s, line %d: not JSON; skipped", what, file_id, number)
    return lines


async def _collect(
    ctx: RunContext,
    spec: ModelSpec,
    state: BatchState,
    api: BatchAPI,
    job: dict[str, Any],
    batch: BatchStatus,
    by_id: dict[str, Cell],
) -> None:
    batch_id = job["batch_id"]
    outputs = await ctx.in_thread(lambda: _download(api, batch.output_file_id, "output"))
    errors = await ctx.in_thread(lambda: _download(api, batch.error_file_id, "error"))
    seen: set[str] = set()
    for line in [*outputs, *errors]:
        cid = str(line.get("custom_id"))
        if cid not in job["cells"] or cid in seen:
            log.warning("batch %s: ignoring a line with unknown or repeated custom_id %r", batch_id, cid)
            continue
        seen.add(cid)
        cell = by_id.pop(cid, None)
        problem = api.line_error(line)
        if problem is not None:
            problem = f"model {spec.id!r} batch {batch_id}: {problem}"
        generation: Generation | None = None
        if problem is None:
            try:
                generation = api.parse_line(line, int(job["prompts"].get(cid, 0)))
            except ProviderError as error:
                problem = f"{error} (batch {batch_id})"
            else:
                generation.meta["batch_id"] = batch_id
                ctx.cache.put(job["cells"][cid], generation)  # paid for: kept even if the cell left the plan
        if cell is None:  # finished meanwhile, or no longer part of this run's matrix
            continue
        if generation is not None:
            ctx.record_success(cell, generation, batch_id=batch_id)
        else:
            ctx.record_failure(cell, problem or "no result", batch_id=batch_id)
    missing = [cid for cid in job["cells"] if cid not in seen and cid in by_id]
    if missing:
        message = f"model {spec.id!r} batch {batch_id} ended '{batch.status}' without a result for this cell" + (
            f" ({batch.errors})" if batch.errors else ""
        )
        for cid in missing:
            ctx.record_failure(by_id.pop(cid), message, batch_id=batch_id)
    job["collected"] = True
    job["collected_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    state.save()
    log.info("model %s: batch %s collected (%d result line(s), %d missing)", spec.id, batch_id, len(seen), len(missing))
