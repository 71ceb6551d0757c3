"""The hard checks of the source-only rule: numbers in context, names in context, negation scope."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from bizsum.metrics.source_only.index import (
    COMPANY_DEFINED,
    CONTAINED_SHARE,
    COPY_SHARE,
    DOCUMENT_WIDE_SHARE,
    name_holders,
    name_variants,
    nearest_year,
    window_stems,
)
from bizsum.nlp.claims import SOURCE_CLAUSE_SPLIT
from bizsum.nlp.lexicon import NEGATION_TOKENS, STOPWORDS, TOKEN, content_stems, norm_tokens, stem
from bizsum.nlp.names import NAME_SUFFIXES, extract_names
from bizsum.nlp.numbers import Number, extract_numbers, kinds_compatible, numbers_equal
from bizsum.nlp.source_index import SourceIndex


def check_numbers(claim: str, index: SourceIndex, aligned: Sequence[int]) -> tuple[list[dict], int]:
    """Each number of the claim: found in the source with matching context? Returns (reports, #bad)."""
    reports = []
    bad = 0
    claim_numbers = extract_numbers(claim)
    for num in claim_numbers:
        if num.kind == "count" and num.value < 10 and num.unit >= 1 and not re.search(r"[a-z]", num.text, re.I):
            # small bare numerals are compared only when present in the aligned passages
            pass
        window = window_stems(claim, num.start, num.end)
        claim_year = nearest_year(claim, num, claim_numbers) if num.kind != "year" else None
        matches = [(src, si) for src, si in index.numbers if numbers_equal(num, src)]
        if not matches:
            reports.append({"number": num.text, "value": num.value, "kind": num.kind, "status": "not_in_source"})
            bad += 1
            continue
        best_status = "wrong_context"
        best_overlap = 0.0
        evidence = None
        for src, si in matches:
            sentence = index.sentences[si]
            src_window = window_stems(sentence, src.start, src.end, width=10)
            overlap = len(window & src_window) / max(1, min(len(window), 4))
            in_aligned = si in aligned
            year_ok = True
            if claim_year is not None:
                src_year = nearest_year(sentence, src, index.sentence_numbers[si])
                if src_year is not None and src_year != claim_year:
                    year_ok = False
            needed = 0.5 if num.kind == "year" else 0.25  # years recur everywhere in a filing
            ok = year_ok and (overlap >= needed or in_aligned or not window)
            if ok and (best_status != "ok" or overlap > best_overlap):
                best_status, best_overlap, evidence = "ok", overlap, sentence
            elif best_status != "ok" and overlap >= best_overlap:
                best_overlap, evidence = overlap, sentence
        report = {
            "number": num.text,
            "value": num.value,
            "kind": num.kind,
            "status": best_status,
            "context_overlap": round(best_overlap, 3),
            "source": evidence,
        }
        if best_status == "ok":
            replaced = _slot_in_aligned(num, window, index, aligned, claim_numbers)
            if replaced is not None and (
                replaced[0] > best_overlap
                or (
                    replaced[0] == best_overlap
                    and _shared(claim, index.sentences[replaced[2]]) > _shared(claim, evidence)
                )
            ):
                report.update(status="wrong_context", replaces=replaced[1].text, source=index.sentences[replaced[2]])
        if report["status"] != "ok":
            bad += 1
        reports.append(report)
    return reports, bad


def _shared(claim: str, sentence: str | None) -> int:
    return len(set(content_stems(claim)) & set(content_stems(sentence or "")))


def _slot_in_aligned(
    num: Number, window: set[str], index: SourceIndex, aligned: Sequence[int], claim_numbers: Sequence[Number]
) -> tuple[float, Number, int] | None:
    """The number of the same kind that stands in the claim number's place in the aligned passages.

    A claim that copies a source sentence but changes one number ("from fiscal year 1995 to fiscal
    year 2000" for "... to fiscal year 2002") still finds 2000 somewhere in a filing, with loosely
    matching words around it. When the passage the claim is aligned with holds another number of
    the same kind in the same words (overlap >= 0.5, better than anywhere the claim's number occurs,
    or as good and in a sentence that shares more words with the claim), the claim's number was put
    in its place. Returns (overlap, that number, its sentence) or None.
    """
    best = None
    for si in aligned:
        sentence = index.sentences[si]
        for src in index.sentence_numbers[si]:
            if not kinds_compatible(num.kind, src.kind) or any(numbers_equal(c, src) for c in claim_numbers):
                continue  # another kind, or a number the claim states itself
            overlap = len(window & window_stems(sentence, src.start, src.end, width=10)) / max(1, min(len(window), 4))
            if overlap >= 0.5 and (best is None or overlap > best[0]):
                best = (overlap, src, si)
    return best


def check_names(claim: str, index: SourceIndex, aligned: Sequence[int] = ()) -> tuple[list[dict], int]:
    """Names must occur in the source, and in a related context.

    In context = some source sentence holding the name is about as related to the claim as the
    best sentence of the passages aligned with the claim: it shares at least two of the claim's
    other content words (a third of them for a short claim) and at least half as many as that best
    sentence does when the claim copies that sentence (``COPY_SHARE``), or the claim carries most
    (``CONTAINED_SHARE``) of the holder's own words (a claim that runs several source lines
    together). A claim that copies one source sentence but puts another name from the filing into
    it ("Outsourcing to Portland enables management to focus on ...", where Portland only occurs in
    the list of office locations) fails. A name the filing uses throughout (in at least 3 sentences and
    ``DOCUMENT_WIDE_SHARE`` of them) or the company's own name (held by the sentence that defines
    "the Company") is in context anywhere.
    """
    reports = []
    bad = 0
    claim_stems = set(content_stems(claim))
    for name in extract_names(claim):
        toks = norm_tokens(name)
        while toks and toks[-1] in NAME_SUFFIXES:
            toks = toks[:-1]
        while toks and toks[0] in NAME_SUFFIXES:
            toks = toks[1:]
        if not toks:
            continue
        variants = name_variants(toks)
        if not any(v in index.norm_text for v in variants):
            bad += 1
            reports.append({"name": name, "status": "not_in_source"})
            continue
        holders = name_holders(variants, index)
        name_stems = set(content_stems(name))
        rest = claim_stems - name_stems
        status = "wrong_context"
        evidence = None
        document_wide = len(holders) >= max(3, DOCUMENT_WIDE_SHARE * len(index.sentences)) or any(
            COMPANY_DEFINED.search(index.sentences[i]) for i in holders
        )
        if not rest or document_wide:
            status = "ok"
        else:
            best_shared = max((len(rest & index.sentence_stems[i]) for i in aligned), default=0)
            needed = min(2, math.ceil(len(rest) / 3))
            if best_shared >= COPY_SHARE * len(rest):  # the claim copies one sentence: hold names to it
                needed = max(needed, math.ceil(best_shared / 2))
            for i in holders:
                shared = len(rest & index.sentence_stems[i])
                own = len(index.sentence_stems[i] - name_stems)
                if shared >= needed or (shared >= 2 and shared >= CONTAINED_SHARE * own):
                    status, evidence = "ok", index.sentences[i]
                    break
            if status != "ok" and holders:
                evidence = index.sentences[holders[0]]
        if status != "ok":
            bad += 1
        reports.append({"name": name, "status": status, **({"source": evidence} if evidence else {})})
    return reports, bad


def scope_negations(source_sentence: str, claim_stems: set[str]) -> tuple[int, str]:
    """Negations in the part of a source sentence that the claim overlaps, and that part.

    The part is cut from the clauses the claim carries (at least half of a clause's content words
    are in the claim; else the clause sharing the most), so "X is taxed at 1.5%" is not compared
    with the "; however, Y is not subject to such tax" that follows it in the source sentence.
    """
    clauses = [c for c in SOURCE_CLAUSE_SPLIT.split(source_sentence) if c and c.strip()]
    shares = []
    for clause in clauses:
        own = set(content_stems(clause))
        shares.append((len(own & claim_stems) / len(own)) if own else 0.0)
    if not shares or max(shares) == 0:
        return 0, ""
    kept = [c for c, share in zip(clauses, shares) if share >= 0.5] or [clauses[shares.index(max(shares))]]
    toks = TOKEN.findall(" ".join(kept))
    stems_ = [stem(t.lower()) for t in toks]
    hits = [i for i, st in enumerate(stems_) if st in claim_stems and st not in STOPWORDS]
    if not hits:
        return 0, ""
    lo, hi = max(0, min(hits) - 3), max(hits) + 1
    span = toks[lo:hi]
    text = " ".join(span)
    neg = sum(1 for t in span if t.lower() in NEGATION_TOKENS or t.lower().endswith("n't"))
    return neg, text
