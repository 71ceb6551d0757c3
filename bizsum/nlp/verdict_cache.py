"""The claim verifier's answers, kept so that a rerun or a claim shared by summaries costs nothing.

A verdict is the verifier's :class:`~bizsum.nlp.verifier.ClaimScore` of one claim against one
source: what the rules of ``source_only`` then read (the rules run again on every call, so a change
of the rules needs no invalidation here). Its key hashes

* the document's sha256 and the claim's text,
* the metric version (the caller's fingerprint: a new ``source_only`` version starts afresh),
* the verifier's identity (:meth:`bizsum.nlp.verifier.Verifier.identity`: the manifest with the
  weights' sha256, thresholds and window sizes, and the retrieval constants),

so replaced weights, thresholds or windows never serve an old answer. Verdicts live in memory
(LRU, :data:`MEMORY_ITEMS`) and in one SQLite file shared by the processes of a machine (Ray actors
included): ``$BIZSUM_VERDICT_CACHE`` names the file, ``off`` keeps the cache in memory only; by
default it is ``claim_verdicts.sqlite`` in the cache root (``$BIZSUM_CACHE_DIR`` or
``~/.cache/bizsum``, where the local models are kept).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bizsum.nlp.pool import MemoryPool

log = logging.getLogger(__name__)

#: verdicts kept in memory per process (about 1 KB each)
MEMORY_ITEMS = 50_000
ENV = "BIZSUM_VERDICT_CACHE"
FILE_NAME = "claim_verdicts.sqlite"


def verdict_key(document_sha: str, claim: str, metric_version: str, verifier_identity: str) -> str:
    payload = json.dumps([document_sha, claim, metric_version, verifier_identity], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def default_path() -> Path | None:
    """The SQLite file of this machine (None when ``$BIZSUM_VERDICT_CACHE`` is ``off``)."""
    setting = os.environ.get(ENV, "").strip()
    if setting.lower() in ("off", "0", "none", "false"):
        return None
    if setting:
        return Path(setting).expanduser()
    from bizsum.nlp.tokens import default_cache_root

    return default_cache_root() / FILE_NAME


class VerdictCache:
    """Verdicts by key (:func:`verdict_key`), as plain dicts; in memory, and on disk when ``path`` is set."""

    def __init__(self, path: Path | None, memory_items: int = MEMORY_ITEMS) -> None:
        self.path = path
        self.memory_items = memory_items
        self._memory: MemoryPool[dict[str, Any]] = MemoryPool(memory_items, lambda _: 1)  # a count bound
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self.hits = 0
        self.misses = 0

    def _connect(self) -> sqlite3.Connection | None:
        if self.path is None:
            return None
        if self._db is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                db.commit()
            except (OSError, sqlite3.Error) as exc:
                log.warning("claim verdict cache %s unusable (%s): keeping verdicts in memory only", self.path, exc)
                self.path = None
                return None
            self._db = db
        return self._db

    def get_many(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cached verdicts of ``keys`` (missing keys are absent)."""
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        with self._lock:
            for key in wanted:
                hit = self._memory.get(key)
                if hit is not None:
                    found[key] = hit
            rest = [key for key in wanted if key not in found]
            db = self._connect() if rest else None
            if db is not None:
                for start in range(0, len(rest), 500):
                    part = rest[start : start + 500]
                    marks = ",".join("?" * len(part))
                    try:
                        rows = db.execute(f"SELECT key, value FROM verdicts WHERE key IN ({marks})", part).fetchall()
                    except sqlite3.Error as exc:
                        log.warning("claim verdict cache %s: read failed (%s)", self.path, exc)
                        break
                    for key, value in rows:
                        found[key] = json.loads(value)
                        self._memory.put(key, found[key])
            self.hits += len(found)
            self.misses += len(wanted) - len(found)
        return found

    def put_many(self, verdicts: Mapping[str, dict[str, Any]]) -> None:
        with self._lock:
            for key, value in verdicts.items():
                self._memory.put(key, value)
            db = self._connect() if verdicts else None
            if db is not None:
                try:
                    db.executemany(
                        "INSERT OR REPLACE INTO verdicts (key, value) VALUES (?, ?)",
                        [(key, json.dumps(value, ensure_ascii=False)) for key, value in verdicts.items()],
                    )
                    db.commit()
                except sqlite3.Error as exc:
                    log.warning("claim verdict cache %s: write failed (%s)", self.path, exc)

    def clear_memory(self) -> None:
        with self._lock:
            self._memory.clear()


_SHARED: dict[str, VerdictCache] = {}
_SHARED_LOCK = threading.Lock()


def shared_cache() -> VerdictCache:
    """The process's cache for the current ``$BIZSUM_VERDICT_CACHE`` setting."""
    path = default_path()
    key = str(path)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = VerdictCache(path)
        return _SHARED[key]


def score_from_dict(data: Mapping[str, Any]) -> Any:
    from bizsum.nlp.verifier import ClaimScore

    return ClaimScore(**{**data, "chunk_scores": [(text, float(s)) for text, s in data["chunk_scores"]]})


def score_to_dict(score: Any) -> dict[str, Any]:
    return {
        "claim": score.claim,
        "score": float(score.score),
        "supported": bool(score.supported),
        "evidence": score.evidence,
        "chunk_scores": [[text, float(s)] for text, s in score.chunk_scores],
        "threshold": float(score.threshold),
        "copied": bool(score.copied),
        "reject_below": float(score.reject_below),
    }


def cached_score_claims(
    verifier: Any,
    text: str,
    claims: list[str],
    *,
    sha256: str,
    metric_version: str,
    claim_embeddings: Any = None,
    known: Any = None,
    cache: VerdictCache | None = None,
) -> list[Any]:
    """``verifier.score_claims`` for the claims no cache holds (one call, every claim batched), the
    rest from the cache. A verifier without an ``identity`` (a test's stand-in) is always asked."""
    identity = getattr(verifier, "identity", None)
    if not claims or not isinstance(identity, str):
        return list(verifier.score_claims(text, claims, sha256=sha256, claim_embeddings=claim_embeddings, known=known))
    cache = cache or shared_cache()
    keys = [verdict_key(sha256, claim, metric_version, identity) for claim in claims]
    found = cache.get_many(keys)
    todo: list[int] = []  # each missing claim once, first seen first
    asked: set[str] = set()
    for j, key in enumerate(keys):
        if key not in found and key not in asked:
            asked.add(key)
            todo.append(j)
    if todo:
        embeddings = claim_embeddings[todo] if claim_embeddings is not None else None
        scores = verifier.score_claims(
            text, [claims[j] for j in todo], sha256=sha256, claim_embeddings=embeddings, known=known
        )
        fresh = {keys[j]: score_to_dict(score) for j, score in zip(todo, scores)}
        cache.put_many(fresh)
        found.update(fresh)
    return [score_from_dict(found[key]) for key in keys]
