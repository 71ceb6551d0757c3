"""The judge's prompts and how its answers are read.

``judge_claims`` asks one question per claim: is it supported by the retrieved source passages?
The prompt says first what a summary may do and stay supported (other words, another subject,
numbers as words or rounded, a list summed up, facts joined from several passages) and what makes
a claim unsupported (a fact, relation, judgement, financing or customer the passages do not
state); this guidance is the same for every claim and comes before the passages, so consecutive
requests share it as a prefix. The answer starts with Yes or No, then a one-sentence reason. Where the answer carries token
probabilities, the claim's score is ``P(Yes) / (P(Yes) + P(No))`` at the answer's first Yes/No
position; else it is 1 or 0 from the sampled word.

``judge_rubric`` follows G-Eval (Liu et al., 2023): a criterion, evaluation steps, the source and
the summary, and a form that asks for the score only. Where the answer carries token
probabilities, the score is the probability-weighted mean over the score tokens at the first
position whose distribution puts most of its mass on them, ``Σ s·p(s) / Σ p(s)`` for s = 1..5;
else it is the first digit 1-5 of the sampled answer.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from bizsum.nlp.focus_areas import AREAS, FOCUS_AREAS

CLAIM_PROMPT = """You check one claim from a summary of a company's 10-K filing (Item 1, Business) against passages of that filing.

The claim is supported when the passages say what it says, in any words. Summaries restate, so a claim is still supported when it:
- uses other words or another subject ("The company describes itself as ...", "The filing says ...");
- writes numbers as words or rounds them ("about a third" for 34%, "roughly $1.2 billion" for $1,187 million);
- sums up a list with a general term, or joins facts that sit in different passages.
The claim is not supported when it states anything the passages do not: a fact they do not mention, a relation they do not state (roles swapped; a product, channel, segment or customer tied to the wrong thing), a judgement or conclusion presented as fact ("the market leader", "which makes it resilient"), or financing or customers they do not name.

Passages:
{passages}

Claim: "{claim}"

Is the claim supported by the passages? Answer with Yes or No on the first line. On the second line give the reason in one short sentence."""

_RUBRIC_HEAD = """You will be given {source_kind} from a company's 10-K filing (Item 1, Business) and a summary of the company's business model written from it.

Your task is to rate the summary on one metric.

Please make sure you read and understand these instructions carefully.

Evaluation Criteria:

{criterion}

Evaluation Steps:

{steps}

Source:

{source}

Summary:

{summary}

Evaluation Form (scores ONLY):

- {name} (1-5):"""

CONSISTENCY = {
    "name": "Consistency",
    "criterion": "Consistency (1-5) - the factual alignment between the summary and the source. A factually "
    "consistent summary contains only statements that are entailed by the source. Penalize summaries that contain "
    "facts the source does not state: numbers, names, products, customers, channels or financing.",
    "steps": "1. Read the source carefully and identify the main facts it states about the business.\n"
    "2. Read the summary and compare it to the source. Check whether every statement of the summary is supported "
    "by the source.\n"
    "3. Assign a score for consistency from 1 (many unsupported statements) to 5 (every statement supported).",
}

FOCUS = {
    "name": "Focus coverage",
    "criterion": "Focus coverage (1-5) - how well the summary covers the company's business model in five focus "
    "areas, as far as the source describes them: "
    + "; ".join(AREAS[a].label.lower() for a in FOCUS_AREAS)
    + ". A summary that carries the key content of every area the source describes scores 5; one that misses "
    "most of them scores 1. Do not penalize a summary for an area the source does not describe.",
    "steps": "1. Read the source and note what it says about each focus area.\n"
    "2. Read the summary and check which of these points it carries.\n"
    "3. Assign a score for focus coverage from 1 (most areas missed) to 5 (every described area covered).",
}

CRITERIA: dict[str, dict[str, str]] = {"consistency": CONSISTENCY, "focus": FOCUS}


def prompts_version() -> str:
    """Hash of every template: a changed prompt rescores the judge's rows."""
    blob = CLAIM_PROMPT + _RUBRIC_HEAD + repr(sorted((k, sorted(v.items())) for k, v in CRITERIA.items()))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


def claim_prompt(claim: str, passages: Sequence[str]) -> str:
    numbered = "\n".join(f"[{i}] {p}" for i, p in enumerate(passages, 1))
    return CLAIM_PROMPT.format(passages=numbered, claim=claim.replace('"', "'"))


