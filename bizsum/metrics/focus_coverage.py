"""Focus-area coverage: does the summary address the five areas, and carry the source's key content?

Per document (cached by ``document.sha256``, shared with the source-only metric's index):

* every source sentence is scored against the five areas (:func:`bizsum.nlp.focus_areas.area_scores`:
  weighted lexicon + similarity to prototype sentences); sentences scoring at least
  ``TAG_THRESHOLD`` are *tagged* to the area;
* an area is **thin** in the source when fewer than ``THIN_MIN_PASSAGES`` sentences are strongly
  tagged to it (score ≥ ``STRONG_THRESHOLD``). A summary is not asked to invent what is not there:
  the area's coverage is ``None`` and it does not enter the overall ``coverage``;
* the area's **key content** is its highest-scoring tagged sentences that are mainly about the
  area (score within ``PRIMARY_MARGIN`` of the sentence's best area), at most ``KEY_PASSAGES``,
  near-duplicates removed.

Per summary:

* ``addressed_<area>``: some summary sentence carries the area's content (the focus-area sentence
  model, :mod:`bizsum.nlp.area_model`, reaches the area's threshold: fit on the realistic set's dev
  half), or a sentence says the source does not describe it;
* the area's *carried share*: mean over the area's key passages of how well the best-matching
  summary clause carries it: ``clip((cos - CARRY_LOW) / (CARRY_HIGH - CARRY_LOW))`` blended with the
  share of the passage's salient words (names, numbers, rare content words) that the summary uses;
* ``coverage_<area>`` in [0, 1]: ``0.5 + 0.5 × share`` when the summary addresses the area, else
  ``0.5 × share``: at least 0.5 exactly when the area is covered, higher the more of the source's key
  content the summary carries;
* ``coverage``: mean of ``coverage_<area>`` over the areas the source covers;
* ``areas_addressed``: how many of the five areas are addressed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from bizsum.metrics.base import Column, Metric, MetricResult, ScoringItem
from bizsum.nlp.area_model import area_model, sentence_features
from bizsum.nlp.claims import claims_by_sentence
from bizsum.nlp.focus_areas import (
    AREAS,
    FOCUS_AREAS,
    STRONG_THRESHOLD,
    TAG_THRESHOLD,
    THIN_MIN_PASSAGES,
    absence_areas,
)
from bizsum.nlp.lexicon import content_stems
from bizsum.nlp.names import extract_names
from bizsum.nlp.numbers import extract_numbers
from bizsum.nlp.source_index import SourceIndex, embed_claims, source_index

log = logging.getLogger(__name__)

KEY_PASSAGES = 8
CARRY_LOW = 0.35
CARRY_HIGH = 0.75
#: a key passage counts as "carried" when its carry score reaches this
CARRIED_AT = 0.5
#: weight of the salient-word overlap in a passage's carry score
LEXICAL_WEIGHT = 0.35
_MIN_WORDS = 5
PRIMARY_MARGIN = 0.1


class _AreaPlan:
    """Per-document, per-area tagging result (cached on the SourceIndex)."""

    def __init__(self, index: SourceIndex):
        sentences = index.sentences
        n = len(sentences)
        emb = index.embeddings[:n]
        usable = np.array([len(s.split()) >= _MIN_WORDS for s in sentences], dtype=bool)
        scores = index.area_scores
        self.tagged: dict[str, list[int]] = {}
        self.strong: dict[str, int] = {}
        self.thin: dict[str, bool] = {}
        self.key: dict[str, list[int]] = {}
        self.salient: dict[int, set[str]] = {}
        df: dict[str, int] = {}
        for stems in index.sentence_stems:
            for s in stems:
                df[s] = df.get(s, 0) + 1
        for k, area in enumerate(FOCUS_AREAS):
            col = scores[:, k]
            tagged = [i for i in np.argsort(-col) if usable[i] and col[i] >= TAG_THRESHOLD]
            self.tagged[area] = [int(i) for i in tagged]
            strong = int(sum(1 for i in tagged if col[i] >= STRONG_THRESHOLD))
            self.strong[area] = strong
            self.thin[area] = strong < THIN_MIN_PASSAGES
            # key content: passages mainly about this area (its score within PRIMARY_MARGIN of the
            # passage's best area), so a passage shared with another area does not tie them together
            primary = [i for i in tagged if col[i] >= scores[i].max() - PRIMARY_MARGIN]
            if len(primary) < 2:
                primary = tagged
            chosen: list[int] = []
            for i in primary:
                if len(chosen) >= KEY_PASSAGES:
                    break
                if chosen and float((emb[chosen] @ emb[i]).max()) > 0.85:
                    continue
                chosen.append(int(i))
            self.key[area] = chosen
            for i in chosen:
                if i not in self.salient:
                    self.salient[i] = _salient_terms(sentences[i], index.sentence_stems[i], df, n)


def _salient_terms(sentence: str, stems: set[str], df: dict[str, int], n_sentences: int) -> set[str]:
    """Names, numbers and content words that are rare in the document (idf above median)."""
    terms = {f"#{num.value:g}" for num in extract_numbers(sentence)}
    for name in extract_names(sentence):
        terms.update(content_stems(name))
    rare = [s for s in stems if df.get(s, 0) <= max(2, n_sentences // 50)]
    terms.update(rare)
    return terms


_PLANS: dict[str, _AreaPlan] = {}


def area_plan(index: SourceIndex) -> _AreaPlan:
    plan = _PLANS.get(index.sha256)
    if plan is None:
        plan = _AreaPlan(index)
        if len(_PLANS) > 256:
            _PLANS.clear()
        _PLANS[index.sha256] = plan
    return plan


def _summary_terms(summary: str) -> set[str]:
    terms = set(content_stems(summary))
    terms.update(f"#{num.value:g}" for num in extract_numbers(summary))
    return terms


def score_coverage(summary: str, index: SourceIndex) -> tuple[dict[str, Any], dict[str, Any]]:
    plan = area_plan(index)
    groups = claims_by_sentence(summary or "")
    claims = [c for g in groups for c in g]
    sentences = [" ".join(g) for g in groups]
    values: dict[str, Any] = {}
    details: dict[str, Any] = {"areas": {}, "source_thin_areas": [a for a in FOCUS_AREAS if plan.thin[a]]}
    model = area_model()
    if claims:
        emb = embed_claims(claims)
        bounds = np.cumsum([0, *(len(g) for g in groups)])
        sentence_probs = model.probabilities(
            sentence_features(sentences, [emb[bounds[i] : bounds[i + 1]] for i in range(len(groups))])
        )
        absent = [absence_areas(c) for c in claims]
        key_all = sorted({i for a in FOCUS_AREAS for i in plan.key[a]})
        sims = index.embeddings[key_all] @ emb.T if key_all else np.zeros((0, len(claims)))
        row = {i: r for r, i in enumerate(key_all)}
        terms = _summary_terms(summary)
    else:
        sentence_probs = np.zeros((0, len(FOCUS_AREAS)), dtype="float32")
        absent, sims, row, terms = [], np.zeros((0, 0)), {}, set()

    covered_scores = []
    addressed_count = 0
    for k, area in enumerate(FOCUS_AREAS):
        addressing = [j for j in range(len(sentences)) if sentence_probs[j, k] >= model.thresholds[k]]
        says_absent = [j for j in range(len(claims)) if area in absent[j]]
        addressed = bool(addressing or says_absent)
        addressed_count += addressed
        carried: list[dict[str, Any]] = []
        missing: list[dict[str, Any]] = []
        carry_scores = []
        for i in plan.key[area]:
            if claims:
                best_j = int(np.argmax(sims[row[i]]))
                cos = float(sims[row[i], best_j])
                semantic = float(np.clip((cos - CARRY_LOW) / (CARRY_HIGH - CARRY_LOW), 0.0, 1.0))
                sal = plan.salient.get(i, set())
                lexical = len(sal & terms) / len(sal) if sal else semantic
                carry = (1 - LEXICAL_WEIGHT) * semantic + LEXICAL_WEIGHT * lexical
            else:
                best_j, cos, carry = -1, 0.0, 0.0
            carry_scores.append(carry)
            entry = {"passage": index.sentences[i], "carry": round(carry, 3), "similarity": round(cos, 3)}
            if best_j >= 0:
                entry["summary_claim"] = claims[best_j]
            (carried if carry >= CARRIED_AT else missing).append(entry)
        share = float(np.mean(carry_scores)) if carry_scores else 0.0
        if plan.thin[area]:
            cov = None
        else:
            cov = 0.5 * share + (0.5 if addressed else 0.0)
            covered_scores.append(cov)
        values[f"coverage_{area}"] = cov
        values[f"addressed_{area}"] = addressed
        details["areas"][area] = {
            "label": AREAS[area].label,
            "thin_in_source": plan.thin[area],
            "source_passages_tagged": len(plan.tagged[area]),
            "source_passages_strong": plan.strong[area],
            "source_passages": [index.sentences[i] for i in plan.tagged[area][:20]],
            "summary_sentences": [sentences[j] for j in addressing],
            "summary_sentence_probability": round(float(sentence_probs[:, k].max()), 3) if sentences else 0.0,
            "key_content_share": round(share, 3),
            "summary_says_not_described": [claims[j] for j in says_absent],
            "key_content_carried": carried,
            "key_content_missing": missing,
        }
    values["coverage"] = float(np.mean(covered_scores)) if covered_scores else (0.0 if not claims else None)
    values["areas_addressed"] = int(addressed_count)
    ordered = {"coverage": values.pop("coverage")}
    ordered.update(values)
    return ordered, details


class FocusCoverageMetric(Metric):
    name = "focus_coverage"
    label = "Focus coverage"
    description = (
        "per area (sources of revenue, customer base, products, distribution channels, financing): whether the "
        "summary addresses it and how much of the source's key content for it the summary carries; areas the "
        "source barely covers are not counted."
    )
    columns = (
        Column(
            "coverage",
            "Focus coverage",
            "Mean over focus areas the source covers of how much of the area's key content the summary carries (0-1).",
            headline=True,
        ),
        *(
            Column(
                f"coverage_{area}",
                f"Coverage: {AREAS[area].label}",
                f"Share of the source's key content on {AREAS[area].label.lower()} the summary carries (0-1).",
            )
            for area in FOCUS_AREAS
        ),
        *(
            Column(
                f"addressed_{area}",
                f"Addresses: {AREAS[area].label}",
                f"The summary says something about {AREAS[area].label.lower()} (or that the source does not).",
                kind="rate",
            )
            for area in FOCUS_AREAS
        ),
        Column("areas_addressed", "Areas addressed", "How many of the five areas the summary addresses.", kind="count"),
    )

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        results = []
        for item in items:
            index = source_index(item.document.text, item.document.sha256)
            values, details = score_coverage(item.summary, index)
            results.append(MetricResult(values=values, details=details))
        return results

    def version(self) -> dict[str, str]:
        from bizsum.nlp.encoders import encoder_versions

        return {**encoder_versions(), "focus_coverage": "2", "focus_area_model": area_model().version}
