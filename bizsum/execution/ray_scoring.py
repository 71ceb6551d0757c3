"""Scoring on Ray: the groups of :func:`bizsum.scoring.score_units` as a Ray Data pipeline.

Each group (the summaries of one document, at most ``SCORE_GROUP``) is one block of a Ray
Dataset; ``map_batches`` sends the blocks to a pool of :class:`ScoringActor` that each load the
metric models once and keep their per-document caches (source embeddings, source indexes) for
the groups that follow. The driver receives every scored group as it finishes and
:func:`bizsum.scoring.score_run` writes it to a part file at once, so everything else (which rows
are reused, how a killed run continues, the atomic ``scores.jsonl``) is the local code.

Values equal local scoring's to the last bit when the local process runs the encoders on as many
threads as an actor has CPUs (``cpus_per_actor``, default 1): torch sums in another order on
another number of threads (seen: ``support_mean`` 1e-10 apart between 1 and 2 threads).

A group carries its document and references, so the actors need no access to the data folder;
only the driver reads and writes the run folder. An actor that dies (a node lost, a process
killed) is restarted by Ray and its group is scored again; the driver keeps one row per cell.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from bizsum.config import ExecutorSettings
from bizsum.execution.ray_session import cluster_cpus, ray_session
from bizsum.metrics import metric_target, register_metric
from bizsum.metrics.judge.client import JudgeSetup
from bizsum.nlp.pool import return_freed_memory
from bizsum.records import ScoreRecord, to_row
from bizsum.scoring import Group, metric_for, score_group

log = logging.getLogger(__name__)


class ScoringActor:
    """One Ray Data worker: the metric models, loaded once, and their caches."""

    def __init__(self, names: Sequence[str], targets: dict[str, str], threads: int, judge: JudgeSetup | None = None):
        self.names = list(names)
        self.judge = judge
        for name, target in targets.items():  # metrics a plugin registered in the driver
            register_metric(name, target)
        started = time.process_time()
        for name in self.names:  # load the models before the first group arrives
            metric_for(name, judge)
        if "torch" in sys.modules:  # the encoders use the CPUs Ray reserved for the actor, no more
            sys.modules["torch"].set_num_threads(threads)
        self.load_cpu_s = time.process_time() - started

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        import ray

        node = ray.get_runtime_context().get_node_id()
        out: dict[str, list[Any]] = {k: [] for k in ("unit", "rows", "pid", "node", "cpu_s", "wall_s", "rss_mb")}
        for unit, payload in zip(batch["unit"], batch["payload"]):
            cpu, wall = time.process_time(), time.perf_counter()
            group: Group = pickle.loads(payload)
            records = score_group(group, self.names, self.judge)
            return_freed_memory()  # the group's transient activations, back to the OS before the next
            out["unit"].append(int(unit))
            out["rows"].append(json.dumps([to_row(r) for r in records], ensure_ascii=False))
            out["pid"].append(os.getpid())
            out["node"].append(node)
            out["cpu_s"].append(time.process_time() - cpu)
            out["wall_s"].append(time.perf_counter() - wall)
            out["rss_mb"].append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        return out


@dataclass
class WorkerStats:
    """What one actor did (for ``bench/speed/scale_out.py`` and the log)."""

    node: str
    groups: int = 0
    summaries: int = 0
    cpu_s: float = 0.0
    busy_s: float = 0.0
    peak_rss_mb: float = 0.0


#: characters of source text that cost about as much to score as one summary (a document's
#: index and BERTScore embeddings are built once per group; each summary adds its claims)
SUMMARY_COST_CHARS = 2_000


def group_cost(group: Group) -> int:
    """A group's expected scoring cost in source characters: its document once, plus each summary."""
    if not group:
        return 0
    return len(group[0][1].document.text) + SUMMARY_COST_CHARS * len(group)


@dataclass
class RayScorer:
    """A :data:`bizsum.scoring.GroupScorer` that scores the groups on Ray actors."""

    settings: ExecutorSettings
    workers: dict[int, WorkerStats] = field(default_factory=dict)

    def __call__(
        self, units: list[Group], names: Sequence[str], judge: JudgeSetup | None = None
    ) -> Iterator[list[ScoreRecord]]:
        with ray_session(self.settings) as ray:
            actors = self.settings.num_actors or max(1, int(cluster_cpus(ray) // self.settings.cpus_per_actor))
            actors = max(1, min(actors, len(units)))
            log.info("scoring %d groups on %d Ray actor(s)", len(units), actors)
            # the costliest groups first (longest-processing-time order): an actor that frees up takes
            # the next one, so the run does not end waiting on one actor's late, large document
            order = sorted(range(len(units)), key=lambda k: (-group_cost(units[k]), k))
            rows = [{"unit": k, "payload": pickle.dumps(units[k])} for k in order]
            dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
                ScoringActor,
                fn_constructor_kwargs={
                    "names": list(names),
                    "targets": {n: metric_target(n) for n in names},
                    "threads": max(1, int(self.settings.cpus_per_actor)),
                    "judge": judge,
                },
                batch_size=1,
                # one group in flight per actor: groups are large, so an idle actor takes the next
                # one rather than a busy actor queueing several
                compute=ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1),
                num_cpus=self.settings.cpus_per_actor,
            )
            for batch in dataset.iter_batches(batch_size=None, batch_format="numpy", prefetch_batches=1):
                for k in range(len(batch["unit"])):
                    records = [ScoreRecord.model_validate(row) for row in json.loads(batch["rows"][k])]
                    self._count(batch, k, len(records))
                    yield records

    def _count(self, batch: dict[str, Any], k: int, summaries: int) -> None:
        pid = int(batch["pid"][k])
        stats = self.workers.setdefault(pid, WorkerStats(node=str(batch["node"][k])))
        stats.groups += 1
        stats.summaries += summaries
        stats.cpu_s += float(batch["cpu_s"][k])
        stats.busy_s += float(batch["wall_s"][k])
        stats.peak_rss_mb = max(stats.peak_rss_mb, float(batch["rss_mb"][k]))
