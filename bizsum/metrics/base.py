"""The one interface every metric implements.

A metric takes a batch of :class:`ScoringItem` (summary + source document + references + what
the generator reported) and returns one :class:`MetricResult` per item. Batching lets heavy
metrics (BERTScore, sentence encoders) reuse models and cached source encodings.

``values`` is a flat mapping with stable keys (they become columns in ``scores.jsonl`` and keys in
``bizsum score --json``); ``details`` carries the explanation: evidence passages, flags, reasons.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bizsum.corpus.documents import Document

Value = float | int | bool | str | None


@dataclass(frozen=True)
class ScoringItem:
    """One summary to score, with everything a metric may need."""

    summary: str
    document: Document
    references: Mapping[str, str] = field(default_factory=dict)
    token_limit: int = 512
    count_encoding: str = "o200k_base"
    model_path: str | None = None
    finish_reason: str | None = None
    completion_tokens: int | None = None
    prompt_truncated: bool = False


@dataclass(frozen=True)
class MetricResult:
    """Scores for one item: flat values plus the details that explain them."""

    values: dict[str, Value]
    details: dict[str, Any] = field(default_factory=dict)


class Metric(ABC):
    """Base class: subclasses set ``name`` and implement :meth:`score_batch`."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abstractmethod
    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        """Score every item; the result list is aligned with ``items``."""

    def score(self, item: ScoringItem) -> MetricResult:
        return self.score_batch([item])[0]

    def version(self) -> dict[str, str]:
        """What produced the numbers (package versions, encoder names, a revision to bump when the
        code changes what it returns): shown in reports, and a changed version rescores old rows."""
        return {}
