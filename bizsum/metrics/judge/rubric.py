"""``judge_rubric``: G-Eval-style 1-5 scores for consistency and focus coverage from an LLM judge.

Two requests per summary, one per criterion (:data:`~bizsum.metrics.judge.prompts.CRITERIA`):
the criterion, evaluation steps, the source, the summary, and a form asking for the score only.

The source: a document of at most ``judge.max_source_tokens`` tokens (o200k) is shown whole.
A longer one (most 10-K Item 1 sections) is shown as excerpts in document order: for
consistency, the two passages most similar to each claim of the summary; for focus coverage, the
three sentences most about each focus area (the source index's area scores) and the claims'
passages; cut to the budget, most relevant first.

The score is G-Eval's probability-weighted mean over the score tokens 1-5 where the answer
carries token probabilities, else the sampled score (details say which).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from bizsum.metrics.base import Column, MetricResult, ScoringItem
from bizsum.metrics.judge.base import JudgeMetric, require_setup
from bizsum.metrics.judge.client import JudgeAnswer, JudgeRequest, answer_totals
from bizsum.metrics.judge.prompts import CRITERIA, rubric_prompt, sampled_score, weighted_score
from bizsum.nlp.claims import split_claims
from bizsum.nlp.focus_areas import FOCUS_AREAS
from bizsum.nlp.source_index import SourceIndex, embed_claims, source_index
from bizsum.nlp.tokens import count_tokens

RUBRIC_ANSWER_TOKENS = 10
PASSAGES_PER_CLAIM = 2
SENTENCES_PER_AREA = 3


def _claim_sentences(index: SourceIndex, summary: str) -> list[int]:
    """Source sentences of the passages most similar to each claim, claim by claim."""
    claims = split_claims(summary)
    order: list[int] = []
    if not claims:
        return order
    sims = index.embeddings @ embed_claims(claims).T  # passages × claims
    for j in range(len(claims)):
        for p in np.argsort(-sims[:, j])[:PASSAGES_PER_CLAIM]:
            order.extend(index.passage_sentences[int(p)])
    return order


def _area_sentences(index: SourceIndex) -> list[int]:
    """The sentences most about each focus area, area by area."""
    order: list[int] = []
    for k in range(len(FOCUS_AREAS)):
        order.extend(int(i) for i in np.argsort(-index.area_scores[:, k])[:SENTENCES_PER_AREA])
    return order


def excerpt(index: SourceIndex, ranked: Sequence[int], budget: int) -> str:
    """The ranked sentences (most relevant first, duplicates dropped) that fit ``budget`` tokens, in document order."""
    kept: list[int] = []
    used = 0
    for i in dict.fromkeys(ranked):
        tokens = count_tokens(index.sentences[i]) + 1
        if used + tokens > budget:
            continue
        kept.append(i)
        used += tokens
    lines = []
    previous = None
    for i in sorted(kept):
        if previous is not None and i != previous + 1:
            lines.append("[...]")
        lines.append(index.sentences[i])
        previous = i
    return "\n".join(lines)


def source_for(item: ScoringItem, criterion: str, budget: int) -> tuple[str, bool]:
    """(the source text shown for a criterion, whether it is the whole document)."""
    text = item.document.text
    if count_tokens(text) <= budget:
        return text, True
    index = source_index(text, item.document.sha256)
    claims = _claim_sentences(index, item.summary or "")
    if criterion == "focus":
        areas = _area_sentences(index)
        ranked = [i for pair in zip(areas, claims) for i in pair] + areas[len(claims) :] + claims[len(areas) :]
    else:
        ranked = claims
    return excerpt(index, ranked, budget), False


def read_score(answer: JudgeAnswer) -> dict[str, Any]:
    """The criterion's score from an answer: probability-weighted where possible, else sampled."""
    if answer.error is not None:
        return {"score": None, "error": answer.error}
    sampled = sampled_score(answer.text)
    weighted = weighted_score(answer.logprobs)
    out: dict[str, Any] = {"sampled": sampled, "answer": answer.text[:200], "cached": answer.cached}
    if weighted is not None:
        score, probabilities, mass = weighted
        out.update(
            score=round(score, 4),
            score_from="token probabilities",
            probabilities={str(s): round(p, 4) for s, p in probabilities.items()},
            score_token_mass=round(mass, 4),
        )
    else:
        out.update(score=sampled, score_from="sampled answer")
    return out


class JudgeRubricMetric(JudgeMetric):
    name = "judge_rubric"
    label = "LLM judge: rubric"
    description = (
        "optional (needs a judge model): G-Eval-style 1-5 scores from an LLM judge for consistency with the source "
        "and for focus coverage, probability-weighted where the server returns token probabilities. Shown beside, "
        "never mixed into, the offline metrics."
    )
    columns = (
        Column(
            "judge_consistency",
            "LLM judge: consistency (1-5)",
            "G-Eval consistency score from the LLM judge: probability-weighted mean of the score tokens where "
            "token probabilities are returned, else the sampled score (1-5).",
        ),
        Column(
            "judge_focus",
            "LLM judge: focus coverage (1-5)",
            "G-Eval-style score from the LLM judge for how well the summary covers the five focus areas the source "
            "describes (1-5).",
        ),
        Column(
            "judge_rubric_cost_usd",
            "LLM judge: rubric cost $",
            "What the judge's rubric answers for this summary cost (cached answers included, 0 for local models).",
            direction="lower",
            kind="measure",
        ),
    )

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        setup = require_setup(self.setup, self.name)
        budget = setup.settings.max_source_tokens
        requests: list[JudgeRequest] = []
        shown: list[dict[str, Any] | None] = []
        for item in items:
            if not (item.summary or "").strip():
                shown.append(None)  # nothing to judge: no request
                continue
            info: dict[str, Any] = {}
            for criterion in CRITERIA:
                source, whole = source_for(item, criterion, budget)
                info[criterion] = {"whole_source": whole, "source_tokens": count_tokens(source)}
                prompt = rubric_prompt(criterion, source, item.summary, whole)
                requests.append(JudgeRequest(f"judge_rubric_{criterion}", prompt, item.document, RUBRIC_ANSWER_TOKENS))
            shown.append(info)
        answers = iter(self.client.ask(requests, desc="LLM judge: rubric"))
        results = []
        for shown_info in shown:
            mine = [next(answers) for _ in CRITERIA] if shown_info is not None else []
            scores = {c: {**read_score(a), **(shown_info or {}).get(c, {})} for c, a in zip(CRITERIA, mine)}
            totals = answer_totals(mine)
            values = {
                "judge_consistency": scores["consistency"]["score"] if scores else None,
                "judge_focus": scores["focus"]["score"] if scores else None,
                "judge_rubric_cost_usd": totals["cost_usd"] if mine else 0.0,
            }
            details = {"judge": self.client.model_id, **scores, **totals}
            if shown_info is None:
                details["note"] = "empty summary: not judged"
            results.append(MetricResult(values=values, details=details))
        return results
