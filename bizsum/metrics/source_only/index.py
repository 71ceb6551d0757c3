"""Lookups in the source index that the claim checks share: words around a number, the year a
number is tied to, and the source sentences that hold a name."""

from __future__ import annotations

import re
from collections.abc import Sequence

from bizsum.nlp.lexicon import WORD, content_stems
from bizsum.nlp.numbers import Number
from bizsum.nlp.source_index import SourceIndex


def window_stems(text: str, start: int, end: int, width: int = 6) -> set[str]:
    """Content stems of the ``width`` words on each side of ``text[start:end]``."""
    left = WORD.findall(text[:start])[-width:]
    right = WORD.findall(text[end:])[:width]
    return set(content_stems(" ".join(left + right)))


_YEAR_LIST_GAP = re.compile(r"^\s*(?:,|,?\s*and|,?\s*or|to|through|-|–)?\s*$")


def nearest_year(text: str, number: Number, numbers: Sequence[Number], max_chars: int = 60) -> frozenset[int]:
    """The years ``number`` is tied to: the first year written after it (within ``max_chars``,
    no other number between: "37% of revenue in 2017, from 34% in 2016") and the years listed
    with it ("10% of revenue in 2017, 2016 or 2015"); failing that, when it is the only non-year
    number, the closest year before it ("In 2017, revenue was 37%"). Empty when it is tied to no
    year ("37% in 2017, up from 34% a year earlier")."""
    respective = respective_year(text, number, numbers)
    if respective is not None:
        return respective
    values = [n for n in numbers if n.kind != "year"]
    after = sorted((n for n in numbers if n.start >= number.end), key=lambda n: n.start)
    years: list[Number] = []
    for other in after:
        if other.kind != "year":
            break  # another number comes first: the years after it are that number's
        if years:
            if not _YEAR_LIST_GAP.match(text[years[-1].end : other.start]):
                break
        elif other.start - number.end > max_chars:
            break
        years.append(other)
    if years:
        return frozenset(int(y.value) for y in years)
    if len(values) > 1:
        return frozenset()
    before = [n for n in numbers if n.kind == "year" and n.end <= number.start and number.start - n.end <= max_chars]
    return frozenset({int(max(before, key=lambda n: n.end).value)}) if before else frozenset()


_LIST_GAP = re.compile(r"^\s*(?:,\s*(?:and|or)?|and|or)\s*$")


def respective_year(text: str, number: Number, numbers: Sequence[Number]) -> frozenset[int] | None:
    """In a sentence that pairs a list of numbers with a list of years "respectively" ("For fiscal
    years 2018, 2017 and 2016, 72%, 70% and 71% of revenue was generated in the United States ...,
    respectively"), the year at the number's place in its list; None when the sentence does not."""
    if "respectively" not in text.lower():
        return None
    runs: list[list[Number]] = []
    for n in sorted(numbers, key=lambda n: n.start):
        if runs and runs[-1][-1].kind == n.kind and _LIST_GAP.match(text[runs[-1][-1].end : n.start]):
            runs[-1].append(n)
        else:
            runs.append([n])
    mine = next((run for run in runs if any(n.start == number.start for n in run)), None)
    if mine is None or len(mine) < 2 or mine[0].kind == "year":
        return None
    years = [run for run in runs if run[0].kind == "year" and len(run) == len(mine)]
    if len(years) != 1:
        return None
    place = next(i for i, n in enumerate(mine) if n.start == number.start)
    return frozenset({int(years[0][place].value)})


def name_variants(toks: list[str]) -> list[str]:
    out = [" " + " ".join(toks) + " "]
    if len(toks) > 1:
        out.append(" " + "".join(toks) + " ")
    else:
        t = toks[0]
        out += [
            " " + v + " "
            for v in {t + "s", t[:-1] if t.endswith("s") else t, t + "es", t.replace("-", " "), t.replace("-", "")}
        ]
    return out


#: a name held by at least this share of the source sentences, or by the sentence that defines
#: the company ('The United States Shoe Corporation (the "company") is ...'), is in context anywhere
DOCUMENT_WIDE_SHARE = 0.05
COMPANY_DEFINED = re.compile(r"\([^()]{0,120}?[\"“']\s*(?:company|registrant|corporation|we)\b", re.IGNORECASE)
#: a sentence that defines the company's terms without parentheses: 'As used herein, “Amazon.com,”
#: “we,” “our,” and similar terms include Amazon.com, Inc. ...', 'the terms "we", "us" or "our" as
#: used herein refer to Asta Funding, Inc.' (a quoted "we", "us" or "our")
COMPANY_TERMS = re.compile(r"[\"“']\s*(?:we|us|our)\s*[,.]?\s*[\"”']", re.IGNORECASE)


def defines_company(sentence: str) -> bool:
    """The sentence defines the company: its names there are the company's own."""
    return COMPANY_DEFINED.search(sentence) is not None or COMPANY_TERMS.search(sentence) is not None


#: the company introduced by its full name near the top of the filing ("Asta Funding, Inc. acquires
#: ..."): the name, or its first words, is the company's own wherever a summary puts it
COMPANY_INTRODUCED = r" {name} (?:[a-z0-9&'-]+ ){{0,3}}(?:inc|corp|corporation|company|co|ltd|llc|plc|incorporated) "
INTRODUCED_WITHIN = 3  # sentences from the top
HEADING_WORDS = 6  # a "sentence" this short is a heading
COPY_SHARE = 0.7  # a claim whose words are this much in one aligned sentence copies it
CONTAINED_SHARE = 0.6  # a source sentence whose words the claim mostly carries is its context too


def name_holders(variants: list[str], index: SourceIndex) -> list[int]:
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
