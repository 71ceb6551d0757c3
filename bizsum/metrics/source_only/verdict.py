"""One claim's verdict: semantic and lexical support combined with the hard checks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bizsum.metrics.source_only.checks import (
    check_names,
    check_numbers,
    count_negations,
    negated_stems,
    scope_negations,
)
from bizsum.nlp.claims import direction_flipped
from bizsum.nlp.lexicon import content_stems, token_stems
from bizsum.nlp.source_index import SourceIndex
from bizsum.nlp.verifier import ClaimScore

# Logistic model over claim features -> probability that the claim is supported. Hand-set, led by
# semantic similarity: a model fitted on dev data (bench/validation/fit_calibration.py, see
# bench/results/calibration_fit.md) came out almost purely lexical and flagged faithful abstractive
# paraphrases of a 10-K, so it is not used. Numbers, names, negation and direction are hard checks.
COEFFICIENTS: dict[str, float] = {
    "bias": -4.0,
    "sim": 6.0,  # best passage cosine
    "lex_local": 3.0,  # share of content stems in the aligned passages
    "lex_global": 2.5,  # share of content stems anywhere in the source
    "bigram_local": 0.0,  # reported, not weighted (penalizes paraphrase)
    "novel_words": 0.0,  # reported, not weighted
    "bad_numbers": -3.0,
    "bad_names": -2.5,
    "negation_mismatch": -2.5,
    "direction_mismatch": -1.5,
}
#: claims with probability below this are unsupported
SUPPORT_THRESHOLD = 0.5


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass
class ClaimCheck:
    text: str
    verdict: str
    score: float
    evidence: str
    reasons: list[str]
    features: dict[str, float]
    numbers: list[dict]
    names: list[dict]
    #: the same claim decided otherwise, for comparison (``bizsum agreement`` reads each as a verdict
    #: source ``source_only.<name>``): ``rules_v3`` (the hard checks and the hand-set model of v3),
    #: ``verifier_only`` (the trained verifier without the hard checks)
    variants: dict[str, dict[str, Any]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.variants,
            "text": self.text,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "evidence": self.evidence,
            "reasons": self.reasons,
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "numbers": self.numbers,
            "names": self.names,
        }


def _bigrams(tokens: Sequence[str]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(tokens))


def hard_check_reasons(
    number_reports: Sequence[dict], name_reports: Sequence[dict], negation_mismatch: float, direction_mismatch: float
) -> list[str]:
    """Why the hard checks failed, one line per failed number, name, negation or direction."""
    reasons: list[str] = []
    for r in number_reports:
        if r["status"] == "not_in_source":
            reasons.append(f"number {r['number']!r} does not occur in the source")
        elif r.get("replaces"):
            reasons.append(f"number {r['number']!r} stands where the matching source passage has {r['replaces']!r}")
        elif r["status"] == "wrong_context":
            reasons.append(f"number {r['number']!r} occurs in the source but in a different context")
    for r in name_reports:
        if r["status"] != "ok":
            reasons.append(
                f"name {r['name']!r} does not occur in the source"
                if r["status"] == "not_in_source"
                else f"name {r['name']!r} occurs in the source only in an unrelated context"
            )
    if negation_mismatch:
        reasons.append("negation differs from the closest source passage")
    if direction_mismatch:
        reasons.append("direction (increase/decrease) differs from the closest source passage")
    return reasons


def _structural(report: dict) -> bool:
    """A number failure the verifier does not overrule: a number put in another number's place in
    the aligned passage, or tied to another year than the source ties it to."""
    return bool(report.get("replaces") or report.get("other_year"))


def context_left_to_verifier(
    number_reports: list[dict], name_reports: list[dict], verified: ClaimScore
) -> tuple[int, int]:
    """With the claim verifier, a number or name the source has "in another context" is the
    verifier's call: a summary that states the same relation in other words, or merges a product
    list a filing gives over two sentences, is matched to a sentence it does not restate (version 4
    failed "iPhone", "Mac" and "iPad" on the demo's Apple card this way). When the verifier supports
    the claim such reports are marked ok; when it does not, they stay as reasons and the claim is
    unsupported. This includes a name put into a copied sentence from elsewhere in the filing
    (``inserted``): on the realistic dev set holding those to the copied sentence flagged 3.5% of
    faithful claims and caught no error the verifier missed. A number or name the source does not
    have at all, and a structural number failure (:func:`_structural`), stay hard failures.
    Returns the hard failures (numbers, names)."""
    if verified.score >= verified.threshold:
        for r in [*number_reports, *name_reports]:
            if r["status"] == "wrong_context" and not _structural(r):
                r.update(status="ok", note="the claim verifier found it supported in other words")
    hard_numbers = sum(1 for r in number_reports if r["status"] == "not_in_source" or _structural(r))
    hard_names = sum(1 for r in name_reports if r["status"] == "not_in_source")
    return hard_numbers, hard_names


#: a claim whose content words are this much in one aligned source sentence copies it
COPIED_SHARE = 0.85
#: a name from elsewhere in the filing put into a copied sentence is a failure whatever the
#: verifier says (dev perturbations: entity swaps within the filing 67 % -> 83 % caught; realistic
#: dev: +0.4 points of faithful claims called unsupported)
INSERTED_DECISIVE = True


#: a negation or direction against the closest sentence is decisive in a claim whose content words
#: are this much in that sentence (realistic dev and the dev tune set of written claims: at 0.8 no
#: faithful claim the verifier supports is failed, and the one error it misses is caught)
NEGATION_COPIED_SHARE = 0.8


def copied_share(stems: Sequence[str], aligned: Sequence[int], index: SourceIndex) -> float:
    """The largest share of the claim's content words that one aligned source sentence holds (0 for
    a claim without content words): at :data:`COPIED_SHARE` or more the claim copies it."""
    own = set(stems)
    if not own:
        return 0.0
    return max((len(own & index.sentence_stems[i]) / len(own) for i in aligned), default=0.0)


def absent_from_source(number_reports: Sequence[dict], name_reports: Sequence[dict]) -> bool:
    """A number or name the source does not have at all: unsupported whatever the verifier says."""
    return any(r["status"] == "not_in_source" for r in [*number_reports, *name_reports])


def comparison_verdicts(rules_prob: float, hard_fail: bool, verified: ClaimScore) -> dict[str, dict[str, Any]]:
    """The claim decided by v3's rules (hard checks + hand-set model) and by the verifier alone."""
    rules_supported = not hard_fail and rules_prob >= SUPPORT_THRESHOLD
    return {
        "rules_v3": {
            "verdict": "supported" if rules_supported else "unsupported",
            "score": round(rules_prob if rules_supported else min(rules_prob, 0.49), 4),
        },
        "verifier_only": {
            "verdict": "supported" if verified.score >= verified.threshold else "unsupported",
            "score": round(verified.score, 4),
        },
    }


