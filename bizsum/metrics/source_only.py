"""Source-only rule: does every claim of the summary come from the source text?

The reference prompt says "use only information from the following text". This metric splits a
summary into claims (sentences, and clauses where a sentence joins several facts with ";" or
", and"/", while"/", but") and checks each claim against the source with four kinds of evidence:

1. **Numbers** (:func:`extract_numbers`): amounts, percentages, money, years are normalized
   ("$1.2 billion" = "1,200 million" = 1.2e9; "37 percent" = "37%") and must occur in the source
   *in context*: the source occurrence must share content words with the claim around the number,
   and when the claim ties the number to a year ("37% ... in 2017") the source occurrence must be
   tied to the same year. A claim may round ("2.6 billion" for 2,634 million).
2. **Names** (:func:`extract_names`): capitalized spans (companies, products, places, exchanges,
   partners, months) must occur in the source as a phrase (case and punctuation ignored).
3. **Semantic support**: the claim is aligned to its most similar source sentence (and pairs of
   adjacent sentences) with the offline MiniLM encoder; lexical support is the share of the claim's
   content words (stemmed) found in the aligned passages and in the whole source.
4. **Polarity**: negation ("no customer" vs "a customer") and direction ("increased" vs
   "decreased") must agree with the aligned source passage.

A claim that says the source does not cover a focus area ("the text gives no details on
financing") is compliant when the source indeed says little about that area (its numbers and names
are still checked). The checks are combined into a probability of support by a logistic model (:data:`COEFFICIENTS`, hand-set and
led by semantic similarity; a model fitted on dev data was too lexical, see
``bench/results/calibration_fit.md``); a hard failure (unsupported number or name, flipped
negation or direction) makes a claim unsupported.

Values: ``source_only`` = share of checkable claims that are supported (0 for an empty summary),
``support_mean`` = mean support probability, ``support_min`` = lowest claim probability,
``claims``, ``unsupported_claims``, ``unsupported_numbers``, ``unsupported_names``.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from bizsum.focus_areas import STRONG_THRESHOLD, absence_areas, area_scores
from bizsum.metrics.base import Metric, MetricResult, ScoringItem
from bizsum.text import split_sentences

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# words

STOPWORDS = frozenset(
    """a an the and or but if then else of to in on at by for with from into onto over under about
    above below as is are was were be been being has have had having do does did doing this that
    these those it its it's they them their theirs we our ours us you your he she his her him i me my
    which who whom whose what when where why how than too very can could may might must shall should
    will would also such other others each any all both either neither some most more less much many
    own same so just only not no nor up down out off again further once here there s t via per
    including include includes included through while whereas although though because since until
    within without across among between during after before against along around upon well
    company company's companies business businesses inc corp corporation ltd llc co firm
    """.split()
)

_WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    return _porter().stem(word.lower().strip("'’"))


@lru_cache(maxsize=1)
def _porter():
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


def content_stems(text: str) -> list[str]:
    out = []
    for w in _WORD.findall(text):
        lw = w.lower().replace("’", "'")
        if lw.endswith("'s"):
            lw = lw[:-2]
        if lw in STOPWORDS or len(lw) < 2:
            continue
        out.append(stem(lw))
    return out


# ---------------------------------------------------------------------------------------------
# numbers

_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "mm": 1e6, "m": 1e6,
    "billion": 1e9, "billions": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12,
}
_WORD_NUMBERS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "dozen": 12, "one": 1, "a": 1, "half": 0.5,
}
_MONTHS = "january february march april may june july august september october november december".split()

_NUM_RE = re.compile(
    r"(?<![\w.\-/])"
    r"(?P<cur>US\$|\$|€|£|USD\s?|EUR\s?|GBP\s?)?\s?"
    r"(?:(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"|(?P<word>(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|(?:one|a|half a)(?=\s+(?:hundred|thousand|million|billion|trillion)\b)|hundreds|thousands|millions|billions|dozens?))"
    r"(?:\s?(?P<scale>thousand|million|millions|billion|billions|trillion|mn|mm|bn|tn|[kmb])\b)?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b|percentage points?\b|basis points\b|bps\b))?"
    r"(?P<dollars>\s(?:dollars|USD|euros?)\b)?"
    r"(?![\w\-/]|\.\d)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Number:
    value: float
    kind: str  # pct | money | year | count
    text: str
    start: int
    end: int
    unit: float  # rounding unit of the number as written


def _precision_unit(digits: str, scale: float) -> float:
    digits = digits.replace(",", "")
    if "." in digits:
        decimals = len(digits.split(".")[1])
        return 10 ** (-decimals) * scale
    stripped = digits.rstrip("0")
    zeros = len(digits) - len(stripped) if stripped else 0
    return 10 ** zeros * scale


def _word_value(word: str) -> float | None:
    word = word.lower().replace("-", " ")
    if word in ("hundreds", "thousands", "millions", "billions", "dozens"):
        return None  # vague quantities are not checked
    parts = word.split()
    if parts[:2] == ["half", "a"]:
        return 0.5
    total = 0.0
    for p in parts:
        if p not in _WORD_NUMBERS:
            return None
        total += _WORD_NUMBERS[p]
    return total


def extract_numbers(text: str) -> list[Number]:
    """Normalized numbers with kind (pct, money, year, count); item numbers like 10-K are skipped."""
    out: list[Number] = []
    for m in _NUM_RE.finditer(text):
        cur, num, word, scale_w, pct, dollars = (m.group(g) for g in ("cur", "num", "word", "scale", "pct", "dollars"))
        scale = 1.0
        if scale_w:
            s = scale_w.lower()
            if s in ("m", "b", "k") and not (cur or dollars) and not (num and "." in num):
                # "5m" without a currency is ambiguous (5 metres?): accept only with a currency
                if not cur:
                    scale_w = None
                    s = ""
            scale = _SCALES.get(s, 1.0)
        if num is not None:
            try:
                base = float(num.replace(",", ""))
            except ValueError:
                continue
            unit = _precision_unit(num, scale)
        else:
            wv = _word_value(word)
            if wv is None:
                continue
            base = wv
            unit = scale if scale > 1 else 1.0
            if word.lower() in ("a", "one") and scale == 1.0:
                continue
        value = base * scale
        raw = m.group(0).strip()
        if pct:
            kind = "pct" if "point" not in pct.lower() and "basis" not in pct.lower() and "bps" not in pct.lower() else "pp"
        elif cur or dollars:
            kind = "money"
        elif num and re.fullmatch(r"(1[89]\d\d|20\d\d)", num) and not scale_w:
            kind = "year"
            unit = 1.0
        else:
            kind = "count"
        # skip lone small integers used as list markers / section references ("Item 1", "Note 3")
        before = text[max(0, m.start() - 12): m.start()].lower()
        if kind == "count" and re.search(r"(item|note|part|section|form|page|schedule|rule|tier|level|class|phase|chapter|exhibit|no\.)\s*$", before):
            continue
        # plain single-digit numerals carry little signal unless they are words ("six minutes") or pct/money
        out.append(Number(value=value, kind=kind, text=raw, start=m.start(), end=m.end(), unit=unit))
    return out


def _kinds_compatible(a: str, b: str) -> bool:
    if a == b:
        return True
    return {a, b} in ({"money", "count"}, {"year", "count"})


def numbers_equal(claim: Number, source: Number) -> bool:
    if not _kinds_compatible(claim.kind, source.kind):
        return False
    if source.value == claim.value:
        return True
    # the claim may be a rounded version of the source number ("2.6 billion" for 2,634 million)
    tolerance = 0.5 * claim.unit + 1e-9 * max(1.0, abs(claim.value))
    if claim.kind != "year" and abs(source.value - claim.value) <= tolerance and claim.value != 0:
        return True
    return False


# ---------------------------------------------------------------------------------------------
# names

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&'’.\-]*[A-Za-z0-9]|[A-Za-z0-9]")
_NAME_FILLERS = {"of", "&", "de", "la", "du", "von", "van", "for", "on"}
_GENERIC_CAPS = {
    "the", "a", "an", "in", "on", "at", "by", "for", "with", "from", "as", "its", "their", "it", "they",
    "this", "these", "that", "those", "we", "our", "additionally", "furthermore", "moreover", "however",
    "overall", "also", "finally", "lastly", "further", "besides", "through", "while", "although",
    "founded", "headquartered", "incorporated", "based", "in addition", "beyond", "key", "other", "both",
    "there", "here", "when", "since", "after", "before", "during", "each", "all", "some", "many",
    "most", "such", "no", "not", "none", "one", "two", "three", "its", "his", "her", "i", "you",
    "revenue", "revenues", "customers", "products", "distribution", "financing", "sales", "summary",
    "company", "the company", "business", "services", "inc", "inc.", "corp", "corp.", "ltd", "co",
    "llc", "plc", "group", "holdings", "limited", "corporation", "company's",
}
_NAME_SUFFIXES = {"inc", "corp", "corporation", "ltd", "llc", "co", "plc", "company", "group", "holdings", "limited", "s.a", "n.v", "ag", "the"}


def _norm_tokens(text: str) -> list[str]:
    toks = []
    for t in _TOKEN.findall(text):
        t = t.lower().replace("’", "'").rstrip(".")
        if t.endswith("'s"):
            t = t[:-2]
        t = t.replace(".", "")
        if t:
            toks.append(t)
    return toks


def extract_names(text: str) -> list[str]:
    """Capitalized spans that look like names (companies, products, places, months, exchanges)."""
    names: list[str] = []
    tokens = list(re.finditer(r"[A-Za-z0-9&][A-Za-z0-9&'’.\-]*[A-Za-z0-9&]|[A-Za-z]", text))
    i = 0
    n = len(tokens)
    while i < n:
        tok = tokens[i].group(0)
        if tok[0].isupper() or (len(tok) > 1 and any(c.isupper() for c in tok[1:]) and tok[0].isalpha()):
            start_i = i
            j = i + 1
            while j < n:
                t = tokens[j].group(0)
                gap = text[tokens[j - 1].end(): tokens[j].start()]
                if gap.strip() not in ("", "-", "&") or "\n" in gap:
                    break
                if t[0].isupper():
                    j += 1
                    continue
                if t.lower() in _NAME_FILLERS and j + 1 < n and tokens[j + 1].group(0)[0].isupper() and text[tokens[j].end(): tokens[j + 1].start()].strip() == "":
                    j += 2
                    continue
                break
            span_tokens = [tokens[k].group(0) for k in range(start_i, j)]
            # sentence-initial capital: drop a leading common word ("The", "Additionally", "Its")
            at_start = start_i == 0 or re.search(r"[.!?:;•\"“(]\s*$", text[: tokens[start_i].start()]) is not None
            while span_tokens and span_tokens[0].lower().rstrip(".,") in _GENERIC_CAPS:
                span_tokens = span_tokens[1:]
                at_start = False
            if span_tokens:
                if at_start and len(span_tokens) == 1 and span_tokens[0].istitle() and span_tokens[0].lower() in _common_words():
                    pass  # "Customers include ..." at the start of a sentence
                else:
                    span = " ".join(span_tokens).strip(" .,'’")
                    if len(span) > 1 and not span.isdigit():
                        names.append(span)
            i = j
        else:
            i += 1
    return names


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Lower-case whole words of the MiniLM (BERT uncased) vocabulary: a proxy for 'common word'."""
    try:
        from bizsum.encoders import sentence_encoder

        vocab = sentence_encoder().tokenizer.get_vocab()
        return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))
    except Exception:  # pragma: no cover - the encoder is always there in practice
        log.warning("no tokenizer vocabulary for common words; sentence-initial words count as names")
        return frozenset(STOPWORDS)


