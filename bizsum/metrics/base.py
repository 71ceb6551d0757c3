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
from typing import Any, ClassVar, Literal

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


Direction = Literal["higher", "lower", "none"]
Kind = Literal["score", "rate", "count", "measure", "flag", "label"]


@dataclass(frozen=True)
class Column:
    """One value a metric writes (a key of ``values``), described once for every reader.

    The report, the regression gate, the glossary and the README's key table all read these
    declarations; none keeps its own list.

    * ``direction``: which way is better (``none`` for a measure that is neither, e.g. a count).
    * ``kind``: ``score`` (continuous, usually 0-1), ``rate`` (yes/no per summary that is good
      when yes; averaged it is a share), ``flag`` (yes/no that marks a problem), ``count``
      (an integer), ``measure`` (a quantity with units: tokens, seconds, dollars) or ``label`` (text).
    * ``headline``: one of the report's headline numbers.
    """

    name: str
    label: str
    meaning: str
    direction: Direction = "higher"
    kind: Kind = "score"
    headline: bool = False

    @property
    def numeric(self) -> bool:
        return self.kind != "label"

    @property
    def yes_no(self) -> bool:
        return self.kind in ("rate", "flag")


class Metric(ABC):
    """Base class: subclasses set ``name``, ``label``, ``description`` and ``columns`` and implement
    :meth:`score_batch`. ``columns`` lists every value the metric writes.

    ``model_free`` marks a metric that loads no model, calls no server and keeps no state between
    calls that matters: ``bizsum score`` may run it in a forked process while this one loads the
    models (:mod:`bizsum.side_process`)."""

    name: ClassVar[str]
    label: ClassVar[str] = ""
    description: ClassVar[str] = ""
    columns: ClassVar[tuple[Column, ...]] = ()
    model_free: ClassVar[bool] = False

    @abstractmethod
    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        """Score every item; the result list is aligned with ``items``."""

    def score(self, item: ScoringItem) -> MetricResult:
        return self.score_batch([item])[0]

    def version(self) -> dict[str, str]:
        """What produced the numbers (package versions, encoder names, a revision to bump when the
        code changes what it returns): shown in reports, and a changed version rescores old rows."""
        return {}
