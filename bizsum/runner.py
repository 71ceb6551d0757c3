"""Generation: run the documents × prompts × models × samples matrix into ``generations.jsonl``.

Every finished cell is appended at once; a rerun skips finished cells (resume) and the response
cache serves identical requests without calling the model. A failing cell records its error and
the other cells still run.

Running at scale
----------------
* **Concurrency.** The matrix runs on an asyncio loop. Each model has ``concurrency`` workers
  (``ModelSpec.concurrency``; default: the provider's ``default_concurrency``, 8 for ``openai``,
  else 1); all ``local`` models share one worker group, since llama.cpp already uses every core.
  Providers are synchronous (the OpenAI SDK client, llama.cpp, the extractive baselines, the
  long-document guard with its map-reduce), so each worker is a thread (from a pool sized to the
  sum of the workers) that takes cells from its model's queue until it is empty: one code path
  for every provider, the map-reduce and truncation logic unchanged, an HTTP request retried on
  its own (a map-reduce section, not the whole cell), and no extra thread hop per request. The
  GIL is released while a thread waits on the network. The loop awaits the workers and the Batch
  API jobs, and cancelling it (an interrupt) stops every worker before its next cell.
* **Retries** live in the providers (:mod:`bizsum.retry`): 429 + Retry-After throttles the model,
  5xx/timeouts/connection errors back off with jitter, each request has a timeout. A cell that
  still fails gets one row with a final error naming the model, the cell and the last failure.
* **Appends.** :class:`RowWriter` writes each row as one ``os.write`` of a whole line on an
  ``O_APPEND`` descriptor under a lock (and ``flock`` against a second process): lines never
  interleave, a killed run loses only the requests in flight, and a line torn by a kill is cut
  before the next run appends. Successful responses enter the response cache as soon as they
  arrive, before their row, so even a request in flight when the run was cancelled is not paid
  twice.
* **Cost.** Before any request the cells still to request are priced (:mod:`bizsum.pricing`);
  ``max_cost`` refuses a run whose estimate is higher. Each row stores ``cost_usd``.
* **Batch.** Models with ``batch: true`` go through the OpenAI Batch API (:mod:`bizsum.batch`).
* :func:`generate` is synchronous; inside a running event loop (a Jupyter kernel) it runs its own
  loop in a worker thread. :func:`agenerate` is the coroutine.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Awaitable, Callable, Iterator, TypeVar

import yaml
from tqdm.auto import tqdm

from bizsum.cache import ResponseCache
from bizsum.config import ModelSpec, RunConfig
from bizsum.corpus import select_documents
from bizsum.documents import Document, DocumentStore
from bizsum.errors import BizsumError, ConfigError
from bizsum.pricing import FREE, CostEstimate, PriceTable, check_budget, generation_cost, load_prices
from bizsum.prompts import PromptTemplate, load_template
from bizsum.providers import Provider, create_provider, provider_class
from bizsum.providers.base import Generation, GenerationRequest
from bizsum.results import JsonlStore
from bizsum.retry import RetryCounters
from bizsum.tokens import resolve_count_encoding

try:  # POSIX: a second process appending to the same file waits for the line in progress
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

log = logging.getLogger(__name__)

GENERATIONS_FILE = "generations.jsonl"
CONFIG_SNAPSHOT = "config.yaml"
MAX_THREADS = 256
T = TypeVar("T")


@dataclass
class RunPlan:
    """The resolved inputs of a run: everything is loaded and validated before any model call."""

    config: RunConfig
    documents: list[Document]
    templates: list[PromptTemplate]

    @classmethod
    def from_config(cls, config: RunConfig) -> "RunPlan":
        store = DocumentStore(config.data_dir)
        doc_ids = select_documents(store, config.documents)
        documents = store.load_many(doc_ids)
        prompts_dir = Path(config.data_dir) / "prompts"
        templates = [load_template(prompts_dir, prompt_id) for prompt_id in config.prompts]
        return cls(config=config, documents=documents, templates=templates)

    def cells(self) -> Iterator[tuple[Document, PromptTemplate, ModelSpec, int]]:
        for spec in self.config.models:
            for document in self.documents:
                for template in self.templates:
                    for sample in range(self.config.samples):
                        yield document, template, spec, sample

    @property
    def size(self) -> int:
        return len(self.documents) * len(self.templates) * len(self.config.models) * self.config.samples


@dataclass
class GenerationStats:
    cells: int = 0
    skipped: int = 0  # finished in an earlier run
    cached: int = 0  # served by the response cache
    called: int = 0  # answered by a model in this run
    failed: int = 0  # final error recorded (a rerun retries them)
    pending: int = 0  # in a Batch API job that has not ended yet (a rerun collects them)
    retries: int = 0  # extra attempts after 429/5xx/timeouts/connection errors
    rate_limited: int = 0  # 429 answers
    cost_usd: float = 0.0  # spent in this run (known prices only)
    estimated_cost_usd: float | None = None  # estimate made before the first request
    wall_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def write_config_snapshot(config: RunConfig) -> Path:
    path = config.run_dir / CONFIG_SNAPSHOT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False), encoding="utf-8")
    return path


def _row(request: GenerationRequest, provider: Provider, key: str) -> dict[str, Any]:
    spec = request.model
    return {
        "doc_id": request.document.id,
        "prompt_id": request.prompt_id,
        "model_id": spec.id,
        "sample": request.sample,
        "provider": spec.provider,
        "model": spec.model_name,
        "base_url": spec.base_url,
        "seed": request.seed,
        "token_limit": request.token_limit,
        "count_encoding": resolve_count_encoding(spec.provider, spec.model_name, spec.count_encoding),
        "cache_key": key,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class RowWriter:
    """Appends whole JSON lines to a results file, safe against interleaving and kills.

    Each line is one ``os.write`` on an ``O_APPEND`` descriptor, under a thread lock and an
    exclusive ``flock`` (another process appending to the same file waits for the line): lines
    never interleave. The line is in the file (the OS page cache) when ``append`` returns, so a
    killed process keeps it. ``fsync`` (which only matters if the machine itself goes down) runs
    in a background thread that syncs whatever was written since its last sync, so ~3 ms per
    fsync do not stall the event loop; :meth:`close` syncs a last time.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._dirty = threading.Event()
        self._closing = False
        self._syncer: threading.Thread | None = None

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            self._repair_tail(self._fd)
            self._syncer = threading.Thread(target=self._sync_loop, name="bizsum-fsync", daemon=True)
            self._syncer.start()
        return self._fd

    def _repair_tail(self, fd: int) -> None:
        """Cut a torn last line (a writer killed mid-line) so the next row starts on its own line."""
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            if not size or os.pread(fd, 1, size - 1) == b"\n":
                return
            end = size
            while end > 0:
                start = max(0, end - 65536)
                chunk = os.pread(fd, end - start, start)
                newline = chunk.rfind(b"\n")
                if newline >= 0:
                    keep = start + newline + 1
                    break
                end = start
            else:
                keep = 0
            os.ftruncate(fd, keep)
            log.warning("%s: removed an incomplete last line (%d bytes) left by an interrupted run",
                        self.path, size - keep)
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def append(self, row: dict[str, Any]) -> None:
        data = (json.dumps(row, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            late = self._closing  # a worker finishing after the run ended: one-off write, synced
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if late else self._open()
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                if late:
                    os.fsync(fd)
                    os.close(fd)
        self._dirty.set()

    def _sync_loop(self) -> None:
        while True:
            self._dirty.wait()
            self._dirty.clear()
            with self._lock:
                fd = self._fd
                if fd is None:
                    return
            try:
                os.fsync(fd)
            except OSError:  # closed meanwhile
                return
            if self._closing:
                return

    def close(self) -> None:
        with self._lock:
            fd, self._fd = self._fd, None
            self._closing = True
        if fd is not None:
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._dirty.set()


@dataclass
class Cell:
    """One document × prompt × model × sample still to produce."""

    request: GenerationRequest
    key: str
    row: dict[str, Any]

    @property
    def label(self) -> str:
        r = self.request
        return f"{r.document.id} × {r.prompt_id} × {r.model.id} #{r.sample}"

    @property
    def cell_id(self) -> str:
        """The cell key as one string (the Batch API's custom_id)."""
        r = self.request
        return f"{r.document.id}|{r.prompt_id}|{r.model.id}|{r.sample}"


@dataclass
class RunContext:
    """What the workers (and bizsum.batch) share: where rows go, the cache, prices, the stats."""

    config: RunConfig
    writer: RowWriter
    cache: ResponseCache
    prices: PriceTable
    stats: GenerationStats
    executor: ThreadPoolExecutor
    bar: Any
    providers: dict[str, Provider] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def in_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn)

    def record_success(self, cell: Cell, generation: Generation, *, batch_id: str | None = None) -> None:
        data = generation.to_dict()
        cost = generation_cost(self.prices, cell.request.model, data, batch=batch_id is not None)
        row = {**cell.row, **data, "cached": False, "error": None, "cost_usd": cost}
        if batch_id is not None:
            row["batch_id"] = batch_id
        self.writer.append(row)
        with self.lock:
            self.stats.called += 1
            if cost is not None:
                self.stats.cost_usd += cost
            self.bar.update(1)

    def record_failure(self, cell: Cell, message: str, *, batch_id: str | None = None) -> None:
        log.error("%s failed: %s", cell.label, message)
        row = {**cell.row, "text": None, "cached": False, "error": message, "cost_usd": None}
        if batch_id is not None:
            row["batch_id"] = batch_id
        self.writer.append(row)
        with self.lock:
            self.stats.failed += 1
            self.bar.update(1)


def _concurrency(spec: ModelSpec) -> int:
    if spec.concurrency:
        return spec.concurrency
    return int(getattr(provider_class(spec.provider), "default_concurrency", 1) or 1)


def _group(spec: ModelSpec) -> str:
    # llama.cpp uses every core for one request: all local models take turns in one group.
    return "local" if spec.provider == "local" else f"model:{spec.id}"


def _inner(provider: Provider) -> Provider:
    return getattr(provider, "inner", provider)


def _fits_window(provider: Provider, request: GenerationRequest) -> bool:
    fits = getattr(provider, "_fits", None)  # the long-document guard, when a window is known
    return True if fits is None else bool(fits(request.prompt, request))


def _generate_and_cache(provider: Provider, cache: ResponseCache, cell: Cell) -> Generation:
    generation = provider.generate(cell.request)
    cache.put(cell.key, generation)  # at once: a result in flight when the run stops is kept
    return generation


def _work_queue(ctx: RunContext, queue: deque[Cell]) -> None:
    """One worker, in its own thread: take the next cell, request it, record the row, repeat.

    The whole loop runs in the thread (not one hop to the event loop per request), so a request
    costs no more thread wake-ups than a plain blocking client would. When the run is cancelled
    (``ctx.stop``) the worker takes no new cell, and the answer in flight goes to the cache only.
    """
    while not ctx.stop.is_set():
        try:
            cell = queue.popleft()
        except IndexError:
            return
        provider = ctx.providers[cell.request.model.id]
        try:
            generation = _generate_and_cache(provider, ctx.cache, cell)
        except BizsumError as error:
            message = str(error)
        except Exception as error:  # a provider bug must not stop the other cells
            log.debug("unexpected error in %s", cell.label, exc_info=True)
            message = f"model {cell.request.model.id!r}: unexpected {type(error).__name__}: {error}"
        else:
            if not ctx.stop.is_set():
                ctx.record_success(cell, generation)
            continue
        if not ctx.stop.is_set():
            ctx.record_failure(cell, message)


async def _worker(ctx: RunContext, queue: deque[Cell]) -> None:
    try:
        await ctx.in_thread(lambda: _work_queue(ctx, queue))
    except asyncio.CancelledError:
        ctx.stop.set()
        raise


def _count_prompt(provider: Provider, prompt: str) -> int:
    counter = getattr(provider, "count", None) or provider.count_prompt
    return int(counter(prompt))


def estimate_cost(plan_cells: list[Cell], providers: dict[str, Provider], prices: PriceTable) -> CostEstimate:
    """Price the cells still to request: counted prompt tokens + the token limit as output."""
    estimate = CostEstimate(table=prices)
    counted: dict[tuple[str, str, str], int] = {}
    for cell in plan_cells:
        spec = cell.request.model
        price = prices.price_for(spec)
        if price is None or price == FREE:
            estimate.add(spec, 0, cell.request.token_limit, price, spec.batch.enabled)
            continue
        memo = (spec.id, cell.request.document.id, cell.request.prompt_id)
        if memo not in counted:
            counted[memo] = _count_prompt(providers[spec.id], cell.request.prompt)
        estimate.add(spec, counted[memo], cell.request.token_limit, price, spec.batch.enabled)
    return estimate


async def agenerate(config: RunConfig, plan: RunPlan | None = None, progress: bool = True) -> GenerationStats:
    """The coroutine behind :func:`generate`."""
    from bizsum import batch as batch_mode

    started = time.perf_counter()
    plan = plan or RunPlan.from_config(config)
    write_config_snapshot(config)
    store = JsonlStore(config.run_dir / GENERATIONS_FILE)
    done = store.done_keys()
    cache = ResponseCache(config.cache_dir)
    prices = load_prices(config.data_dir)
    writer = RowWriter(store.path)
    stats = GenerationStats()
    # Providers are created up front so a bad model entry (unknown provider, missing key) stops
    # the run before any call is made.
    providers: dict[str, Provider] = {}
    executor: ThreadPoolExecutor | None = None
    ctx: RunContext | None = None
    bar = None
    try:
        for spec in config.models:
            if spec.batch.enabled and spec.provider != "openai":
                raise ConfigError(f"model {spec.id!r}: batch mode needs provider 'openai', not {spec.provider!r}")
            providers[spec.id] = create_provider(spec)
        bar = tqdm(total=plan.size, desc=f"generate {config.name}", disable=not progress)
        ctx_args = dict(config=config, writer=writer, cache=cache, prices=prices, stats=stats, bar=bar,
                        providers=providers)
        live: dict[str, list[Cell]] = defaultdict(list)
        batched: dict[str, list[Cell]] = defaultdict(list)
        cached_rows: list[tuple[Cell, Generation]] = []
        for document, template, spec, sample in plan.cells():
            stats.cells += 1
            if (document.id, template.id, spec.id, sample) in done:
                stats.skipped += 1
                bar.update(1)
                continue
            provider = providers[spec.id]
            request = GenerationRequest(
                model=spec,
                prompt_id=template.id,
                prompt=template.render(document.text),
                document=document,
                sample=sample,
                seed=config.seed + sample,
                token_limit=config.token_limit,
            )
            key = provider.cache_key(request)
            cell = Cell(request=request, key=key, row=_row(request, provider, key))
            generation = cache.get(key)
            if generation is not None:
                cached_rows.append((cell, generation))
            elif spec.batch.enabled and _fits_window(provider, request):
                batched[spec.id].append(cell)
            else:  # includes batch-mode cells too long for one request: the guard handles them live
                live[_group(spec)].append(cell)

        in_batches = {spec_id: batch_mode.submitted_cell_ids(config.run_dir, spec_id) for spec_id in batched}
        to_price = [c for cells in live.values() for c in cells]
        to_price += [c for spec_id, cells in batched.items() for c in cells if c.cell_id not in in_batches[spec_id]]
        estimate = estimate_cost(to_price, providers, prices)
        stats.estimated_cost_usd = round(estimate.total, 6)
        if to_price:
            log.info("run %s: %d cell(s) to request, estimated cost %s", config.name, len(to_price), estimate.describe())
        check_budget(estimate, config.max_cost, config.name)

        for cell, generation in cached_rows:  # served by the response cache: no request, no cost now
            data = generation.to_dict()
            cost = generation_cost(prices, cell.request.model, data)
            writer.append({**cell.row, **data, "cached": True, "error": None, "cost_usd": cost})
            stats.cached += 1
            bar.update(1)

        workers = {group: min(len(cells), _concurrency(cells[0].request.model)) for group, cells in live.items()}
        if any(spec.provider == "local" for spec in config.models) and "local" in workers:
            local_specs = [s for s in config.models if s.provider == "local"]
            workers["local"] = min(workers["local"], min(_concurrency(s) for s in local_specs))
        threads = min(MAX_THREADS, max(1, sum(workers.values()) + 2 * len(batched)))
        executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bizsum-gen")
        ctx = RunContext(executor=executor, **ctx_args)
        queues = {group: deque(cells) for group, cells in live.items()}
        tasks = [_worker(ctx, queues[group]) for group in live for _ in range(workers[group])]
        tasks += [batch_mode.run_model(ctx, config.model(spec_id), providers[spec_id], cells)
                  for spec_id, cells in batched.items()]
        if tasks:
            running = [asyncio.ensure_future(task) for task in tasks]
            try:
                await asyncio.gather(*running)
            except BaseException:  # cancelled (interrupt) or a bug: stop every worker, keep the rows
                ctx.stop.set()
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                raise
    finally:
        interrupted = ctx is not None and ctx.stop.is_set()
        if executor is not None:
            # On cancellation the requests in flight finish in their threads (and reach the cache).
            executor.shutdown(wait=False, cancel_futures=True)
        writer.close()
        if bar is not None:
            bar.close()
        counters = RetryCounters()
        for provider in providers.values():
            inner = _inner(provider)
            if isinstance(getattr(inner, "counters", None), RetryCounters):
                counters.add(inner.counters)

        def close_providers() -> None:
            for provider in providers.values():
                provider.close()

        if interrupted and executor is not None:
            # Never free a model (llama.cpp) or an HTTP client under a request still running.
            threading.Thread(target=lambda: (executor.shutdown(wait=True), close_providers()),
                             name="bizsum-close", daemon=True).start()
        else:
            close_providers()
        stats.retries, stats.rate_limited = counters.retries, counters.rate_limited
        stats.cost_usd = round(stats.cost_usd, 8)
        stats.wall_s = round(time.perf_counter() - started, 3)
    log.info("generation finished: %s", stats.as_dict())
    return stats


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, also inside a running loop (Jupyter).

    Without a running loop this is ``asyncio.run``. With one (a notebook cell), the coroutine gets
    its own loop in a worker thread; the caller blocks until it ends, and an interrupt (Ctrl-C /
    the kernel's stop button) cancels it: finished rows are kept, the rerun resumes.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}
    ready = threading.Event()

    def target() -> None:
        async def main() -> T:
            box["loop"], box["task"] = asyncio.get_running_loop(), asyncio.current_task()
            ready.set()
            return await factory()

        try:
            box["value"] = asyncio.run(main())
        except BaseException as error:  # handed to the caller's thread
            box["error"] = error
        finally:
            ready.set()

    thread = threading.Thread(target=target, name="bizsum-generate-loop", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        ready.wait()
        if "loop" in box and not box["loop"].is_closed():
            box["loop"].call_soon_threadsafe(box["task"].cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    return box["value"]


def generate(config: RunConfig, plan: RunPlan | None = None, progress: bool = True) -> GenerationStats:
    """Fill ``<run_dir>/generations.jsonl``; returns how many cells were skipped, cached, called, failed."""
    return run_sync(lambda: agenerate(config, plan, progress))


def sample_spread(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """How much the samples of a cell differ, per model (0 = every sample identical).

    ``distinct``: mean share of distinct texts among a cell's samples (1/n … 1);
    ``jaccard_distance``: mean pairwise word-set Jaccard distance between samples of a cell.
    Only cells with at least two successful samples count. Metric spread comes from the scores.
    """
    groups: dict[tuple, list[str]] = defaultdict(list)
    for row in rows:
        if not row.get("error") and row.get("text") is not None:
            groups[(row["model_id"], row["doc_id"], row["prompt_id"])].append(row["text"])
    per_model: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for (model_id, _doc, _prompt), texts in groups.items():
        if len(texts) < 2:
            continue
        sets = [set(t.lower().split()) for t in texts]
        pairs = [(a, b) for i, a in enumerate(sets) for b in sets[i + 1:]]
        distance = sum(1 - len(a & b) / len(a | b) if a | b else 0.0 for a, b in pairs) / len(pairs)
        per_model[model_id].append((len(set(texts)) / len(texts), distance))
    return {
        model_id: {
            "cells": len(values),
            "distinct": sum(v[0] for v in values) / len(values),
            "jaccard_distance": sum(v[1] for v in values) / len(values),
        }
        for model_id, values in per_model.items()
    }
