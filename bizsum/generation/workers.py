"""The workers that request cells, and what they share while a run goes.

Each concurrency group (``Provider.concurrency_group()``: one per model, one shared by all local
models) has a queue of cells and ``concurrency`` workers. Providers are synchronous (the OpenAI SDK
client, llama.cpp, the extractive baselines, the long-document guard with its map-reduce), so
each worker is a thread that takes cells from its queue until it is empty: one code path for every
provider, an HTTP request retried on its own, and no extra thread hop per request. The GIL is
released while a thread waits on the network. Cancelling the run (an interrupt) or running out
of budget stops every worker before its next cell; an answer in flight still reaches the cache.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bizsum.config import RunConfig
from bizsum.errors import BizsumError
from bizsum.generation.eta import Eta
from bizsum.generation.plan import Cell, RunPlan
from bizsum.jsonl import AppendWriter
from bizsum.providers import BudgetExhausted, Provider
from bizsum.providers.base import Generation
from bizsum.providers.cache import ResponseCache
from bizsum.providers.pricing import PriceTable, generation_cost
from bizsum.records import to_row

log = logging.getLogger(__name__)

T = TypeVar("T")

#: seconds between two progress lines in the log while a run generates
LOG_EVERY_S = 60.0


@dataclass
class GenerationStats:
    cells: int = 0
    skipped: int = 0  # finished in an earlier run by the same request
    stale: int = 0  # had a row made by another request or config: requested again
    cached: int = 0  # served by the response cache
    called: int = 0  # answered by a model in this run
    failed: int = 0  # final error recorded (a rerun retries them)
    not_requested: int = 0  # left out because max_cost was reached (a rerun with a higher cap continues)
    pending: int = 0  # in a Batch API job that has not ended yet (a rerun collects them)
    retries: int = 0  # extra attempts after 429/5xx/timeouts/connection errors
    rate_limited: int = 0  # 429 answers
    cost_usd: float = 0.0  # spent in this run (known prices only)
    estimated_cost_usd: float | None = None  # worst-case estimate made before the first request
    budget_peak_usd: float | None = None  # highest spent + booked seen by the max_cost meter
    wall_s: float = 0.0
    failed_by_model: Counter[str] = field(default_factory=Counter)
    not_requested_by_model: Counter[str] = field(default_factory=Counter)
    errors_by_model: dict[str, str] = field(default_factory=dict)  # the last error of each model

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        for name in ("failed_by_model", "not_requested_by_model"):
            out[name] = dict(out[name])
        return out


@dataclass
class RunContext:
    """What the workers (and bizsum.generation.batch) share: where rows go, the cache, prices, stats."""

    plan: RunPlan
    run_config: str
    writer: AppendWriter
    cache: ResponseCache
    prices: PriceTable
    stats: GenerationStats
    executor: ThreadPoolExecutor
    bar: Any
    providers: dict[str, Provider] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)  # take no new cell
    cancelled: threading.Event = field(default_factory=threading.Event)  # interrupted: write nothing more
    lock: threading.Lock = field(default_factory=threading.Lock)
    eta: Eta | None = None  # the time estimate of the live cells (bizsum.generation.eta)
    _logged: float = field(default_factory=time.monotonic)

    @property
    def config(self) -> RunConfig:
        return self.plan.config

    async def in_thread(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn)

    def provider(self, cell: Cell) -> Provider:
        return self.providers[cell.spec.id]

    def write(
        self,
        cell: Cell,
        generation: Generation | None,
        *,
        cached: bool,
        error: str | None = None,
        batch_id: str | None = None,
    ) -> float | None:
        """Append the cell's row; returns its cost."""
        provider = self.provider(cell)
        data = generation.to_dict() if generation is not None else {"text": None}
        cost = None
        if generation is not None:
            cost = generation_cost(self.prices, cell.spec, data, batch=batch_id is not None, free=provider.is_free)
        record = self.plan.record(
            cell, provider, self.run_config, **data, cached=cached, error=error, cost_usd=cost, batch_id=batch_id
        )
        self.writer.append(to_row(record))
        return cost

    def _advance(self, cells: list[Cell]) -> None:
        """Count finished cells on the bar, with the ETA; a log line each minute (CI logs, papermill)."""
        if self.eta is not None:
            for cell in cells:
                self.eta.finished(self.provider(cell).concurrency_group(), cell.cell_id)
            self.bar.set_postfix_str(self.eta.postfix(), refresh=False)
        self.bar.update(len(cells))
        if self.eta is not None and time.monotonic() - self._logged >= LOG_EVERY_S:
            self._logged = time.monotonic()
            log.info("generate %s: %d/%d cells, %s", self.config.name, self.bar.n, self.bar.total, self.eta.postfix())

    def record_cached(self, cell: Cell, generation: Generation) -> None:
        self.write(cell, generation, cached=True)
        with self.lock:
            self.stats.cached += 1
            self.bar.update(1)

    def record_success(self, cell: Cell, generation: Generation, *, batch_id: str | None = None) -> None:
        cost = self.write(cell, generation, cached=False, batch_id=batch_id)
        with self.lock:
            self.stats.called += 1
            if cost is not None:
                self.stats.cost_usd += cost
            self._advance([cell])

    def record_failure(self, cell: Cell, message: str, *, batch_id: str | None = None) -> None:
        log.error("%s failed: %s", cell.label, message)
        self.write(cell, None, cached=False, error=message, batch_id=batch_id)
        with self.lock:
            self.stats.failed += 1
            self.stats.failed_by_model[cell.spec.id] += 1
            self.stats.errors_by_model[cell.spec.id] = message
            self._advance([cell])

    def record_not_requested(self, cells: list[Cell]) -> None:
        """Cells left out because ``max_cost`` was reached: no row, so a rerun requests them."""
        with self.lock:
            for cell in cells:
                self.stats.not_requested += 1
                self.stats.not_requested_by_model[cell.spec.id] += 1
            self._advance(cells)


