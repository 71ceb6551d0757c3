"""bizsum: measure how well language models summarize the business model in 10-K Item 1 sections.

The public API (everything else is reachable but may move):

* configuration: :func:`load_config`, :class:`RunConfig`, :class:`ModelSpec`
* running: :func:`generate`, :func:`score_run` (both run where ``config.executor`` says:
  :mod:`bizsum.execution`), :func:`score_text`, :func:`run_pipeline`
* reading results: :class:`Run` (a run folder's config and rows, read once), :func:`load_run`
  (one row per summary), the typed records
  :class:`GenerationRecord`, :class:`ScoreRecord`, :class:`ReviewRecord`, and :class:`RunDir`
* errors: :class:`BizsumError` (every user-facing error)

Heavy modules (torch, papermill) are imported on first use, not by ``import bizsum``.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from bizsum.config import ModelSpec, RunConfig, load_config
from bizsum.errors import BizsumError
from bizsum.records import GenerationRecord, ReviewRecord, ScoreRecord
from bizsum.run import Run
from bizsum.rundir import RunDir

try:
    __version__ = version("bizsum")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

_LAZY = {
    # the verbs honour config.executor (local or ray): bizsum.execution, not the in-process engines
    "generate": "bizsum.execution",
    "score_run": "bizsum.execution",
    "score_text": "bizsum.scoring",
    "run_pipeline": "bizsum.pipeline",
    "load_run": "bizsum.analysis.tables",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'bizsum' has no attribute {name!r}")


__all__ = [
    "BizsumError",
    "GenerationRecord",
    "ModelSpec",
    "ReviewRecord",
    "Run",
    "RunConfig",
    "RunDir",
    "ScoreRecord",
    "__version__",
    "generate",
    "load_config",
    "load_run",
    "run_pipeline",
    "score_run",
    "score_text",
]
