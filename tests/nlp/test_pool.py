"""Per-document pools are bounded by memory (bizsum.nlp.pool), not by a count of documents."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from bizsum.nlp.pool import MemoryPool, text_bytes
from bizsum.nlp.source_index import SourceIndex, index_bytes


def test_the_oldest_entries_go_when_the_pool_passes_its_bytes():
    pool: MemoryPool[bytes] = MemoryPool(100, len)
    pool.put("a", b"x" * 40)
    pool.put("b", b"x" * 40)
    assert pool.get("a") is not None  # "a" is now the most recently used
    pool.put("c", b"x" * 40)  # 120 bytes: the least recently used ("b") goes
    assert "b" not in pool and "a" in pool and "c" in pool and pool.bytes == 80
    pool.put("big", b"x" * 500)  # bigger than the pool: it stays, alone
    assert len(pool) == 1 and pool.get("big") is not None and pool.bytes == 500
    pool.put("big", b"x" * 10)  # replacing an entry counts its new size only
    assert pool.bytes == 10


def test_many_small_documents_fit_where_few_big_ones_do():
    pool: MemoryPool[np.ndarray] = MemoryPool(1_000_000, lambda a: int(a.nbytes))
    for i in range(200):
        pool.put(f"small{i}", np.zeros(1_000, dtype="float32"))  # 4 KB each: all kept
    assert len(pool) == 200
    for i in range(5):
        pool.put(f"big{i}", np.zeros(100_000, dtype="float32"))  # 400 KB each: two fit
    assert len(pool) == 2 and pool.bytes <= 1_000_000


def test_an_index_is_weighed_by_its_arrays_and_texts():
    sentences = ["Acme sells software.", "It has 500 staff."]
    index = SourceIndex(
        sha256="x",
        sentences=sentences,
        passages=[*sentences, " ".join(sentences)],
        passage_sentences=[(0,), (1,), (0, 1)],
        embeddings=np.zeros((3, 384), dtype="float32"),
        numbers=[],
        sentence_stems=[{"acm", "sell"}, {"staff"}],
        all_stems={"acm", "sell", "staff"},
        norm_text=" acme sells software it has 500 staff ",
        sentence_norms=[" acme sells software ", " it has 500 staff "],
        area_strong_counts={},
        area_scores=np.zeros((2, 5), dtype="float32"),
    )
    arrays = 3 * 384 * 4 + 2 * 5 * 4
    assert arrays + text_bytes(sentences) < index_bytes(index) < arrays + 2_000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_freed_memory_goes_back_to_the_os():
    # a fresh process: ~290 MB of mid-sized arrays (below glibc's mmap threshold, so they sit in
    # its heap), all freed but the last, which pins the top of the heap; the RSS stays up until
    # the pages are handed back
    code = (
        "import numpy as np\n"
        "from bizsum.nlp.pool import return_freed_memory\n"
        "rss = lambda: int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20\n"
        "a = [np.ones(12_000) for _ in range(3000)]\n"
        "keep = a[-1:]\n"
        "del a\n"
        "before = rss(); trimmed = return_freed_memory(); print(trimmed, before - rss())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "True" and float(out[1]) > 150
