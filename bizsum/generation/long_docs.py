"""Long documents: check every prompt against the model's context window before the call.

A provider is wrapped by :class:`ContextGuard` (see :func:`bizsum.generation.plan.open_provider`).
Before each request it counts the prompt with the model's tokenizer and adds the output budget.
When that does not fit the window, the model's ``strategy`` decides:

* ``whole`` (default): stop with an error naming the document, the prompt, the numbers and the
  way out. Nothing reaches the provider unannounced.
* ``truncate``: keep the longest head of the document that fits; the generation row says
  ``document_truncated`` with the kept/total token counts, and the report flags it.
* ``map-reduce``: cut the document at paragraph boundaries into sections that fit, summarize each
  with a map prompt that names the same five focus areas and the source-only rule, then run the
  user's own template on the joined section notes (recursively if the notes are still too long).
  If that combined answer is over the token limit, its leading full sentences under the limit are
  kept and the row is marked ``trimmed_to_limit`` (the untrimmed text stays in the row's meta).

Scores always compare the final summary with the *whole* source document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import as_file
from pathlib import Path
from typing import Any

import yaml

from bizsum.corpus.documents import Document
from bizsum.errors import ConfigError, ProviderError
from bizsum.nlp.text import split_sentences
from bizsum.providers.base import BatchAPI, Generation, GenerationRequest, Meter, Provider, Speed
from bizsum.providers.retry import RetryCounters
from bizsum.resources import resource

log = logging.getLogger(__name__)

CONTEXT_WINDOWS_FILE = "context_windows.yaml"
# Bump a strategy's version when its code changes what it returns: cached answers of the old code
# are then not served for the new one (v2: map-reduce trims an over-limit answer to full sentences).
STRATEGY_VERSIONS = {"whole": 1, "truncate": 1, "map-reduce": 2}
TEMPLATE_MARGIN = 32  # chat-template tokens around the user message
MAP_TEMPLATE = (
    'The text below is one part of the "Item 1. Business" section of a company\'s 10-K filing. '
    "Write concise notes in continuous prose about what this part says on: sources of revenue, "
    "intended customer base, products, distribution channels and details of financing. Use only "
    "information from this part; keep exact numbers and names; skip an area this part does not cover.\n\n"
    "{document}"
)


@lru_cache(maxsize=8)
def _read_table(path: str, _mtime: int) -> dict[str, int]:
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        return {str(name): int(value) for name, value in data.items()}
    except (yaml.YAMLError, ValueError, TypeError, AttributeError) as error:
        raise ConfigError(f"{file}: expected 'model-name: tokens' lines ({error})") from None


@dataclass(frozen=True)
class WindowTable:
    """Context windows by model name (``context_windows.yaml``: the project's, else the shipped one)."""

    windows: dict[str, int]

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> WindowTable:
        own = Path(data_dir) / CONTEXT_WINDOWS_FILE
        if own.is_file():
            path = own
        else:
            with as_file(resource(CONTEXT_WINDOWS_FILE)) as shipped:
                path = Path(shipped)
        return cls(_read_table(str(path.resolve()), path.stat().st_mtime_ns))

    def window(self, model_name: str) -> int | None:
        """Exact name, else the longest matching prefix."""
        if model_name in self.windows:
            return self.windows[model_name]
        matches = [name for name in self.windows if model_name.startswith(name)]
        return self.windows[max(matches, key=len)] if matches else None


def output_budget(provider: Provider, request: GenerationRequest) -> int:
    return provider.max_output_tokens(request)


def split_to_fit(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Cut text at paragraph (then line, then word) boundaries into the fewest pieces that fit."""
    pieces: list[str] = []
    current = ""
    for unit in _units(text, fits):
        candidate = f"{current}\n\n{unit}" if current else unit
        if current and not fits(candidate):
            pieces.append(current)
            current = unit
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _units(text: str, fits: Callable[[str], bool]) -> list[str]:
    units: list[str] = []
    for paragraph in text.split("\n\n"):
        if fits(paragraph):
            units.append(paragraph)
            continue
        words = paragraph.split()
        while words:  # a paragraph too long for one section: cut by words (binary search)
            low, high = 1, len(words)
            while low < high:
                middle = (low + high + 1) // 2
                if fits(" ".join(words[:middle])):
                    low = middle
                else:
                    high = middle - 1
            units.append(" ".join(words[:low]))
            words = words[low:]
    return units


class ContextGuard(Provider):
    """Wraps a provider with the context-window check and the long-document strategy."""

    def __init__(self, inner: Provider, window: int):
        super().__init__(inner.spec)
        self.inner = inner
        self.window = window
        self.name = inner.name  # type: ignore[misc]  # the guard answers under its provider's name
        self.is_free = inner.is_free  # type: ignore[misc]
        self.supports_batch = inner.supports_batch  # type: ignore[misc]
        self.supports_logprobs = inner.supports_logprobs  # type: ignore[misc]

    def identity(self) -> dict[str, Any]:
        strategy, version = self.spec.strategy, STRATEGY_VERSIONS.get(self.spec.strategy, 1)
        identity = {**self.inner.identity(), "strategy": strategy if version == 1 else f"{strategy}/v{version}"}
        if strategy != "whole":  # the window decides what a cut or mapped document looks like
            identity["window"] = self.window
        return identity

    # -- every capability hook is the inner provider's, except the window check ----------------

    def concurrency_group(self) -> str:
        return self.inner.concurrency_group()

    def concurrency(self) -> int:
        return self.inner.concurrency()

    def count_encoding(self) -> str:
        return self.inner.count_encoding()

    def count_prompt(self, prompt: str) -> int:
        return self.inner.count_prompt(prompt)

    count = count_prompt

    def max_output_tokens(self, request: GenerationRequest) -> int:
        return self.inner.max_output_tokens(request)

    def max_prompt_tokens(self, prompt: str) -> int:
        return self.inner.max_prompt_tokens(prompt)

    def retry_counters(self) -> RetryCounters | None:
        return self.inner.retry_counters()

    def batch_api(self) -> BatchAPI | None:
        return self.inner.batch_api()

    def speed(self) -> Speed | None:
        return self.inner.speed()

    def logprob_params(self, top: int) -> dict[str, Any]:  # type: ignore[override]
        return self.inner.logprob_params(top)

    def attach_meter(self, meter: Meter | None) -> None:
        super().attach_meter(meter)
        self.inner.attach_meter(meter)

    def context_limit(self) -> int | None:
        return self.window

    def fits(self, request: GenerationRequest) -> bool:
        return self._fits(request.prompt, request)

    def _fits(self, prompt: str, request: GenerationRequest) -> bool:
        return self.count(prompt) + output_budget(self, request) + TEMPLATE_MARGIN <= self.window

    def generate(self, request: GenerationRequest) -> Generation:
        if self._fits(request.prompt, request):
            generation = self.inner.generate(request)
            generation.meta.setdefault("strategy", "whole")
            return generation
        needed = self.count(request.prompt) + output_budget(self, request)
        strategy = self.spec.strategy
        if strategy == "whole":
            raise ProviderError(
                f"document {request.document.id!r} with prompt {request.prompt_id!r} does not fit model "
                f"{self.spec.id!r}: {needed} tokens (prompt + output budget) > context window {self.window}. "
                "Set the model's strategy to 'truncate' or 'map-reduce' (or list them under 'strategies'), "
                "raise its context window, or choose a shorter document."
            )
        template = request.prompt.replace(request.document.text, "{document}", 1)
        if strategy == "truncate":
            return self._truncate(request, template)
        return self._map_reduce(request, template)

    def _sub_request(self, request: GenerationRequest, prompt: str, suffix: str) -> GenerationRequest:
        return GenerationRequest(
            model=request.model,
            prompt_id=f"{request.prompt_id}{suffix}",
            prompt=prompt,
            document=request.document,
            sample=request.sample,
            seed=request.seed,
            token_limit=request.token_limit,
        )

    def _truncate(self, request: GenerationRequest, template: str) -> Generation:
        fits = lambda part: self._fits(template.replace("{document}", part), request)  # noqa: E731
        kept = split_to_fit(request.document.text, fits)[0]
        total = self.count(request.document.text)
        kept_tokens = self.count(kept)
        log.warning(
            "%s: document %s truncated to %d of %d tokens to fit the window of %s",
            request.prompt_id,
            request.document.id,
            kept_tokens,
            total,
            self.spec.id,
        )
        generation = self.inner.generate(self._sub_request(request, template.replace("{document}", kept), ""))
        generation.meta.update(
            strategy="truncate", document_truncated=True, document_tokens_kept=kept_tokens, document_tokens_total=total
        )
        return generation

    def _map_reduce(self, request: GenerationRequest, template: str, depth: int = 0) -> Generation:
        fits_map = lambda part: self._fits(MAP_TEMPLATE.replace("{document}", part), request)  # noqa: E731
        sections = split_to_fit(request.document.text, fits_map)
        notes: list[str] = []
        usage = {"prompt_tokens": 0, "completion_tokens": 0, "latency_s": 0.0}
        for index, section in enumerate(sections):
            part = self.inner.generate(
                self._sub_request(request, MAP_TEMPLATE.replace("{document}", section), f"#map{index}")
            )
            notes.append(part.text.strip())
            _add_usage(usage, part)
        joined = "\n\n".join(note for note in notes if note)
        prompt = template.replace("{document}", joined)
        if not self._fits(prompt, request):
            if depth >= 3 or len(sections) <= 1:
                raise ProviderError(
                    f"map-reduce for {request.document.id!r}: section notes still do not fit model {self.spec.id!r}"
                )
            smaller = GenerationRequest(
                **{**request.__dict__, "document": Document(id=request.document.id, text=joined), "prompt": prompt}
            )
            final = self._map_reduce(smaller, template, depth + 1)
        else:
            final = self.inner.generate(self._sub_request(request, prompt, "#reduce"))
        _add_usage(usage, final)
        self._fit_to_limit(final, request.token_limit)
        final.prompt_tokens = int(usage["prompt_tokens"])
        final.latency_s = usage["latency_s"]
        final.meta.update(
            strategy="map-reduce",
            sections=len(sections),
            map_outputs=notes,
            reduce_completion_tokens=final.completion_tokens,
            total_completion_tokens=usage["completion_tokens"],
        )
        return final

    def _fit_to_limit(self, generation: Generation, limit: int) -> None:
        """Map-reduce promises one summary under the limit: when the combined answer runs over,
        keep its leading full sentences that fit, and say so in the row (``trimmed_to_limit``)."""
        if self.count(generation.text) <= limit:
            return
        kept: list[str] = []
        for sentence in split_sentences(generation.text):
            if self.count(" ".join([*kept, sentence])) > limit:
                break
            kept.append(sentence)
        generation.meta.update(
            trimmed_to_limit=True, untrimmed_text=generation.text, reduce_finish_reason=generation.finish_reason
        )
        generation.text = " ".join(kept)
        generation.completion_tokens = self.count(generation.text)
        generation.finish_reason = "stop"
        log.warning(
            "map-reduce answer for %s ran over %d tokens; kept the first %d sentences",
            generation.model_returned,
            limit,
            len(kept),
        )

    def close(self) -> None:
        self.inner.close()


def _add_usage(total: dict[str, Any], generation: Generation) -> None:
    total["prompt_tokens"] += generation.prompt_tokens or 0
    total["completion_tokens"] += generation.completion_tokens or 0
    total["latency_s"] += generation.latency_s or 0.0


def guard(provider: Provider, windows: WindowTable) -> Provider:
    """Wrap a provider when its context window is known; otherwise return it unchanged."""
    window = provider.context_limit() or windows.window(provider.spec.model_name)
    if not window:
        if provider.spec.strategy != "whole":
            log.warning(
                "model %s: strategy %r but no context window is known (set context_window)",
                provider.spec.id,
                provider.spec.strategy,
            )
        return provider
    return ContextGuard(provider, window)
