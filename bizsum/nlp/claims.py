"""Claims: a summary cut into sentences and clauses, and the direction words of a claim."""

from __future__ import annotations

import re

from bizsum.nlp.lexicon import WORD
from bizsum.nlp.text import split_sentences

_UP = re.compile(
    r"\b(?:increas\w*|ris(?:e|es|ing)|rose|grow(?:s|ing|n)?|grew|growth|gain(?:s|ed)?|expand\w*|higher|more than|up|improv\w*|accelerat\w*|doubl\w*|surg\w*|climb\w*)\b",
    re.IGNORECASE,
)
_DOWN = re.compile(
    r"\b(?:decreas\w*|declin\w*|fall(?:s|ing)?|fell|drop(?:s|ped|ping)?|shrink\w*|shrank|reduc\w*|lower|less than|down|decelerat\w*|halv\w*|contract(?:ed|ing|ion)|loss(?:es)?|lost|cut)\b",
    re.IGNORECASE,
)


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


_CLAUSE_SPLIT = re.compile(
    r";\s+|,\s+(?:and|while|whereas|but|although|though)\s+(?=\w)|\s+(?:while|whereas)\s+(?=\w)|—\s*|\s+--\s+"
)


# clause boundaries inside a source sentence, for the scope of negations: the claim splitter's,
# plus "; however," and ", however"
SOURCE_CLAUSE_SPLIT = re.compile(r";\s+however,?\s+|,\s+however,?\s+(?=\w)|" + _CLAUSE_SPLIT.pattern)


_ABBREVIATION_END = re.compile(
    r"(?:\b(?:St|Ft|Mt|Inc|Co|Corp|Ltd|No|Nos|Jr|Sr|Dr|Mr|Mrs|Ms|Bros|Mfg|Intl|Int'l|vs)"
    # written either way in a telegraphic summary: "Approx. 16% of ...", "... co. provides ..."
    r"|\b(?i:approx|co|corp|est|incl|excl|avg|yr|yrs|mo|mos|qtr)|\b[A-Z])\.$"
)


def _rejoin_abbreviations(sentences: list[str]) -> list[str]:
    """Sentences glued back where the splitter cut after an abbreviation ("Minneapolis-St. Paul",
    "Johnson Controls Inc. and ..."): the next piece starts with a word that continues the name
    or the sentence."""
    out: list[str] = []
    for sentence in sentences:
        if (
            out
            and _ABBREVIATION_END.search(out[-1])
            and not re.match(r"^(?:[A-Z][a-z]+ ){0,1}(?:It|The|Its|This|These|In|As|We|They)\b", sentence)
        ):
            out[-1] = out[-1] + " " + sentence
        else:
            out.append(sentence)
    return out


def split_claims(summary: str) -> list[str]:
    """Sentences, split further into clauses where a sentence joins several facts."""
    return [claim for sentence in claims_by_sentence(summary) for claim in sentence]


def claims_by_sentence(summary: str) -> list[list[str]]:
    """:func:`split_claims`, grouped by the summary sentence each claim comes from (sentences
    without a claim left out)."""
    out: list[list[str]] = []
    for sentence in _rejoin_abbreviations(split_sentences(summary)):
        claims: list[str] = []
        sentence = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", sentence).strip()
        if not sentence:
            continue
        # clauses with the separator that preceded each, so a short clause ("and Water Control",
        # the last item of a list) rejoins the previous one with its own words
        pieces: list[tuple[str, str]] = []
        position, separator = 0, ""
        for match in _CLAUSE_SPLIT.finditer(sentence):
            pieces.append((separator, sentence[position : match.start()]))
            position, separator = match.end(), match.group()
        pieces.append((separator, sentence[position:]))
        merged: list[str] = []
        for separator, part in pieces:
            part = part.strip(" ,;")
            if not part:
                continue
            if merged and (len(WORD.findall(part)) < 4 or len(WORD.findall(merged[-1])) < 4):
                merged[-1] = merged[-1] + (separator if separator.strip() not in ("", ";") else "; ") + part
            else:
                merged.append(part)
        claims.extend(merged)
        claims = [c for c in claims if WORD.search(c) or re.search(r"\d", c)]
        if claims:
            out.append(claims)
    return out


