"""The company's own name in a claim, read as "the company" by the verifier.

Summaries name the company where the filing says "we" or "the Company" ("The United States Shoe
Corporation sells footwear brands to department stores." for "Footwear brands are sold to
department stores and through the company's own stores."). The verifier, trained to reject a
claim that puts a name its evidence does not hold into a relation, scored that claim 0.02. The
names a filing defines as itself ('The United States Shoe Corporation (the "company")', 'AbbVie
Inc. ("AbbVie" or "the company")', 'the terms “Amazon.com,” “we,” ... include Amazon.com, Inc.') are
found here; a claim holding one is verified a second time with "the company" in its place, and the
better score counts.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bizsum.metrics.source_only.index import COMPANY_DEFINED, COMPANY_TERMS, DOCUMENT_WIDE_SHARE
from bizsum.nlp.names import extract_names

_SUFFIX = re.compile(
    r"[,\s]+(?:inc|incorporated|corp|corporation|co|company|ltd|limited|plc|llc|l\.p|lp|n\.v|s\.a|holdings?)\.?$",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“']([A-Z][^\"”']{1,40})[\"”']")
_GENERIC = {"company", "company's", "company’s", "registrant", "corporation", "partnership", "bank", "trust", "fund"}
_GENERIC |= {"we", "us", "our", "the company"}
_MAX_CHARS = 20_000  # the defining sentence is near the top of Item 1
_REFERS_TO = re.compile(r"\b(?:refers?\s+to|referring\s+to|include|includes|means?|shall\s+mean)\b", re.IGNORECASE)


@lru_cache(maxsize=64)
def company_names(source_text: str) -> tuple[str, ...]:
    """The names the filing defines as itself, longest first (with and without "The" and legal suffixes)."""
    head = source_text[:_MAX_CHARS]
    found: set[str] = set()
    for match in COMPANY_DEFINED.finditer(head):
        before = head[max(0, match.start() - 160) : match.start()]
        names = extract_names(
            before.rsplit(".", 1)[-1] if before.count(".") and not before.rstrip().endswith(".") else before
        )
        if names:
            found.add(names[-1])
        for alias in _QUOTED.findall(match.group(0)):
            if alias.strip(" ,.").lower() not in _GENERIC:
                found.add(alias.strip())
    sentences = re.split(r"(?<=[.!?])\s+", source_text)
    for sentence in re.split(r"(?<=[.!?])\s+", head):
        # 'As used herein, “Amazon.com,” “we,” “our,” ... include Amazon.com, Inc.': the name the
        # terms refer to, and the quoted terms that are part of it ("Home Depot" of "The Home Depot,
        # Inc."; not 'this "Annual Report"')
        referent = _REFERS_TO.search(sentence) if COMPANY_TERMS.search(sentence) else None
        if referent is None:
            continue
        names = extract_names(sentence[referent.end() :])
        if not names:
            continue
        found.add(names[0])
        for alias in _QUOTED.findall(sentence[: referent.start()]):
            alias = alias.strip(" ,.")
            if alias.lower() not in _GENERIC and alias in names[0]:
                found.add(alias)
    for sentence in sentences[:3]:
        # the name a filing opens with and uses throughout ("AbbVie is a global ...")
        names = extract_names(sentence)
        start = re.sub(
            r"^(?:ITEM\s+1\.?\s*BUSINESS\.?\s*|Item\s+1\.?\s*Business\.?\s*|General\s+|The\s+)+", "", sentence.strip()
        )
        if not names or not start.startswith(names[0]) or (names[0].isupper() and len(names[0]) < 5):
            continue
        name = names[0]
        holders = sum(1 for sentence in sentences if name in sentence)
        if holders >= max(3, DOCUMENT_WIDE_SHARE * len(sentences)):
            found.add(name)
    out: set[str] = set()
    for name in found:
        name = name.strip(" ,")
        for form in (name, re.sub(r"^The\s+", "", name)):
            out.add(form)
            short = _SUFFIX.sub("", form).strip()
            if len(short) >= 3:
                out.add(short)
    return tuple(sorted((n for n in out if len(n) >= 3 and n.lower() not in _GENERIC), key=len, reverse=True))


def as_the_company(claim: str, names: tuple[str, ...]) -> str | None:
    """The claim with the company's own name read as "the company" (None when it holds none)."""
    text = claim
    for name in names:
        pattern = re.compile(r"(?<![\w-])(?:[Tt]he\s+)?" + re.escape(name) + r"(?P<poss>['’]s)?(?![\w-])")
        text = pattern.sub(lambda m: "the company" + ("'s" if m.group("poss") else ""), text)
    if text == claim:
        return None
    return text[0].upper() + text[1:] if text.startswith("the company") else text