def claim_negation_in(claim: str, aligned: Sequence[int], index: SourceIndex) -> bool:
    """Whether an aligned source sentence negates what the claim negates (a shared word in the
    negations' scopes)."""
    negated = negated_stems(claim)
    return bool(negated) and any(negated & negated_stems(index.sentences[i]) for i in aligned)


def check_claim(
    claim: str, embedding: np.ndarray, index: SourceIndex, verified: ClaimScore | None = None
) -> ClaimCheck:
    """One claim's verdict. The number, name, negation and direction checks are hard failures.
    With ``verified`` (the trained verifier's score of the claim, :mod:`bizsum.nlp.verifier`) the
    verifier decides everything else; without it the hand-set logistic model over similarity and
    word overlap does (source_only v3, kept for comparison in ``bench/``)."""
    sims = index.embeddings @ embedding
    order = np.argsort(-sims)
    top = [int(i) for i in order[:3]]
    best = top[0]
    sim = float(sims[best])
    aligned: list[int] = sorted({s for p in top for s in index.passage_sentences[p]})
    evidence = index.passages[best]

    stems = content_stems(claim)
    aligned_stems = set().union(*(index.sentence_stems[i] for i in aligned)) if aligned else set()
    lex_local = sum(1 for s in stems if s in aligned_stems) / len(stems) if stems else 1.0
    lex_global = sum(1 for s in stems if s in index.all_stems) / len(stems) if stems else 1.0
    novel = sum(1 for s in stems if s not in index.all_stems)

    claim_tokens = token_stems(claim)
    claim_bigrams = _bigrams(claim_tokens)
    aligned_bigrams: set = set()
    for i in aligned:
        aligned_bigrams |= _bigrams(token_stems(index.sentences[i]))
    bigram_local = len(claim_bigrams & aligned_bigrams) / len(claim_bigrams) if claim_bigrams else lex_local

    number_reports, bad_numbers = check_numbers(claim, index, aligned)
    name_reports, bad_names = check_names(claim, index, aligned)
    if verified is not None:
        bad_numbers, bad_names = context_left_to_verifier(number_reports, name_reports, verified)

    # polarity against the best-matching single sentence, within the span the claim overlaps
    best_sentence = max(index.passage_sentences[best], key=lambda i: float(index.embeddings[i] @ embedding))
    claim_stem_set = set(stems)
    src_neg, src_span = scope_negations(index.sentences[best_sentence], claim_stem_set)
    neg_claim = count_negations(claim)
    close = sim >= 0.45 and lex_local >= 0.6
    negation_mismatch = float(close and neg_claim % 2 != src_neg % 2)  # parity: "not ... without" = affirmative
    if (
        negation_mismatch
        and neg_claim % 2
        and (claim_negation_in(claim, aligned, index) or count_negations(index.sentences[best_sentence]) % 2)
    ):
        # a merged claim's negation from another aligned sentence: "..., with Amazon not acting as
        # seller of record" beside "We are not the seller of record in these transactions."; or the
        # claim's negation restates one the passage words otherwise ("raises no cattle itself" for
        # "We do not have facilities of our own to raise cattle", the sentence's negation outside
        # the span the claim overlaps: what a source negation negates is read narrowly to keep a
        # claim from dropping it, not to deny a claim that keeps one)
        negation_mismatch = 0.0
    direction_mismatch = float(close and bool(src_span) and direction_flipped(claim, src_span))

    features = {
        "sim": sim,
        "lex_local": lex_local,
        "lex_global": lex_global,
        "bigram_local": bigram_local,
        "novel_words": float(min(novel, 5)),
        "bad_numbers": float(bad_numbers),
        "bad_names": float(bad_names),
        "negation_mismatch": negation_mismatch,
        "direction_mismatch": direction_mismatch,
    }
    z = COEFFICIENTS["bias"] + sum(COEFFICIENTS[k] * v for k, v in features.items())
    prob, threshold = _sigmoid(z), SUPPORT_THRESHOLD
    hard_fail = bad_numbers > 0 or bad_names > 0 or negation_mismatch > 0 or direction_mismatch > 0
    variants: dict[str, dict[str, Any]] = {}
    if verified is not None:
        variants = comparison_verdicts(prob, hard_fail, verified)
        features["verifier"] = verified.score
        prob, threshold = verified.score, verified.threshold
        evidence = verified.evidence or evidence
    reasons = hard_check_reasons(number_reports, name_reports, negation_mismatch, direction_mismatch)
    reject_below = verified.reject_below if verified is not None else threshold
    if verified is not None and verified.note:
        reasons.append(verified.note)
    if prob < threshold and not hard_fail:
        if verified is None:
            reasons.append(
                f"no source passage supports it (best similarity {sim:.2f}, content words found {lex_global:.0%})"
            )
        elif prob < reject_below:
            reasons.append(
                f"the claim verifier finds no source passage that supports it (support {prob:.2f} < {reject_below:.2f})"
            )
        else:
            reasons.append(
                f"the evidence is unclear (support {prob:.2f}, between {reject_below:.2f} and {threshold:.2f}): "
                "not counted as a violation until a reviewer labels it"
            )
    decisive = hard_fail
    copied = False
    if verified is not None:
        # a number slot is read reliably only in a sentence the claim copies ("... from fiscal year
        # 1995 to fiscal year 2000" for "... to fiscal year 2002"); in a restatement the aligned
        # passage is often not the one restated
        share = copied_share(stems, aligned, index)
        copied = share >= COPIED_SHARE
        polarity_share = copied_share(stems, [best_sentence], index)
        decisive = (
            # so is a negation or a direction, in a claim that copies the very sentence whose
            # polarity was read: "can be downloaded at no charge" restates "free", and a merged
            # claim's closest sentence is often not the one whose polarity it carries (until v12 the
            # share was that of any aligned sentence: "vacation club sales and rentals" copies one
            # sentence and was failed for the "not occupied by vacation club members" of another)
            (bool(negation_mismatch or direction_mismatch) and polarity_share >= NEGATION_COPIED_SHARE)
            or absent_from_source(number_reports, name_reports)
            or (copied and any(_structural(r) for r in number_reports))
            or (copied and INSERTED_DECISIVE and any(r.get("inserted") for r in name_reports))
        )
    if decisive and verified is not None and copied and INSERTED_DECISIVE:
        # a name put into a copied sentence decides even where the verifier supported the claim
        # (its context report was then marked ok): say so, a verdict never comes without its reason
        reasons += [
            f"name {r['name']!r} comes from another part of the filing, put into a sentence the claim copies"
            for r in name_reports
            if r.get("inserted") and r["status"] == "ok"
        ]
    if decisive or prob < reject_below:
        verdict = "unsupported"
    elif hard_fail:
        # a number in another number's place or tied to another year, or a negation or direction
        # against the closest passage, in a claim that does not copy it: decisive when the verifier
        # does not support the claim either, else left to a
        # reviewer (on the realistic dev set the rules' alignment was the wrong passage for most
        # faithful claims they flagged: restated or merged facts)
        verdict = "unsupported" if prob < threshold else "uncertain"
        if verdict == "uncertain":
            reasons.append(
                f"but the claim verifier supports it (support {prob:.2f}): "
                "not counted as a violation until a reviewer labels it"
            )
    elif prob < threshold:
        verdict = "uncertain"
    else:
        verdict = "supported"
    if verdict == "unsupported":
        prob = min(prob, reject_below - 1e-3 if verified is not None else 0.49)
    elif verdict == "uncertain":
        prob = min(prob, threshold - 1e-3)
    return ClaimCheck(claim, verdict, prob, evidence, reasons, features, number_reports, name_reports, variants)