_CROSS_REFERENCE = re.compile(
    r"^\W*(?:see|refer to|as (?:described|discussed|set forth) in|for (?:more|further|additional) "
    r"(?:information|details?)[^,]*,?\s*see)\b.*\b(?:item|note|part|section|exhibit|page)s?\s*[\dIVX]",
    re.IGNORECASE,
)
_VERB_HINT = re.compile(
    r"\b(?:is|are|was|were|be|been|has|have|had|does|do|did|can|may|will|would|should|must)\b|\w(?:s|ed|es)\b",
    re.IGNORECASE,
)


_HEADING_JOINERS = {"and", "of", "the", "for", "in", "on", "to", "a", "an", "or"}


def checkable(claim: str, last: bool = False) -> bool:
    """Whether a claim asserts anything that the source can support or contradict.

    Not checkable: a heading (at most six words, no verb, no number: "Products and Services"),
    a bare cross-reference ("See Note 3 of Item 8"), and a fragment the summary was cut off in
    (``last`` claim of a summary with no closing punctuation and under six words)."""
    text = claim.strip()
    words = WORD.findall(text)
    if _CROSS_REFERENCE.search(text) and len(words) <= 14:
        return False
    if len(words) <= 6 and not re.search(r"\d", text) and not text.endswith("."):
        title_case = all(w[0].isupper() or w.lower() in _HEADING_JOINERS for w in words)
        if title_case or not _VERB_HINT.search(text):
            return False
    return not (last and len(words) < 6 and not re.search(r"[.!?\"')]$", text))


#: words after which a claim's list begins ("Its products include A, B and C."): the first item follows the
#: first of them in its segment that leaves a short item
_LIST_INTRO = re.compile(
    r"\b(?:include[sd]?|including|such as|like|namely|from|to|for|are|is|offer(?:s|ing)?|sell(?:s|ing)?|"
    r"serve[sd]?|serving|cover(?:s|ing)?|span(?:s|ning)?|comprise[sd]?|comprising|make[sd]?|provide[sd]?|"
    r"providing|through|with)\b|:",
    re.IGNORECASE,
)
#: longest list item read on its own (words)
MAX_LIST_ITEM_WORDS = 6


def list_item_claims(claim: str) -> list[str]:
    """A claim that ends in a list of three or more short items, as one claim per item:
    "Other key products include Mavyret for hepatitis C, Creon and Linzess." gives "Other key
    products include Mavyret for hepatitis C.", "… include Creon." and "… include Linzess.".

    A summary merges lists a filing gives in several places; the claim verifier reads one window
    at a time, so the merged list finds no single passage, while each item does. ``[]`` when the
    claim has no such list: the last item must follow " and " / " or " at the end of the claim,
    every item be at most :data:`MAX_LIST_ITEM_WORDS` words, and the first one follow a word that
    introduces a list (:data:`_LIST_INTRO`)."""
    body = claim.strip().rstrip(".").strip()
    last_join = max(body.rfind(" and "), body.rfind(" or "))
    if last_join < 0:
        return []
    joiner = " and " if body.rfind(" and ") == last_join else " or "
    last = body[last_join + len(joiner) :].strip()
    if not last or "," in last or len(last.split()) > MAX_LIST_ITEM_WORDS:
        return []
    segments = [s.strip() for s in body[:last_join].rstrip(",").split(",")]
    items = [last]
    while segments:  # from the end: items, until the segment where the list is introduced
        segment = segments.pop()
        for intro in _LIST_INTRO.finditer(segment):
            first = segment[intro.end() :].strip()
            if first and len(first.split()) <= MAX_LIST_ITEM_WORDS and WORD.search(segment[: intro.start()]):
                prefix = ", ".join([*segments, segment[: intro.end()].rstrip()])
                items = [first, *reversed(items)]
                return [f"{prefix} {item}." for item in items] if len(items) >= 3 else []
        if not segment or len(segment.split()) > MAX_LIST_ITEM_WORDS:
            return []
        items.append(segment)
    return []
