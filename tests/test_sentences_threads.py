"""Sentence splitting gives the same sentences when threads split at the same time."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from bizsum.nlp import text as text_module
from bizsum.nlp.pool import MemoryPool
from bizsum.nlp.text import split_sentences
from tests.helpers import ROOT


def test_split_sentences_is_thread_safe(monkeypatch):
    monkeypatch.setattr(text_module, "MEMO_CHARS", 0)  # every call splits: the segmenters run in the threads
    texts = [
        (ROOT / "data" / "documents" / f"{doc}.txt").read_text(encoding="utf-8")[:20000]
        for doc in ("ZIONS_COOPERATIVE_MERCANTILE_1995", "AMZN_2024", "AAPL_2024", "PG_2025")
    ]
    expected = [split_sentences(text) for text in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(split_sentences, texts)) == expected


def test_a_text_is_split_once_and_callers_get_their_own_list(monkeypatch):
    calls: list[str] = []
    original = text_module._split

    def counting(text):
        calls.append(text)
        return original(text)

    monkeypatch.setattr(text_module, "_split", counting)
    monkeypatch.setattr(text_module, "_MEMO", MemoryPool(text_module.MEMO_CHARS, text_module._MEMO.size_of))
    document = "Acme sells software. It has 500 staff.\nOverview\nAcme was founded in 1990."
    first = split_sentences(document)
    first.append("changed by a caller")
    assert split_sentences(document) == [
        "Acme sells software.",
        "It has 500 staff.",
        "Overview",
        "Acme was founded in 1990.",
    ]
    assert calls == [document]
    monkeypatch.setattr(text_module, "MEMO_CHARS", 30)  # a text longer than the memo is split every time
    split_sentences("A much longer text than thirty characters. Two.")
    split_sentences("A much longer text than thirty characters. Two.")
    assert len(calls) == 3