# ---------------------------------------------------------------------------------------------
# polarity

_NEGATION = re.compile(
    r"\b(?:not|no|never|none|neither|nor|without|cannot|can't|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|won't|hasn't|haven't|hadn't|lack(?:s|ed|ing)?|unable|fail(?:s|ed)? to|non-)\b|n't\b",
    re.IGNORECASE,
)
_UP = re.compile(r"\b(?:increas\w*|ris(?:e|es|ing)|rose|grow(?:s|ing|n)?|grew|growth|gain(?:s|ed)?|expand\w*|higher|more than|up|improv\w*|accelerat\w*|doubl\w*|surg\w*|climb\w*)\b", re.IGNORECASE)
_DOWN = re.compile(r"\b(?:decreas\w*|declin\w*|fall(?:s|ing)?|fell|drop(?:s|ped|ping)?|shrink\w*|shrank|reduc\w*|lower|less than|down|decelerat\w*|halv\w*|contract(?:ed|ing|ion)|loss(?:es)?|lost|cut)\b", re.IGNORECASE)


def negation_count(text: str) -> int:
    return len(_NEGATION.findall(text))


def direction_flipped(claim: str, source_span: str) -> bool:
    """The claim turned an increase of the source into a decrease, or the reverse.

    Counted as a swap: the claim has more words of one direction and fewer of the other than the
    source span it overlaps ("an increase of 2% ... due to growth" -> "a decrease of 2% ... due to
    growth"; "more than 120 languages" -> "less than 120"). Dropping or adding a direction word
    alone is not a flip.
    """
    up_c, down_c = len(_UP.findall(claim)), len(_DOWN.findall(claim))
    up_s, down_s = len(_UP.findall(source_span)), len(_DOWN.findall(source_span))
    return (up_c > up_s and down_c < down_s) or (down_c > down_s and up_c < up_s)


