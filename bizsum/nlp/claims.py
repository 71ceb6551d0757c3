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
            if (merged and len(WORD.findall(part)) < 4) or (merged and len(WORD.findall(merged[-1])) < 4):
                merged[-1] = merged[-1] + ", " + part
            else:
                merged.append(part)
        claims.extend(merged)
    return [c for c in claims if WORD.search(c) or re.search(r"\d", c)]
