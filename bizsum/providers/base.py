"""Provider interface: one request in, one :class:`Generation` out, plus capability hooks.

The core (generation, pricing, batching) never tests a provider's name. It asks the provider:

========================  ===================================================================
hook                      default
========================  ===================================================================
``default_concurrency``   1 request in flight per model
``concurrency_group()``   ``model:<id>``: each model has its own workers
``is_free``               False: requests cost money, so prices and ``max_cost`` apply
``kind``                  ``"llm"``: a language model; ``"baseline"`` for a method without one
``supports_batch``        False: no Batch API (else ``batch_api()`` serves it)
``runs_in_process``       False: the model is served elsewhere (an API); True: it computes in this
                          process (llama.cpp), so ``executor: ray`` runs copies of it as actors
``supports_logprobs``     False: answers carry no token probabilities (else ``logprob_params()``
                          asks for them and ``Generation.logprobs`` holds them)
``check(spec)``           nothing to check before a run (keys, options, files)
``count_encoding_for``    the declared ``count_encoding``, else ``o200k_base``
``count_prompt()``        the prompt counted with that encoding
``max_output_tokens()``   ``params.max_tokens`` / ``max_completion_tokens``, else 2 × the limit
``max_prompt_tokens()``   the prompt's UTF-8 bytes + chat overhead (no byte-level tokenizer makes more)
``fits()``                True (the long-document guard knows the context window)
``retry_counters()``      None (no retries of its own)
``speed()``               None: how long an answer takes is unknown until some have arrived
``attach_meter()``        keeps the meter; paid providers ask it before every request
========================  ===================================================================

A provider that costs money calls :meth:`Provider.metered` around each HTTP request, so a run's
``max_cost`` is a running cap: a request whose worst case would pass the cap is never sent.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from bizsum.config import ModelSpec
from bizsum.corpus.documents import Document
from bizsum.errors import BizsumError
from bizsum.nlp.tokens import DEFAULT_ENCODING, count_tokens

if TYPE_CHECKING:
    from bizsum.providers.retry import RetryCounters

T = TypeVar("T")

#: tokens a chat request may add around the prompt (role markers, the assistant's priming)
CHAT_OVERHEAD_TOKENS = 16


@dataclass(frozen=True)
class GenerationRequest:
    """Everything that determines one model output."""

    model: ModelSpec
    prompt_id: str
    prompt: str
    document: Document
    sample: int = 0
    seed: int = 0
    token_limit: int = 512


@dataclass
class Generation:
    """A model's answer plus what the provider reported about it."""

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    model_returned: str | None = None
    prompt_truncated: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    #: token probabilities, when they were asked for (``Provider.logprob_params``) and returned:
    #: one entry per generated token, ``{"token": str, "logprob": float, "top": {token: logprob}}``
    #: (a provider may return only the first tokens; generation rows do not keep them)
    logprobs: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        # A shallow copy (meta one level deep): dataclasses.asdict deep-copies, ~10x slower per row.
        return {**self.__dict__, "meta": dict(self.meta)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Generation:
        fields = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**fields)


class BudgetExhausted(BizsumError):
    """Sending this request could pass the run's ``max_cost``; it was not sent."""


class Meter(Protocol):
    """What a paid provider asks before and tells after each request (see bizsum.generation.budget)."""

    def reserve(
        self, spec: ModelSpec, prompt_tokens: int, max_output_tokens: int, batch: bool = False, wait: bool = True
    ) -> object:
        """Book the worst case of a request (waiting, with ``wait``, while requests in flight may free
        room); raise :class:`BudgetExhausted` when it does not fit."""

    def settle(
        self, ticket: object, prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int = 0
    ) -> None:
        """Replace the booking with what the request really used (None: unknown, keep the worst case)."""

    def release(self, ticket: object) -> None:
        """The request failed before the server could charge it: free the booking."""


