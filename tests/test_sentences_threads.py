"""Sentence splitting gives the same sentences when threads split at the same time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bizsum.nlp.text import split_sentences
from tests.helpers import ROOT


def test_split_sentences_is_thread_safe():
    texts = [
        (ROOT / "data" / "documents" / f"{doc}.txt").read_text(encoding="utf-8")[:20000]
        for doc in ("ZIONS_COOPERATIVE_MERCANTILE_1995", "AMZN_2024", "AAPL_2024", "PG_2025")
    ]
    expected = [split_sentences(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(split_sentences, texts)) == expected
