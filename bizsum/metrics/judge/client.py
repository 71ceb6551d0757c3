"""The judge's side of a provider: one prompt in, one answer out, cached, priced and capped.

Every judge request is an ordinary :class:`~bizsum.providers.GenerationRequest` to the judge
model's provider, so any provider works (openai, an OpenAI-compatible server, local llama.cpp,
fake). Around each request:

* **cache**: the response cache of the run (:class:`~bizsum.providers.cache.ResponseCache`, keyed
  by :meth:`Provider.cache_key`: provider, model, parameters, full prompt). The same request is
  answered from the cache, so rescoring a run costs nothing;
* **cost**: each answer is priced from its reported usage with the price table
  (:mod:`bizsum.providers.pricing`); a cached answer has the same ``cost_usd`` (what it cost to
  make) and ``spent_usd`` 0;
* **cap**: ``judge.max_cost`` books the worst case of each request before it is sent (the
  provider's ``metered`` hook) and stops the judge when it would pass the cap; the claims or
  criteria left are reported as not judged.

The judge's parameters are the model entry's, with ``temperature`` 0 unless the entry sets one,
and with the provider's ``logprob_params`` when ``judge.logprobs`` is on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bizsum.config import JudgeSettings, ModelSpec
from bizsum.corpus.documents import Document
from bizsum.errors import BizsumError, ConfigError
from bizsum.progress import progress_bar
from bizsum.providers import BudgetExhausted, GenerationRequest, Provider, check_spec, create_provider, provider_class
from bizsum.providers.cache import ResponseCache
from bizsum.providers.pricing import Price, PriceTable, generation_cost, load_prices

log = logging.getLogger(__name__)

#: most likely tokens asked for at each answer position
TOP_LOGPROBS = 5


@dataclass(frozen=True)
class JudgeSetup:
    """What a judge metric needs besides its settings: where the cache and the prices are.

    ``provider`` replaces the one the registry would create (tests pass an OpenAI provider with
    a mock transport).
    """

    settings: JudgeSettings
    cache_dir: Path | None = None
    data_dir: Path | None = None
    provider: Provider | None = field(default=None, compare=False)

    @property
    def spec(self) -> ModelSpec:
        if not isinstance(self.settings.model, ModelSpec):
            raise ConfigError(
                f"judge model {self.settings.model!r} is an id: resolve it against the config's models first"
            )
        return self.settings.model

    def fingerprint(self) -> dict[str, str]:
        """The judge's part of a metric version: the model entry and the settings that change answers."""
        spec = self.spec
        model = {
            "provider": spec.provider,
            "model": spec.model_name,
            "base_url": spec.base_url,
            "params": spec.params,
            "options": spec.options,
        }
        settings = self.settings.model_dump(mode="json", exclude={"model", "metrics", "max_cost"})
        return {
            "judge_model": json.dumps(model, sort_keys=True, default=str),
            "judge_settings": json.dumps(settings, sort_keys=True),
        }


@dataclass
class JudgeAnswer:
    """One answer of the judge (or why there is none)."""

    text: str = ""
    logprobs: list[dict[str, Any]] | None = None
    cost_usd: float | None = 0.0
    spent_usd: float = 0.0
    cached: bool = False
    error: str | None = None
    latency_s: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass
class JudgeRequest:
    prompt_id: str
    prompt: str
    document: Document
    max_answer_tokens: int


@dataclass(frozen=True)
class _Ticket:
    spec: ModelSpec
    worst: float


@dataclass
class _Budget:
    """The running cap of one judge (the provider's ``Meter``): spent + booked never passes ``limit``."""

    prices: PriceTable
    limit: float
    spent: float = 0.0
    booked: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _price(self, spec: ModelSpec) -> Price:
        price = self.prices.price_for(spec)
        if price is None:
            raise ConfigError(
                f"judge model {spec.id!r} has no price in {self.prices.path}: judge.max_cost cannot be kept. "
                "Add its price under 'models:' or drop judge.max_cost."
            )
        return price

    def reserve(
        self, spec: ModelSpec, prompt_tokens: int, max_output_tokens: int, batch: bool = False, wait: bool = True
    ) -> object:
        """Book the worst case (judge requests are sent one at a time, so there is nothing to wait for)."""
        worst = self._price(spec).cost(prompt_tokens, max_output_tokens)
        with self.lock:
            if self.spent + self.booked + worst > self.limit:
                raise BudgetExhausted(
                    f"judge max_cost ${self.limit:.4f} reached (spent ${self.spent:.4f}, in flight ${self.booked:.4f})"
                )
            self.booked += worst
        return _Ticket(spec, worst)

    def settle(
        self, ticket: object, prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int = 0
    ) -> None:
        assert isinstance(ticket, _Ticket)
        if prompt_tokens is None or completion_tokens is None:
            used = ticket.worst
        else:
            used = self._price(ticket.spec).cost(prompt_tokens, completion_tokens, cached_tokens)
        with self.lock:
            self.booked -= ticket.worst
            self.spent += used

    def release(self, ticket: object) -> None:
        assert isinstance(ticket, _Ticket)
        with self.lock:
            self.booked -= ticket.worst


