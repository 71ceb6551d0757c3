"""Text normalization and sentence splitting shared by documents, metrics and baselines."""

from __future__ import annotations

import re
import threading
import unicodedata

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
    other's sentences."""
    segmenter = getattr(_LOCAL, "segmenter", None)
    if segmenter is None:
        import pysbd

        segmenter = _LOCAL.segmenter = pysbd.Segmenter(language="en", clean=False)
    return segmenter


def split_sentences(text: str) -> list[str]:
    """Split text into sentences with pysbd (rule-based, offline), paragraph by paragraph.

    Paragraph breaks (blank lines or single newlines in filings) always end a sentence, so headings
    such as "Overview" become their own short segment instead of gluing onto the next sentence.
    """
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