def _generate_and_cache(provider: Provider, cache: ResponseCache, cell: Cell) -> Generation:
    generation = provider.generate(cell.request)
    try:
        cache.put(cell.key, generation)  # at once: a result in flight when the run stops is kept
    except OSError as error:  # the answer is paid for: keep it in the row (and its cost), not only in the cache
        log.error(
            "%s: the answer could not be cached in %s (%s); it is kept in the row", cell.label, cache.directory, error
        )
    return generation


def work_queue(ctx: RunContext, queue: deque[Cell]) -> None:
    """One worker, in its own thread: take the next cell, request it, record the row, repeat.

    The whole loop runs in the thread (not one hop to the event loop per request), so a request
    costs no more thread wake-ups than a plain blocking client would. When the run is cancelled
    (``ctx.stop``) the worker takes no new cell, and an answer in flight goes to the cache. When
    ``max_cost`` is reached the worker leaves the rest of its queue unrequested (a rerun with a
    higher cap continues); workers of free models are not affected.
    """
    while not ctx.stop.is_set():
        try:
            cell = queue.popleft()
        except IndexError:
            return
        provider = ctx.provider(cell)
        try:
            generation = _generate_and_cache(provider, ctx.cache, cell)
        except BudgetExhausted:  # max_cost reached: this queue stops; free models go on
            ctx.record_not_requested([cell])
            return
        except BizsumError as error:
            message = str(error)
        except Exception as error:  # a provider bug must not stop the other cells
            log.debug("unexpected error in %s", cell.label, exc_info=True)
            message = f"model {cell.spec.id!r}: unexpected {type(error).__name__}: {error}"
        else:
            if not ctx.cancelled.is_set():  # after an interrupt the answer is in the cache only
                ctx.record_success(cell, generation)
            continue
        if not ctx.stop.is_set():
            ctx.record_failure(cell, message)


async def worker(ctx: RunContext, queue: deque[Cell]) -> None:
    try:
        await ctx.in_thread(lambda: work_queue(ctx, queue))
    except asyncio.CancelledError:
        ctx.cancelled.set()
        ctx.stop.set()
        raise