# ---------------------------------------------------------------------------------------------
# claims

_CLAUSE_SPLIT = re.compile(
    r";\s+|,\s+(?:and|while|whereas|but|although|though)\s+(?=\w)|\s+(?:while|whereas)\s+(?=\w)|—\s*|\s+--\s+"
)


# clause boundaries inside a source sentence, for the scope of negations: the claim splitter's,
# plus "; however," and ", however"
_SOURCE_CLAUSE_SPLIT = re.compile(r";\s+however,?\s+|,\s+however,?\s+(?=\w)|" + _CLAUSE_SPLIT.pattern)


def split_claims(summary: str) -> list[str]:
    """Sentences, split further into clauses where a sentence joins several facts."""
    claims: list[str] = []
    for sentence in split_sentences(summary):
        sentence = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", sentence).strip()
        if not sentence:
            continue
        parts = [p.strip(" ,;") for p in _CLAUSE_SPLIT.split(sentence)]
        merged: list[str] = []
        for part in parts:
            if not part:
                continue
            if merged and len(_WORD.findall(part)) < 4:
                merged[-1] = merged[-1] + ", " + part
            elif merged and len(_WORD.findall(merged[-1])) < 4:
                merged[-1] = merged[-1] + ", " + part
            else:
                merged.append(part)
        claims.extend(merged)
    return [c for c in claims if _WORD.search(c) or re.search(r"\d", c)]