def rubric_prompt(criterion: str, source: str, summary: str, whole_source: bool) -> str:
    spec = CRITERIA[criterion]
    return _RUBRIC_HEAD.format(
        source_kind="the text" if whole_source else "excerpts",
        criterion=spec["criterion"],
        steps=spec["steps"],
        source=source,
        summary=summary,
        name=spec["name"],
    )


# -- reading answers ------------------------------------------------------------------------------

_STRIP = " \t\n\r*_`'\".:,-#>()[]"
_YES = {"yes", "supported", "true"}
_NO = {"no", "unsupported", "false", "not"}


def _norm(token: str) -> str:
    return token.strip(_STRIP).lower()


def parse_verdict(text: str) -> tuple[str, str]:
    """(verdict, reason) from a Yes/No answer: ``supported``, ``unsupported`` or ``unparsed``."""
    body = text.strip()
    words = re.findall(r"[A-Za-z]+", body)
    first = words[0].lower() if words else ""
    if first in _YES:
        verdict = "supported"
    elif first in _NO or re.search(r"\b(?:unsupported|not supported|no)\b", body, re.IGNORECASE):
        verdict = "unsupported"
    elif re.search(r"\b(?:supported|yes)\b", body, re.IGNORECASE):
        verdict = "supported"
    else:
        verdict = "unparsed"
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    if len(lines) > 1:
        reason = " ".join(lines[1:])
    else:
        reason = re.sub(r"^\W*(?:yes|no)\b\W*", "", body, flags=re.IGNORECASE)
    reason = re.sub(r"^\W*(?:reason)\s*:\s*", "", reason, flags=re.IGNORECASE).strip()
    return verdict, reason[:300]


def _mass(top: Mapping[str, float], wanted: Mapping[str, Any]) -> dict[Any, float]:
    """Probability per wanted value, summed over the top tokens that normalize to it."""
    out: dict[Any, float] = {}
    for token, logprob in top.items():
        key = _norm(token)
        if key in wanted:
            out[wanted[key]] = out.get(wanted[key], 0.0) + math.exp(logprob)
    return out


def _position(logprobs: Sequence[Mapping[str, Any]] | None, wanted: Mapping[str, Any]) -> dict[Any, float] | None:
    """The distribution over ``wanted`` values at the first answer position that is about them:
    the chosen token is one of them, or they hold at least half of the probability there."""
    for entry in logprobs or []:
        top = dict(entry.get("top") or {})
        if "token" in entry and "logprob" in entry:
            top.setdefault(str(entry["token"]), float(entry["logprob"]))
        mass = _mass(top, wanted)
        if _norm(str(entry.get("token", ""))) in wanted or sum(mass.values()) >= 0.5:
            return mass or None
    return None


def yes_probability(logprobs: Sequence[Mapping[str, Any]] | None) -> tuple[float, float] | None:
    """(P(Yes) / (P(Yes) + P(No)), P(Yes) + P(No)) at the answer's Yes/No position, or None."""
    mass = _position(logprobs, {"yes": True, "no": False})
    if not mass:
        return None
    yes, no = mass.get(True, 0.0), mass.get(False, 0.0)
    return yes / (yes + no), yes + no


SCORE_TOKENS = {str(s): s for s in range(1, 6)}


def weighted_score(logprobs: Sequence[Mapping[str, Any]] | None) -> tuple[float, dict[int, float], float] | None:
    """G-Eval's score: (Σ s·p(s) / Σ p(s), p(s) normalized, Σ p(s) before normalizing), or None."""
    mass = _position(logprobs, SCORE_TOKENS)
    if not mass:
        return None
    total = sum(mass.values())
    probabilities = {s: mass.get(s, 0.0) / total for s in range(1, 6)}
    return sum(s * p for s, p in probabilities.items()), probabilities, total


def sampled_score(text: str) -> float | None:
    """The first score 1-5 written in the answer ("4", "Score: 4", "4.5", "4/5")."""
    text = re.sub(r"\(?\b1\s*[-–]\s*5\b\)?", " ", text)  # the scale, "(1-5)", repeated from the form
    match = re.search(r"(?<![\d.])([1-5](?:\.\d+)?)(?![\d])", text)
    return float(match.group(1)) if match and float(match.group(1)) <= 5 else None
