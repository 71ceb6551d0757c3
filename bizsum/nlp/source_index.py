"""The per-document index every source-comparing metric reads: sentences, passages, embeddings,
stems, numbers and focus-area scores, built once per document (cached by sha256).
"""

from __future__ import annotations

import logging
import os
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from bizsum.nlp.focus_areas import FOCUS_AREAS, STRONG_THRESHOLD, area_scores
from bizsum.nlp.lexicon import WORD, content_stems, norm_tokens
from bizsum.nlp.numbers import Number, extract_numbers
from bizsum.nlp.pool import OBJECT_BYTES, MemoryPool, array_bytes, text_bytes
from bizsum.nlp.text import split_sentences

log = logging.getLogger(__name__)


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

    @cached_property
    def sentence_embeddings(self) -> dict[str, np.ndarray]:
        """Sentence text -> its embedding (the first rows of ``embeddings``), made once per index:
        the claim verifier reuses them instead of embedding the sentences again."""
        return dict(zip(self.sentences, self.embeddings[: len(self.sentences)]))


def index_bytes(index: SourceIndex) -> int:
    """Approximate memory of an index: its arrays, texts, stems and numbers."""
    stems = sum(len(s) for s in index.sentence_stems) + len(index.all_stems)
    return (
        array_bytes(index.embeddings, index.area_scores)
        + text_bytes(index.sentences)
        + text_bytes(index.passages)
        + text_bytes(index.sentence_norms)
        + text_bytes([index.norm_text])
        + OBJECT_BYTES * (stems + 3 * len(index.numbers) + len(index.passage_sentences))
    )


def _cache_bytes() -> int:
    return int(float(os.environ.get("BIZSUM_INDEX_CACHE_MB", CACHE_MB)) * 2**20)


#: memory of the per-document indexes a process keeps (``$BIZSUM_INDEX_CACHE_MB`` overrides it):
#: about 200 Item 1 sections of the shared corpus's median size (1.2 MB for META_2024's 40k
#: characters), 50 of its longest (4.7 MB for 139k characters); the count bound it replaces (256
#: documents) let a scoring process hold over 1 GB of them
CACHE_MB = 256
_CACHE: MemoryPool[SourceIndex] = MemoryPool(_cache_bytes(), index_bytes)


def source_index(text: str, sha256: str) -> SourceIndex:
    """The index of a document, built once and kept while the pool (:data:`CACHE_MB`) has room."""
    hit = _CACHE.get(sha256)
    if hit is not None:
        return hit
    index = _build_index(text, sha256)
    _CACHE.put(sha256, index)
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
        if (
            out
            and out[-1]
            and stripped
            and not re.search(r"[.!?:;]['\"”’)]?$", out[-1])
            and re.match(r"[a-z0-9(]", stripped)
        ):
            out[-1] = out[-1] + " " + stripped
        else:
            out.append(stripped)
    return "\n".join(out)


#: a trademark sign after a word ("Silverline'TM'-222", "Visa(R)", "iPhone®"): names are looked up without it
_TRADEMARK = re.compile(r"(?<=\w)(?:'(?:TM|R|SM)'|\((?:TM|R|SM)\)|[™®℠])")


def without_trademarks(text: str) -> str:
    return _TRADEMARK.sub("", text)


def _padded_norm(text: str) -> str:
    """The normalized tokens of a text, trademark signs left out, with a space at each end (so a
    phrase is looked up as " word word ")."""
    return " " + " ".join(norm_tokens(without_trademarks(text))) + " "


def source_splits(text: str) -> dict[str, list[str]]:
    """Every sentence split the offline metrics make of a source text, by the text split: the text as
    given (ROUGE's sentence lines, BERTScore's chunks) and with hard wraps undone (the source index).
    ``bizsum score`` makes them in a side process and hands them over with
    :func:`bizsum.nlp.text.remember_sentences`."""
    return {part: split_sentences(part) for part in dict.fromkeys((text, unwrap_lines(text)))}


