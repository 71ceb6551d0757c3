"""bizsum's pysbd segmenter gives stock pysbd's sentences (only its span search differs)."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pysbd
import pytest

from bizsum.nlp.sentence_splitter import PYSBD_VERSION, english_segmenter
from bizsum.nlp.source_index import unwrap_lines

DOCUMENTS = Path(__file__).resolve().parents[2] / "data" / "documents"
# short and long filings, hard-wrapped and not, old and new
FILINGS = ("LIVEPERSON_2017", "ZURN_INDUSTRIES_1994", "MEDICIS_PHARMACEUTICAL_1999", "AAPL_2024", "V_2024")


def _stock() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _paragraphs(text: str) -> list[str]:
    return [block.strip() for block in re.split(r"\n+", text) if block.strip()]


def test_the_installed_pysbd_is_the_one_the_segmenter_was_written_for():
    assert pysbd.__version__ == PYSBD_VERSION
    assert type(english_segmenter()) is not pysbd.Segmenter


@pytest.mark.parametrize("doc_id", FILINGS)
def test_filings_split_into_the_sentences_stock_pysbd_gives(doc_id):
    text = (DOCUMENTS / f"{doc_id}.txt").read_text(encoding="utf-8")
    fast, stock = english_segmenter(), _stock()
    for part in (text, unwrap_lines(text)):
        for paragraph in _paragraphs(part):
            assert fast.segment(paragraph) == stock.segment(paragraph), paragraph[:80]


@pytest.mark.parametrize(
    "text",
    [
        "Yes. Yes. Yes.",  # the same sentence three times: each span starts after the last
        "We sell. We sell shoes. We sell.",  # a sentence that is also the start of another
        "Revenue (net) rose 5%.\u00a0 Costs [est.] fell?\u2009 Margins* held!\x1c Fine.",  # regex signs, odd spaces
        "See Note 1.   Then Note 1. Then Note 1.",
        "The U.S. Dept. of Energy, e.g. its labs, buys from Inc. firms. Mr. Smith agreed.",
        "1. First item. 2. Second item. a) a sub item.",
        "“Quoted sentence.” Another one! And a last one?",
    ],
)
def test_tricky_paragraphs_split_as_stock_pysbd_splits_them(text):
    assert english_segmenter().segment(text) == _stock().segment(text)


def test_random_paragraphs_split_as_stock_pysbd_splits_them():
    rng = random.Random(20261206)
    words = ["We", "sell", "shoes", "Inc.", "U.S.", "No.", "5", "(a)", "it", "Yes"]
    marks = [". ", "! ", "? ", " ", " ", "  ", ", ", ".\u00a0"]
    fast, stock = english_segmenter(), _stock()
    for _ in range(300):
        paragraph = "".join(rng.choice(words) + rng.choice(marks) for _ in range(rng.randint(1, 30))).strip()
        assert fast.segment(paragraph) == stock.segment(paragraph), paragraph
