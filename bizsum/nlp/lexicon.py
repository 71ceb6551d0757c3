"""Words: stop words, stems, content words and the token streams the claim checks compare.

Shared by every metric that compares a summary with its source (no metric imports another).
"""

from __future__ import annotations

import re
from functools import lru_cache

from bizsum.nlp.porter import stem as porter_stem

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "else",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "above",
        "below",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "having",
        "do",
        "does",
        "did",
        "doing",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "it's",
        "they",
        "them",
        "their",
        "theirs",
        "we",
        "our",
        "ours",
        "us",
        "you",
        "your",
        "he",
        "she",
        "his",
        "her",
        "him",
        "i",
        "me",
        "my",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "why",
        "how",
        "than",
        "too",
        "very",
        "can",
        "could",
        "may",
        "might",
        "must",
        "shall",
        "should",
        "will",
        "would",
        "also",
        "such",
        "other",
        "others",
        "each",
        "any",
        "all",
        "both",
        "either",
        "neither",
        "some",
        "most",
        "more",
        "less",
        "much",
        "many",
        "own",
        "same",
        "so",
        "just",
        "only",
        "not",
        "no",
        "nor",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "once",
        "here",
        "there",
        "s",
        "t",
        "via",
        "per",
        "including",
        "include",
        "includes",
        "included",
        "through",
        "while",
        "whereas",
        "although",
        "though",
        "because",
        "since",
        "until",
        "within",
        "without",
        "across",
        "among",
        "between",
        "during",
        "after",
        "before",
        "against",
        "along",
        "around",
        "upon",
        "well",
        "company",
        "company's",
        "companies",
        "business",
        "businesses",
        "inc",
        "corp",
        "corporation",
        "ltd",
        "llc",
        "co",
        "firm",
    ]
)

WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]*[A-Za-z]|[A-Za-z]")


@lru_cache(maxsize=100_000)
def stem(word: str) -> str:
    """The Porter stem (nltk's, :mod:`bizsum.nlp.porter`) of a word, lower-cased, quotes stripped."""
    return porter_stem(word.lower().strip("'’"))


def content_stems(text: str) -> list[str]:
    out = []
    for w in WORD.findall(text):
        lw = w.lower().replace("’", "'")
        if lw.endswith("'s"):
            lw = lw[:-2]
        if lw in STOPWORDS or len(lw) < 2:
            continue
        out.append(stem(lw))
    return out


_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9&'’.\-]*[A-Za-z0-9]|[A-Za-z0-9]")


def norm_tokens(text: str) -> list[str]:
    """Lower-case tokens with possessives and dots removed: the stream names are looked up in."""
    toks = []
    for t in _TOKEN.findall(text):
        t = t.lower().replace("’", "'").rstrip(".")
        if t.endswith("'s"):
            t = t[:-2]
        t = t.replace(".", "")
        if t:
            toks.append(t)
    return toks


#: all tokens (stop words too): words with an optional apostrophe part, and numbers
TOKEN = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?|\d+(?:[.,]\d+)*%?")


def token_stems(text: str) -> list[str]:
    """All tokens (stop words too), lower-cased and stemmed: for n-gram overlap and negation scope."""
    return [
        stem(t) if t[0].isalpha() else t.replace(",", "")
        for t in (w.lower().replace("’", "'") for w in TOKEN.findall(text))
    ]


#: stemmed negation words (``unable`` stems to ``unabl``)
NEGATION_TOKENS = frozenset(
    {"not", "no", "never", "none", "neither", "nor", "without", "cannot", "n't", "unabl", "lack"}
)