# ---------------------------------------------------------------------------------------------
# per-document index (cached by sha256)


@dataclass
class SourceIndex:
    sha256: str
    sentences: list[str]
    passages: list[str]  # sentences + adjacent pairs
    passage_sentences: list[tuple[int, ...]]
    embeddings: np.ndarray  # passages
    numbers: list[tuple[Number, int]]  # (number, sentence index)
    sentence_stems: list[set[str]]
    all_stems: set[str]
    norm_text: str  # " tok tok " lower-case token stream for phrase lookup
    sentence_norms: list[str]  # the same per sentence
    area_strong_counts: dict[str, int]
    area_scores: np.ndarray  # sentences x FOCUS_AREAS
    sentence_numbers: list[list[Number]] = field(default_factory=list)


_CACHE: "OrderedDict[str, SourceIndex]" = OrderedDict()
_CACHE_LOCK = threading.Lock()
CACHE_SIZE = 256


def source_index(text: str, sha256: str) -> SourceIndex:
    with _CACHE_LOCK:
        hit = _CACHE.get(sha256)
        if hit is not None:
            _CACHE.move_to_end(sha256)
            return hit
    index = _build_index(text, sha256)
    with _CACHE_LOCK:
        _CACHE[sha256] = index
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return index


_BULLET = re.compile(r"^\s*(?:[•·▪◦\-*]\s*\|?\s*|\|\s*)")


