"""Disk cache for sentence embeddings in benchmark runs (bench only; the library caches in memory).

``install()`` wraps :func:`bizsum.nlp.encoders.embed` so every text already embedded in an earlier run
is read from ``results/cache/embeddings.npz`` instead of being encoded again; ``save()`` writes new
vectors back. The encoder is deterministic on CPU, so results do not change.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np

log = logging.getLogger("bench.embed_cache")

DIR = Path(__file__).resolve().parents[1] / "results" / "cache"
PATH = DIR / "embeddings.npz"  # this process writes here; every embeddings*.npz is read
_store: dict[str, np.ndarray] = {}
_dirty = False
_installed = False


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def install(name: str | None = None) -> None:
    """Wrap the encoder; ``name`` gives this process its own cache file (parallel runs)."""
    global _installed, PATH
    if name:
        PATH = DIR / f"embeddings_{name}.npz"
    if _installed:
        return
    from bizsum.nlp import encoders

    for path in sorted(DIR.glob("embeddings*.npz")):
        if ".tmp" in path.name:
            continue
        try:
            data = np.load(path)
            _store.update({str(k): v for k, v in zip(data["keys"], data["vectors"])})
        except Exception as error:  # a file being written by a parallel run
            log.warning("skipping embedding cache %s: %s", path.name, error)
    log.info("embedding cache: %d vectors", len(_store))
    original = encoders.embed

    def cached_embed(texts):
        global _dirty
        texts = list(texts)
        keys = [_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in _store]
        if missing:
            fresh = original([texts[i] for i in missing])
            for i, vec in zip(missing, fresh):
                _store[keys[i]] = vec.astype("float32")
            _dirty = True
        if not texts:
            return original([])
        return np.stack([_store[k] for k in keys]).astype("float32")

    encoders.embed = cached_embed
    _installed = True


def save() -> None:
    global _dirty
    if not _dirty:
        return
    PATH.parent.mkdir(parents=True, exist_ok=True)
    keys = np.array(list(_store.keys()))
    vectors = np.stack(list(_store.values())).astype("float32")
    tmp = PATH.with_suffix(".tmp.npz")
    np.savez(tmp, keys=keys, vectors=vectors)
    tmp.replace(PATH)
    _dirty = False
    log.info("embedding cache saved: %d vectors", len(keys))
