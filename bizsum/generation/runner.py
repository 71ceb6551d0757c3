"""Generation: run the documents × prompts × models × samples matrix into ``generations.jsonl``.

* **Request-keyed resume.** A cell is finished only when its stored row was made by the same
  request (cache key) under the same config parts (template, document, parameters, limit,
  strategy, counting tokenizer): change any of them and the cell is requested again (the response
  cache still serves an identical request for free). Every row names the config that wrote it;
  each such config is kept in ``configs/<hash>.yaml`` of the run folder.
* **One run at a time.** The run folder is locked while generation writes to it
  (:class:`bizsum.rundir.RunLock`).
* **Appends.** Rows are appended as they finish (:class:`bizsum.jsonl.AppendWriter`), so a killed
  run loses only the requests in flight; answers that arrived are in the response cache before
  their row is written.
* **Cost.** Before any request the cells still to request are priced at their worst case
  (counted prompt + ``max_completion_tokens``) and logged. Under ``max_cost`` a model without a
  price is refused (unless ``allow_unpriced``), and a running :class:`~bizsum.generation.budget.Budget`
  stops sending requests before the cap could be passed.
* **Concurrency, retries, batch.** See :mod:`bizsum.generation.workers`, :mod:`bizsum.providers.retry`
  and :mod:`bizsum.generation.batch`.
* :func:`generate` is synchronous; inside a running event loop (a Jupyter kernel) it runs its own
  loop in a worker thread. :func:`agenerate` is the coroutine. :func:`check_complete` turns failed
  or unrequested cells into an error for CI (``allow_failures`` relaxes it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import yaml

from bizsum.config import ModelSpec, RunConfig
from bizsum.errors import BizsumError
from bizsum.generation import batch as batch_mode
from bizsum.generation.budget import Budget
from bizsum.generation.eta import Eta
from bizsum.generation.long_docs import WindowTable
from bizsum.generation.plan import Cell, RunPlan, open_provider, refuse_unpriced
from bizsum.generation.sync import run_sync
from bizsum.generation.workers import GenerationStats, RunContext, worker
from bizsum.jsonl import AppendWriter
from bizsum.progress import progress_bar
from bizsum.providers import Provider
from bizsum.providers.base import Generation
from bizsum.providers.cache import ResponseCache
from bizsum.providers.pricing import CostEstimate, PriceTable, load_prices
from bizsum.providers.retry import RetryCounters
from bizsum.records import CellKey, GenerationRecord, load_latest, read_records, stable_hash
from bizsum.rundir import RunDir

log = logging.getLogger(__name__)

MAX_THREADS = 256


class GenerationIncomplete(BizsumError):
    """Cells failed or were not requested, more than ``allow_failures`` tolerates."""


def save_config_snapshot(config: RunConfig, rundir: RunDir) -> str:
    """Keep the config in ``configs/<hash>.yaml`` and as ``config.yaml``; returns its hash.

    ``config.yaml`` always shows the latest config; an earlier one is never lost: it stays under
    ``configs/`` (a ``config.yaml`` from before this layout is moved there first), and every row
    names the config that wrote it.
    """
    digest = config.hash()
    text = yaml.safe_dump(config.snapshot(), sort_keys=False)
    rundir.configs_dir.mkdir(parents=True, exist_ok=True)
    if rundir.config.is_file():
        previous = rundir.config.read_text(encoding="utf-8")
        if previous != text:
            try:
                old_hash = stable_hash(yaml.safe_load(previous), 12)
            except yaml.YAMLError:
                old_hash = "unreadable"
            keep = rundir.config_snapshot(old_hash)
            if not keep.exists():
                keep.write_text(previous, encoding="utf-8")
            log.warning(
                "run %s: the config differs from the one that last wrote here (kept as %s); cells whose "
                "request changed are requested again",
                config.name,
                keep.relative_to(rundir.path),
            )
    snapshot = rundir.config_snapshot(digest)
    if not snapshot.exists():
        snapshot.write_text(text, encoding="utf-8")
    rundir.config.write_text(text, encoding="utf-8")
    rundir.provenance.write_text(json.dumps(config.provenance(), indent=1) + "\n", encoding="utf-8")
    return digest


def spent_in(rundir: RunDir) -> float:
    """What the rows of a run folder cost when they were requested (cache hits cost nothing)."""
    total = 0.0
    for _, record in read_records(rundir.generations, GenerationRecord):
        if not record.cached and record.cost_usd:
            total += record.cost_usd
    return total


def observed_completion(rundir: RunDir) -> dict[str, int]:
    """The largest completion (tokens) each model billed in a run folder (rows not served by the cache):
    the ``max_cost`` booking of a model whose server ignored ``max_completion_tokens``."""
    largest: dict[str, int] = {}
    for _, record in read_records(rundir.generations, GenerationRecord):
        if not record.cached and record.completion_tokens:
            largest[record.model_id] = max(largest.get(record.model_id, 0), record.completion_tokens)
    return largest


def estimate_cost(cells: list[Cell], providers: dict[str, Provider], prices: PriceTable) -> CostEstimate:
    """The worst case of the cells still to request: counted prompt + max_completion_tokens."""
    estimate = CostEstimate(table=prices)
    counted: dict[tuple[str, str, str], int] = {}
    for cell in cells:
        spec = cell.spec
        provider = providers[spec.id]
        price = prices.price_for(spec, provider.is_free)
        output = provider.max_output_tokens(cell.request)
        if price is None or provider.is_free:
            estimate.add(spec, 0, output, price, spec.batch.enabled)
            continue
        memo = (spec.id, cell.request.document.id, cell.request.prompt_id)
        if memo not in counted:
            counted[memo] = provider.count_prompt(cell.request.prompt)
        estimate.add(spec, counted[memo], output, price, spec.batch.enabled)
    return estimate


def _retry_totals(providers: dict[str, Provider]) -> RetryCounters:
    total = RetryCounters()
    for provider in providers.values():
        counters = provider.retry_counters()
        if counters is not None:
            total.add(counters)
    return total


#: makes the provider of a model entry (default :func:`~bizsum.generation.plan.open_provider`);
#: bizsum.execution passes one that serves in-process models from Ray actors
ProviderFactory = Callable[[ModelSpec, WindowTable], Provider]


async def agenerate(
    config: RunConfig, plan: RunPlan | None = None, progress: bool = True, open_model: ProviderFactory = open_provider
) -> GenerationStats:
    """The coroutine behind :func:`generate`."""
    plan = plan or RunPlan.from_config(config)
    rundir = config.rundir.ensure()
    with rundir.lock("bizsum generate"):
        return await _generate_locked(config, plan, rundir, progress, open_model)


@dataclass
class _Todo:
    """The cells a run still has to fill, by how they will be filled."""

    live: dict[str, list[Cell]] = field(default_factory=lambda: defaultdict(list))  # by concurrency group
    batched: dict[str, list[Cell]] = field(default_factory=lambda: defaultdict(list))  # by model id
    cached: list[tuple[Cell, Generation]] = field(default_factory=list)  # answered by the response cache


async def _generate_locked(
    config: RunConfig, plan: RunPlan, rundir: RunDir, progress: bool, open_model: ProviderFactory
) -> GenerationStats:
    started = time.perf_counter()
    cache = ResponseCache(config.cache_path)
    cache.check_writable()  # before any paid request
    prices = load_prices(config.data_path)
    writer = AppendWriter(rundir.generations)
    stats = GenerationStats()
    providers: dict[str, Provider] = {}
    executor: ThreadPoolExecutor | None = None
    ctx: RunContext | None = None
    budget: Budget | None = None
    bar = None
    try:
        budget = _open_providers(config, plan, prices, rundir, providers, open_model)
        run_config = save_config_snapshot(config, rundir)  # checks passed: this config writes here
        bar = progress_bar(total=plan.size, desc=f"generate {config.name}", disable=not progress)
        todo = _sort_cells(plan, providers, load_latest(rundir.generations, GenerationRecord), cache, stats, bar)
        _estimate(config, rundir, todo, providers, prices, stats)
        executor = ThreadPoolExecutor(
            max_workers=_threads(todo.live, providers, todo.batched), thread_name_prefix="bizsum-gen"
        )
        ctx = RunContext(
            plan=plan,
            run_config=run_config,
            writer=writer,
            cache=cache,
            prices=prices,
            stats=stats,
            executor=executor,
            bar=bar,
            providers=providers,
        )
        ctx.eta = _time_estimate(config, todo, providers)
        for cell, generation in todo.cached:  # served by the response cache: no request, no cost now
            ctx.record_cached(cell, generation)
        await _request(ctx, todo, budget)
    finally:
        _finish(ctx, executor, writer, bar, providers, stats, budget, started)
    log.info("generation finished: %s", stats.as_dict())
    return stats


def _open_providers(
    config: RunConfig,
    plan: RunPlan,
    prices: PriceTable,
    rundir: RunDir,
    providers: dict[str, Provider],
    open_model: ProviderFactory,
) -> Budget | None:
    """Fill ``providers`` (up front, so a bad model entry stops the run before any call) and attach
    the ``max_cost`` budget; returns it."""
    windows = plan.windows()
    for spec in config.models:
        providers[spec.id] = open_model(spec, windows)
    refuse_unpriced(config, prices, lambda spec: providers[spec.id].is_free)
    budget = None
    if config.max_cost is not None:
        budget = Budget(
            config.max_cost, prices, spent_before=spent_in(rundir), observed_completion=observed_completion(rundir)
        )
    for provider in providers.values():
        provider.attach_meter(budget)
    return budget


def _sort_cells(
    plan: RunPlan,
    providers: dict[str, Provider],
    existing: dict[CellKey, GenerationRecord],
    cache: ResponseCache,
    stats: GenerationStats,
    bar: Any,
) -> _Todo:
    """Skip the cells whose row was made by the same request; sort the others into cached, batch and live."""
    todo = _Todo()
    for document, template, spec, sample in plan.combinations():
        stats.cells += 1
        provider = providers[spec.id]
        cell = plan.cell(document, template, spec, sample, provider)
        row = existing.get(CellKey(document.id, template.id, spec.id, sample))
        if row is not None and row.made_by(cell.key, cell.config_hash):
            stats.skipped += 1
            bar.update(1)
            continue
        if row is not None and row.ok:
            stats.stale += 1
        generation = cache.get(cell.key)
        if generation is not None:
            todo.cached.append((cell, generation))
        elif spec.batch.enabled and provider.fits(cell.request):
            todo.batched[spec.id].append(cell)
        else:  # includes batch-mode cells too long for one request: the guard handles them live
            todo.live[provider.concurrency_group()].append(cell)
    if stats.stale:
        log.warning(
            "run %s: %d cell(s) had results made by another request or config (template, parameters, "
            "token limit, strategy or document changed): requested again",
            plan.config.name,
            stats.stale,
        )
    return todo


def _estimate(
    config: RunConfig,
    rundir: RunDir,
    todo: _Todo,
    providers: dict[str, Provider],
    prices: PriceTable,
    stats: GenerationStats,
) -> None:
    """Log the worst-case cost of the cells to request (not those already in a submitted batch)."""
    in_batches = {spec_id: batch_mode.submitted_cell_ids(rundir, spec_id) for spec_id in todo.batched}
    to_price = [c for cells in todo.live.values() for c in cells]
    to_price += [c for spec_id, cells in todo.batched.items() for c in cells if c.cell_id not in in_batches[spec_id]]
    estimate = estimate_cost(to_price, providers, prices)
    stats.estimated_cost_usd = round(estimate.total, 6)
    if to_price:
        log.info("run %s: %d cell(s) to request, worst-case cost %s", config.name, len(to_price), estimate.describe())


def _time_estimate(config: RunConfig, todo: _Todo, providers: dict[str, Provider]) -> Eta | None:
    """Log how long the live cells should take on this machine; the ETA on the bar follows it."""
    if not todo.live:
        return None
    eta = Eta(todo.live, providers)
    cells = sum(len(cells) for cells in todo.live.values())
    log.info("run %s: %d cell(s) to generate, %s", config.name, cells, eta.describe())
    return eta


async def _request(ctx: RunContext, todo: _Todo, budget: Budget | None) -> None:
    """Run the workers of every concurrency group and the batch jobs until the cells are done."""
    queues = {group: deque(cells) for group, cells in todo.live.items()}
    tasks = [
        worker(ctx, queues[group]) for group, cells in todo.live.items() for _ in range(_workers(cells, ctx.providers))
    ]
    tasks += [
        batch_mode.run_model(ctx, ctx.config.model(spec_id), ctx.providers[spec_id], cells, budget)
        for spec_id, cells in todo.batched.items()
    ]
    if tasks:
        running = [asyncio.ensure_future(task) for task in tasks]
        try:
            await asyncio.gather(*running)
        except BaseException:  # cancelled (interrupt) or a bug: stop every worker, keep the rows
            ctx.cancelled.set()
            ctx.stop.set()
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
    leftover = [cell for queue in queues.values() for cell in queue]
    if leftover and not ctx.cancelled.is_set():  # max_cost stopped these queues: never sent
        ctx.record_not_requested(leftover)


def _workers(cells: list[Cell], providers: dict[str, Provider]) -> int:
    """Workers for one concurrency group: the smallest concurrency of the models in it."""
    return min(len(cells), *(providers[c.spec.id].concurrency() for c in cells))


def _threads(live: dict[str, list[Cell]], providers: dict[str, Provider], batched: dict[str, list[Cell]]) -> int:
    wanted = sum(_workers(cells, providers) for cells in live.values()) + 2 * len(batched)
    return min(MAX_THREADS, max(1, wanted))


def _finish(
    ctx: RunContext | None,
    executor: ThreadPoolExecutor | None,
    writer: AppendWriter,
    bar: object,
    providers: dict[str, Provider],
    stats: GenerationStats,
    budget: Budget | None,
    started: float,
) -> None:
    interrupted = ctx is not None and ctx.cancelled.is_set()
    if executor is not None:
        # On cancellation the requests in flight finish in their threads (and reach the cache).
        executor.shutdown(wait=not interrupted, cancel_futures=True)
    writer.close()
    if bar is not None:
        bar.close()  # type: ignore[attr-defined]
    counters = _retry_totals(providers)

    def close_providers() -> None:
        for provider in providers.values():
            provider.close()

    def close_after_requests(pool: ThreadPoolExecutor) -> None:
        pool.shutdown(wait=True)
        close_providers()

    if interrupted and executor is not None:
        # Never free a model (llama.cpp) or an HTTP client under a request still running.
        threading.Thread(target=close_after_requests, args=(executor,), name="bizsum-close", daemon=True).start()
    else:
        close_providers()
    stats.retries, stats.rate_limited = counters.retries, counters.rate_limited
    stats.cost_usd = round(stats.cost_usd, 8)
    if budget is not None:
        stats.budget_peak_usd = round(budget.peak, 8)
    stats.wall_s = round(time.perf_counter() - started, 3)


def generate(
    config: RunConfig, plan: RunPlan | None = None, progress: bool = True, open_model: ProviderFactory = open_provider
) -> GenerationStats:
    """Fill ``<run_dir>/generations.jsonl`` in this process; returns how many cells were skipped,
    cached, called, failed. The public verb is :func:`bizsum.generate` (:func:`bizsum.execution.generate`),
    which calls this or runs in-process models on Ray, as ``config.executor`` says."""
    return run_sync(lambda: agenerate(config, plan, progress, open_model))


def incomplete_summary(stats: GenerationStats) -> list[str]:
    """One line per model with failed or unrequested cells."""
    lines = []
    for model_id in sorted(set(stats.failed_by_model) | set(stats.not_requested_by_model)):
        parts = []
        if stats.failed_by_model[model_id]:
            parts.append(
                f"{stats.failed_by_model[model_id]} failed (last error: {stats.errors_by_model.get(model_id, '?')})"
            )
        if stats.not_requested_by_model[model_id]:
            parts.append(f"{stats.not_requested_by_model[model_id]} not requested (max_cost reached)")
        lines.append(f"{model_id}: " + "; ".join(parts))
    return lines


def check_complete(stats: GenerationStats, config: RunConfig) -> None:
    """Raise :class:`GenerationIncomplete` when more cells failed or went unrequested than
    ``allow_failures`` tolerates; the message has one line per model."""
    missing = stats.failed + stats.not_requested
    allowed = config.failures_allowed(stats.cells)
    if missing <= allowed:
        if missing:
            log.warning("run %s: %d cell(s) incomplete, within allow_failures (%d)", config.name, missing, allowed)
        return
    lines = "\n  ".join(incomplete_summary(stats))
    raise GenerationIncomplete(
        f"run {config.name!r}: {missing} of {stats.cells} cell(s) have no result (allow_failures tolerates {allowed}):\n"
        f"  {lines}\nFinished rows are kept; a rerun requests only the missing cells."
    )
