"""Names in text: capitalized spans that look like companies, products, places, months, exchanges."""

from __future__ import annotations

import logging
import re
from functools import lru_cache

from bizsum.nlp.lexicon import STOPWORDS
from bizsum.nlp.numbers import MONTH_FORMS

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&'’.\-]*[A-Za-z0-9]|[A-Za-z0-9]")
_NAME_FILLERS = {"of", "&", "de", "la", "du", "von", "van", "for", "on"}
_GENERIC_CAPS = {
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "its",
    "their",
    "it",
    "they",
    "this",
    "these",
    "that",
    "those",
    "we",
    "our",
    "additionally",
    "furthermore",
    "moreover",
    "however",
    "overall",
    "also",
    "finally",
    "lastly",
    "further",
    "besides",
    "through",
    "while",
    "although",
    "founded",
    "headquartered",
    "incorporated",
    "based",
    "in addition",
    "beyond",
    "key",
    "other",
    "both",
    "there",
    "here",
    "when",
    "since",
    "after",
    "before",
    "during",
    "each",
    "all",
    "some",
    "many",
    "most",
    "such",
    "no",
    "not",
    "none",
    "one",
    "two",
    "three",
    "his",
    "her",
    "i",
    "you",
    "revenue",
    "revenues",
    "customers",
    "products",
    "distribution",
    "financing",
    "sales",
    "summary",
    "company",
    "the company",
    "business",
    "services",
    "inc",
    "inc.",
    "corp",
    "corp.",
    "ltd",
    "co",
    "llc",
    "plc",
    "group",
    "holdings",
    "limited",
    "corporation",
    "company's",
    "fy",
}
NAME_SUFFIXES = {
    "inc",
    "corp",
    "corporation",
    "ltd",
    "llc",
    "co",
    "plc",
    "company",
    "group",
    "holdings",
    "limited",
    "s.a",
    "n.v",
    "ag",
    "the",
}


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
                gap = text[tokens[j - 1].end() : tokens[j].start()]
                if gap.strip() not in ("", "-", "&") or "\n" in gap:
                    break
                if t[0].isupper():
                    j += 1
                    continue
                if (
                    t.lower() in _NAME_FILLERS
                    and j + 1 < n
                    and tokens[j + 1].group(0)[0].isupper()
                    and text[tokens[j].end() : tokens[j + 1].start()].strip() == ""
                ):
                    j += 2
                    continue
                break
            # a month that ends a span is a date's, named in full ("Aug 1998" is the source's
            # "August"; "Board's Aug 1998 plan" names no "Board's Aug"; "mid-April" is April); one
            # that starts a longer span starts a name ("May Department Stores", "August Max Woman")
            month = month_name(tokens[j - 1].group(0))
            if month:
                j -= 1
                if j == start_i:
                    names.append(month)
                    i = j + 1
                    continue
            span_tokens = [tokens[k].group(0) for k in range(start_i, j)]
            # a compound adjective on an acronym ends the name: "AI-enabled Ray-Ban glasses" names
            # "AI" and "Ray-Ban", "Maestro PIN-based debit" names "Maestro PIN" ("Third-party
            # Logistics Inc." stays one name)
            for k, tok_k in enumerate(span_tokens):
                head, _, tail = tok_k.rpartition("-")
                acronym = head.replace(".", "").replace("-", "").isupper() or any(c.isupper() for c in head[1:])
                if head and acronym and tail.islower() and tail.isalpha() and len(tail) > 2:
                    if k + 1 < len(span_tokens):
                        j = start_i + k + 1
                    span_tokens = span_tokens[:k] + [head]
                    break
            # sentence-initial capital: drop a leading common word ("The", "Additionally", "Its")
            at_start = start_i == 0 or re.search(r"[.!?:;•\"“(]\s*$", text[: tokens[start_i].start()]) is not None
            while span_tokens and span_tokens[0].lower().rstrip(".,") in _GENERIC_CAPS:
                span_tokens = span_tokens[1:]
                at_start = False
            # a sentence-initial preposition before a name ("Unlike Jordan, ...", "Including
            # Converse, ...") is not part of it
            if at_start and span_tokens and _leading_word(span_tokens[0]):
                span_tokens = span_tokens[1:]
                at_start = False
            # a sentence-initial verb form before a name ("Widening U.S. export licensing ...")
            if (
                at_start
                and len(span_tokens) > 1
                and span_tokens[0].lower().endswith(("ing", "ed"))
                and _common_word(span_tokens[0])
            ):
                span_tokens = span_tokens[1:]
                at_start = False
            if span_tokens:
                if at_start and len(span_tokens) == 1 and _common_word(span_tokens[0]):
                    pass  # "Customers include ..." at the start of a sentence
                else:
                    span = " ".join(span_tokens).strip(" .,'’")
                    if len(span) > 1 and not span.isdigit():
                        names.append(span)
            if month:
                names.append(month)
            i = j + 1 if month else j  # past the month, when one ended the span
        else:
            i += 1
    return names