def unwrap_lines(text: str) -> str:
    """Join hard-wrapped lines (old plain-text filings) so sentences are not cut at line ends.

    A line is joined to the next when it does not end a sentence (no final ``.!?:;``) and the next
    line starts with a lower-case letter, a digit or an opening parenthesis.
    """
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        stripped = line.strip()
        if out and out[-1] and stripped and not re.search(r"[.!?:;]['\"”’)]?$", out[-1]) and re.match(r"[a-z0-9(]", stripped):
            out[-1] = out[-1] + " " + stripped
        else:
            out.append(stripped)
    return "\n".join(out)


def source_sentences(text: str) -> list[str]:
    """Sentences of a source text: hard wraps undone, bullet markers removed, empty bits dropped."""
    sentences = []
    for s in split_sentences(unwrap_lines(text)):
        s = _BULLET.sub("", s).strip()
        if _WORD.search(s):
            sentences.append(s)
    return sentences


def _build_index(text: str, sha256: str) -> SourceIndex:
    from bizsum.encoders import embed

    sentences = source_sentences(text)
    if not sentences:
        sentences = [text.strip() or "(empty)"]
    passages = list(sentences)
    members: list[tuple[int, ...]] = [(i,) for i in range(len(sentences))]
    for i in range(len(sentences) - 1):
        passages.append(sentences[i] + " " + sentences[i + 1])
        members.append((i, i + 1))
    sentence_emb = embed(sentences)
    # a pair of adjacent sentences is represented by the normalized mean of their embeddings
    # (close to embedding the joined text, at no extra encoder cost)
    pairs = sentence_emb[:-1] + sentence_emb[1:]
    if len(pairs):
        pairs = pairs / np.linalg.norm(pairs, axis=1, keepdims=True).clip(1e-9)
    embeddings = np.concatenate([sentence_emb, pairs]).astype("float32")
    sentence_stems = [set(content_stems(s)) for s in sentences]
    all_stems = set().union(*sentence_stems) if sentence_stems else set()
    sentence_numbers = [extract_numbers(s) for s in sentences]
    numbers = [(num, i) for i, nums in enumerate(sentence_numbers) for num in nums]
    norm_text = " " + " ".join(_norm_tokens(text)) + " "
    scores = area_scores(sentences, embeddings[: len(sentences)])
    from bizsum.config import FOCUS_AREAS

    strong = {a: int((scores[:, k] >= STRONG_THRESHOLD).sum()) for k, a in enumerate(FOCUS_AREAS)}
    log.debug("indexed source %s: %d sentences, %d numbers", sha256[:12], len(sentences), len(numbers))
    return SourceIndex(
        sha256=sha256,
        sentences=sentences,
        passages=passages,
        passage_sentences=members,
        embeddings=embeddings,
        numbers=numbers,
        sentence_stems=sentence_stems,
        all_stems=all_stems,
        norm_text=norm_text,
        sentence_norms=[" " + " ".join(_norm_tokens(x)) + " " for x in sentences],
        area_strong_counts=strong,
        area_scores=scores,
        sentence_numbers=sentence_numbers,
    )


# ---------------------------------------------------------------------------------------------
# checks


def _window_stems(text: str, start: int, end: int, width: int = 6) -> set[str]:
    left = _WORD.findall(text[:start])[-width:]
    right = _WORD.findall(text[end:])[:width]
    return set(content_stems(" ".join(left + right)))


