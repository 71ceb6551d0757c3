"""Peak memory of scoring 1,000 summaries with the full metric suite.

Data: the 100 summaries of ``bench/speed/scoring_speed.py`` (5 real filings × 20) in 10 versions each
(variant 0 = the base; variants 1–9 drop a sentence, change a number or name, sometimes append a
framing sentence), so 1,000 distinct summaries over 5 documents.

Modes:

* ``chunks`` (default): ``run_metrics`` on consecutive chunks of ``--chunk`` items (in document
  order, as ``score_run`` sorts them); every result (values and details) is kept, as a caller that
  collects rows would.
* ``score-run``: the CLI path — a temporary run folder with a ``generations.jsonl`` of the 1,000
  summaries, scored by ``bizsum.scoring.score_run`` into ``scores.jsonl``.

Peak RSS is the process high-water mark (``resource.getrusage``, includes the loaded models); the
current RSS is sampled after every chunk.

    python bench/speed/scoring_memory.py                     # 1,000 summaries, chunks of 100
    python bench/speed/scoring_memory.py --mode score-run
    python bench/speed/scoring_memory.py --quick             # 100 summaries (10 per document... x2 versions)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.speed.scoring_speed import DOCS, ROOT, build_items, machine

log = logging.getLogger("bench.scoring_memory")


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def run_chunks(items, names, chunk: int) -> dict:
    from bizsum.scoring import get_metric, run_metrics

    for name in names:  # models first, so the first chunk's RSS is comparable with the others
        get_metric(name)
    print(f"models loaded: RSS {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")
    kept = []
    detail_bytes = 0
    start = time.perf_counter()
    for offset in range(0, len(items), chunk):
        out = run_metrics(items[offset : offset + chunk], names)
        detail_bytes += sum(len(json.dumps(row["details"], default=str)) for row in out)
        kept.extend(out)
        print(
            f"  {offset + len(out):>5} scored  {time.perf_counter() - start:7.1f} s  RSS {rss_mb():6.0f} MB  "
            f"peak {peak_rss_mb():6.0f} MB",
            flush=True,
        )
    return {"rows": len(kept), "details_json_mb": detail_bytes / 2**20, "seconds": time.perf_counter() - start}


def run_score_run(items, names) -> dict:
    from bizsum.config import ModelSpec, RunConfig
    from bizsum.scoring import get_metric, score_run

    for name in names:
        get_metric(name)
    print(f"models loaded: RSS {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB")
    with tempfile.TemporaryDirectory(prefix="bizsum-mem-") as tmp:
        config = RunConfig(
            name="memory",
            documents=list(DOCS),
            prompts=["bench"],
            models=[ModelSpec(id="bench", provider="fake")],
            metrics=names,
            data_dir=str(ROOT / "data"),
            output_dir=tmp,
        )
        config.run_dir.mkdir(parents=True)
        samples: dict[str, int] = {}
        with config.rundir.generations.open("w", encoding="utf-8") as handle:
            for item in items:
                sample = samples[item.document.id] = samples.get(item.document.id, -1) + 1
                handle.write(
                    json.dumps(
                        {
                            "doc_id": item.document.id,
                            "prompt_id": "bench",
                            "model_id": "bench",
                            "sample": sample,
                            "provider": "fake",
                            "model": "bench",
                            "text": item.summary,
                            "token_limit": 512,
                            "count_encoding": "o200k_base",
                            "error": None,
                        }
                    )
                    + "\n"
                )
        start = time.perf_counter()
        path = score_run(config, progress=False)
        seconds = time.perf_counter() - start
        size = path.stat().st_size
        rows = sum(1 for _ in path.open(encoding="utf-8"))
    print(f"  score_run: {rows} rows, {size / 2**20:.1f} MB scores.jsonl, {seconds:.1f} s")
    return {"rows": rows, "scores_jsonl_mb": size / 2**20, "seconds": seconds}


def main() -> int:
    from bizsum.metrics import metric_names

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=("chunks", "score-run"), default="chunks")
    parser.add_argument("--chunk", type=int, default=100, help="items per run_metrics call (chunks mode)")
    parser.add_argument("--quick", action="store_true", help="100 summaries (10 per document x 2 versions)")
    parser.add_argument("--metrics", nargs="+", default=None, help="default: every registered metric")
    parser.add_argument("--limit-mb", type=float, default=2048, help="fail when peak RSS exceeds this")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    names = args.metrics or metric_names()
    items = build_items(per_doc=10, variants=2) if args.quick else build_items(per_doc=20, variants=10)
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, torch {info['torch']}; "
        f"load average {info['load_avg']}"
    )
    print(
        f"{len(items)} summaries ({len({i.summary for i in items})} distinct) on {len(DOCS)} documents; "
        f"metrics: {', '.join(names)}; mode {args.mode}"
    )
    print(f"start: RSS {rss_mb():.0f} MB")
    result = run_chunks(items, names, args.chunk) if args.mode == "chunks" else run_score_run(items, names)
    peak = peak_rss_mb()
    result.update(summaries=len(items), mode=args.mode, peak_rss_mb=peak, final_rss_mb=rss_mb(), machine=info)
    print(
        f"peak RSS {peak:.0f} MB ({peak / 1024:.2f} GB); target < {args.limit_mb / 1024:.1f} GB: "
        f"{'met' if peak < args.limit_mb else 'NOT met'}; {result['seconds']:.0f} s for {len(items)} summaries"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0 if peak < args.limit_mb else 1


if __name__ == "__main__":
    sys.exit(main())
