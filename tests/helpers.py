"""Helpers the tests share (fixtures live in conftest.py; import these from here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bizsum.jsonl import read_jsonl
from bizsum.records import GenerationRecord, ScoreRecord, load_latest, to_row

ROOT = Path(__file__).resolve().parents[1]
SEED_TASK = ROOT.parent / "shared" / "seed" / "seed_task.txt"


def base_config(**overrides: Any) -> dict[str, Any]:
    """A small config over the two documents of the ``project`` fixture, with the fake provider."""
    config: dict[str, Any] = {
        "name": "t",
        "documents": ["ZIONS_COOPERATIVE_MERCANTILE_1995", "AMZN_2024"],
        "prompts": ["seed", "focused"],
        "models": [{"id": "fake", "provider": "fake"}],
        "output_dir": "out",
        "cache_dir": "cache",
        "metrics": ["rouge", "token_limit", "format"],
    }
    config.update(overrides)
    return config


def generation_rows(path: Path) -> list[dict[str, Any]]:
    """The latest generation row per cell, as dicts."""
    return [to_row(record) for record in load_latest(path, GenerationRecord).values()]


def score_rows(path: Path) -> list[dict[str, Any]]:
    """The latest score row per cell, flattened (values as columns)."""
    return [record.flat() for record in load_latest(path, ScoreRecord).values()]


__all__ = ["ROOT", "SEED_TASK", "base_config", "generation_rows", "read_jsonl", "score_rows"]
