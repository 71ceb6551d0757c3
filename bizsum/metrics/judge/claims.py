"""``judge_claims``: an LLM judges each claim of a summary against the source passages retrieved for it.

Claims are the source-only metric's (:func:`bizsum.nlp.claims.split_claims`), so the judge's
verdicts line up with source_only's and with human labels claim by claim. For each of the first
``judge.max_claims`` claims, the ``judge.passages`` source passages most similar to it (sentences
and adjacent pairs of the per-document source index, MiniLM cosine; a passage overlapping one
already chosen is skipped) go into :data:`~bizsum.metrics.judge.prompts.CLAIM_PROMPT`, one request
per claim.

Values: ``judge_claims`` = share of the judged claims found supported (claims the answer did not
let us read, and requests that failed, are left out and counted in the details);
``judge_claims_judged``; ``judge_claims_cost_usd``. Details per claim: ``text``, ``verdict``,
``score`` (P(Yes) from token probabilities, else 1/0), ``reason``, ``evidence`` (the passages),
``answer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bizsum.metrics.base import Column, MetricResult, ScoringItem
from bizsum.metrics.judge.base import JudgeMetric, require_setup
from bizsum.metrics.judge.client import JudgeAnswer, JudgeRequest, answer_totals
from bizsum.metrics.judge.prompts import claim_prompt, parse_verdict, yes_probability
from bizsum.nlp.claims import split_claims
from bizsum.nlp.source_index import SourceIndex, embed_claims, source_index

#: answer tokens a claim verdict may use (Yes/No and a one-sentence reason)
CLAIM_ANSWER_TOKENS = 80


def retrieve(index: SourceIndex, embedding: np.ndarray, k: int) -> list[str]:
    """The ``k`` passages most similar to a claim, skipping passages that overlap one already chosen."""
    sims = index.embeddings @ embedding
    chosen: list[int] = []
    used: set[int] = set()
    for i in np.argsort(-sims):
        members = set(index.passage_sentences[int(i)])
        if members & used:
            continue
        chosen.append(int(i))
        used |= members
        if len(chosen) >= k:
            break
    return [index.passages[i] for i in chosen]


class JudgeClaimsMetric(JudgeMetric):
    name = "judge_claims"
    label = "LLM judge: claims"
    description = (
        "optional (needs a judge model): an LLM judges each claim of the summary against the source passages "
        "retrieved for it, with a one-sentence reason. Shown beside, never mixed into, the offline metrics."
    )
    columns = (
        Column(
            "judge_claims",
            "LLM judge: claims supported",
            "Share of the judged claims the LLM judge finds supported by the retrieved source passages (0-1).",
        ),
        Column(
            "judge_claims_judged",
            "LLM judge: claims judged",
            "Claims the judge answered about in a readable way (at most judge.max_claims per summary).",
            direction="none",
            kind="count",
        ),
        Column(
            "judge_claims_cost_usd",
            "LLM judge: claims cost $",
            "What the judge's answers for this summary cost (from token usage × prices.yaml; cached answers "
            "included, 0 for local models).",
            direction="lower",
            kind="measure",
        ),
    )

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        setup = require_setup(self.setup, self.name)
        settings = setup.settings
        plans: list[tuple[list[str], list[str], list[list[str]], int]] = []
        requests: list[JudgeRequest] = []
        for item in items:
            claims = split_claims(item.summary or "")
            judged = claims[: settings.max_claims]
            evidence: list[list[str]] = []
            if judged:
                index = source_index(item.document.text, item.document.sha256)
                for claim, embedding in zip(judged, embed_claims(judged)):
                    passages = retrieve(index, embedding, settings.passages)
                    evidence.append(passages)
                    requests.append(
                        JudgeRequest("judge_claims", claim_prompt(claim, passages), item.document, CLAIM_ANSWER_TOKENS)
                    )
            plans.append((claims, judged, evidence, len(requests)))
        answers = self.client.ask(requests, desc="LLM judge: claims")
        results = []
        start = 0
        for claims, judged, evidence, end in plans:
            results.append(self._result(claims, judged, evidence, answers[start:end]))
            start = end
        return results

    def _result(
        self, claims: list[str], judged: list[str], evidence: list[list[str]], answers: Sequence[JudgeAnswer]
    ) -> MetricResult:
        rows: list[dict[str, Any]] = []
        for claim, passages, answer in zip(judged, evidence, answers):
            row: dict[str, Any] = {"text": claim, "evidence": passages}
            if answer.error is not None:
                row.update(verdict="error", score=None, reason=answer.error, answer="")
            else:
                verdict, reason = parse_verdict(answer.text)
                probability = yes_probability(answer.logprobs)
                if probability is not None:
                    score, mass = probability
                    row.update(score=round(score, 4), score_from="token probabilities", yes_no_mass=round(mass, 4))
                    if verdict == "unparsed":
                        verdict = "supported" if score >= 0.5 else "unsupported"
                else:
                    score_value = {"supported": 1.0, "unsupported": 0.0}.get(verdict)
                    row.update(score=score_value, score_from="sampled answer")
                row.update(verdict=verdict, reason=reason, answer=answer.text[:500], cached=answer.cached)
            rows.append(row)
        rows += [
            {"text": claim, "verdict": "not_judged", "score": None, "reason": "beyond judge.max_claims"}
            for claim in claims[len(judged) :]
        ]
        decided = [r for r in rows if r["verdict"] in ("supported", "unsupported")]
        totals = answer_totals(answers)
        values = {
            "judge_claims": (sum(r["verdict"] == "supported" for r in decided) / len(decided)) if decided else None,
            "judge_claims_judged": len(decided),
            "judge_claims_cost_usd": totals["cost_usd"],
        }
        details = {
            "judge": self.client.model_id,
            "claims": rows,
            "not_judged": len(claims) - len(judged),
            "unparsed": sum(r["verdict"] == "unparsed" for r in rows),
            **totals,
        }
        return MetricResult(values=values, details=details)
