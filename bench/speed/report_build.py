"""How long building the HTML report of a 5,000-summary run takes, how much memory it needs, and
how often it opens each file of the run folder (issue 21: a run read once).

    python bench/speed/report_build.py [--code DIR ...] [--repeats 3] [--work DIR]

1. **Templates** (once per work folder): a real run of 2 documents × 1 prompt × 5 models (three
   scripted ``fake`` LLMs, the ``lead`` and ``focus`` baselines), generated and scored with every
   default metric by the package's own verbs (``bizsum.generate``, ``bizsum.score_run``).
2. **The run folder**: 50 documents × 4 prompts × 5 models × 5 samples = 5,000 summaries. Each
   generation and score row is a template row of the same model (``GenerationRecord`` /
   ``ScoreRecord.model_copy``) moved to its cell: its request key follows the cell (the score
   row names it, so the two still belong together), its text and summary hash are the
   template's, its numeric scores are jittered (seeded), its details (claims, areas, passages)
   are the real ones, so the rows are as large as real rows (5,000 summaries: 184 MB). Written with
   ``bizsum.jsonl.write_lines_atomic``; ``config.yaml`` is a plain config like ``configs/ci.yaml``,
   so code from before issue 20 reads the folder too.
3. **The build**: ``python -m bizsum.cli report RUN`` in a child process with the code of each
   ``--code`` folder first on ``PYTHONPATH`` (``_count_opens.py`` wraps it: an audit hook counts
   every ``open`` of a file of the run folder). The parent reads the child's own resource usage
   (``os.wait4``: wall, user + system CPU seconds, peak RSS) so one build's memory is not mixed
   with another's. The builds alternate between the code folders, ``--repeats`` times each;
   ``--parallel N`` runs N at once, each on its own copy of the run folder (on a loaded machine
   their CPU seconds and peak memory stay comparable, their wall times include each other).

Prints one line per build (with the 1-minute load average: the machine is shared, so CPU seconds
are the steadier number), then the median and range per code folder and the opens per file, and
writes them to ``bench/results/report_build.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

RESULT = REPO / "bench" / "results" / "report_build.json"
COUNTER = Path(__file__).with_name("_count_opens.py")
TEMPLATE_DOCUMENTS = ["ZURN_INDUSTRIES_1994", "AMZN_2024"]  # short ones with a reference each
MODELS: list[dict[str, Any]] = [
    {"id": "fake-lead2", "provider": "fake", "options": {"lead_sentences": 2}},
    {"id": "fake-lead3", "provider": "fake", "options": {"lead_sentences": 3}},
    {"id": "fake-lead5", "provider": "fake", "options": {"lead_sentences": 5}},
    {"id": "lead", "provider": "extractive", "options": {"method": "lead"}},
    {"id": "focus", "provider": "extractive", "options": {"method": "focus"}},
]
PROMPTS = {  # two shipped prompts and two variants of them
    "seed": None,
    "focused": None,
    "seed_short": "Summarize the business model of this company in five sentences.\n\n{document}",
    "focused_bullets": "List the company's revenue sources, customers, products, channels and financing "
    "as short bullet points.\n\n{document}",
}


def _data_folder(work: Path) -> Path:
    """A data folder with the shipped documents and references and four prompts."""
    data = work / "data"
    (data / "prompts").mkdir(parents=True, exist_ok=True)
    for name in ("documents", "references"):
        if not (data / name).exists():
            (data / name).symlink_to(REPO / "data" / name)
    for prompt_id, text in PROMPTS.items():
        body = text if text is not None else (REPO / "data" / "prompts" / f"{prompt_id}.txt").read_text("utf-8")
        (data / "prompts" / f"{prompt_id}.txt").write_text(body, encoding="utf-8")
    return data


def _write_config(path: Path, fields: dict[str, Any]) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(fields, sort_keys=False), encoding="utf-8")
    return path


def make_templates(work: Path) -> tuple[dict, dict]:
    """Real generation and score rows of 2 documents × 5 models (made once, then reused)."""
    from bizsum import generate, score_run
    from bizsum.config import load_config
    from bizsum.records import GenerationRecord, ScoreRecord, load_latest

    config_path = _write_config(
        work / "templates.yaml",
        {
            "name": "templates",
            "documents": TEMPLATE_DOCUMENTS,
            "prompts": ["seed"],
            "models": MODELS,
            "samples": 1,
            "data_dir": str(_data_folder(work)),
            "output_dir": str(work / "runs"),
            "cache_dir": str(work / "cache"),
        },
    )
    config = load_config(config_path)
    if not config.rundir.scores.is_file():
        started = time.perf_counter()
        generate(config)
        score_run(config, progress=False)
        print(f"templates: generated and scored in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    generations = load_latest(config.rundir.generations, GenerationRecord)
    scores = load_latest(config.rundir.scores, ScoreRecord)
    by_model: dict[str, list[tuple[GenerationRecord, ScoreRecord]]] = {}
    for key, generation in generations.items():
        by_model.setdefault(key.model_id, []).append((generation, scores[key]))
    return {m: [g for g, _ in rows] for m, rows in by_model.items()}, {
        m: [s for _, s in rows] for m, rows in by_model.items()
    }


def _jitter(values: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Numeric scores moved a little (shares stay in [0, 1]); flags, counts and text as they are."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, float):
            moved = value + rng.gauss(0.0, 0.05)
            out[name] = min(1.0, max(0.0, moved)) if 0.0 <= value <= 1.0 else moved
        else:
            out[name] = value
    return out


def make_run(work: Path, documents: int = 50, prompts: int = 4, samples: int = 5, seed: int = 0) -> Path:
    """The run folder of documents × prompts × 5 models × samples summaries (made once per shape)."""
    from bizsum.jsonl import dumps, write_lines_atomic
    from bizsum.records import stable_hash, to_row

    name = f"bench_{documents}x{prompts}x{len(MODELS)}x{samples}"
    data = _data_folder(work)
    doc_ids = sorted(p.stem for p in (REPO / "data" / "documents").glob("*.txt"))[:documents]
    prompt_ids = list(PROMPTS)[:prompts]
    run = work / "runs" / name
    if (run / "scores.jsonl").is_file():
        return run
    generation_templates, score_templates = make_templates(work)
    fields = {
        "name": name,
        "documents": doc_ids,
        "prompts": prompt_ids,
        "models": MODELS,
        "samples": samples,
        "data_dir": str(data),
        "output_dir": str(work / "runs"),
        "cache_dir": str(work / "cache"),
    }
    _write_config(run / "config.yaml", fields)
    rng = random.Random(seed)
    generations, scores = [], []
    for d, doc_id in enumerate(doc_ids):
        for prompt_id in prompt_ids:
            for model in MODELS:
                for sample in range(samples):
                    pick = d % len(generation_templates[model["id"]])
                    cell = {"doc_id": doc_id, "prompt_id": prompt_id, "sample": sample}
                    request = stable_hash([doc_id, prompt_id, model["id"], sample], 32)
                    generation = generation_templates[model["id"]][pick].model_copy(
                        update={**cell, "cache_key": request, "seed": sample}
                    )
                    template = score_templates[model["id"]][pick]
                    score = template.model_copy(
                        update={
                            **cell,
                            "generation_key": generation.request_id,
                            "values": _jitter(template.values, rng),
                        }
                    )
                    generations.append(generation)
                    scores.append(score)
    write_lines_atomic(run / "generations.jsonl", (dumps(to_row(g)) for g in generations))
    write_lines_atomic(run / "scores.jsonl", (dumps(to_row(s)) for s in scores))
    size = sum(p.stat().st_size for p in (run / "generations.jsonl", run / "scores.jsonl")) / 1e6
    print(f"run folder {run}: {len(scores)} summaries, {size:.0f} MB of rows", file=sys.stderr)
    return run


@dataclass
class Build:
    """One report build running in a child process with ``code`` first on the path."""

    code: Path
    run: Path
    child: subprocess.Popen[bytes]
    log: Path
    load: float
    started: float = field(default_factory=time.perf_counter)


def start_build(run: Path, code: Path) -> Build:
    """Start ``python -m bizsum.cli report RUN`` (through the open counter) with ``code``'s bizsum."""
    counts, log = run / ".bench-opens.json", run / ".bench-stderr.txt"
    env = {**os.environ, "PYTHONPATH": str(code), "BENCH_RUN": str(run), "BENCH_COUNTS": str(counts)}
    load = os.getloadavg()[0]
    with log.open("wb") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(COUNTER), "report", str(run)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=tempfile.gettempdir(),
        )
    return Build(code, run, child, log, load)


