"""Run the LLM judge metrics on a few summaries of an existing run and print the numbers and the time.

    python bench/validation/judge_subset.py --config configs/labels.yaml \
        --generations data/validation/tenk_claims/generations.jsonl --limit 10 \
        --judge qwen2.5-coder-0.5b-instruct-q4_k_m --threads 1 --out /tmp/judge_subset

The first ``--limit`` successful summaries of ``--generations`` (with ``reviews.jsonl`` beside it,
when there is one) are copied into a scratch run folder ``<out>/<name>/`` and scored there with
source_only, focus_coverage and the judge (a local GGUF model by name, or ``--judge-config FILE``
with ``--judge ID`` for any model entry). Judge answers go to ``<out>/cache``: a second run is
answered from it. Prints per-summary values, means, the judge's time and cost, and, when the
summaries have labels, the agreement table (bizsum.analysis.agreement).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

from bizsum.config import load_config, read_yaml
from bizsum.jsonl import iter_jsonl
from bizsum.records import ScoreRecord, load_latest
from bizsum.scoring import score_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="The run's config (documents, data_dir).")
    parser.add_argument("--generations", required=True, help="generations.jsonl of the run.")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--judge", default="qwen2.5-coder-0.5b-instruct-q4_k_m")
    parser.add_argument("--judge-config", help="A YAML file whose `models` has the judge's id.")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-claims", type=int, default=20)
    parser.add_argument("--max-source-tokens", type=int, default=3000, help="judge_rubric's source budget.")
    parser.add_argument("--out", default="/tmp/judge_subset")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()

    if args.judge_config:
        spec = next(m for m in read_yaml(args.judge_config)["models"] if m["id"] == args.judge)
    else:
        spec = {
            "id": args.judge,
            "provider": "local",
            "model": args.judge,
            "options": {"n_ctx": 4096, "n_threads": args.threads},
        }
    name = args.name or f"judge-{spec['id']}"
    out = Path(args.out).resolve()
    config = load_config(
        args.config,
        {
            "name": name,
            "output_dir": str(out),
            "cache_dir": str(out / "cache"),
            "metrics": ["source_only", "focus_coverage"],
            "judge": {"model": spec, "max_claims": args.max_claims, "max_source_tokens": args.max_source_tokens},
        },
    )
    config = config.model_copy(update={"data_dir": str(config.data_path)})
    run = config.rundir.ensure()
    rows = [row for _, row in iter_jsonl(args.generations) if row.get("text") and not row.get("error")][: args.limit]
    run.generations.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    reviews = Path(args.generations).with_name("reviews.jsonl")
    if reviews.is_file():
        shutil.copy(reviews, run.reviews)
    (run.path / "config.yaml").write_text(json.dumps(config.snapshot()), encoding="utf-8")

    load = os.getloadavg()
    started = time.perf_counter()
    score_run(config)
    wall = time.perf_counter() - started
    scores = load_latest(run.scores, ScoreRecord)
    print(f"judge {spec['id']}: {len(scores)} summaries, wall {wall:.0f} s (load average before {load[0]:.1f})")
    print("doc_id | prompt | model | claims judged | judge supported | source_only | consistency | focus | judge s")
    totals = {"judge_claims": [], "source_only": [], "judge_consistency": [], "judge_focus": []}
    seconds = 0.0
    for record in scores.values():
        v = record.values
        judge_s = sum((record.details.get(m) or {}).get("seconds", 0.0) for m in ("judge_claims", "judge_rubric"))
        seconds += judge_s
        print(
            f"{record.doc_id} | {record.prompt_id} | {record.model_id} | {v.get('judge_claims_judged')} | "
            f"{v.get('judge_claims')} | {v.get('source_only'):.3f} | {v.get('judge_consistency')} | "
            f"{v.get('judge_focus')} | {judge_s:.0f}"
        )
        for key, bucket in totals.items():
            if isinstance(v.get(key), (int, float)):
                bucket.append(float(v[key]))
    for key, bucket in totals.items():
        mean = sum(bucket) / len(bucket) if bucket else float("nan")
        print(f"mean {key}: {mean:.3f} (n={len(bucket)})")
    print(f"judge model time (uncached answers): {seconds:.0f} s")
    if run.reviews.is_file():
        from bizsum.analysis.agreement import agreement_table, format_table

        print(format_table(agreement_table(run.path, n_boot=1000)).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
