"""bizsum's own BERT forward pass against the implementations it replaces (transformers' BertModel,
sentence-transformers' encode, transformers' fast tokenizer): the same numbers to float rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from bizsum.nlp import verifier as v
from bizsum.nlp.bert import BertConfig, BertModel, WordPieceTokenizer, load_bert, pad_batch
from bizsum.nlp.encoders import MAX_SEQ_LENGTH, embed, minilm_path, sentence_encoder

pytestmark = pytest.mark.slow

TEXTS = [
    "LivePerson offers a cloud-based platform that lets brands message consumers.",
    "Revenue fell 5% in 2024.",
    "",
    "  leading and trailing blanks  ",
    " ".join(["Subscription revenue grew while professional services declined"] * 60),  # > 256 word pieces
]


def test_bert_equals_transformers_bert_model_on_a_padded_batch():
    from transformers import AutoTokenizer
    from transformers import BertModel as ReferenceBert

    directory = Path(minilm_path())
    reference = ReferenceBert.from_pretrained(str(directory), add_pooling_layer=False).eval()
    ours = load_bert(directory)
    rows = AutoTokenizer.from_pretrained(str(directory))(TEXTS, truncation=True, max_length=512)["input_ids"]
    ids, mask, _ = pad_batch(rows, 0)
    assert not bool(mask.all())  # padding is exercised
    with torch.inference_mode():
        expected = reference(input_ids=ids, attention_mask=mask).last_hidden_state
        got = ours(ids, mask)
    kept = mask.bool()
    assert got.shape == expected.shape
    assert torch.allclose(got[kept], expected[kept], atol=2e-5, rtol=0)
    assert not torch.equal(got[0, 1], got[1, 1])  # not a constant


def test_sentence_embeddings_equal_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(minilm_path(), device="cpu")
    expected = reference.encode(TEXTS, batch_size=2, normalize_embeddings=True, convert_to_numpy=True)
    got = embed(TEXTS)
    assert got.shape == expected.shape and got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-6
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    ids = sentence_encoder().tokenizer(TEXTS, truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
    assert max(len(row) for row in ids) == MAX_SEQ_LENGTH  # the long text was cut as sentence-transformers cuts it


def test_word_pieces_equal_transformers_fast_tokenizer_for_pairs_and_counts():
    from transformers import AutoTokenizer

    directory = v.get_verifier().directory
    reference = AutoTokenizer.from_pretrained(str(directory))
    ours = WordPieceTokenizer(directory / "tokenizer.json")
    passages, claims = TEXTS[:4] + [TEXTS[4]], ["It sells software.", "Revenue rose.", "x", "y", "Services grew."]
    for kwargs in ({}, {"truncation": "only_first", "max_length": 24}):
        expected = reference(passages, claims, **kwargs)
        got = ours(passages, claims, **kwargs)
        assert got["input_ids"] == expected["input_ids"]
        assert got["token_type_ids"] == expected["token_type_ids"]
    single = reference(TEXTS[0], add_special_tokens=False)["input_ids"]
    assert ours(TEXTS[0], add_special_tokens=False)["input_ids"] == single
    assert ours.get_vocab() == reference.get_vocab()


def test_verifier_scores_as_the_transformers_cross_encoder_it_was_trained_as():
    # the shipped weights were trained in transformers' BertModel (bench/verifier/train.py); bizsum's
    # BERT with the same weights must give the same probabilities
    import sys

    from transformers import AutoConfig

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench" / "verifier"))
    from train import build_training_model

    verifier = v.get_verifier()
    passages = [
        "LivePerson sells its platform to brands such as banks.",
        "Revenue fell 5% in 2024 on lower volumes.",
    ] * 3
    claims = ["LivePerson sells to banks.", "Revenue rose in 2024.", "Brands buy it.", "Sales fell.", "x", "y z"]
    ours = verifier.score_pairs(passages, claims)
    reference = build_training_model(AutoConfig.from_pretrained(str(verifier.directory)))
    reference.load_state_dict(v.load_state_dict(verifier.directory, verifier.manifest))
    verifier.model, kept = reference.eval(), verifier.model
    try:
        theirs = verifier.score_pairs(passages, claims)
    finally:
        verifier.model = kept
    assert np.abs(ours - theirs).max() < 1e-5
    assert ours.min() < 0.5 < ours.max()


def test_weights_that_do_not_fit_are_refused_with_the_directory_named(tmp_path):
    directory = Path(minilm_path())
    from safetensors.torch import load_file

    state = load_file(str(directory / "model.safetensors"))
    state.pop("encoder.layer.5.output.dense.weight")
    with pytest.raises(ValueError, match=r"missing.*encoder\.layer\.5\.output\.dense\.weight"):
        load_bert(directory, state)
    config = BertConfig.from_file(directory / "config.json")
    assert config.num_hidden_layers == 6 and config.hidden_size == 384
    (tmp_path / "config.json").write_text('{"model_type": "roberta", "hidden_act": "gelu"}')
    with pytest.raises(ValueError, match="not a BERT encoder"):
        BertConfig.from_file(tmp_path / "config.json")
    assert isinstance(load_bert(directory), BertModel)
