"""Corpus ingestion in parallel: ``bizsum ingest DIR --register`` over N filings with 1 and 2 workers.

Data: copies of the whole 10-K filings in ``../shared/data/tenk_full`` (beside the repository) (or ``--source``) under
new names, each with a distinct trailing HTML comment (so no copy is a byte-for-byte duplicate and
every one is written and registered). Each worker count ingests the same folder into a fresh data
folder with ``bizsum.execution.ingest_batch.ingest_folder(..., register=True)``; the wall time
includes the driver's writing and registering.

    python bench/speed/ingest_scale.py                 # 1,000 filings
    python bench/speed/ingest_scale.py --count 200     # a quicker look
    python bench/speed/ingest_scale.py --count 200 --repeats 3 --json out.json   # median and range
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ROOT = Path(__file__).resolve().parents[2]
#: the shared whole filings beside the checkout (../shared, or higher up for a worktree)
SHARED = next(
    (p / "shared" / "data" / "tenk_full" for p in ROOT.parents if (p / "shared" / "data" / "tenk_full").is_dir()),
    ROOT.parent / "shared" / "data" / "tenk_full",
)


def make_folder(source: Path, folder: Path, count: int) -> list[Path]:
    originals = sorted(p for p in source.iterdir() if p.suffix.lower() in (".htm", ".html", ".txt"))
    if not originals:
        raise SystemExit(f"no filings in {source}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        original = originals[index % len(originals)]
        path = folder / f"filing-{index:05d}{original.suffix}"
        # distinct bytes, the same text: an HTML comment, or (plain text) trailing blank lines
        tail = f"\n<!-- copy {index} -->\n" if original.suffix.lower() != ".txt" else "\n" * (index + 1)
        path.write_bytes(original.read_bytes() + tail.encode("ascii"))
        paths.append(path)
    return paths


def empty_data_dir(folder: Path) -> Path:
    documents = folder / "documents"
    documents.mkdir(parents=True, exist_ok=True)
    header = (ROOT / "data" / "documents" / "manifest.csv").read_text(encoding="utf-8").splitlines()[0]
    (documents / "manifest.csv").write_text(header + "\n", encoding="utf-8")
    return folder


def ingest_once(filings: Path, folder: Path, workers: int, count: int) -> dict[str, float | int | str]:
    """Ingest ``filings`` into a fresh data folder with ``workers`` processes; prints and returns the numbers."""
    from bizsum.execution.ingest_batch import ingest_folder

    data = empty_data_dir(folder)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    started, cpu = time.perf_counter(), time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = ingest_folder(filings, data / "ingested", register=True, data_dir=data, workers=workers, progress=False)
    wall = time.perf_counter() - started
    driver_cpu = time.process_time() - cpu
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # worker processes are counted once they have exited (the pool is closed when ingest_folder returns)
    worker_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    # one worker ingests in this process: its share is the driver's
    share = worker_cpu / (workers * wall) if worker_cpu else driver_cpu / wall
    shutil.rmtree(data)
    print(
        f"{workers} worker(s): {count} filings in {wall:.1f} s ({count / wall:.2f} filings/s; "
        f"driver CPU {driver_cpu:.1f} s"
        + (f"; workers' CPU {worker_cpu:.1f} s = {share:.2f} of a core each" if worker_cpu else "")
        + f"); {report.summary()}; load before {load}",
        flush=True,
    )
    return {
        "workers": workers,
        "filings": count,
        "wall_s": wall,
        "driver_cpu_s": driver_cpu,
        "workers_cpu_s": worker_cpu,
        "cpu_share_per_worker": share,
        "load_before": load,
        "load_after": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--source", type=Path, default=SHARED)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=1, help="run every worker count this many times")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    runs: list[dict[str, float | int | str]] = []
    with tempfile.TemporaryDirectory(prefix="bizsum-ingest-") as scratch:
        filings = Path(scratch) / "filings"
        make_folder(args.source, filings, args.count)
        for repeat in range(args.repeats):
            for workers in args.workers:
                run = ingest_once(filings, Path(scratch) / f"data-{workers}", workers, args.count)
                run["repeat"] = repeat + 1
                runs.append(run)
    if 1 in args.workers and 2 in args.workers:
        one = [float(r["wall_s"]) for r in runs if r["workers"] == 1]
        two = [float(r["wall_s"]) for r in runs if r["workers"] == 2]
        ups = sorted(a / b for a, b in zip(one, two, strict=False))
        print(
            f"speed-up 2 vs 1 worker: median {statistics.median(ups):.2f}× "
            f"(range {ups[0]:.2f}–{ups[-1]:.2f}× over {len(ups)} paired repeat(s))"
        )
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