def _nearest_year(text: str, number: Number, numbers: Sequence[Number], max_chars: int = 60) -> int | None:
    best = None
    best_dist = max_chars + 1
    for other in numbers:
        if other is number or other.kind != "year" or other.start == number.start:
            continue
        dist = other.start - number.end if other.start >= number.end else number.start - other.end
        if 0 <= dist < best_dist:
            best, best_dist = int(other.value), dist
    return best


def check_numbers(claim: str, index: SourceIndex, aligned: Sequence[int]) -> tuple[list[dict], int]:
    """Each number of the claim: found in the source with matching context? Returns (reports, #bad)."""
    reports = []
    bad = 0
    claim_numbers = extract_numbers(claim)
    for num in claim_numbers:
        if num.kind == "count" and num.value < 10 and num.unit >= 1 and not re.search(r"[a-z]", num.text, re.I):
            # small bare numerals are compared only when present in the aligned passages
            pass
        window = _window_stems(claim, num.start, num.end)
        claim_year = _nearest_year(claim, num, claim_numbers) if num.kind != "year" else None
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
            src_window = _window_stems(sentence, src.start, src.end, width=10)
            overlap = len(window & src_window) / max(1, min(len(window), 4))
            in_aligned = si in aligned
            year_ok = True
            if claim_year is not None:
                src_year = _nearest_year(sentence, src, index.sentence_numbers[si])
                if src_year is not None and src_year != claim_year:
                    year_ok = False
            needed = 0.5 if num.kind == "year" else 0.25  # years recur everywhere in a filing
            ok = year_ok and (overlap >= needed or in_aligned or not window)
            if ok and (best_status != "ok" or overlap > best_overlap):
                best_status, best_overlap, evidence = "ok", overlap, sentence
            elif best_status != "ok" and overlap >= best_overlap:
                best_overlap, evidence = overlap, sentence
        report = {"number": num.text, "value": num.value, "kind": num.kind, "status": best_status,
                  "context_overlap": round(best_overlap, 3), "source": evidence}
        if best_status == "ok":
            replaced = _slot_in_aligned(num, window, index, aligned, claim_numbers)
            if replaced is not None and (
                replaced[0] > best_overlap
                or (replaced[0] == best_overlap and _shared(claim, index.sentences[replaced[2]]) > _shared(claim, evidence))
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
            if not _kinds_compatible(num.kind, src.kind) or any(numbers_equal(c, src) for c in claim_numbers):
                continue  # another kind, or a number the claim states itself
            overlap = len(window & _window_stems(sentence, src.start, src.end, width=10)) / max(1, min(len(window), 4))
            if overlap >= 0.5 and (best is None or overlap > best[0]):
                best = (overlap, src, si)
    return best


def _phrase_in_source(tokens: list[str], index: SourceIndex) -> bool:
    return bool(tokens) and (" " + " ".join(tokens) + " ") in index.norm_text


def _name_variants(toks: list[str]) -> list[str]:
    out = [" " + " ".join(toks) + " "]
    if len(toks) > 1:
        out.append(" " + "".join(toks) + " ")
    else:
        t = toks[0]
        out += [" " + v + " " for v in {t + "s", t[:-1] if t.endswith("s") else t, t + "es", t.replace("-", " "), t.replace("-", "")}]
    return out


#: a name held by at least this share of the source sentences, or by the sentence that defines
#: the company ('The United States Shoe Corporation (the "company") is ...'), is in context anywhere
DOCUMENT_WIDE_SHARE = 0.05
_COMPANY_DEFINED = re.compile(
    r"\([^()]{0,60}?[\"“']\s*(?:company|registrant|corporation|we)\b", re.IGNORECASE
)
HEADING_WORDS = 6  # a "sentence" this short is a heading
COPY_SHARE = 0.7  # a claim whose words are this much in one aligned sentence copies it
CONTAINED_SHARE = 0.6  # a source sentence whose words the claim mostly carries is its context too


def _holders(variants: list[str], index: SourceIndex) -> list[int]:
    """Source sentences that hold the name. A heading holds the text under it too ("Seasonal
    Business" + "The demand for ..."), and a name that runs over a sentence boundary (a heading run
    into the next sentence, "Segment Status No new segment ...") is held by both sentences."""
    norms = index.sentence_norms
    holders = [i for i, sent in enumerate(norms) if any(v in sent for v in variants)]
    holders += [i + 1 for i in holders if i + 1 < len(norms) and len(norms[i].split()) <= HEADING_WORDS]
    if not holders:
        for i in range(len(norms) - 1):
            joined = norms[i].rstrip() + " " + norms[i + 1].lstrip()
            if any(v in joined for v in variants):
                holders += [i, i + 1]
    return holders


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
        toks = _norm_tokens(name)
        while toks and toks[-1] in _NAME_SUFFIXES:
            toks = toks[:-1]
        while toks and toks[0] in _NAME_SUFFIXES:
            toks = toks[1:]
        if not toks:
            continue
        variants = _name_variants(toks)
        if not any(v in index.norm_text for v in variants):
            bad += 1
            reports.append({"name": name, "status": "not_in_source"})
            continue
        holders = _holders(variants, index)
        name_stems = set(content_stems(name))
        rest = claim_stems - name_stems
        status = "wrong_context"
        evidence = None
        document_wide = (len(holders) >= max(3, DOCUMENT_WIDE_SHARE * len(index.sentences))
                         or any(_COMPANY_DEFINED.search(index.sentences[i]) for i in holders))
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


# Logistic model over claim features -> probability that the claim is supported. Hand-set, led by
# semantic similarity: a model fitted on dev data (bench/fit_calibration.py, see
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "verdict": self.verdict,
            "score": round(self.score, 4),
            "evidence": self.evidence,
            "reasons": self.reasons,
            "features": {k: round(v, 4) for k, v in self.features.items()},
            "numbers": self.numbers,
            "names": self.names,
        }


