"""Where the heavy steps of a run execute: in this process (``executor: local``) or on Ray.

``executor`` is a RunConfig field (and a notebook parameter, and ``bizsum run --executor``).
Nothing else in a config changes between executors, and the results files are the same:

These are the public verbs (``bizsum.generate`` and ``bizsum.score_run`` are these functions);
:func:`bizsum.generation.generate` and :func:`bizsum.scoring.score_run` are the in-process engines
they call.

* :func:`score_run` (also ``score``) — scoring; on Ray the groups of :func:`bizsum.scoring.score_units` go through a
  pool of Ray actors that hold the metric models (:mod:`.ray_scoring`); reuse, resume
  and the atomic ``scores.jsonl`` are :func:`bizsum.scoring.score_run`'s own.
* :func:`generate` — generation; API models stay on the driver (async, I/O-bound); models that
  run in-process (``Provider.runs_in_process``: llama.cpp) run as Ray actors, one per node with
  its own model copy (:mod:`.ray_generation`).
* :func:`bizsum.execution.ingest_batch.ingest_folder` — a folder of filings in parallel.

Ray is imported only on the Ray path (see :mod:`.ray_session`).
"""

from __future__ import annotations

from pathlib import Path

from bizsum.config import RunConfig
from bizsum.generation import RunPlan
from bizsum.generation.workers import GenerationStats


def score_run(config: RunConfig, progress: bool = True) -> Path:
    """Score the run's generations into ``scores.jsonl`` with the config's executor; returns its path."""
    from bizsum.scoring import score_run as score_here

    if config.executor.kind == "ray":
        from bizsum.execution.ray_scoring import RayScorer

        return score_here(config, progress, scorer=RayScorer(config.executor))
    return score_here(config, progress)


#: the name the notebooks used first
score = score_run


def generate(config: RunConfig, plan: RunPlan | None = None, progress: bool = True) -> GenerationStats:
    """Fill ``generations.jsonl`` with the config's executor."""
    from bizsum.generation import generate as generate_here

    if config.executor.kind == "ray" and config.executor.generation_actors:
        from bizsum.execution.ray_generation import generate_on_ray

        return generate_on_ray(config, plan, progress)
    return generate_here(config, plan, progress)


__all__ = ["generate", "score", "score_run"]
