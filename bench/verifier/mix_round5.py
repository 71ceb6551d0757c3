"""The training mixes of round 5 (bench/verifier/README.md, "rounds 5 and 6"; not shipped).

    python bench/verifier/mix_round5.py run9    # /work/verifier_runs/train_v9.jsonl
    python bench/verifier/mix_round5.py run9b   # /work/verifier_runs/train_v9b.jsonl (after run9's mix exists)
    python bench/verifier/mix_round5.py run10   # /work/verifier_runs/train_v10.jsonl: rounds 5 and 6 once each

Inputs: ``realistic_pairs.py --out /work/verifier_runs/written_pairs9.jsonl`` (every pair has its
``origin``; run10 reads ``written_pairs9c.jsonl``, the same command after round 6) and
``make_pairs.py --per-company 90 --out /work/verifier_runs/pairs_replay9.jsonl``. The new rounds'
pairs are taken whole; older pairs are replayed by label so that the mix's positive
share equals the older pairs' share.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ROOT

sys.path.insert(0, str(ROOT))  # this checkout's bizsum (only its JSONL helpers: no torch)
from bizsum.jsonl import dumps, read_jsonl

RUNS = Path("/work/verifier_runs")


def read(path: Path) -> list[dict]:
    if not path.is_file():
        sys.exit(f"{path}: missing (see this script's docstring for the command that writes it)")
    return read_jsonl(path)


def write(rows: list[dict], name: str, stats: dict) -> None:
    with open(RUNS / f"{name}.jsonl", "w", encoding="utf-8") as handle:
        handle.writelines(dumps(row) for row in rows)
    stats["positive_share"] = sum(r["label"] for r in rows) / len(rows)
    (RUNS / f"{name}.stats.json").write_text(json.dumps(stats, indent=1))
    print(stats)


def mix(name: str) -> None:
    pairs = read(RUNS / ("written_pairs9c.jsonl" if name == "run10" else "written_pairs9.jsonl"))
    new = [p for p in pairs if p.get("origin", "").endswith("__q.jsonl")]
    if name == "run10":  # from the shipped weights: round 5 and round 6 together, so no cue moves to the other
        new += [p for p in pairs if p.get("origin", "").endswith("__a.jsonl")]
    old = [p for p in pairs if not p.get("origin", "").endswith(("__q.jsonl", "__a.jsonl"))]
    synthetic = read(RUNS / "pairs_replay9.jsonl")
    share = sum(p["label"] for p in old) / len(old)
    if name == "run9":
        rng = random.Random(20261206)
        rounds, n_old = new, 3600
    elif name == "run10":
        rng = random.Random(20261209)
        rounds, n_old = new, 4000
    else:  # run9b: round 5 twice, older pairs run9 did not see
        rng = random.Random(20261207)
        seen = {(p["claim"], p["source_passage"]) for p in read(RUNS / "train_v9.jsonl")}
        old = [p for p in old if (p["claim"], p["source_passage"]) not in seen]
        synthetic = [p for p in synthetic if (p["claim"], p["source_passage"]) not in seen]
        rounds, n_old = new + new, 4000
    rng.shuffle(old)
    rng.shuffle(synthetic)
    synthetic = synthetic[:800]
    total = len(rounds) + n_old + len(synthetic)
    fixed = sum(p["label"] for p in rounds) + sum(p["label"] for p in synthetic)
    want = max(0, min(n_old, round(share * total) - fixed))
    positives = [p for p in old if p["label"] == 1][:want]
    negatives = [p for p in old if p["label"] == 0][: n_old - want]
    rows = rounds + positives + negatives + synthetic
    rng.shuffle(rows)
    out = {"run9": "train_v9", "run9b": "train_v9b", "run10": "train_v10"}[name]
    write(
        rows,
        out,
        {
            "pairs": len(rows),
            "new_rounds": len(rounds),
            "older": n_old,
            "older_positive": want,
            "synthetic": len(synthetic),
            "older_positive_share": share,
        },
    )


if __name__ == "__main__":
    mix(sys.argv[1] if len(sys.argv) > 1 else "run9")
