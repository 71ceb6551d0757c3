"""Scale-out: scoring 2,000 summaries over 20 documents locally and on Ray, and what 100,000 would take.

Data: 20 real documents of ``data/documents`` (every third id in sorted order: 2k–30k o200k
tokens), 100 summaries each, made without a model: lead-style (the first k informative
sentences) and samples of k informative sentences in source order, k from 3 to 8, seeded. They are
written as the ``generations.jsonl`` of a run folder, so each mode runs the real
``bizsum.execution.score`` from a cold start (no earlier scores, models loaded inside the timing).

Modes, each in a fresh process:

* ``local``: ``executor: local``, one process, torch limited to 1 thread (one core);
* ``ray1``: ``executor: ray`` on a private one-CPU Ray instance, 1 actor;
* ``ray2``: ``executor: ray`` on a two-node local cluster (``ray.cluster_utils.Cluster``, two
  raylets, one CPU each), 2 actors.

Printed per mode: wall time (cluster start-up apart), CPU time and peak RSS of each worker
(the driver for ``local``, each actor for Ray), the summaries each scored, and per-worker
throughput (summaries per second of a worker's busy time). The projection to 100,000 summaries
on N machines with C cores uses the measured per-actor throughput:
``time = model load + 100,000 / (N × C × per-actor throughput)``.

    python bench/speed/scale_out.py                        # rouge + bertscore, 2,000 summaries
    python bench/speed/scale_out.py --metrics all          # the full suite
    python bench/speed/scale_out.py --per-doc 20           # 400 summaries (quick look)
    python bench/speed/scale_out.py --summarize r1.json r2.json r3.json   # median and range of repeats
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ROOT = Path(__file__).resolve().parents[2]
SEED = "bizsum-scale-out-v1"


def documents(count: int = 20) -> list[str]:
    from bizsum.corpus.documents import DocumentStore

    ids = sorted(DocumentStore(ROOT / "data").ids())
    return ids[::3][:count]


def summaries(doc_id: str, text: str, per_doc: int) -> list[str]:
    from bench.speed.scoring_speed import informative_sentences

    sentences = informative_sentences(text) or [text[:400]]
    rng = random.Random(f"{SEED}:{doc_id}")
    out = []
    for index in range(per_doc):
        k = min(len(sentences), 3 + index % 6)
        if index % 4 == 0:
            start = rng.randrange(0, max(1, min(len(sentences) - k, 10)) + 1)
            chosen = sentences[start : start + k]
        else:
            chosen = [sentences[i] for i in sorted(rng.sample(range(len(sentences)), k))]
        out.append(" ".join(chosen))
    return out


def write_run(folder: Path, per_doc: int, metrics: list[str] | None) -> dict[str, Any]:
    """A run folder with ``generations.jsonl`` of ``20 × per_doc`` summaries; returns the config."""
    from bizsum.corpus.documents import DocumentStore
    from bizsum.jsonl import dumps, write_lines_atomic
    from bizsum.records import GenerationRecord, to_row

    store = DocumentStore(ROOT / "data")
    doc_ids = documents()
    rows = []
    for doc_id in doc_ids:
        document = store.load(doc_id)
        for sample, text in enumerate(summaries(doc_id, document.text, per_doc)):
            record = GenerationRecord(
                doc_id=doc_id,
                prompt_id="bench",
                model_id="sentences",
                sample=sample,
                provider="extractive",
                model="sentences",
                text=text,
                cache_key=f"bench-{doc_id}-{sample}",
                config_hash="bench",
                document_sha256=document.sha256,
                completion_tokens=len(text.split()),
            )
            rows.append(to_row(record))
    run = folder / "scale"
    run.mkdir(parents=True, exist_ok=True)
    write_lines_atomic(run / "generations.jsonl", (dumps(row) for row in rows))
    return {
        "name": "scale",
        "documents": doc_ids,
        "prompts": ["seed"],
        "models": [{"id": "sentences", "provider": "fake"}],
        "metrics": metrics,
        "data_dir": str(ROOT / "data"),
        "output_dir": str(folder),
    }


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_mode(mode: str, config_data: dict[str, Any]) -> dict[str, Any]:
    """One mode in this (fresh) process; returns its numbers."""
    from bizsum.config import build_config
    from bizsum.scoring import score_run

    cluster = None
    started = time.perf_counter()
    if mode == "local":
        import torch

        torch.set_num_threads(1)
        config = build_config(config_data, "bench")
        cpu = time.process_time()
        score_run(config, progress=False)
        wall = time.perf_counter() - started
        rows = _count_rows(config)
        return {
            "mode": mode,
            "wall_s": wall,
            "startup_s": 0.0,
            "workers": [
                {
                    "node": "driver",
                    "summaries": rows,
                    "cpu_s": time.process_time() - cpu,
                    "busy_s": wall,
                    "peak_rss_mb": _rss_mb(),
                }
            ],
            "driver_peak_rss_mb": _rss_mb(),
        }
    import ray

    from bizsum.execution.ray_scoring import RayScorer
    from tests.execution.cluster import patient_environment, start_two_nodes

    patient_environment()  # a loaded machine starts Ray's agents slowly
    if mode == "ray1":
        ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
        actors = 1
    else:
        from ray.cluster_utils import Cluster

        cluster = start_two_nodes(Cluster)
        ray.init(address=cluster.address, log_to_driver=False)
        actors = 2
    startup = time.perf_counter() - started
    config = build_config({**config_data, "executor": {"kind": "ray", "num_actors": actors}}, "bench")
    scorer = RayScorer(config.executor)
    processes = _process_cpu()
    begun = time.perf_counter()
    driver_cpu = time.process_time()
    score_run(config, progress=False, scorer=scorer)
    wall = time.perf_counter() - begun
    spent = _cpu_since(processes)  # before shutdown: every Ray process is still alive
    result = {
        "mode": mode,
        "wall_s": wall,
        "startup_s": startup,
        "driver_cpu_s": time.process_time() - driver_cpu,
        "driver_peak_rss_mb": _rss_mb(),
        "process_cpu_s": spent,
        "workers": [
            {
                "node": w.node[:8],
                "summaries": w.summaries,
                "cpu_s": w.cpu_s,
                "busy_s": w.busy_s,
                "peak_rss_mb": w.peak_rss_mb,
                "groups": w.groups,
            }
            for w in scorer.workers.values()
        ],
    }
    assert _count_rows(config) == sum(w["summaries"] for w in result["workers"])
    ray.shutdown()
    if cluster is not None:
        cluster.shutdown()
    return result


def _process_cpu() -> dict[int, tuple[str, float]]:
    """(name, CPU-s so far) of this run's Ray processes: GCS, raylets, agents and workers.

    They are the processes below this one and below every process whose command line names this
    Ray session (a second raylet of ``Cluster`` may be re-parented away from the driver)."""
    import psutil
    import ray

    session = Path(ray._private.worker._global_node.get_session_dir_path()).name  # a private API: Ray has no public one
    roots = [psutil.Process()]
    for process in psutil.process_iter():
        try:
            if any(session in part for part in process.cmdline()):
                roots.append(process)
        except psutil.Error:  # exited, or not ours to read
            continue
    out = {}
    for root in roots:
        try:
            members = (
                [root, *root.children(recursive=True)] if root.pid != os.getpid() else root.children(recursive=True)
            )
        except psutil.Error:
            continue
        for child in members:
            try:
                times = child.cpu_times()
                name = child.name()
            except psutil.Error:  # exited meanwhile
                continue
            out[child.pid] = (_kind(name, child), times.user + times.system)
    return out


def _kind(name: str, child: Any) -> str:
    """A short name for a Ray process (the workers' titles name the actor or say IDLE)."""
    if name.startswith("ray::"):
        return "worker " + ("idle" if "IDLE" in name else name[5:].split("(", maxsplit=1)[0])
    try:
        command = " ".join(child.cmdline()[:3])
    except Exception:  # a vanished process has no command line
        return name
    for key in (
        "raylet",
        "gcs_server",
        "dashboard_agent",
        "runtime_env/agent",
        "log_monitor",
        "monitor.py",
        "dashboard.py",
    ):
        if key in command:
            return key.split("/")[0].replace(".py", "")
    return name


def _cpu_since(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU-s each kind of process spent since ``before`` (processes started since count from zero)."""
    spent: dict[str, float] = {}
    for pid, (kind, cpu) in _process_cpu().items():
        spent[kind] = spent.get(kind, 0.0) + cpu - (before[pid][1] if pid in before else 0.0)
    return spent


def _count_rows(config: Any) -> int:
    from bizsum.jsonl import read_jsonl

    return sum(1 for row in read_jsonl(config.rundir.scores) if not row.get("error"))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def project(per_actor: float, load_s: float, summaries: int = 100_000, cores: int = 8) -> list[tuple[int, float]]:
    return [(n, load_s + summaries / (n * cores * per_actor)) for n in (1, 4, 16, 64)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-doc", type=int, default=100, help="summaries per document (20 documents)")
    parser.add_argument("--metrics", nargs="+", default=["rouge", "bertscore"], help="metric names, or 'all'")
    parser.add_argument("--modes", nargs="+", default=["local", "ray1", "ray2"])
    parser.add_argument("--json", type=Path, help="also write the numbers here")
    parser.add_argument("--summarize", nargs="+", type=Path, help="print median and range of these --json files")
    parser.add_argument(
        "--cpu-per-summary",
        type=float,
        default=None,
        help="with --summarize: also project 100k summaries at this CPU-s per summary (scoring_speed.py's figure)",
    )
    parser.add_argument("--mode", help=argparse.SUPPRESS)  # internal: run one mode in this process
    parser.add_argument("--config", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    # every mode starts without cached claim verdicts (a file cache would let the second mode reuse the first's)
    os.environ.setdefault("BIZSUM_VERDICT_CACHE", "off")
    if args.mode:
        print(json.dumps(run_mode(args.mode, json.loads(args.config))))
        return 0
    if args.summarize:
        _repeats([json.loads(path.read_text(encoding="utf-8")) for path in args.summarize], args.cpu_per_summary)
        return 0

    metrics = None if args.metrics == ["all"] else args.metrics
    results = []
    with tempfile.TemporaryDirectory(prefix="bizsum-scale-") as scratch:
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; metrics {args.metrics}")
        for mode in args.modes:
            config = write_run(Path(scratch) / mode, args.per_doc, metrics)
            load_before = _load()
            env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
            done = subprocess.run(
                [sys.executable, __file__, "--mode", mode, "--config", json.dumps(config)],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["load_before"], result["load_after"] = load_before, _load()
            results.append(result)
            _print(result)
    _summary(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def _print(result: dict[str, Any]) -> None:
    print(
        f"\n{result['mode']}: wall {result['wall_s']:.1f} s (+ {result['startup_s']:.1f} s cluster start), "
        f"driver peak RSS {result['driver_peak_rss_mb']:.0f} MB; load {result['load_before']} → {result['load_after']}"
    )
    print(
        f"  {'worker':10s} {'summaries':>9s} {'CPU s':>8s} {'busy s':>8s} {'CPU share':>9s} {'sum/s':>7s} "
        f"{'CPU-s/sum':>9s} {'peak RSS MB':>11s}"
    )
    for w in result["workers"]:
        rate = w["summaries"] / w["busy_s"] if w["busy_s"] else 0.0
        share = w["cpu_s"] / w["busy_s"] if w["busy_s"] else 0.0  # of one core: 1.0 = a core to itself
        per = w["cpu_s"] / w["summaries"] if w["summaries"] else 0.0
        print(
            f"  {w['node']:10s} {w['summaries']:9d} {w['cpu_s']:8.1f} {w['busy_s']:8.1f} {share:9.2f} {rate:7.2f} "
            f"{per:9.3f} {w['peak_rss_mb']:11.0f}"
        )
    if result.get("process_cpu_s"):
        spent = result["process_cpu_s"]
        total = sum(spent.values()) + result.get("driver_cpu_s", 0.0)
        parts = ", ".join(f"{kind} {cpu:.1f}" for kind, cpu in sorted(spent.items(), key=lambda kv: -kv[1]))
        print(
            f"  CPU-s during scoring: driver {result.get('driver_cpu_s', 0.0):.1f}, {parts}; "
            f"all {total:.1f} = {total / result['wall_s']:.2f} cores over the {result['wall_s']:.0f} s"
        )


def _summary(results: list[dict[str, Any]]) -> None:
    by_mode = {r["mode"]: r for r in results}
    print()
    if "local" in by_mode and "ray1" in by_mode:
        local, ray1 = by_mode["local"]["wall_s"], by_mode["ray1"]["wall_s"]
        print(f"Ray overhead, 1 core each (ray1 vs local wall): {100 * (ray1 / local - 1):+.1f}%")
    if "local" in by_mode and "ray2" in by_mode:
        local_rate = by_mode["local"]["workers"][0]["summaries"] / by_mode["local"]["wall_s"]
        for w in by_mode["ray2"]["workers"]:
            rate = w["summaries"] / w["busy_s"]
            print(
                f"ray2 actor {w['node']}: {rate:.2f} summaries/s busy vs local {local_rate:.2f}: "
                f"{100 * (rate / local_rate - 1):+.1f}%"
            )
        print(f"ray2 wall vs local wall: speed-up {by_mode['local']['wall_s'] / by_mode['ray2']['wall_s']:.2f}×")
    if "ray1" in by_mode and "ray2" in by_mode:
        one, two = by_mode["ray1"], by_mode["ray2"]
        rate1 = sum(w["summaries"] for w in one["workers"]) / one["wall_s"]
        rate2 = sum(w["summaries"] for w in two["workers"]) / two["wall_s"]
        shares = ", ".join(f"{w['cpu_s'] / w['busy_s']:.2f}" for w in two["workers"] if w["busy_s"])
        single = ", ".join(f"{w['cpu_s'] / w['busy_s']:.2f}" for w in one["workers"] if w["busy_s"])
        print(
            f"2 actors vs 1: {rate2:.2f} vs {rate1:.2f} summaries/s = {rate2 / rate1:.2f}× throughput "
            f"(CPU share of a core per actor: {shares}; 1 actor: {single})"
        )
        print(
            f"  scoring phase alone (the busiest actor's busy time, model load and pipeline start apart): "
            f"{scoring_span(one):.1f} s vs {scoring_span(two):.1f} s = {scoring_span(one) / scoring_span(two):.2f}×"
        )
    source = by_mode.get("ray2") or by_mode.get("ray1")
    if source:
        workers = source["workers"]
        per_actor = sum(w["summaries"] for w in workers) / sum(w["busy_s"] for w in workers)
        cpu_per = sum(w["cpu_s"] for w in workers) / sum(w["summaries"] for w in workers)
        wall = source["wall_s"]
        load_s = max(0.0, wall - sum(w["busy_s"] for w in workers) / len(workers))  # model load + pipeline start
        print(
            f"\nprojection from {source['mode']}: {per_actor:.2f} summaries/s per actor ({cpu_per:.3f} CPU-s each), "
            f"start-up {load_s:.0f} s (models, actors)"
        )
        print("100,000 summaries on N machines × 8 cores (one actor per core):")
        print("  time = start-up + 100,000 / (N × 8 × per-actor throughput)")
        for n, seconds in project(per_actor, load_s):
            print(
                f"  N = {n:3d}: {load_s:.0f} + 100000 / ({n} × 8 × {per_actor:.2f}) = {seconds:7.0f} s = {seconds / 60:5.1f} min"
            )
        dedicated = 1 / cpu_per if cpu_per else 0.0
        if dedicated:
            seconds = load_s + 100_000 / (16 * 8 * dedicated)
            print(
                f"  with a core to each actor (throughput = 1 / CPU-s per summary = {dedicated:.2f}/s): "
                f"N = 16: {seconds:.0f} s = {seconds / 60:.1f} min"
            )


def scoring_span(result: dict[str, Any]) -> float:
    """How long the mode scored: the busiest actor's busy time (the run ends when it is done)."""
    return max((w["busy_s"] for w in result["workers"]), default=0.0)


def print_cpu_projection(cpu_per_summary: float, share: float, start: float) -> None:
    """The 100k projection for another workload's CPU-s per summary (e.g. scoring_speed.py's
    abstractive summaries) at the CPU share of a core the actors got here."""
    rate = share / cpu_per_summary
    seconds = start + 100_000 / (16 * 8 * rate)
    print(
        f"  with {cpu_per_summary:.3f} CPU-s per summary (--cpu-per-summary) at a CPU share of {share:.2f}: "
        f"{start:.0f} + 100000 / (16 × 8 × {rate:.2f}) = {seconds:.0f} s = {seconds / 60:.1f} min"
    )


def _repeats(repeats: list[list[dict[str, Any]]], cpu_per_summary: float | None = None) -> None:
    """Median and range over repeated runs of ray1 and ray2: throughput, speed-up, CPU shares,
    start-up, peak RSS and the 100k projection from the median per-actor throughput."""
    import statistics

    def spread(values: list[float], fmt: str = ".2f") -> str:
        values = sorted(values)
        return f"{statistics.median(values):{fmt}} ({values[0]:{fmt}}–{values[-1]:{fmt}})"

    ups, shares, rates, startups, rss, cpu_per, loads = [], [], [], [], [], [], []
    phase_ups: list[float] = []
    for results in repeats:
        by_mode = {r["mode"]: r for r in results}
        one, two = by_mode["ray1"], by_mode["ray2"]
        rate1 = sum(w["summaries"] for w in one["workers"]) / one["wall_s"]
        rate2 = sum(w["summaries"] for w in two["workers"]) / two["wall_s"]
        ups.append(rate2 / rate1)
        phase_ups.append(scoring_span(one) / scoring_span(two))
        shares += [w["cpu_s"] / w["busy_s"] for w in two["workers"]]
        workers = two["workers"]
        rates.append(sum(w["summaries"] for w in workers) / sum(w["busy_s"] for w in workers))
        cpu_per.append(sum(w["cpu_s"] for w in workers) / sum(w["summaries"] for w in workers))
        startups.append(two["startup_s"] + max(0.0, two["wall_s"] - sum(w["busy_s"] for w in workers) / len(workers)))
        rss += [w["peak_rss_mb"] for r in (one, two) for w in r["workers"]]
        loads += [f"{r['mode']} {r['load_before'].split()[0]}→{r['load_after'].split()[0]}" for r in (one, two)]
    print(f"{len(repeats)} repeats (median, range); load average (1 min) before→after: {'; '.join(loads)}")
    print(f"  2 actors vs 1, throughput: {spread(ups)}× (wall time, model load and pipeline start included)")
    print(f"  2 actors vs 1, scoring phase (busiest actor's busy time): {spread(phase_ups)}×")
    print(f"  CPU share of a core per actor with 2 actors: {spread(shares)}")
    print(
        f"  per-actor throughput (ray2, busy time): {spread(rates)} summaries/s; CPU-s per summary {spread(cpu_per, '.3f')}"
    )
    print(f"  start-up (cluster start + model load + pipeline start, ray2): {spread(startups, '.0f')} s")
    print(f"  peak RSS per scoring actor: {spread(rss, '.0f')} MB")
    rate, start = statistics.median(rates), statistics.median(startups)
    seconds = start + 100_000 / (16 * 8 * rate)
    print(
        f"  100,000 summaries on 16 × 8 cores: {start:.0f} + 100000 / (16 × 8 × {rate:.2f}) = {seconds:.0f} s "
        f"= {seconds / 60:.1f} min"
    )
    if cpu_per_summary:
        print_cpu_projection(cpu_per_summary, statistics.median(shares), start)


if __name__ == "__main__":
    sys.exit(main())
