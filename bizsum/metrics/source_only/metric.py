"""The source-only metric: every claim of a summary checked against the source index."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem
from bizsum.metrics.source_only.subject import as_the_company, company_names
from bizsum.metrics.source_only.verdict import absence_check, check_claim, not_checkable
from bizsum.nlp.claims import checkable, list_item_claims, split_claims
from bizsum.nlp.focus_areas import absence_areas
from bizsum.nlp.source_index import SourceIndex, embed_claims, source_index
from bizsum.nlp.verdict_cache import cached_score_claims
from bizsum.nlp.verifier import ClaimScore, get_verifier
from bizsum.nlp.verifier import version as verifier_version


@dataclass
class Prepared:
    """A summary's claims with what the checks need before the verifier runs."""

    claims: list[str]
    embeddings: np.ndarray
    areas: list[list[str]]
    to_verify: list[int]  # the claims the verifier is asked about (checkable, not an absence statement)


def prepare(summary: str) -> Prepared:
    claims = split_claims(summary or "")
    if not claims:
        return Prepared([], np.zeros((0, 384), dtype="float32"), [], [])
    embeddings = embed_claims(claims)
    areas = [absence_areas(claim) for claim in claims]
    last = len(claims) - 1
    to_verify = [i for i, a in enumerate(areas) if not a and checkable(claims[i], last=i == last)]
    return Prepared(claims, embeddings, areas, to_verify)


def verify(
    prepared: Sequence[Prepared], index: SourceIndex, source_text: str, metric_version: str = ""
) -> list[list[ClaimScore | None]]:
    """The verifier's score of every claim to verify of several summaries of one document: the
    claims of all of them in one call (cross-encoder batches fill up across summaries; a claim two
    summaries share is scored once), the ones already verified from the claim-verdict cache."""
    claims: list[str] = []
    rows: list[np.ndarray] = []
    for p in prepared:
        claims += [p.claims[i] for i in p.to_verify]
        rows += [p.embeddings[i] for i in p.to_verify]

    def ask(texts: list[str], embeddings: list[np.ndarray]) -> list[ClaimScore]:
        return cached_score_claims(
            get_verifier(),
            source_text,
            texts,
            sha256=index.sha256,
            metric_version=metric_version,
            claim_embeddings=np.stack(embeddings) if embeddings else None,
            known=index.sentence_embeddings,
        )

    scores = ask(claims, rows)
    # a claim naming the company where the filing says "we" is also read with "the company" in
    # its place (bizsum.metrics.source_only.subject); the better of the two scores counts, so the
    # second reading is asked only for a claim the first does not support
    names = company_names(source_text)
    restated: list[tuple[int, str]] = []
    for j, claim in enumerate(claims):
        other = as_the_company(claim, names) if scores[j].score < scores[j].threshold else None
        if other:
            restated.append((j, other))
    if restated:
        answered = ask([other for _, other in restated], [rows[j] for j, _ in restated])
        for (j, _), reading in zip(restated, answered):
            if reading.score > scores[j].score:
                scores[j] = replace(reading, claim=claims[j])
    # a claim ending in a list ("Its products include A, B and C.") is also read item by item
    # (bizsum.nlp.claims.list_item_claims), each item with its own windows: a summary merges lists
    # a filing gives in several places. It is supported when every item is (the weakest counts)
    lists = {
        j: items
        for j, claim in enumerate(claims)
        if scores[j].score < scores[j].threshold
        for items in [list_item_claims(claim)]
        if items
    }
    if lists:
        asked_items = [item for items in lists.values() for item in items]
        item_scores = iter(ask(asked_items, list(embed_claims(asked_items))))
        for j, items in lists.items():
            weakest = min((next(item_scores) for _ in items), key=lambda reading: reading.score)
            if weakest.score >= weakest.threshold:
                note = f"each of its {len(items)} list items read on its own is supported (weakest {weakest.score:.2f})"
                scores[j] = replace(weakest, claim=claims[j], note=note)
    out: list[list[ClaimScore | None]] = []
    position = 0
    for p in prepared:
        verified: list[ClaimScore | None] = [None] * len(p.claims)
        for i in p.to_verify:
            verified[i] = scores[position]
            position += 1
        out.append(verified)
    return out