def absence_check(claim: str, areas: list[str], embedding: np.ndarray, index: SourceIndex) -> ClaimCheck:
    """A claim saying the source does not describe an area: compliant if the source is thin there."""
    number_reports, _ = check_numbers(claim, index, [])
    name_reports, _ = check_names(claim, index)
    # only what the source lacks counts against an absence statement: its context is not a relation
    bad_numbers = sum(1 for r in number_reports if r["status"] == "not_in_source")
    bad_names = sum(1 for r in name_reports if r["status"] == "not_in_source")
    covered = [a for a in areas if index.area_strong_counts.get(a, 0) >= ABSENCE_CONTRADICTED_AT]
    reasons = [f"statement that the source says little about {', '.join(areas)}"]
    verdict = "supported"
    score = 0.9
    if bad_numbers or bad_names:
        verdict, score = "unsupported", 0.2
        reasons.append("but it carries a number or name that is not in the source")
    elif covered:
        verdict, score = "unsupported", 0.3
        reasons.append(f"but the source has {index.area_strong_counts[covered[0]]} passages clearly about {covered[0]}")
    return ClaimCheck(claim, verdict, score, "", reasons, {"absence_statement": 1.0}, number_reports, name_reports)


#: an absence statement is wrong when the source has at least this many passages clearly about the area
ABSENCE_CONTRADICTED_AT = 8


def not_checkable(claim: str) -> ClaimCheck:
    """A heading, a bare cross-reference or a cut-off fragment: asserts nothing to check."""
    return ClaimCheck(
        claim, "not_checkable", 1.0, "", ["asserts nothing the source could support or contradict"], {}, [], []
    )