@dataclass(frozen=True)
class BatchStatus:
    """A submitted batch as the server reports it."""

    batch_id: str
    status: str  # validating, in_progress, finalizing, completed, failed, expired, cancelled, ...
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: str = ""  # why a batch failed as a whole
    counts: dict[str, Any] = field(default_factory=dict)

    TERMINAL: ClassVar[frozenset[str]] = frozenset({"completed", "failed", "expired", "cancelled"})

    @property
    def ended(self) -> bool:
        return self.status in self.TERMINAL


class BatchAPI(Protocol):
    """A provider's batch service (``Provider.batch_api()``): upload requests, submit, poll, fetch.

    bizsum.generation.batch drives it and keeps the resumable state; every call here is one
    request to the service, retried by the provider.
    """

    def request_line(self, custom_id: str, request: GenerationRequest) -> dict[str, Any]: ...

    def upload(self, name: str, data: bytes) -> str: ...

    def create(self, file_id: str, metadata: dict[str, str], maybe_created: bool = False) -> BatchStatus:
        """Submit a batch; ``maybe_created``: an earlier attempt may have made it (adopt, never duplicate)."""
        ...

    def retrieve(self, batch_id: str) -> BatchStatus: ...

    def download(self, file_id: str) -> str: ...

    def line_error(self, line: dict[str, Any]) -> str | None: ...

    def parse_line(self, line: dict[str, Any], counted_prompt: int) -> Generation: ...


@dataclass(frozen=True)
class Speed:
    """How long one answer takes on this machine (for the time estimate of a run, never a result):
    ``request_s`` plus the new prompt tokens at ``prompt_tps`` plus the output at ``output_tps``
    (None: that part takes no time)."""

    request_s: float = 0.0
    prompt_tps: float | None = None
    output_tps: float | None = None

    def seconds(self, prompt_tokens: int, output_tokens: int) -> float:
        prompt = prompt_tokens / self.prompt_tps if self.prompt_tps else 0.0
        output = output_tokens / self.output_tps if self.output_tps else 0.0
        return self.request_s + prompt + output