class JudgeClient:
    """Sends judge prompts to the judge model, through the cache, priced and under the cap."""

    def __init__(self, setup: JudgeSetup):
        self.setup = setup
        self.settings = setup.settings
        base = setup.spec
        cls = type(setup.provider) if setup.provider is not None else provider_class(base.provider)
        params = dict(base.params)
        params.setdefault("temperature", 0)
        if self.settings.logprobs:
            params.update(cls.logprob_params(TOP_LOGPROBS))
        #: the judge's effective model entry: the entry's parameters + temperature 0 + logprobs
        self.spec = base.model_copy(update={"params": params})
        if setup.provider is not None:
            self.provider = setup.provider
            self.provider.spec = self.spec
        else:
            check_spec(self.spec)  # a missing key or model file fails here, before any request
            self.provider = create_provider(self.spec)
        self.cache = ResponseCache(setup.cache_dir) if setup.cache_dir is not None else None
        self.prices = load_prices(setup.data_dir or "data")
        self._stopped: str | None = None
        if self.settings.max_cost is not None and not self.provider.is_free:
            self.provider.attach_meter(_Budget(self.prices, self.settings.max_cost))

    @property
    def model_id(self) -> str:
        return self.setup.spec.id

    def _one(self, request: JudgeRequest) -> JudgeAnswer:
        provider = self.provider
        if self._stopped:
            return JudgeAnswer(error=self._stopped)
        generation_request = GenerationRequest(
            model=self.spec,
            prompt_id=request.prompt_id,
            prompt=request.prompt,
            document=request.document,
            token_limit=max(1, (request.max_answer_tokens + 1) // 2),  # providers allow 2 × the limit
        )
        key = provider.cache_key(generation_request)
        generation = self.cache.get(key) if self.cache is not None else None
        cached = generation is not None
        started = time.perf_counter()
        if generation is None:
            try:
                generation = provider.generate(generation_request)
            except BudgetExhausted as error:
                self._stopped = str(error)
                log.warning("LLM judge %s: %s; the rest is not judged", self.model_id, error)
                return JudgeAnswer(error=self._stopped)
            except BizsumError as error:
                return JudgeAnswer(error=str(error), latency_s=time.perf_counter() - started)
            if self.cache is not None:
                self.cache.put(key, generation)
        cost = generation_cost(self.prices, self.spec, generation.to_dict(), free=provider.is_free)
        return JudgeAnswer(
            text=generation.text,
            logprobs=generation.logprobs,
            cost_usd=cost,
            spent_usd=0.0 if cached or cost is None else cost,
            cached=cached,
            latency_s=generation.latency_s,
            prompt_tokens=generation.prompt_tokens,
            completion_tokens=generation.completion_tokens,
        )

    def ask(self, requests: Sequence[JudgeRequest], desc: str = "LLM judge") -> list[JudgeAnswer]:
        """Answers aligned with ``requests`` (errors are answers with ``error`` set, never raised)."""
        if not requests:
            return []
        workers = max(1, self.provider.concurrency())
        with progress_bar(total=len(requests), desc=desc, disable=len(requests) < 2) as bar:

            def run(request: JudgeRequest) -> JudgeAnswer:
                answer = self._one(request)
                bar.update(1)
                return answer

            if workers == 1:
                return [run(r) for r in requests]
            with ThreadPoolExecutor(max_workers=workers) as pool:
                return list(pool.map(run, requests))


def answer_totals(answers: Sequence[JudgeAnswer]) -> dict[str, Any]:
    """What a batch of answers cost: for the score row's details and values."""
    costs = [a.cost_usd for a in answers if a.error is None]
    return {
        "requests": len(answers),
        "cached": sum(1 for a in answers if a.cached),
        "errors": sum(1 for a in answers if a.error is not None),
        "cost_usd": None if any(c is None for c in costs) else round(sum(c for c in costs if c is not None), 8),
        "spent_usd": round(sum(a.spent_usd for a in answers), 8),
        "seconds": round(sum(a.latency_s or 0.0 for a in answers if not a.cached), 3),
    }