def finish(
    prepared: Prepared, index: SourceIndex, verified: Sequence[ClaimScore | None]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values and details of one summary from its claims and their verifier scores."""
    claims = prepared.claims
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
    checks = []
    for position, (claim, emb, absent, verdict) in enumerate(
        zip(claims, prepared.embeddings, prepared.areas, verified)
    ):
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


def score_summary(
    summary: str, index: SourceIndex, source_text: str | None = None, metric_version: str = ""
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Values and details of one summary. With ``source_text`` (the document the index was built
    from) the trained claim verifier decides the claims the hard checks pass; without it the
    hand-set model of v3 does (bench comparisons of "today's rules")."""
    prepared = prepare(summary)
    if source_text is None or not prepared.to_verify:
        return finish(prepared, index, [None] * len(prepared.claims))
    (verified,) = verify([prepared], index, source_text, metric_version)
    return finish(prepared, index, verified)


class SourceOnlyMetric(Metric):
    name = "source_only"
    _cache_version: str | None = None
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
        """Summaries of one document share one source index and one verifier call (see :func:`verify`)."""
        by_document: dict[str, list[int]] = {}
        for position, item in enumerate(items):
            by_document.setdefault(item.document.sha256, []).append(position)
        version = self.cache_version()
        results: list[MetricResult | None] = [None] * len(items)
        for positions in by_document.values():
            document = items[positions[0]].document
            index = source_index(document.text, document.sha256)
            prepared = [prepare(items[p].summary) for p in positions]
            asked = [q for q in prepared if q.to_verify]
            verified = iter(verify(asked, index, document.text, version) if asked else [])
            for p, q in zip(positions, prepared):
                values, details = finish(q, index, next(verified) if q.to_verify else [None] * len(q.claims))
                results[p] = MetricResult(values=values, details=details)
        return [r for r in results if r is not None]

    def cache_version(self) -> str:
        """The metric version the claim-verdict cache keys on."""
        if self._cache_version is None:
            self._cache_version = json.dumps(self.version(), sort_keys=True)
        return self._cache_version

    def version(self) -> dict[str, str]:
        from bizsum.nlp.encoders import encoder_versions

        # 3: names and numbers held to the copied sentence, direction swaps, clause-scoped negation
        # 4: the trained claim verifier decides every claim the hard checks pass
        # 6: structural number failures decisive only in copied sentences; "the company" reading
        # 7: negation/direction decisive only in copied sentences; sentence-initial common words,
        #    U.S/American and inflected name words no longer fail as names
        # 8: a negation counts only for what it negates (and a merged claim's from any aligned
        #    sentence); no year or amount in a day's place; keeping one of a sentence's numbers
        # 9: a supported claim's support is its first evidence window reaching the threshold (the
        #    verifier's cascade; verdicts as in 8), a copied claim's evidence the window holding it
        # 10: a claim ending in a list no window supports is read item by item (every item must be)
        # 11: a covering window (the units that together hold the claim's words), counted at >= 0.8
        # 12: number and name rules for restatements (ranges, "six hundred and fifty", table rows in
        #     thousands, figures on their own line, common words and compound adjectives are not
        #     names, trademark signs, the company's short name, names held by the restated sentence)
        # 13: a negation decides alone only in a copy of the sentence its polarity was read from, and
        #     reaches no further than its list item; "may, but is not required to" is no negation; an
        #     absence statement names only what its own clause says is missing
        # 14: months in a date are the source's month in full ("Aug 1998"), "FY" is no name; "a
        #     quarter of a billion" is one number; "Approx." / "co." stay inside their claim; a
        #     claim's negation agrees with one anywhere in its sentence; a public offering is financing
        # (15: a reading without an emphatic "own", tried and reverted)
        # 16: a filing that defines its terms without parentheses ('As used herein, “Amazon.com,”
        #     “we,” ... include Amazon.com, Inc.') names the company: its name is in context anywhere
        #     and a claim holding it gets the "the company" reading
        return {**encoder_versions(), **verifier_version(), "source_only": "16"}
