"""Scoring on Ray: the groups of :func:`bizsum.scoring.score_units` on a pool of scoring actors.

Each group (the summaries of one document, at most ``SCORE_GROUP``) is one task. A fixed pool of
:class:`ScoringActor` (``num_actors``, or one per ``cpus_per_actor`` CPUs of the cluster) each load
the metric models once and keep their per-document caches for the groups that follow; the driver
keeps one group in flight per actor and hands an actor the next group, the costliest first, as soon
as it returns one (plain Ray actors and ``ray.wait``: Ray Data's pipeline cost the driver and its
coordinator actors about a quarter of a core on a 2-core machine). The driver receives every scored
group as it finishes and :func:`bizsum.scoring.score_run` writes it to a part file at once, so
everything else (which rows are reused, how a killed run continues, the atomic ``scores.jsonl``) is
the local code.

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
from collections import deque
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
    """One scoring actor: the metric models, loaded once, and their caches."""

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

    def score(self, payload: bytes) -> dict[str, Any]:
        """One group, scored: its rows (JSON) and what it cost this actor."""
        import ray

        cpu, wall = time.process_time(), time.perf_counter()
        group: Group = pickle.loads(payload)
        records = score_group(group, self.names, self.judge)
        return_freed_memory()  # the group's transient activations, back to the OS before the next
        return {
            "rows": json.dumps([to_row(r) for r in records], ensure_ascii=False),
            "pid": os.getpid(),
            "node": ray.get_runtime_context().get_node_id(),
            "cpu_s": time.process_time() - cpu,
            "wall_s": time.perf_counter() - wall,
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


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
            queue = deque(sorted(range(len(units)), key=lambda k: (-group_cost(units[k]), k)))
            remote = ray.remote(num_cpus=self.settings.cpus_per_actor, max_restarts=-1, max_task_retries=-1)(
                ScoringActor
            )
            pool = [
                remote.remote(
                    names=list(names),
                    targets={n: metric_target(n) for n in names},
                    threads=max(1, int(self.settings.cpus_per_actor)),
                    judge=judge,
                )
                for _ in range(actors)
            ]
            running: dict[Any, Any] = {}  # task -> actor

            def hand_next(actor: Any) -> None:
                if queue:
                    running[actor.score.remote(pickle.dumps(units[queue.popleft()]))] = actor

            try:
                for actor in pool:  # one group in flight per actor: groups are large
                    hand_next(actor)
                while running:
                    (done,), _ = ray.wait(list(running), num_returns=1)
                    actor = running.pop(done)
                    result = ray.get(done)
                    hand_next(actor)
                    records = [ScoreRecord.model_validate(row) for row in json.loads(result["rows"])]
                    self._count(result, len(records))
                    yield records
            finally:  # also when the caller stops early: no actor outlives the run on a shared cluster
                for actor in pool:
                    ray.kill(actor)

    def _count(self, result: dict[str, Any], summaries: int) -> None:
        stats = self.workers.setdefault(int(result["pid"]), WorkerStats(node=str(result["node"])))
        stats.groups += 1
        stats.summaries += summaries
        stats.cpu_s += float(result["cpu_s"])
        stats.busy_s += float(result["wall_s"])
        stats.peak_rss_mb = max(stats.peak_rss_mb, float(result["rss_mb"]))