_MONTH_TOKEN = re.compile(r"(?:(?:mid|early|late)-)?([A-Za-z]+)\.?")


def month_name(token: str) -> str | None:
    """The full month a capitalised token names ("Aug", "Aug.", "Sept", "mid-April" -> "April"),
    else None. "May" counts only written in full, as a month's name is (the modal verb is
    lower-case inside a sentence)."""
    m = _MONTH_TOKEN.fullmatch(token)
    if not m or not m.group(1)[:1].isupper():
        return None
    month = MONTH_FORMS.get(m.group(1).lower())
    return month.capitalize() if month else None


_LEADING_WORDS = frozenset(
    [
        "unlike",
        "including",
        "excluding",
        "besides",
        "alongside",
        "across",
        "within",
        "without",
        "despite",
        "following",
        "among",
        "amid",
        "between",
        "under",
        "over",
        "along",
        "via",
        "plus",
        "like",
        "per",
        "toward",
        "towards",
        "around",
        "against",
        "beside",
        "inside",
        "outside",
    ]
)


def _leading_word(token: str) -> bool:
    word = token.lower().rstrip(".,")
    return word in _LEADING_WORDS


def _common_word(token: str) -> bool:
    """A capitalised common word at the start of a sentence ("Customers", "Third-party",
    "Nervous-system", "Today's"): every hyphen part, without a possessive, is a common word or the
    plural of one, and only the first letter is a capital."""
    parts = [p for p in re.split(r"-", re.sub(r"['’]s$", "", token)) if p]
    if not parts or not parts[0][:1].isupper() or any(c.isupper() for p in parts for c in p[1:]):
        return False
    if any(p[:1].isupper() for p in parts[1:]):
        return False  # "Coca-Cola", "Wal-Mart": a capital after the hyphen makes a name
    words = _common_words()

    def common(word: str) -> bool:
        base = {word[:-1]} if word.endswith("s") else set()
        if word.endswith("es"):
            base.add(word[:-2])
        for prefix in ("un", "non"):  # "Unfilled", "Nonrecurring"
            if word.startswith(prefix) and len(word) > len(prefix) + 3 and common(word[len(prefix) :]):
                return True
        agent = word[:-1] if word.endswith("ers") else word
        if agent.endswith("er") and len(agent) > 4:  # "Shoppers", "Retailers": one who does a common verb
            stem_ = agent[:-2]
            base |= {stem_, stem_ + "e", stem_[:-1] if stem_[-1:] == stem_[-2:-1] else stem_}
        for suffix in ("ing", "ed"):  # "Complying", "Founded": a verb form of a common word
            if word.endswith(suffix) and len(word) > len(suffix) + 2:
                stem_ = word[: -len(suffix)]
                base |= {stem_, stem_ + "e", stem_[:-1] if stem_[-1:] == stem_[-2:-1] else stem_}
                if stem_.endswith("i"):
                    base.add(stem_[:-1] + "y")  # "complied" / "complying" -> "comply"
                if stem_.endswith("y"):
                    base.add(stem_)  # "complying" -> "comply"
        return word in words or bool(base & words)

    return all(common(p.lower()) for p in parts)


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Lower-case whole words of the MiniLM (BERT uncased) vocabulary: a proxy for 'common word'."""
    try:
        from bizsum.nlp.encoders import sentence_encoder

        vocab = sentence_encoder().tokenizer.get_vocab()
        return frozenset(w for w in vocab if w.isalpha() and not w.startswith("##"))
    except Exception:  # pragma: no cover - the encoder is always there in practice
        log.warning("no tokenizer vocabulary for common words; sentence-initial words count as names")
        return frozenset(STOPWORDS)
