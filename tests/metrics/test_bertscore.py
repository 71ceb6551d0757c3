"""BERTScore against the reference implementation on the same offline model."""

import bert_score
import pytest

from bizsum.corpus.documents import Document
from bizsum.metrics import ScoringItem
from bizsum.nlp.encoders import minilm_path
from bizsum.scoring import get_metric

pytestmark = pytest.mark.slow

CAND = "LivePerson earns revenue from subscriptions to its cloud platform sold to brands."
SRC = (
    "LivePerson sells a cloud-based conversational platform to brands. Revenue comes mostly from hosted "
    "services subscriptions, and professional services add the rest."
)


@pytest.fixture(scope="module")
def metric():
    return get_metric("bertscore")


def test_equals_bert_score_on_short_texts(metric):
    refs = {"a": "Brands pay subscriptions for LivePerson's hosted platform.", "b": SRC}
    result = metric.score(ScoringItem(summary=CAND, document=Document(id="s", text=SRC), references=refs))
    P, R, F = bert_score.score([CAND, CAND], list(refs.values()), model_type=minilm_path(), num_layers=6, lang="en")
    assert result.values["bertscore_p_src"] == pytest.approx(P[1].item(), abs=1e-5)
    assert result.values["bertscore_r_src"] == pytest.approx(R[1].item(), abs=1e-5)
    best = max(range(2), key=lambda i: F[i].item())
    assert result.values["bertscore_f_ref"] == pytest.approx(F[best].item(), abs=1e-5)
    assert result.values["bertscore_p_ref"] == pytest.approx(P[best].item(), abs=1e-5)


def test_one_minilm_copy_serves_bertscore_and_the_sentence_encoder(metric):
    from bizsum.nlp.encoders import sentence_encoder

    assert metric.model is sentence_encoder().model  # the equality above is against bert-score's own copy


def test_long_source_is_chunked_and_each_token_takes_its_best_match(metric):
    # Two very different halves, each its own chunk: pooled precision is at least the precision
    # against either half alone (bert_score on each chunk), and strictly above both when the
    # summary mixes content from both halves.
    first = " ".join(f"Acme sells industrial widgets to retailers in region {i}." for i in range(60))
    second = " ".join(f"The bank financed the purchase with a term loan number {i}." for i in range(60))
    long_source = first + " " + second
    chunks = metric.chunks(long_source)
    assert len(chunks) >= 2
    assert all(len(metric.tokenizer.tokenize(c)) <= 510 for c in chunks)
    summary = "Acme sells widgets to retailers and financed purchases with a term loan."
    pooled = metric.score(ScoringItem(summary=summary, document=Document(id="long", text=long_source)))
    P, _, _ = bert_score.score([summary] * len(chunks), chunks, model_type=minilm_path(), num_layers=6, lang="en")
    assert pooled.values["bertscore_p_src"] >= max(P.tolist()) - 1e-6
    assert pooled.values["bertscore_p_src"] > max(P.tolist()) + 0.005


def test_empty_summary_scores_zero_without_crashing(metric):
    result = metric.score(ScoringItem(summary="  ", document=Document(id="s", text=SRC), references={"a": SRC}))
    assert result.values["bertscore_f_src"] == 0.0 and result.values["bertscore_f_ref"] == 0.0


def test_token_embeddings_equal_bert_scores_own(metric):
    # bizsum embeds without importing bert_score (and matplotlib with it); the tensors must be bert_score's:
    # padding within a batch, surrounding blanks, and a text cut at the model's 512 word pieces. With
    # bert-score's own model (transformers) the wrapper gives its tensors bit for bit; bizsum's BERT
    # (the shared copy the metric uses) gives them to float rounding
    from bert_score.utils import get_bert_embedding, get_model

    from bizsum.metrics.bertscore import bert_embedding

    texts = [CAND, SRC, f"  {CAND}\n", " ".join([SRC] * 30)]
    theirs_model = get_model(minilm_path(), 6)
    theirs = get_bert_embedding(texts, theirs_model, metric.tokenizer, metric.idf, device="cpu")
    wrapped = bert_embedding(texts, theirs_model, metric.tokenizer, metric.idf)
    ours = bert_embedding(texts, metric.model, metric.tokenizer, metric.idf)
    assert ours[0].shape[1] == 512
    for mine, same, reference in zip(ours, wrapped, theirs):
        assert mine.dtype == reference.dtype and mine.shape == reference.shape
        assert (same == reference).all()
    assert (ours[1] == theirs[1]).all() and (ours[2] == theirs[2]).all()  # mask and idf weights
    kept = ours[1].bool()
    assert (ours[0][kept] - theirs[0][kept]).abs().max() < 2e-5


def test_source_embeddings_are_kept_within_a_memory_budget(metric, monkeypatch):
    from bizsum.metrics.bertscore import _tensor_bytes
    from bizsum.nlp.pool import MemoryPool

    first = Document(id="one", text=SRC)
    second = Document(id="two", text="Acme sells industrial widgets to retailers in three regions.")
    pool = MemoryPool(_tensor_bytes(metric.embed([SRC])[0]) + 1, _tensor_bytes)  # room for one source
    monkeypatch.setattr(metric, "_source_cache", pool)
    before = metric.score(ScoringItem(summary=CAND, document=first)).values
    metric.score(ScoringItem(summary=CAND, document=second))
    assert len(pool) == 1 and second.sha256 in pool and first.sha256 not in pool  # the older one went
    assert metric.score(ScoringItem(summary=CAND, document=first)).values == before  # embedded again, equal
