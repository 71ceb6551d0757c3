"""The hard checks of the source-only rule: numbers in context, names in context, negation scope."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from typing import Any

from bizsum.metrics.source_only.index import (
    COMPANY_INTRODUCED,
    CONTAINED_SHARE,
    COPY_SHARE,
    DOCUMENT_WIDE_SHARE,
    INTRODUCED_WITHIN,
    defines_company,
    name_holders,
    name_variants,
    nearest_year,
    window_stems,
)
from bizsum.nlp.claims import SOURCE_CLAUSE_SPLIT
from bizsum.nlp.lexicon import NEGATION_TOKENS, STOPWORDS, TOKEN, content_stems, norm_tokens, stem
from bizsum.nlp.names import NAME_SUFFIXES, extract_names
from bizsum.nlp.numbers import Number, day_of_month, extract_numbers, kinds_compatible, numbers_equal
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
        claim_years = nearest_year(claim, num, claim_numbers) if num.kind != "year" else frozenset()
        hedge = approximation(claim, num)
        matches = [(src, si) for src, si in index.numbers if numbers_equal(num, src) or approximates(num, src, hedge)]
        if small_count(num):
            # "two brand names", "six industries": a count a summary makes of a list the source
            # gives item by item; the claim verifier reads it, not the number check
            reports.append(
                {"number": num.text, "value": num.value, "kind": num.kind, "status": "ok", "note": "small count"}
            )
            continue
        if not matches and sum_of_others(num, claim_numbers, index):
            # "1,034 retail stores: 376 in the United States and 658 elsewhere"
            reports.append(
                {
                    "number": num.text,
                    "value": num.value,
                    "kind": num.kind,
                    "status": "ok",
                    "note": "sum of the claim's numbers",
                }
            )
            continue
        if not matches:
            reports.append({"number": num.text, "value": num.value, "kind": num.kind, "status": "not_in_source"})
            bad += 1
            continue
        best_status = "wrong_context"
        other_year = False  # found in context, but tied to another year ("34% in 2016" for "34% in 2017")
        best_overlap = 0.0
        evidence = None
        for src, si in matches:
            sentence = index.sentences[si]
            src_window = window_stems(sentence, src.start, src.end, width=10)
            overlap = len(window & src_window) / max(1, min(len(window), 4))
            in_aligned = si in aligned
            year_ok = True
            if claim_years:
                src_years = nearest_year(sentence, src, index.sentence_numbers[si])
                if src_years and not claim_years & src_years:
                    year_ok = False
            needed = 0.5 if num.kind == "year" else 0.25  # years recur everywhere in a filing
            in_context = overlap >= needed or in_aligned or not window
            ok = year_ok and in_context
            other_year = other_year or (in_context and not year_ok)
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
        if best_status != "ok" and other_year:
            report["other_year"] = True
        if best_status == "ok":
            replaced = _slot_in_aligned(num, window, index, aligned, claim_numbers)
            if replaced is not None and any(si == replaced[2] for _, si in matches):
                # that sentence holds the claim's number too: "rose from $121.0 million to $261.4
                # million" restated as "rose to $261.4 million" kept one of its numbers
                replaced = None
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


_HEDGES = {
    "about": (0.9, 1.1),
    "approximately": (0.9, 1.1),
    "approx.": (0.9, 1.1),
    "roughly": (0.9, 1.1),
    "around": (0.9, 1.1),
    "some": (0.9, 1.1),
    "close to": (0.85, 1.0),
    "nearly": (0.85, 1.0),
    "almost": (0.85, 1.0),
    "just under": (0.9, 1.0),
    "just over": (1.0, 1.1),
    "more than": (1.0, 1.35),
    "over": (1.0, 1.35),
    "in excess of": (1.0, 1.35),
    "at least": (1.0, 1.35),
    "upwards of": (1.0, 1.35),
    "less than": (0.7, 1.0),
    "fewer than": (0.7, 1.0),
    "under": (0.7, 1.0),
    "up to": (0.7, 1.0),
}
_HEDGE = re.compile(r"\b(" + "|".join(re.escape(h) for h in sorted(_HEDGES, key=len, reverse=True)) + r")\s*$", re.I)


def approximation(claim: str, num: Number) -> tuple[float, float] | None:
    """The range of source values a hedged number stands for, as factors of the number
    ("roughly $25 million" for $24.6 million; "more than 18,000" for 18,200), or None."""
    match = _HEDGE.search(claim[max(0, num.start - 20) : num.start].replace("$", " "))
    return _HEDGES[match.group(1).lower()] if match else None


def approximates(num: Number, src: Number, hedge: tuple[float, float] | None) -> bool:
    """A hedged claim number within its range of the source number (same kind; years never)."""
    if hedge is None or num.kind == "year" or not kinds_compatible(num.kind, src.kind) or src.value <= 0:
        return False
    low, high = hedge  # the source value over the claim's number
    if num.kind == "pct" and src.kind == "pct" and low < 1.0 < high:
        return abs(src.value - num.value) <= max(2.0, 0.1 * src.value)
    return low * num.value <= src.value * (1 + 1e-9) and src.value <= high * num.value * (1 + 1e-9)


def sum_of_others(num: Number, claim_numbers: Sequence[Number], index: SourceIndex) -> bool:
    """The number is the sum of two or more other numbers of the claim (of its kind) that the
    source has: a total a summary computes from the parts it also states."""
    parts = [
        n
        for n in claim_numbers
        if n is not num
        and n.kind == num.kind
        and n.kind != "year"
        and any(numbers_equal(n, src) for src, _ in index.numbers)
    ]
    if len(parts) < 2:
        return False
    tolerance = max(num.unit / 2, 1e-9 * num.value)
    return any(
        abs(sum(p.value for p in combo) - num.value) <= tolerance
        for size in range(2, min(4, len(parts)) + 1)
        for combo in itertools.combinations(parts, size)
    )


def small_count(num: Number) -> bool:
    """A plain count under 13 ("two", "six", "3"): lists are counted without the source writing the number."""
    return num.kind == "count" and num.value < 13 and float(num.value).is_integer()


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
    in_words = not re.search(r"\d", num.text)
    for si in aligned:
        sentence = index.sentences[si]
        for src in index.sentence_numbers[si]:
            if not kinds_compatible(num.kind, src.kind) or any(numbers_equal(c, src) for c in claim_numbers):
                continue  # another kind, or a number the claim states itself
            if (in_words or num.kind != "year") and src.kind == "year":
                continue  # "the fifteen largest customers" never stands in the place of "fiscal 1995"
            if (num.kind == "year" and src.kind != "year") or day_of_month(sentence, src):
                continue  # nor a year or an amount in the place of a day ("December 31, 2015")
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
        # "PIN" is held by the source's "PIN-based", "AI" by "AI-powered"
        variants = name_variants(toks) + spelled_out(toks) + [f" {' '.join(toks)}-"]
        name_stems = set(content_stems(name))
        rest = claim_stems - name_stems
        if (
            not any(v in index.norm_text for v in variants)
            and not _abbreviated_in_source(toks, index)
            and not _initials_in_aligned(name, index, aligned)
        ):
            if _held_by_closest(toks, rest, index, aligned) is not None:
                reports.append(
                    {"name": name, "status": "ok", "note": "its words are in the sentence the claim restates"}
                )
                continue
            if _words_in_source(toks, index):
                # "Nervous-system brands", "HMOs", "Departments of Veterans Affairs": capitalised or
                # inflected words the source has, not a name it lacks; the context check decides
                bad += 1
                reports.append({"name": name, "status": "wrong_context", "note": "its words occur in the source"})
                continue
            bad += 1
            reports.append({"name": name, "status": "not_in_source"})
            continue
        holders = name_holders(variants, index)
        status = "wrong_context"
        evidence = None
        copies = False
        document_wide = (
            len(holders) >= max(3, DOCUMENT_WIDE_SHARE * len(index.sentences))
            or any(defines_company(index.sentences[i]) for i in holders)
            or _company_introduced(toks, index)
        )
        if not rest or document_wide:
            status = "ok"
        else:
            best_shared = max((len(rest & index.sentence_stems[i]) for i in aligned), default=0)
            needed = min(2, math.ceil(len(rest) / 3))
            copies = best_shared >= COPY_SHARE * len(rest)
            if copies:  # the claim copies one sentence: hold names to it
                needed = max(needed, math.ceil(best_shared / 2))
            for i in holders:
                shared = len(rest & index.sentence_stems[i])
                own = len(index.sentence_stems[i] - name_stems)
                if shared >= needed or (shared >= 2 and shared >= CONTAINED_SHARE * own):
                    status, evidence = "ok", index.sentences[i]
                    break
            closest = _held_by_closest(toks, rest, index, aligned) if status != "ok" else None
            if closest is not None:
                status, evidence = "ok", index.sentences[closest]
            if status != "ok" and holders:
                evidence = index.sentences[holders[0]]
        report: dict[str, Any] = {"name": name, "status": status, **({"source": evidence} if evidence else {})}
        if status != "ok":
            bad += 1
            if not document_wide and rest and copies:
                # a copied sentence with a name from elsewhere in the filing put into it
                report["inserted"] = True
        reports.append(report)
    return reports, bad


def _held_by_closest(toks: list[str], rest: set[str], index: SourceIndex, aligned: Sequence[int]) -> int | None:
    """The aligned sentence that shares the most of the claim's other words, if it holds every word
    of the name: "GeForce GPUs" for "GeForce RTX and GeForce GTX GPUs". A name from the next line,
    even one that belongs there, is not held: entity swaps take names from neighbours too."""
    if not aligned:
        return None
    closest = max(aligned, key=lambda i: len(rest & index.sentence_stems[i]))
    return closest if all(f" {tok} " in index.sentence_norms[closest] for tok in toks) else None


def _company_introduced(toks: list[str], index: SourceIndex) -> bool:
    """The name, or its first words, introduces the company with a corporate suffix near the top of
    the filing ("Asta" for "Asta Funding, Inc. acquires ...")."""
    pattern = re.compile(COMPANY_INTRODUCED.format(name=re.escape(" ".join(toks))))
    return any(pattern.search(norm) for norm in index.sentence_norms[:INTRODUCED_WITHIN])


_DEMONYM = re.compile(r"(?:ese|ian|ean|an|ish|i)$")
#: abbreviations a summary uses for what a filing spells out
ABBREVIATIONS = {
    "ipo": "initial public offering",
    "ai": "artificial intelligence",
    "saas": "software-as-a-service",
    "hmo": "health maintenance organization",
    "pbm": "pharmacy benefit manager",
    "r&d": "research and development",
    "m&a": "acquisition",
    "smb": "small business",
    "smbs": "small business",
    "us": "united states",
    "u.s": "united states",
    "u.s.": "united states",
    "uk": "united kingdom",
    "eu": "european union",
    "ceo": "chief executive officer",
    "ip": "intellectual property",
    "va": "veterans affairs",
    "os": "operating system",
    "cfo": "chief financial officer",
    "esg": "environmental, social and governance",
    "pc": "personal computer",
    "pcs": "personal computers",
}


#: adjectives a summary uses for a country the filing names otherwise ("American" for "U.S.")
DEMONYMS = {"american": ("united states", "us", "america")}


def spelled_out(toks: list[str]) -> list[str]:
    """Phrase variants (" united states ") of a name the summary abbreviates ("U.S", "IP") or gives as
    a country adjective ("American"): the filing may spell it out or use the abbreviation."""
    key = " ".join(toks)
    forms = [*DEMONYMS.get(key, ())]
    if key in ABBREVIATIONS:
        forms.append(ABBREVIATIONS[key])
    return [f" {form} " for form in forms]


_ACRONYM = re.compile(r"[A-Z]{3,6}s?")


def _initials_in_aligned(name: str, index: SourceIndex, aligned: Sequence[int]) -> bool:
    """An acronym of words that a sentence aligned with the claim spells out ("AML" for "acute
    myeloid leukemia", "CGRP" for "calcitonin gene-related peptide"): the initials of a run of its
    words (hyphen parts as words), with or without the stop words inside the run. Only aligned
    sentences: three letters are the initials of some run of words almost anywhere in a filing."""
    if not _ACRONYM.fullmatch(name):
        return False
    letters = name.rstrip("s").lower()
    for i in aligned:
        words = [w for w in index.sentence_norms[i].replace("-", " ").split() if w[:1].isalpha()]
        for run in (words, [w for w in words if w not in STOPWORDS]):
            if letters in "".join(w[0] for w in run):
                return True
    return False


def _abbreviated_in_source(toks: list[str], index: SourceIndex) -> bool:
    """A name the summary spells out that the source abbreviates ("United States" for "U.S.")."""
    spelled = " ".join(toks)
    return any(
        f" {short} " in index.norm_text for short, long in ABBREVIATIONS.items() if long == spelled and len(short) > 1
    )


def _words_in_source(toks: list[str], index: SourceIndex) -> bool:
    """Every word of a name occurs in the source: hyphens split, plurals made singular, and an
    adjective of a place held by the place ("American" by "America", "Vietnamese" by "Vietnam")."""
    words = [w for t in toks for w in re.split(r"[-\s]+", t) if w and w not in STOPWORDS]
    if not words:
        return False
    for word in words:
        forms = {word, word[:-1] if word.endswith("s") else word, word[:-2] if word.endswith("es") else word}
        if any(f" {form} " in index.norm_text or f" {form}s " in index.norm_text for form in forms if form):
            continue
        if stem(word) in index.all_stems:  # "JAK-inhibiting" where the source has "inhibits"
            continue
        place = _DEMONYM.sub("", word)
        if len(place) >= 4 and f" {place}" in index.norm_text:
            continue
        spelled = ABBREVIATIONS.get(word) or ABBREVIATIONS.get(word.rstrip("s"))
        if spelled and f" {spelled.replace('-', ' ')}" in index.norm_text.replace("-", " "):
            continue
        return False
    return True


def scope_negations(source_sentence: str, claim_stems: set[str]) -> tuple[int, str]:
    """Negations in the part of a source sentence that the claim overlaps, and that part.

    The part is cut from the clauses the claim carries (at least half of a clause's content words
    are in the claim; else the clause sharing the most), so "X is taxed at 1.5%" is not compared
    with the "; however, Y is not subject to such tax" that follows it in the source sentence.
    """
    clauses = [c for c in SOURCE_CLAUSE_SPLIT.split(NON_NEGATING.sub(" ", source_sentence)) if c and c.strip()]
    shares = []
    for clause in clauses:
        own = set(content_stems(clause))
        shares.append((len(own & claim_stems) / len(own)) if own else 0.0)
    if not shares or max(shares) == 0:
        return 0, ""
    kept = [c for c, share in zip(clauses, shares) if share >= 0.5] or [clauses[shares.index(max(shares))]]
    # tokens with the comma-separated item each is in: a negation negates nothing past a comma ("with
    # no order minimum, unlimited delivery" does not negate the delivery)
    toks: list[str] = []
    items: list[int] = []
    for item, segment in enumerate(_ITEM_BREAK.split(" ".join(kept))):
        found = TOKEN.findall(segment)
        toks += found
        items += [item] * len(found)
    stems_ = [stem(t.lower()) for t in toks]
    hits = [i for i, st in enumerate(stems_) if st in claim_stems and st not in STOPWORDS]
    if not hits:
        return 0, ""
    lo, hi = max(0, min(hits) - 3), max(hits) + 1
    span = toks[lo:hi]
    text = " ".join(span)
    # a negation counts only when what it negates is in the claim: "and are not start-up entities"
    # says nothing against a claim that leaves start-ups out
    claim_parts = claim_stems | {part for s in claim_stems if "-" in s for part in s.split("-")}  # "start-up"
    span_items = items[lo:hi]
    neg = 0
    for i, t in enumerate(span):
        if is_negator(t):
            # what it negates: the words after it, up to the end of its item
            end = next((j for j in range(i + 1, len(span)) if span_items[j] != span_items[i]), len(span))
            neg += bool(negated_words(span[:end], i) & claim_parts)
    return neg, text


#: where a listed item of a source sentence ends, for the reach of a negation
_ITEM_BREAK = re.compile(r"[,;]\s*")


#: how many tokens after a negation word make up what it negates ("no single customer accounted")
NEGATED_WINDOW = 4


def is_negator(token: str) -> bool:
    word = token.lower()
    return word in NEGATION_TOKENS or stem(word) in NEGATION_TOKENS or word.endswith("n't")


#: negation words that negate nothing: "including, but not limited to, servers", "not only ... but also",
#: "may, but is not required to, ..."
NON_NEGATING = re.compile(
    r"\bbut\s+not\s+limited\s+to\b|\bnot\s+limited\s+to\s*[,:]|\bnot\s+only\b"
    # "may, but are not required to, make loans": a permission, not a denial of what may be done
    r"|\bmay,?\s+but\s+(?:is|are)\s+not\s+(?:required|obligated)\s+to\b",
    re.IGNORECASE,
)


def _tokens_that_may_negate(text: str) -> list[str]:
    """The tokens of a text with the negations that negate nothing (:data:`NON_NEGATING`) left out."""
    return TOKEN.findall(NON_NEGATING.sub(" ", text))


def count_negations(text: str) -> int:
    """Negation words of a text, those that negate nothing aside."""
    return sum(1 for t in _tokens_that_may_negate(text) if is_negator(t))


def negated_words(tokens: Sequence[str], i: int) -> set[str]:
    """Content stems of the few tokens after the negation word at ``i`` (what it negates)."""
    return {stem(t.lower()) for t in tokens[i + 1 : i + 1 + NEGATED_WINDOW]} - STOPWORDS


def negated_stems(text: str) -> set[str]:
    """What every negation of a text negates (:func:`negated_words`), together."""
    tokens = _tokens_that_may_negate(text)
    return set().union(*(negated_words(tokens, i) for i, t in enumerate(tokens) if is_negator(t)))
