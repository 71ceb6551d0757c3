"""pysbd's English segmenter with its sentence spans found by string search; the same sentences.

``pysbd.Segmenter.sentences_with_char_spans`` (0.3.4) finds each sentence in its paragraph with
``re.finditer(re.escape(sentence) + r"\\s*", paragraph)``: a new pattern per sentence, compiled and
then scanned from the paragraph's start, so a paragraph of n sentences costs n compilations and n
scans. :class:`Segmenter` finds the same spans with ``str.find``: a sentence's first occurrence,
then the next one from the end of the last (the order ``finditer`` visits non-overlapping matches
in), each extended over the whitespace after it (``\\s`` and ``str.isspace`` are one Unicode
class), until one ends past the previous sentence's span. On the 20 filings of
``bench/speed/scale_out.py`` (both splits each, 1.4M characters) splitting took 6.3 CPU-s with
stock pysbd and 4.0 with this. The other rules of pysbd are unchanged: with another pysbd version
than :data:`PYSBD_VERSION` the stock segmenter is used. ``tests/nlp/test_sentence_splitter.py``
compares the sentences with stock pysbd's.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

log = logging.getLogger(__name__)

#: the pysbd release whose ``sentences_with_char_spans`` :class:`Segmenter` reproduces (pinned in pyproject.toml)
PYSBD_VERSION = "0.3.4"


def english_segmenter() -> Any:
    """A non-destructive English segmenter (``clean=False``): :class:`Segmenter` when the installed
    pysbd is :data:`PYSBD_VERSION`, else stock ``pysbd.Segmenter``."""
    import pysbd

    if pysbd.__version__ != PYSBD_VERSION:
        log.warning("pysbd %s is not %s: sentence splitting uses stock pysbd", pysbd.__version__, PYSBD_VERSION)
        return pysbd.Segmenter(language="en", clean=False)
    return _segmenter_class()(language="en", clean=False)


@functools.cache
def _segmenter_class() -> type:
    import pysbd
    from pysbd.utils import TextSpan

    class Segmenter(pysbd.Segmenter):
        """``pysbd.Segmenter`` whose sentence spans are found without a regular expression per sentence."""

        def sentences_with_char_spans(self, sentences: list[str]) -> list[Any]:
            if not all(sentences):  # an empty pattern matches everywhere: keep pysbd's own search
                return super().sentences_with_char_spans(sentences)
            text = self.original_text
            length = len(text)
            spans = []
            prior_end = 0
            for sentence in sentences:
                start = text.find(sentence)
                while start >= 0:
                    end = start + len(sentence)
                    while end < length and text[end].isspace():
                        end += 1
                    if end > prior_end:
                        spans.append(TextSpan(text[start:end], start, end))
                        prior_end = end
                        break
                    start = text.find(sentence, end)
            return spans

    return Segmenter
