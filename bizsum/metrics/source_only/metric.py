"""The source-only metric: every claim of a summary checked against the source index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem
from bizsum.metrics.source_only.verdict import absence_check, check_claim
from bizsum.nlp.claims import split_claims
from bizsum.nlp.focus_areas import absence_areas
from bizsum.nlp.source_index import SourceIndex, embed_claims, source_index


def score_summary(summary: str, index: SourceIndex) -> tuple[dict[str, Any], dict[str, Any]]:
    claims = split_claims(summary or "")
    if not claims:
        values = {
            "source_only": 0.0,
            "support_mean": 0.0,
            "support_min": 0.0,
            "claims": 0,
            "unsupported_claims": 0,
            "unsupported_numbers": 0,
            "unsupported_names": 0,
        }
        return values, {"claims": [], "note": "empty summary: no claims"}
    embeddings = embed_claims(claims)
    checks = []
    for claim, emb in zip(claims, embeddings):
        areas = absence_areas(claim)
        if areas:
            checks.append(absence_check(claim, areas, emb, index))
        else:
            checks.append(check_claim(claim, emb, index))
    checkable = [c for c in checks if c.verdict != "not_checkable"]
    supported = sum(1 for c in checkable if c.verdict == "supported")
    probs = [c.score for c in checkable] or [0.0]
    values = {
        "source_only": supported / len(checkable) if checkable else 1.0,
        "support_mean": float(np.mean(probs)),
        "support_min": float(np.min(probs)),
        "claims": len(checks),
        "unsupported_claims": sum(1 for c in checks if c.verdict == "unsupported"),
        "unsupported_numbers": sum(1 for c in checks for r in c.numbers if r["status"] != "ok"),
        "unsupported_names": sum(1 for c in checks for r in c.names if r["status"] != "ok"),
    }
    return values, {"claims": [c.as_dict() for c in checks]}


class SourceOnlyMetric(Metric):
    name = "source_only"
    label = "Source-only"
    description = (
        "the prompt's rule 'use only information from the text': share of summary claims supported by the "
        "source (numbers, names and meaning checked). Saying a topic is not described in the text is compliant."
    )
    columns = (
        Column(
            "source_only",
            "Source-only",
            "Share of summary claims supported by the source: numbers, names and meaning checked (0-1).",
            headline=True,
        ),
        Column("support_mean", "Support (mean)", "Mean probability that a claim is supported."),
        Column("support_min", "Support (weakest claim)", "Probability of support of the least supported claim."),
        Column("claims", "Claims", "Claims (sentences and clauses) the summary makes.", direction="none", kind="count"),
        Column(
            "unsupported_claims",
            "Unsupported claims",
            "Claims the source does not support.",
            direction="lower",
            kind="count",
        ),
        Column(
            "unsupported_numbers",
            "Unsupported numbers",
            "Numbers not in the source, or in another context.",
            direction="lower",
            kind="count",
        ),
        Column(
            "unsupported_names",
            "Unsupported names",
            "Names not in the source, or in an unrelated context.",
            direction="lower",
            kind="count",
        ),
    )

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        results = []
        for item in items:
            index = source_index(item.document.text, item.document.sha256)
            values, details = score_summary(item.summary, index)
            results.append(MetricResult(values=values, details=details))
        return results

    def version(self) -> dict[str, str]:
        from bizsum.nlp.encoders import encoder_versions

        return {
            **encoder_versions(),
            "source_only": "3",
        }  # 3: names and numbers held to the copied sentence, direction swaps, clause-scoped negation