def source_sentences(text: str) -> list[str]:
    """Sentences of a source text: hard wraps undone, bullet markers removed, empty bits dropped."""
    sentences: list[str] = []
    for s in split_sentences(unwrap_lines(text)):
        s = _BULLET.sub("", s).strip()
        if WORD.search(s):
            sentences.append(s)
        elif sentences and _FIGURE.fullmatch(s):
            # a table cell on a line of its own ("Servers/Other" then "33%"): its row label's figure
            sentences[-1] = f"{sentences[-1]} {s}"
    return sentences


#: a line that is only a table figure: "33%", "$1,204", "12,775", "3.5" (not a list or footnote
#: marker: "4.", "(1)", "7")
_FIGURE = re.compile(r"[$€£]\s?\d[\d,.]*|\d[\d,.]*\s?%|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+")


#: a table whose figures are in thousands ("(Thousands)", "(Dollars in thousands)")
_THOUSANDS = re.compile(r"\((?:[a-z]+\s+)?in\s+thousands\)|\(thousands\)", re.IGNORECASE)


#: a sentence that ends like prose (not a table row, which has no closing stop)
_PROSE_END = re.compile(r"[.!?][\"'”’)]*\s*$")
#: table rows after a "(Thousands)" line that the marker still covers
THOUSANDS_ROWS = 12


def in_thousands(sentence: str, numbers: Sequence[Number]) -> list[Number]:
    """The amounts of a table in thousands at their full value ("$450,674" under "(Thousands)" is
    $450.7 million), so a summary's "about $451 million" finds them; years and percentages aside."""
    return [
        Number(num.value * 1000, "money", num.text, num.start, num.end, num.unit * 1000)
        for num in numbers
        if num.kind in ("money", "count") and num.value >= 1
    ]


def thousands_rows(sentences: Sequence[str]) -> list[int]:
    """The sentences a "(Thousands)" marker covers: its own, and the table rows that follow it (up
    to :data:`THOUSANDS_ROWS` sentences without a closing stop: "Water Control Plumbing products
    99,496 88,051" under a header line "… 1994 1993 (Thousands)"), until prose resumes."""
    covered: list[int] = []
    rows_left = 0
    for i, sentence in enumerate(sentences):
        if _THOUSANDS.search(sentence):
            covered.append(i)
            rows_left = THOUSANDS_ROWS
        elif rows_left and not _PROSE_END.search(sentence):
            covered.append(i)
            rows_left -= 1
        else:
            rows_left = 0
    return covered


def _build_index(text: str, sha256: str) -> SourceIndex:
    from bizsum.nlp.encoders import embed

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
    numbers += [(num, i) for i in thousands_rows(sentences) for num in in_thousands(sentences[i], sentence_numbers[i])]
    norm_text = _padded_norm(text)
    scores = area_scores(sentences, embeddings[: len(sentences)])
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
        sentence_norms=[_padded_norm(x) for x in sentences],
        area_strong_counts=strong,
        area_scores=scores,
        sentence_numbers=sentence_numbers,
    )


_CLAIM_EMB: OrderedDict[str, np.ndarray] = OrderedDict()


def embed_claims(claims: Sequence[str]) -> np.ndarray:
    """Embeddings of summary claims, memoized (source_only and focus_coverage embed the same claims)."""
    from bizsum.nlp.encoders import embed

    missing = [c for c in dict.fromkeys(claims) if c not in _CLAIM_EMB]
    if missing:
        for c, e in zip(missing, embed(missing)):
            _CLAIM_EMB[c] = e
        while len(_CLAIM_EMB) > 20_000:
            _CLAIM_EMB.popitem(last=False)
    if not claims:
        return np.zeros((0, 384), dtype="float32")
    return np.stack([_CLAIM_EMB[c] for c in claims])