class Provider(ABC):
    """Serves one :class:`ModelSpec`. Subclasses register with :func:`bizsum.providers.register`."""

    name: ClassVar[str]
    default_concurrency: ClassVar[int] = 1
    is_free: ClassVar[bool] = False
    #: what the report compares: ``"llm"`` (a language model) or ``"baseline"`` (a method without
    #: one, e.g. extractive sentences: the floor a model has to beat). Not the same as ``is_free``.
    kind: ClassVar[str] = "llm"
    supports_batch: ClassVar[bool] = False
    #: the model computes in this process (CPU-bound), so a cluster executor may run a copy of the
    #: provider on each node (bizsum.execution.ray_generation); API providers stay on the driver
    runs_in_process: ClassVar[bool] = False
    supports_logprobs: ClassVar[bool] = False

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.meter: Meter | None = None

    # -- what a run checks before it starts ------------------------------------------------------

    @classmethod
    def check(cls, spec: ModelSpec) -> None:
        """Raise a :class:`BizsumError` naming the problem when ``spec`` cannot run (missing key,
        unknown option, missing file). Cheap: loads no model and sends no request."""

    @classmethod
    def count_encoding_for(cls, spec: ModelSpec) -> str:
        """The tokenizer that counts this model's tokens (prompt and summary)."""
        return spec.count_encoding or DEFAULT_ENCODING

    # -- the request ------------------------------------------------------------------------------

    @abstractmethod
    def generate(self, request: GenerationRequest) -> Generation:
        """Produce one output. Raise :class:`bizsum.errors.ProviderError` on failure."""

    def identity(self) -> dict[str, Any]:
        """What identifies the model behind this provider in the cache key."""
        return {"provider": self.name, "base_url": self.spec.base_url, "model": self.spec.model_name}

    def cache_key(self, request: GenerationRequest) -> str:
        """Hash of everything that changes the output; never includes a key or secret."""
        payload = {
            **self.identity(),
            "params": self.spec.params,
            "options": self.spec.options,
            "prompt": request.prompt,
            "sample": request.sample,
            "seed": request.seed,
            "token_limit": request.token_limit,
        }
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    # -- capability hooks ---------------------------------------------------------------------------

    def concurrency_group(self) -> str:
        """Models in the same group share one pool of workers (a local model uses every core)."""
        return f"model:{self.spec.id}"

    def concurrency(self) -> int:
        return self.spec.concurrency or self.default_concurrency

    def context_limit(self) -> int | None:
        """Prompt + output tokens the model accepts, when the provider knows it (else the table decides)."""
        return self.spec.context_window

    def count_encoding(self) -> str:
        return self.count_encoding_for(self.spec)

    def count_prompt(self, prompt: str) -> int:
        """Tokens of a prompt with the model's counting tokenizer."""
        return count_tokens(prompt, self.count_encoding())

    def max_output_tokens(self, request: GenerationRequest) -> int:
        """The most completion tokens one request may produce (what it may cost at worst)."""
        params = self.spec.params
        value = params.get("max_completion_tokens") or params.get("max_tokens")
        return int(value) if value else 2 * request.token_limit

    def max_prompt_tokens(self, prompt: str) -> int:
        """The most prompt tokens a server may bill for ``prompt`` (what ``max_cost`` books).

        A server's tokenizer may not be ours, so the default is a bound that holds for any
        byte-level tokenizer: the prompt's UTF-8 bytes plus the chat overhead. A provider that knows
        the server's tokenizer returns its count instead."""
        return len(prompt.encode("utf-8")) + CHAT_OVERHEAD_TOKENS

    def fits(self, request: GenerationRequest) -> bool:
        """True when the prompt fits the model's context window as it is."""
        return True

    @classmethod
    def logprob_params(cls, top: int) -> dict[str, Any]:
        """Request parameters that make the answer carry the ``top`` most likely tokens at each
        position (OpenAI's names), or ``{}`` when the provider cannot return them."""
        return {"logprobs": True, "top_logprobs": top} if cls.supports_logprobs else {}

    def batch_api(self) -> BatchAPI | None:
        """The provider's batch service when ``supports_batch``."""
        return None

    def speed(self) -> Speed | None:
        """How fast this model answers here, for a run's time estimate (None: unknown, e.g. a server)."""
        return None

    def retry_counters(self) -> RetryCounters | None:
        """Retries and rate limits seen so far (None: the provider does not retry)."""
        return None

    def attach_meter(self, meter: Meter | None) -> None:
        self.meter = meter

    def metered(
        self,
        prompt_tokens: int,
        max_output_tokens: int,
        call: Callable[[], T],
        usage: Callable[[T], tuple[int | None, int | None, int]],
        charged: Callable[[BaseException], bool] = lambda error: True,
    ) -> T:
        """Run one paid request under the meter: book its worst case (``prompt_tokens``: at most
        :meth:`max_prompt_tokens`), then settle what it used.

        ``usage`` reads (prompt_tokens, completion_tokens, cached_tokens) from the answer;
        ``charged`` says whether a failed request may still have been billed (a timeout may have
        been, an HTTP 429 was not): then its worst case stays booked. Free providers and runs
        without a meter pass straight through.
        """
        if self.meter is None or self.is_free:
            return call()
        ticket = self.meter.reserve(self.spec, prompt_tokens, max_output_tokens)
        try:
            result = call()
        except BaseException as error:
            if charged(error):
                self.meter.settle(ticket, None, None)
            else:
                self.meter.release(ticket)
            raise
        prompt, completion, cached = usage(result)
        self.meter.settle(ticket, prompt, completion, cached)
        return result

    def close(self) -> None:
        """Release resources (models, HTTP clients)."""
