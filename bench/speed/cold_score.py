"""A cold ``bizsum score`` on the seed document (issue 22: ≤ 10 s), interleaved with variants.

Each run is a fresh process under ``/usr/bin/time`` (wall, user + system CPU of the process and
its side process, peak RSS), with an empty ``BIZSUM_CACHE_DIR`` (no verdict cache, no
tiktoken files). The variants run in turn, round after round, so a drift of the host's speed hits
them alike; the table gives the median and range of each, and the load average.

    python bench/speed/cold_score.py                         # side process on / off, 8 rounds
    python bench/speed/cold_score.py --against /path/to/checkout --rounds 5
    python bench/speed/cold_score.py --json bench/results/cold_score.json

Variants: ``side`` (this checkout, as shipped), ``no-side`` (``BIZSUM_SIDE_PROCESS=off``) and, with
``--against``, ``other`` (the same command run from another checkout's directory, so its
``bizsum`` package is imported).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SEED_DOC = ROOT / "data" / "documents" / "LIVEPERSON_2017.txt"
#: the realistic set's paraphrase summary of the seed document (341 words)
DEFAULT_SUMMARY_SHEET = ROOT / "data" / "validation" / "realistic" / "sheets" / "LIVEPERSON_2017.json"


def default_summary() -> str:
    sheet = json.loads(DEFAULT_SUMMARY_SHEET.read_text(encoding="utf-8"))
    return " ".join(row["text"].strip() for row in sheet["paraphrase"])


def one_run(summary_file: Path, cwd: Path, side: bool) -> tuple[dict[str, float], str]:
    """Wall and CPU seconds (user + system, side process included), peak RSS and load of one cold
    run, and the JSON it printed."""
    with tempfile.TemporaryDirectory() as cache, tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        env = {**os.environ, "BIZSUM_CACHE_DIR": cache, "BIZSUM_SIDE_PROCESS": "on" if side else "off"}
        load = os.getloadavg()[0]
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%e %U %S %M", "-o", timing.name]
            + [sys.executable, "-m", "bizsum.cli", "score", "--document", str(SEED_DOC)]
            + ["--summary", str(summary_file), "--json"],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall, user, system, rss_kb = (float(x) for x in Path(timing.name).read_text().split()[-4:])
    if done.returncode != 0:
        raise SystemExit(f"bizsum score failed in {cwd}: {done.stderr.strip().splitlines()[-1:]}")
    return {"wall_s": wall, "cpu_s": user + system, "peak_rss_mb": rss_kb / 1024, "load": load}, done.stdout


def summarize(runs: list[dict[str, float]]) -> dict[str, float]:
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    return {
        "runs": len(runs),
        "wall_median_s": round(statistics.median(walls), 2),
        "wall_min_s": round(min(walls), 2),
        "wall_max_s": round(max(walls), 2),
        "cpu_median_s": round(statistics.median(cpus), 2),
        "peak_rss_mb_median": round(statistics.median(r["peak_rss_mb"] for r in runs)),
        "at_or_under_10s": sum(w <= 10.0 for w in walls),
        "load_min": round(min(r["load"] for r in runs), 2),
        "load_max": round(max(r["load"] for r in runs), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--summary", default="", help="a summary file (default: the realistic paraphrase of the seed)")
    parser.add_argument("--against", default="", help="another checkout to run as the variant 'other'")
    parser.add_argument("--json", default="", help="write the table and every run here")
    args = parser.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as handle:
        handle.write(Path(args.summary).read_text(encoding="utf-8") if args.summary else default_summary())
        summary_file = Path(handle.name)
    variants = {"side": (ROOT, True), "no-side": (ROOT, False)}
    if args.against:
        variants["other"] = (Path(args.against).resolve(), True)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    outputs: dict[str, str] = {}
    try:
        for round_ in range(1, args.rounds + 1):
            for name, (cwd, side) in variants.items():
                run, output = one_run(summary_file, cwd, side)
                outputs.setdefault(name, output)
                runs[name].append(run)
                print(
                    f"round {round_} {name:8s} {run['wall_s']:6.2f} s wall {run['cpu_s']:6.2f} CPU-s "
                    f"load {run['load']:.2f}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        summary_file.unlink()
    same = outputs.get("side") == outputs.get("no-side")
    table = {name: summarize(r) for name, r in runs.items()}
    print(
        f"{'variant':10s} {'runs':>4s} {'wall median':>12s} {'range':>14s} {'CPU-s median':>13s} {'RSS MB':>7s}"
        f" {'<= 10 s':>8s} {'load':>10s}"
    )
    for name, row in table.items():
        print(
            f"{name:10s} {row['runs']:4d} {row['wall_median_s']:10.2f} s {row['wall_min_s']:6.2f}-{row['wall_max_s']:5.2f} s"
            f" {row['cpu_median_s']:13.2f} {row['peak_rss_mb_median']:7d} {row['at_or_under_10s']:8d} {row['load_min']:4.2f}-{row['load_max']:.2f}"
        )
    print(f"side and no-side printed the same JSON: {same}")
    if args.json:
        Path(args.json).write_text(json.dumps({"table": table, "runs": runs, "same_output": same}, indent=1) + "\n")


if __name__ == "__main__":
    main()
