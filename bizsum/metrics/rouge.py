"""ROUGE-1/2/Lsum with Google's ``rouge-score`` package.

* Against references: F1; with several references the best one per ROUGE type (max F1, as
  ``RougeScorer.score_multi`` does).
* Against the source document: precision = share of summary n-grams found in the source
  (extractiveness); recall against a whole 10-K section is not meaningful and is not reported.

Tokenization is rouge-score's default (lower-case, ``[a-z0-9]+`` tokens, Porter stemming): it drops
``$``, ``%`` and non-ASCII letters, so "$1.2 billion" and "1.2 billion" compare equal. This keeps the
numbers comparable with published ROUGE; numbers are checked exactly by the source-only metric.
ROUGE-Lsum needs one sentence per line: summaries and sources are split with pysbd first.
"""

from __future__ import annotations

from typing import Sequence

from rouge_score import rouge_scorer

from bizsum.metrics.base import Metric, MetricResult, ScoringItem
from bizsum.text import split_sentences

ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
_SHORT = {"rouge1": "rouge1", "rouge2": "rouge2", "rougeLsum": "rougeL"}


def sentence_lines(text: str) -> str:
    """One sentence per line, as rougeLsum expects."""
    return "\n".join(split_sentences(text))


class RougeMetric(Metric):
    name = "rouge"
    description = (
        "ROUGE-1/2/Lsum F1 vs the best reference (rouge-score, stemmed), and n-gram precision vs "
        "the source document (share of summary n-grams that occur in the source)."
    )

    def __init__(self, use_stemmer: bool = True):
        self.scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=use_stemmer)
        self._source_lines: dict[str, str] = {}

    def _source(self, item: ScoringItem) -> str:
        key = item.document.sha256
        if key not in self._source_lines:
            self._source_lines[key] = sentence_lines(item.document.text)
        return self._source_lines[key]

    def _one(self, item: ScoringItem) -> MetricResult:
        summary = sentence_lines(item.summary)
        values: dict[str, float | None] = {}
        source_scores = self.scorer.score(target=self._source(item), prediction=summary)
        for rouge_type in ROUGE_TYPES:
            values[f"{_SHORT[rouge_type]}_p_src"] = source_scores[rouge_type].precision
        references = {name: sentence_lines(text) for name, text in item.references.items()}
        # score_multi keeps, per ROUGE type, the reference with the highest F1 (rouge-score's rule).
        best = self.scorer.score_multi(list(references.values()), summary) if references else None
        for rouge_type in ROUGE_TYPES:
            values[f"{_SHORT[rouge_type]}_f_ref"] = best[rouge_type].fmeasure if best else None
        per_reference = {
            name: {t: round(s.fmeasure, 4) for t, s in self.scorer.score(text, summary).items()}
            for name, text in references.items()
        }
        return MetricResult(values=values, details={"per_reference_f1": per_reference})

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        return [self._one(item) for item in items]

    def version(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"rouge-score": version("rouge-score"), "tokenizer": "rouge-score default, Porter stemmer"}
