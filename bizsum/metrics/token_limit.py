"""Token-limit compliance.

The summary is counted with the model's own tokenizer where known: tiktoken ``o200k_base`` /
``cl100k_base`` (offline) for OpenAI models, llama.cpp's tokenizer (``gguf``) for local models.
The provider-reported ``completion_tokens`` is kept beside it. A summary is compliant when both
counts are within the limit and the generation was not cut off (``finish_reason == "length"``).
When the declared tokenizer is unavailable (e.g. no llama.cpp installed where scoring runs), the
count falls back to ``o200k_base`` and ``token_counter`` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bizsum.errors import SetupError
from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem
from bizsum.nlp.tokens import DEFAULT_ENCODING, GGUF, count_tokens, limit_offset

log = logging.getLogger(__name__)


def count_with_fallback(text: str, encoding: str, model_path: str | None) -> tuple[int, str]:
    """Count with the declared tokenizer; fall back to o200k_base (and say so) if it is unavailable."""
    try:
        return count_tokens(text, encoding, model_path), encoding
    except (SetupError, ImportError, OSError, ValueError) as error:
        if encoding != GGUF:
            raise
        log.warning("cannot count with the model tokenizer (%s); using %s", error, DEFAULT_ENCODING)
        return count_tokens(text, DEFAULT_ENCODING), f"{DEFAULT_ENCODING} (fallback: {GGUF} unavailable)"


class TokenLimitMetric(Metric):
    name = "token_limit"
    model_free = True
    label = "Token limit"
    description = (
        "the summary counted with the model's tokenizer (tiktoken for OpenAI models, llama.cpp's for local ones; "
        "'token counter' shows which) and as the provider reported it must be within the limit, and the output "
        "must not have been cut off (finish_reason 'length')."
    )
    columns = (
        Column(
            "tokens",
            "Tokens",
            "Summary length with the model's tokenizer (see token_counter).",
            direction="none",
            kind="measure",
            headline=True,
        ),
        Column(
            "tokens_reported",
            "Tokens reported",
            "completion_tokens as the provider reported them.",
            direction="none",
            kind="measure",
        ),
        Column(
            "token_counter", "Token counter", "The tokenizer that counted `tokens`.", direction="none", kind="label"
        ),
        Column(
            "over_limit",
            "Over the limit",
            "Longer than the token limit by either count.",
            direction="lower",
            kind="flag",
        ),
        Column(
            "cut_off",
            "Cut off",
            "The model stopped at its output cap (finish_reason 'length').",
            direction="lower",
            kind="flag",
        ),
        Column(
            "token_compliant", "Token-limit ok", "Within the token limit and not cut off.", kind="rate", headline=True
        ),
    )

    def _one(self, item: ScoringItem) -> MetricResult:
        tokens, counter = count_with_fallback(item.summary, item.count_encoding, item.model_path)
        reported = item.completion_tokens
        cut_off = item.finish_reason == "length"
        reasons = []
        if tokens > item.token_limit:
            reasons.append(f"{tokens} tokens > limit {item.token_limit} ({counter})")
        if reported is not None and reported > item.token_limit:
            reasons.append(f"provider reports {reported} completion tokens > limit {item.token_limit}")
        if cut_off:
            reasons.append("cut off by the generation limit (finish_reason 'length')")
        if item.prompt_truncated:
            reasons.append("the server truncated the prompt (reported prompt tokens far below our count)")
        return MetricResult(
            values={
                "tokens": tokens,
                "tokens_reported": reported,
                "token_counter": counter,
                "over_limit": tokens > item.token_limit or (reported is not None and reported > item.token_limit),
                "cut_off": cut_off,
                "token_compliant": not reasons,
            },
            details={
                "reasons": reasons,
                "limit": item.token_limit,
                # where the limit falls in the text (the report marks it); None when the summary fits
                "limit_offset": self._offset(item, counter) if tokens > item.token_limit else None,
            },
        )

    @staticmethod
    def _offset(item: ScoringItem, counter: str) -> int | None:
        encoding = counter if counter in (GGUF, item.count_encoding) else DEFAULT_ENCODING
        try:
            return limit_offset(item.summary, item.token_limit, encoding, item.model_path)
        except (SetupError, ImportError, OSError, ValueError):
            return None

    def version(self) -> dict[str, str]:
        return {"token_limit": "2"}  # 2: details.limit_offset

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        return [self._one(item) for item in items]
