"""An example bizsum plugin: a metric (words in the summary) and a provider (the document's first words).

Neither is registered in code: the package's entry points (``bizsum.metrics``, ``bizsum.providers``)
name them, and bizsum finds them once the package is installed.
"""

from __future__ import annotations

from collections.abc import Sequence

from bizsum.metrics import Column, Metric, MetricResult, ScoringItem
from bizsum.providers import Generation, GenerationRequest, Provider


class WordCountMetric(Metric):
    name = "example_words"
    label = "Words"
    description = "Words in the summary (an example plugin metric)."
    columns = (Column("example_words", "Words", "Words in the summary.", direction="none", kind="count"),)

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        return [MetricResult({"example_words": len(item.summary.split())}) for item in items]

    def version(self) -> dict[str, str]:
        return {"revision": "1"}


class EchoProvider(Provider):
    """Answers with the document's first ``words`` words (option, default 12); free."""

    is_free = True
    kind = "baseline"

    def generate(self, request: GenerationRequest) -> Generation:
        words = int(self.spec.options.get("words", 12))
        return Generation(text=" ".join(request.document.text.split()[:words]), finish_reason="stop")
