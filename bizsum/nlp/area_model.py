"""Which focus areas a summary sentence carries: a per-area logistic model over the sentence's embedding.

The model reads what the suite already has for a summary: the embeddings of its claims (a
sentence is the unit-length mean of its claims' embeddings, no extra encoder call) and the
focus-area lexicon (:func:`bizsum.nlp.focus_areas.keyword_scores`). One logistic regression per
area gives P(sentence carries the area's content); an area is *carried* by a summary when some
sentence reaches the area's threshold.

Weights and thresholds live in ``bizsum/resources/focus_area_model.json``, fit by
``bench/coverage/fit_area_model.py`` on the dev half of the realistic labelled set only (the
project's per-sentence ``area_sentences`` tags, ``data/validation/realistic/``); the file records
what it was fit on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from bizsum.errors import SetupError
from bizsum.nlp.focus_areas import FOCUS_AREAS, keyword_scores

log = logging.getLogger(__name__)

MODEL_FILE = "focus_area_model.json"


@dataclass(frozen=True)
class AreaModel:
    weights: np.ndarray  # areas x features
    bias: np.ndarray  # areas
    thresholds: np.ndarray  # areas
    version: str

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        """P(carries the area) per row of ``features`` (n x features) and area (n x 5)."""
        if len(features) == 0:
            return np.zeros((0, len(FOCUS_AREAS)), dtype="float32")
        logits = features @ self.weights.T + self.bias
        return (1.0 / (1.0 + np.exp(-logits))).astype("float32")


def sentence_features(sentences: Sequence[str], claim_embeddings: Sequence[np.ndarray]) -> np.ndarray:
    """Features per summary sentence: the unit-length mean of its claims' embeddings, then the
    five lexicon scores of the sentence."""
    rows = []
    for text, emb in zip(sentences, claim_embeddings):
        mean = np.asarray(emb, dtype="float32").mean(axis=0)
        mean = mean / max(float(np.linalg.norm(mean)), 1e-9)
        rows.append(np.concatenate([mean, keyword_scores(text)]))
    if not rows:
        return np.zeros((0, 0), dtype="float32")
    return np.stack(rows).astype("float32")


@lru_cache(maxsize=1)
def area_model() -> AreaModel:
    """The packaged model (read once per process)."""
    try:
        raw = json.loads(resources.files("bizsum").joinpath("resources", MODEL_FILE).read_text(encoding="utf-8"))
        weights = np.array([raw["areas"][a]["weights"] for a in FOCUS_AREAS], dtype="float32")
        bias = np.array([raw["areas"][a]["bias"] for a in FOCUS_AREAS], dtype="float32")
        thresholds = np.array([raw["areas"][a]["threshold"] for a in FOCUS_AREAS], dtype="float32")
    except (OSError, KeyError, ValueError) as exc:
        raise SetupError(f"bizsum/resources/{MODEL_FILE}: unreadable focus-area model ({exc})") from None
    return AreaModel(weights=weights, bias=bias, thresholds=thresholds, version=str(raw.get("version", "?")))
