"""Typed, versioned records: the rows of ``generations.jsonl``, ``scores.jsonl`` and ``reviews.jsonl``.

Every row names its cell (document × prompt × model × sample) and carries what made it, so a
changed configuration can never be mistaken for the old one:

* a :class:`GenerationRecord` carries the request's ``cache_key`` (provider, model, full prompt,
  parameters, sample, seed, limit, strategy), the ``config_hash`` of the config parts behind the
  cell (model entry, template, document, limit, seed, counting tokenizer) and ``run_config``,
  the hash of the whole config that wrote it (kept in ``configs/<hash>.yaml`` of the run folder);
* a :class:`ScoreRecord` carries the ``generation_key`` of the row it scored, the document's
  sha256, a hash of the references and each metric's version fingerprint;
* a :class:`ReviewRecord` is one human label, keyed by summary hash and claim text (or area).

Rows written before these types existed (schema 1: untyped dicts) are read and upgraded; they
match no current request, so they are requested (or scored) again rather than trusted.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bizsum.errors import InputError
from bizsum.jsonl import iter_jsonl

GENERATION_SCHEMA = 2
SCORE_SCHEMA = 2
REVIEW_SCHEMA = 1

KEY_FIELDS = ("doc_id", "prompt_id", "model_id", "sample")

Value = float | int | bool | str | None


class CellKey(NamedTuple):
    doc_id: str
    prompt_id: str
    model_id: str
    sample: int


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def stable_hash(payload: Any, length: int = 16) -> str:
    """sha256 of the canonical JSON of ``payload`` (sorted keys), cut to ``length`` hex digits."""
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:length]


def summary_hash(text: str | None) -> str:
    """The key of a summary's text in score and review rows."""
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()[:16]


def references_hash(references: Mapping[str, str]) -> str:
    return stable_hash(dict(sorted(references.items())))


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    doc_id: str
    prompt_id: str
    model_id: str
    sample: int = Field(ge=0)

    @property
    def key(self) -> CellKey:
        return CellKey(self.doc_id, self.prompt_id, self.model_id, self.sample)


class GenerationRecord(_Record):
    """One generated summary (or the final error of its cell), with the request that made it."""

    schema_version: int = GENERATION_SCHEMA
    provider: str
    model: str
    base_url: str | None = None
    seed: int = 0
    token_limit: int = 512
    count_encoding: str = "o200k_base"
    cache_key: str | None = None
    config_hash: str | None = None
    run_config: str | None = None
    document_sha256: str | None = None
    prompt_sha256: str | None = None
    text: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    model_returned: str | None = None
    prompt_truncated: bool = False
    meta: dict[str, Any] = Field(default_factory=dict)
    cached: bool = False
    error: str | None = None
    cost_usd: float | None = None
    batch_id: str | None = None
    created_at: str = Field(default_factory=now_iso)

    @property
    def ok(self) -> bool:
        return self.error is None and self.text is not None

    @property
    def request_id(self) -> str | None:
        """What a score row points back to: the request and the config parts that made this row."""
        if self.cache_key is None or self.config_hash is None:
            return None
        return f"{self.cache_key}:{self.config_hash}"

    def made_by(self, cache_key: str, config_hash: str) -> bool:
        """True when this row answers exactly that request under exactly that configuration."""
        return self.ok and self.cache_key == cache_key and self.config_hash == config_hash


class ScoreRecord(_Record):
    """Every metric's values and explanations for one generated summary."""

    schema_version: int = SCORE_SCHEMA
    summary_sha: str | None = None
    generation_key: str | None = None
    document_sha256: str | None = None
    references_sha256: str | None = None
    metrics: list[str] = Field(default_factory=list)
    metric_versions: dict[str, str] = Field(default_factory=dict)
    values: dict[str, Value] = Field(default_factory=dict)
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None
    created_at: str = Field(default_factory=now_iso)

    def flat(self) -> dict[str, Any]:
        """Key fields, values as top-level columns, and the details (one DataFrame row)."""
        return {
            **dict(zip(KEY_FIELDS, self.key)),
            "summary_sha": self.summary_sha,
            "error": self.error,
            "metrics": self.metrics,
            **self.values,
            "details": self.details,
        }


class ReviewRecord(_Record):
    """One human judgment: a claim supported or not, or an area covered or missed."""

    schema_version: int = REVIEW_SCHEMA
    summary_sha: str
    kind: Literal["claim", "area"]
    claim: str | None = None
    area: str | None = None
    label: Literal["supported", "unsupported", "covered", "missed", "not_in_source"]
    comment: str = ""
    reviewer: str = "anonymous"
    created_at: str = Field(default_factory=now_iso)

    @property
    def target(self) -> tuple[str, str, str]:
        """What the label is about; a later label of the same target replaces an earlier one."""
        return (self.summary_sha, self.kind, (self.claim if self.kind == "claim" else self.area) or "")


R = TypeVar("R", bound=_Record)

_SCORE_META = {
    "doc_id",
    "prompt_id",
    "model_id",
    "sample",
    "summary_sha",
    "error",
    "metrics",
    "metric_versions",
    "details",
    "schema_version",
}


def _upgrade_score(row: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 score rows kept metric values as top-level fields."""
    if "values" in row and row.get("schema_version", 1) >= 2:
        return row
    values = {k: v for k, v in row.items() if k not in _SCORE_META}
    return {**{k: row[k] for k in _SCORE_META if k in row}, "values": values, "schema_version": 1}


def _upgrade_generation(row: dict[str, Any]) -> dict[str, Any]:
    if "schema_version" not in row:
        return {**row, "schema_version": 1}
    return row


_UPGRADES = {GenerationRecord: _upgrade_generation, ScoreRecord: _upgrade_score}


def read_records(path: str | Path, kind: type[R]) -> Iterator[tuple[int, R]]:
    """(byte offset, record) for every row of a results file; a row that does not fit is an error
    naming the file, the line's cell and the field."""
    upgrade = _UPGRADES.get(kind, lambda row: row)
    for offset, row in iter_jsonl(path):
        try:
            yield offset, kind.model_validate(upgrade(row))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(row)"
            cell = "/".join(str(row.get(k, "?")) for k in KEY_FIELDS)
            raise InputError(f"{path}: row {cell}: field {where}: {first['msg']}") from None


def latest(records: Iterable[R]) -> dict[CellKey, R]:
    """The last record per cell, in first-seen order of the cells (a later row supersedes)."""
    out: dict[CellKey, R] = {}
    for record in records:
        out[record.key] = record
    return out


def score_belongs(score: ScoreRecord, generation: GenerationRecord) -> bool:
    """True when ``score`` is the successful score row of exactly this generation row: it names the
    request and config that made the row (``generation_key``) and the text it scored (``summary_sha``).
    A summary regenerated since its last scoring therefore has no score row."""
    return (
        score.error is None
        and score.key == generation.key
        and score.generation_key == generation.request_id
        and score.summary_sha == summary_hash(generation.text)
    )


def load_latest(path: str | Path, kind: type[R]) -> dict[CellKey, R]:
    return latest(record for _, record in read_records(path, kind))


def load_reviews(path: str | Path) -> list[ReviewRecord]:
    """Human labels, the latest per target (summary hash × claim text or area)."""
    by_target: dict[tuple[str, str, str], ReviewRecord] = {}
    for _, record in read_records(path, ReviewRecord):
        by_target[record.target] = record
    return list(by_target.values())


def to_row(record: BaseModel) -> dict[str, Any]:
    """The JSON-ready dict of a record (what is written to the file)."""
    return record.model_dump(mode="json")
