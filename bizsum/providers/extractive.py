"""Extractive baselines that need no LLM: the floor any model must beat.

``options.method``:

* ``lead`` — the document's first sentences, in order, while they fit under the token limit
  (short heading-like segments are skipped).
* ``focus`` — focus-guided: source sentences ranked by similarity (offline MiniLM) to a query per
  focus area, picked round-robin over the areas (best unpicked sentence per area) while they fit
  under the limit, then put back into source order.

Both count tokens with o200k_base and stay ``options.margin`` (default 16) tokens under the limit.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import numpy as np

from bizsum.config import ModelSpec
from bizsum.errors import ConfigError
from bizsum.nlp.text import split_sentences
from bizsum.nlp.tokens import count_tokens
from bizsum.providers import register
from bizsum.providers.base import Generation, GenerationRequest, Provider, Speed

AREA_QUERIES: dict[str, str] = {
    "sources_of_revenue": "The company generates revenue from subscriptions, sales, fees and services.",
    "customer_base": "Our customers include businesses, consumers and organizations in many industries and regions.",
    "products": "Our products and services include platforms, software, devices and offerings.",
    "distribution_channels": "We sell through our direct sales force, resellers, partners, retail stores and online.",
    "financing": "We finance operations with cash, credit facilities, debt, notes and equity offerings.",
}
METHODS = ("lead", "focus")


def _is_sentence(segment: str) -> bool:
    return len(segment.split()) >= 4 and segment.rstrip()[-1:] in '.!?;:"”)'


def lead_summary(text: str, budget: int) -> str:
    sentences = [s for s in split_sentences(text) if _is_sentence(s)]
    chosen: list[str] = []
    used = 0
    for sentence in sentences:
        cost = count_tokens(sentence + " ")
        if used + cost > budget:
            break
        chosen.append(sentence)
        used += cost
    return " ".join(chosen)


@lru_cache(maxsize=8)
def _ranked_sentences(text: str) -> tuple[list[str], list[int], np.ndarray]:
    """A document's sentences, their token counts and their similarity to each focus area's query
    (areas × sentences), computed once per document text: every prompt and sample of a run reuses
    them (the encoder itself is loaded once per process)."""
    from bizsum.nlp.encoders import embed

    sentences = [s for s in split_sentences(text) if _is_sentence(s)]
    if not sentences:
        return [], [], np.zeros((len(AREA_QUERIES), 0))
    similarity = _area_embeddings() @ embed(sentences).T
    return sentences, [count_tokens(s + " ") for s in sentences], similarity


@lru_cache(maxsize=1)
def _area_embeddings() -> np.ndarray:
    from bizsum.nlp.encoders import embed

    return embed(list(AREA_QUERIES.values()))


def focus_summary(text: str, budget: int, min_similarity: float = 0.2) -> str:
    sentences, tokens, similarity = _ranked_sentences(text)
    if not sentences:
        return ""
    rankings = [list(row.argsort()[::-1]) for row in similarity]
    picked: list[int] = []
    used = 0
    exhausted = [False] * len(rankings)
    while not all(exhausted):
        for area, ranking in enumerate(rankings):
            while ranking and (
                ranking[0] in picked
                or similarity[area, ranking[0]] < min_similarity
                or used + tokens[ranking[0]] > budget
            ):
                ranking.pop(0)
            if not ranking:
                exhausted[area] = True
                continue
            index = ranking.pop(0)
            picked.append(index)
            used += tokens[index]
    return " ".join(sentences[i] for i in sorted(picked))


@register("extractive")
class ExtractiveProvider(Provider):
    is_free = True
    kind = "baseline"

    @classmethod
    def check(cls, spec: ModelSpec) -> None:
        cls.method_of(spec)

    @staticmethod
    def method_of(spec: ModelSpec) -> str:
        method = str(spec.options.get("method", spec.model_name))
        if method not in METHODS:
            raise ConfigError(f"model {spec.id!r}: extractive method {method!r} unknown; use one of {METHODS}")
        return method

    def __init__(self, spec: ModelSpec):
        super().__init__(spec)
        self.method = self.method_of(spec)

    def identity(self) -> dict[str, Any]:
        return {**super().identity(), "method": self.method}

    def speed(self) -> Speed:
        return Speed(request_s=0.01)  # sentences picked in milliseconds

    def generate(self, request: GenerationRequest) -> Generation:
        started = time.perf_counter()
        budget = request.token_limit - int(self.spec.options.get("margin", 16))
        text = request.document.text
        summary = lead_summary(text, budget) if self.method == "lead" else focus_summary(text, budget)
        return Generation(
            text=summary,
            finish_reason="stop",
            prompt_tokens=None,
            completion_tokens=count_tokens(summary),
            latency_s=time.perf_counter() - started,
            model_returned=f"extractive/{self.method}",
        )