_TOK = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*%?")


def token_stems(text: str) -> list[str]:
    """All tokens (stop words too), lower-cased and stemmed: for n-gram overlap and negation scope."""
    return [stem(t) if t[0].isalpha() else t.replace(",", "") for t in (w.lower().replace("’", "'") for w in _TOK.findall(text))]


def _bigrams(tokens: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:]))


_NEG_TOKENS = {"not", "no", "never", "none", "neither", "nor", "without", "cannot", "n't", "unabl", "lack"}


def _scope_negations(source_sentence: str, claim_stems: set[str]) -> tuple[int, str]:
    """Negations in the part of a source sentence that the claim overlaps, and that part.

    The part is cut from the clauses the claim carries (at least half of a clause's content words
    are in the claim; else the clause sharing the most), so "X is taxed at 1.5%" is not compared
    with the "; however, Y is not subject to such tax" that follows it in the source sentence.
    """
    clauses = [c for c in _SOURCE_CLAUSE_SPLIT.split(source_sentence) if c and c.strip()]
    shares = []
    for clause in clauses:
        own = set(content_stems(clause))
        shares.append((len(own & claim_stems) / len(own)) if own else 0.0)
    if not shares or max(shares) == 0:
        return 0, ""
    kept = [c for c, share in zip(clauses, shares) if share >= 0.5] or [clauses[shares.index(max(shares))]]
    toks = _TOK.findall(" ".join(kept))
    stems_ = [stem(t.lower()) for t in toks]
    hits = [i for i, st in enumerate(stems_) if st in claim_stems and st not in STOPWORDS]
    if not hits:
        return 0, ""
    lo, hi = max(0, min(hits) - 3), max(hits) + 1
    span = toks[lo:hi]
    text = " ".join(span)
    neg = sum(1 for t in span if t.lower() in _NEG_TOKENS or t.lower().endswith("n't"))
    return neg, text


