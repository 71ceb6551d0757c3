"""Helpers the tests share (fixtures live in conftest.py; import these from here)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

from bizsum.jsonl import read_jsonl
from bizsum.records import GenerationRecord, ScoreRecord, load_latest, to_row

ROOT = Path(__file__).resolve().parents[1]
#: the shared folder beside the checkout (seed task, stub server); BIZSUM_SHARED_DIR points elsewhere
SHARED = Path(os.environ.get("BIZSUM_SHARED_DIR") or ROOT.parent / "shared")
SEED_TASK = SHARED / "seed" / "seed_task.txt"
STUB_SERVER = SHARED / "tools" / "stub_openai.py"


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


def chat_completion(
    content: str,
    prompt_tokens: int = 1000,
    completion_tokens: int = 100,
    cached: int = 0,
    finish_reason: str = "stop",
    model: str = "gpt-4o-mini-2024-07-18",
) -> dict[str, Any]:
    """A Chat Completions response body, as an OpenAI server sends it."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": content}}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
    }


FAST_RETRY = {"max_attempts": 4, "initial_delay": 0.01, "max_delay": 0.05}


def openai_compatible(base_url: str, **fields: Any) -> dict[str, Any]:
    """A model entry for an OpenAI-compatible server that needs no key, with quick retries."""
    return {
        "id": "stub",
        "provider": "openai",
        "model": "stub-model",
        "base_url": base_url,
        "options": {"requires_key": False},
        "count_encoding": "o200k_base",
        "retry": FAST_RETRY,
        **fields,
    }


class InFlight:
    """Counts concurrent entries (``with in_flight:``); ``peak`` is the most at once."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def __enter__(self) -> InFlight:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self.now -= 1


GENERATE_SCRIPT = (
    "import sys; from bizsum.config import load_config; from bizsum.generation.runner import generate; "
    "generate(load_config(sys.argv[1]), progress=False)"
)


def spawn_generate(folder: Path, config: dict[str, Any], name: str = "run.yaml") -> subprocess.Popen[bytes]:
    """Run ``generate`` for ``config`` in another process, from ``folder`` (as a second user would)."""
    import yaml

    (folder / name).write_text(yaml.safe_dump(config), encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, "-c", GENERATE_SCRIPT, name],
        cwd=folder,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for_rows(child: subprocess.Popen[bytes], path: Path, rows: int, timeout: float = 60) -> None:
    """Wait until ``path`` has ``rows`` lines, failing with the child's stderr if it died first."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= rows):
        if child.poll() is not None:
            raise AssertionError(child.stderr.read().decode()[-2000:] if child.stderr else "the child exited")
        if time.monotonic() > deadline:
            raise AssertionError(f"the child made no progress in {timeout:.0f}s")
        time.sleep(0.02)


class StubServer:
    """The shared OpenAI-compatible stub (``../shared/tools/stub_openai.py``) in its own process:
    HTTP/1.0, one connection per request, a short listen backlog, a fixed latency, and request
    counters at ``/stats``."""

    def __init__(self, latency: float = 0.0, summary_file: Path | None = None, fail_rate: float = 0.0):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        command = [sys.executable, str(STUB_SERVER), "--port", str(port), "--latency", str(latency)]
        command += ["--fail-rate", str(fail_rate)]
        if summary_file is not None:
            command += ["--summary-file", str(summary_file)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/v1"
        deadline = time.monotonic() + 20
        while True:
            try:
                self.stats()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(
                        f"the stub server did not start: {self.process.stderr.read().decode()}"
                    ) from None
                time.sleep(0.05)

    def stats(self) -> dict[str, int]:
        with urllib.request.urlopen(f"{self.base}/stats", timeout=5) as answer:
            data: dict[str, int] = json.loads(answer.read())
            return data

    def model(self, **fields: Any) -> dict[str, Any]:
        """A model entry (provider openai, no key) served by this stub."""
        return openai_compatible(self.url, **fields)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(10)


__all__ = [
    "FAST_RETRY",
    "ROOT",
    "SEED_TASK",
    "SHARED",
    "STUB_SERVER",
    "InFlight",
    "StubServer",
    "base_config",
    "chat_completion",
    "generation_rows",
    "openai_compatible",
    "read_jsonl",
    "score_rows",
    "spawn_generate",
    "wait_for_rows",
]
