"""The source-only metric: every claim of a summary checked against the source index."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem
from bizsum.metrics.source_only.verdict import absence_check, check_claim, not_checkable
from bizsum.nlp.claims import checkable, split_claims
from bizsum.nlp.focus_areas import absence_areas
from bizsum.nlp.source_index import SourceIndex, embed_claims, source_index
from bizsum.nlp.verifier import ClaimScore, get_verifier
from bizsum.nlp.verifier import version as verifier_version


def score_summary(
    summary: str, index: SourceIndex, source_text: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values and details of one summary. With ``source_text`` (the document the index was built
    from) the trained claim verifier decides the claims the hard checks pass; without it the
    hand-set model of v3 does (bench comparisons of "today's rules")."""
    claims = split_claims(summary or "")
    if not claims:
        values = {
            "source_only": 0.0,
            "support_mean": 0.0,
            "support_min": 0.0,
            "claims": 0,
            "unsupported_claims": 0,
            "uncertain_claims": 0,
            "unsupported_numbers": 0,
            "unsupported_names": 0,
        }
        return values, {"claims": [], "note": "empty summary: no claims"}
    embeddings = embed_claims(claims)
    areas = [absence_areas(claim) for claim in claims]
    verified: list[ClaimScore | None] = [None] * len(claims)
    if source_text is not None:
        last = len(claims) - 1
        to_verify = [i for i, a in enumerate(areas) if not a and checkable(claims[i], last=i == last)]
        scores = get_verifier().score_claims(
            source_text,
            [claims[i] for i in to_verify],
            sha256=index.sha256,
            claim_embeddings=embeddings[to_verify] if to_verify else None,
            known=index.sentence_embeddings,
        )
        for i, score in zip(to_verify, scores):
            verified[i] = score
    checks = []
    for position, (claim, emb, absent, verdict) in enumerate(zip(claims, embeddings, areas, verified)):
        if not checkable(claim, last=position == len(claims) - 1):
            checks.append(not_checkable(claim))
        elif absent:
            checks.append(absence_check(claim, absent, emb, index))
        else:
            checks.append(check_claim(claim, emb, index, verdict))
    assessed = [c for c in checks if c.verdict != "not_checkable"]
    unsupported = sum(1 for c in assessed if c.verdict == "unsupported")
    probs = [c.score for c in assessed] or [0.0]
    values = {
        # uncertain claims are not violations until a reviewer labels them
        "source_only": 1.0 - unsupported / len(assessed) if assessed else 1.0,
        "support_mean": float(np.mean(probs)),
        "support_min": float(np.min(probs)),
        "claims": len(checks),
        "unsupported_claims": unsupported,
        "uncertain_claims": sum(1 for c in assessed if c.verdict == "uncertain"),
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
            "uncertain_claims",
            "Uncertain claims",
            "Claims whose evidence is unclear: shown for review, not counted as violations.",
            direction="none",
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
            values, details = score_summary(item.summary, index, item.document.text)
            results.append(MetricResult(values=values, details=details))
        return results

    def version(self) -> dict[str, str]:
        from bizsum.nlp.encoders import encoder_versions

        # 3: names and numbers held to the copied sentence, direction swaps, clause-scoped negation
        # 4: the trained claim verifier decides every claim the hard checks pass
        return {**encoder_versions(), **verifier_version(), "source_only": "6"}
