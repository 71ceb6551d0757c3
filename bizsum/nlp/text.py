"""Text normalization and sentence splitting shared by documents, metrics and baselines."""

from __future__ import annotations

import re
import threading
import unicodedata

from bizsum.nlp.pool import MemoryPool

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """Unicode NFC, unified line endings and collapsed runs of spaces; words are not changed.

    Curly quotes, dashes and symbols are kept (they are part of the filing); only invisible
    differences (non-breaking spaces, CRLF, trailing blanks, 3+ blank lines) are normalized.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


_LOCAL = threading.local()


def _segmenter():
    """One pysbd segmenter per thread: ``Segmenter.segment`` keeps the text it works on in the
    instance, so threads sharing one (generation workers of in-process providers) mixed up each
    other's sentences. pysbd's sentences, found faster (:mod:`bizsum.nlp.sentence_splitter`)."""
    segmenter = getattr(_LOCAL, "segmenter", None)
    if segmenter is None:
        from bizsum.nlp.sentence_splitter import english_segmenter

        segmenter = _LOCAL.segmenter = english_segmenter()
    return segmenter


#: characters of text whose sentences are remembered: a document is split by ROUGE, BERTScore,
#: the source index and the claim verifier alike (pysbd: 0.2 CPU-s for LIVEPERSON_2017's 64k
#: characters, 0.03 ms from the memo)
MEMO_CHARS = 4_000_000
#: text -> (text, its sentences), weighed by the text's characters
_MEMO: MemoryPool[tuple[str, tuple[str, ...]]] = MemoryPool(MEMO_CHARS, lambda entry: len(entry[0]))


def split_sentences(text: str) -> list[str]:
    """Split text into sentences with pysbd (rule-based, offline), paragraph by paragraph.

    Paragraph breaks (blank lines or single newlines in filings) always end a sentence, so headings
    such as "Overview" become their own short segment instead of gluing onto the next sentence.
    The sentences of recent texts are remembered (:data:`MEMO_CHARS`): the same text is split once.
    """
    hit = _MEMO.get(text)
    if hit is not None:
        return list(hit[1])
    sentences = _split(text)
    if len(text) <= MEMO_CHARS:
        _MEMO.put(text, (text, tuple(sentences)))
    return sentences


def remember_sentences(text: str, sentences: list[str]) -> None:
    """Put a split made elsewhere (another process) into the memo: ``split_sentences(text)`` then
    returns it without splitting again."""
    if len(text) <= MEMO_CHARS:
        _MEMO.put(text, (text, tuple(sentences)))


def _split(text: str) -> list[str]:
    sentences: list[str] = []
    for block in re.split(r"\n+", text):
        block = block.strip()
        if not block:
            continue
        for sentence in _segmenter().segment(block):
            sentence = sentence.strip()
            if sentence:
                sentences.append(sentence)
    return sentences