def check_claim(claim: str, embedding: np.ndarray, index: SourceIndex) -> ClaimCheck:
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

    # polarity against the best-matching single sentence, within the span the claim overlaps
    best_sentence = max(index.passage_sentences[best], key=lambda i: float(index.embeddings[i] @ embedding))
    claim_stem_set = set(stems)
    src_neg, src_span = _scope_negations(index.sentences[best_sentence], claim_stem_set)
    neg_claim = sum(1 for t in _TOK.findall(claim) if t.lower() in _NEG_TOKENS or t.lower().endswith("n't"))
    close = sim >= 0.45 and lex_local >= 0.6
    negation_mismatch = float(close and neg_claim % 2 != src_neg % 2)  # parity: "not ... without" = affirmative
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
    prob = _sigmoid(z)
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
                f"name {r['name']!r} does not occur in the source" if r["status"] == "not_in_source"
                else f"name {r['name']!r} occurs in the source only in an unrelated context"
            )
    if negation_mismatch:
        reasons.append("negation differs from the closest source passage")
    if direction_mismatch:
        reasons.append("direction (increase/decrease) differs from the closest source passage")
    hard_fail = bad_numbers > 0 or bad_names > 0 or negation_mismatch > 0 or direction_mismatch > 0
    if prob < SUPPORT_THRESHOLD and not hard_fail:
        reasons.append(f"no source passage supports it (best similarity {sim:.2f}, content words found {lex_global:.0%})")
    verdict = "unsupported" if hard_fail or prob < SUPPORT_THRESHOLD else "supported"
    if hard_fail:
        prob = min(prob, 0.49)
    return ClaimCheck(claim, verdict, prob, evidence, reasons, features, number_reports, name_reports)


def _absence_check(claim: str, areas: list[str], embedding: np.ndarray, index: SourceIndex) -> ClaimCheck:
    """A claim saying the source does not describe an area: compliant if the source is thin there."""
    number_reports, bad_numbers = check_numbers(claim, index, [])
    name_reports, bad_names = check_names(claim, index)
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


_CLAIM_EMB: "OrderedDict[str, np.ndarray]" = OrderedDict()


def embed_claims(claims: Sequence[str]) -> np.ndarray:
    """Embeddings of summary claims, memoized (source_only and focus_coverage embed the same claims)."""
    from bizsum.encoders import embed

    missing = [c for c in dict.fromkeys(claims) if c not in _CLAIM_EMB]
    if missing:
        for c, e in zip(missing, embed(missing)):
            _CLAIM_EMB[c] = e
        while len(_CLAIM_EMB) > 20_000:
            _CLAIM_EMB.popitem(last=False)
    if not claims:
        return np.zeros((0, 384), dtype="float32")
    return np.stack([_CLAIM_EMB[c] for c in claims])


def score_summary(summary: str, index: SourceIndex) -> tuple[dict[str, Any], dict[str, Any]]:
    claims = split_claims(summary or "")
    if not claims:
        values = {
            "source_only": 0.0, "support_mean": 0.0, "support_min": 0.0, "claims": 0,
            "unsupported_claims": 0, "unsupported_numbers": 0, "unsupported_names": 0,
        }
        return values, {"claims": [], "note": "empty summary: no claims"}
    embeddings = embed_claims(claims)
    checks = []
    for claim, emb in zip(claims, embeddings):
        areas = absence_areas(claim)
        if areas:
            checks.append(_absence_check(claim, areas, emb, index))
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
    description = "Share of summary claims supported by the source (numbers, names, meaning, polarity)."

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        results = []
        for item in items:
            index = source_index(item.document.text, item.document.sha256)
            values, details = score_summary(item.summary, index)
            results.append(MetricResult(values=values, details=details))
        return results

    def version(self) -> dict[str, str]:
        from bizsum.encoders import encoder_versions

        return {**encoder_versions(), "source_only": "3"}  # 3: names and numbers held to the copied sentence, direction swaps, clause-scoped negation
