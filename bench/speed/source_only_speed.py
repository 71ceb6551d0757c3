"""Speed of source_only with the claim verifier on the seed document (issue 11 targets).

1. cold: ``bizsum score --document <seed> --summary <s> --json`` in a fresh process (Python start,
   imports, encoder and verifier loaded once, source index built, every metric), wall time;
2. warm: the seed document's source index cached, one summary at a time through
   ``SourceOnlyMetric.score_batch``: seconds per summary (mean and max over the summaries).

Summaries: the demo summaries of the seed document if a demo run exists, else sentences of the
seed document put together (8-20 claims each).

    python bench/speed/source_only_speed.py [--threads 2] [--summaries 6]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_DOC = ROOT / "data" / "documents" / "LIVEPERSON_2017.txt"


def summaries(n: int) -> list[str]:
    demo = ROOT / "reports" / "demo" / "generations.jsonl"
    texts: list[str] = []
    if demo.is_file():
        for line in demo.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("doc_id") == "LIVEPERSON_2017" and row.get("text"):
                texts.append(row["text"])
    if len(texts) < n:
        from bizsum.nlp.source_index import source_sentences

        sentences = source_sentences(SEED_DOC.read_text(encoding="utf-8"))
        step = max(1, len(sentences) // (12 * n))
        for k in range(n - len(texts)):
            texts.append(" ".join(sentences[k * 12 * step : (k + 1) * 12 * step : step]))
    return texts[:n]


def cold(summary: str, threads: int) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(summary)
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bizsum.cli", "score", "--document", str(SEED_DOC), "--summary", handle.name, "--json"],
        check=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    os.unlink(handle.name)
    return time.perf_counter() - started


def warm(texts: list[str], threads: int) -> list[float]:
    import torch

    torch.set_num_threads(threads)
    from bizsum.corpus.documents import Document, read_text_file
    from bizsum.metrics.base import ScoringItem
    from bizsum.metrics.source_only import SourceOnlyMetric
    from bizsum.nlp.source_index import source_index

    document = Document("LIVEPERSON_2017", read_text_file(SEED_DOC))
    metric = SourceOnlyMetric()
    source_index(document.text, document.sha256)  # cached: the target is per summary
    metric.score_batch([ScoringItem(summary=texts[0], document=document, references={})])  # loads the verifier
    times = []
    for text in texts:
        started = time.perf_counter()
        metric.score_batch([ScoringItem(summary=text, document=document, references={})])
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--summaries", type=int, default=6)
    args = parser.parse_args()
    texts = summaries(args.summaries)
    cold_s = cold(texts[0], args.threads)
    times = warm(texts, args.threads)
    result = {
        "threads": args.threads,
        "cold_bizsum_score_s": round(cold_s, 2),
        "warm_per_summary_mean_s": round(sum(times) / len(times), 3),
        "warm_per_summary_max_s": round(max(times), 3),
        "summaries": len(texts),
        "load": os.getloadavg()[0],
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