def finish_build(build: Build, status: int, usage: resource.struct_rusage) -> dict[str, Any]:
    """The measurements of a build the parent has reaped (``os.wait4``: the child's own usage)."""
    wall = time.perf_counter() - build.started
    build.child.returncode = os.waitstatus_to_exitcode(status)
    if build.child.returncode not in (0, 1):  # 1: the regression gate failed, the report is still written
        tail = build.log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"report build with {build.code} failed ({build.child.returncode}):\n{tail}")
    return {
        "code": _label(build.code),
        "load_1min": round(build.load, 2),
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: kilobytes
        "opens": json.loads((build.run / ".bench-opens.json").read_text(encoding="utf-8")),
    }


def _label(code: Path) -> str:
    """A checkout by its folder name and commit (no machine path in the result file)."""
    commit = subprocess.run(
        ["git", "-C", str(code), "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True
    )
    return f"{code.name} ({commit.stdout.strip() or 'no git'})"


def run_builds(run: Path, jobs: list[Path], parallel: int) -> Iterator[dict[str, Any]]:
    """Every build of ``jobs`` (a code folder each), at most ``parallel`` at once. Builds running at
    the same time each get their own copy of the run folder (``bizsum report`` locks its folder);
    their wall times then include waiting for each other, their CPU seconds and memory do not."""
    copies = [run] + [run.with_name(f"{run.name}-copy{i}") for i in range(1, parallel)]
    for copy in copies[1:]:
        if not copy.is_dir():
            shutil.copytree(run, copy, ignore=shutil.ignore_patterns("report.html", "*.csv", ".bench-*", ".lock"))
    pending, running = list(jobs), {}
    free = list(copies)
    while pending or running:
        while pending and free:
            build = start_build(free.pop(0), pending.pop(0))
            running[build.child.pid] = build
        pid, status, usage = os.wait4(-1, 0)
        build = running.pop(pid)
        free.append(build.run)
        yield finish_build(build, status, usage)


def _summary(builds: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("wall_s", "cpu_s", "peak_rss_mb"):
        values = [b[key] for b in builds]
        out[key] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    out["opens"] = builds[-1]["opens"]
    return out


def prepare(work: Path, documents: int, samples: int) -> Path:
    """Make (or find) the run folder in a child process: this process stays small, and a child
    starts from the memory of the process that spawns it (Linux counts the parent's peak in the
    child's ``ru_maxrss`` across ``exec``), so the builds must be spawned from a process that never
    loaded a model or held the rows."""
    command = [sys.executable, __file__, "--prepare", "--work", str(work)]
    command += ["--documents", str(documents), "--samples", str(samples)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    output = subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    print(output, end="")
    return Path(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--code", action="append", type=Path, help="A checkout whose bizsum builds the report.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--documents", type=int, default=50)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bizsum-report-bench")
    parser.add_argument("--out", type=Path, default=RESULT)
    parser.add_argument(
        "--parallel",
        type=int,
        default=1,
        help="Builds at once (a loaded machine: CPU seconds and memory stay comparable).",
    )
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)  # the child of prepare()
    args = parser.parse_args()
    if args.prepare:
        print(make_run(args.work.resolve(), documents=args.documents, samples=args.samples))
        return
    codes = [c.resolve() for c in (args.code or [REPO])]
    run = prepare(args.work.resolve(), args.documents, args.samples)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"launcher peak RSS {own:.0f} MB (a floor of every build's peak RSS below)")
    with open(run / "scores.jsonl", encoding="utf-8") as rows:
        summaries = sum(1 for _ in rows)
    record: dict[str, Any] = {
        "run": run.name,
        "summaries": summaries,
        "launcher_peak_rss_mb": round(own, 1),
        "parallel": args.parallel,
    }
    builds: dict[str, list[dict[str, Any]]] = {_label(c): [] for c in codes}
    print("code                          load  wall s  cpu s  peak RSS MB", flush=True)
    for result in run_builds(run, [code for _ in range(args.repeats) for code in codes], args.parallel):
        builds[result["code"]].append(result)
        print(
            f"{result['code'][-28:]:<28} {result['load_1min']:5.2f} {result['wall_s']:7.1f} {result['cpu_s']:6.1f} "
            f"{result['peak_rss_mb']:9.0f}",
            flush=True,
        )
        summary = {c: _summary(rows) for c, rows in builds.items() if rows}
        # written after every build: a long benchmark on a shared machine keeps what it measured
        args.out.write_text(json.dumps({**record, "builds": builds, "summary": summary}, indent=1) + "\n", "utf-8")
    for code, row in summary.items():
        print(f"\n{code}: median (range) wall {row['wall_s']}, cpu {row['cpu_s']}, peak RSS MB {row['peak_rss_mb']}")
        for path, count in sorted(row["opens"].items()):
            print(f"  {count['read']:>3} read, {count['write']:>3} write opens  {path}")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
