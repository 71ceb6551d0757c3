"""Results files: append-only JSONL keyed by document × prompt × model × sample.

Rows are appended (and flushed) as they arrive, so a killed run keeps everything finished; a
rerun reads the file and skips keys that already have a successful row. The last row for a key
wins, so a retried error is simply superseded.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, Iterable, Iterator

from bizsum.errors import InputError

log = logging.getLogger(__name__)

KEY_FIELDS = ("doc_id", "prompt_id", "model_id", "sample")


def row_key(row: dict[str, Any]) -> tuple:
    return tuple(row[field] for field in KEY_FIELDS)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL file. A torn last line (killed writer) is skipped with a warning."""
    path = Path(path)
    if not path.is_file():
        return []
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        lines = handle.readlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                log.warning("%s: skipping an incomplete last line (interrupted write)", path)
                continue
            raise InputError(f"{path}, line {number}: not valid JSON") from None
    return rows


def latest_by_key(rows: Iterable[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    latest: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        latest[row_key(row)] = row
    return latest


class JsonlStore:
    """An append-only JSONL file of keyed rows."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def rows(self) -> list[dict[str, Any]]:
        """The latest row per key, in first-seen order."""
        return list(latest_by_key(read_jsonl(self.path)).values())

    def done_keys(self) -> set[tuple]:
        return {key for key, row in latest_by_key(read_jsonl(self.path)).items() if not row.get("error")}

    def append(self, row: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(row, ensure_ascii=False, default=str)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())
