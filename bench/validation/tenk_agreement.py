"""Agreement of the metrics with the project's labelled 10-K set (data/validation/tenk_claims/).

The labelled summaries (``generations.jsonl``, frozen: real LLM summaries of Item 1 texts of
companies never used for verifier training) and their labels (``reviews.jsonl``) are put into a
run folder, scored with the current metrics, and compared with the labels by
:func:`bizsum.analysis.agreement.agreement_table` (balanced accuracy, Cohen's κ, Kendall τ with
bootstrap CIs over summaries). ``source_only`` rows are the shipped metric (hard checks +
verifier); ``source_only.rules_v3`` is the same claims decided by v3's hard checks and hand-set
model ("today's rules" before the verifier), ``source_only.verifier_only`` the verifier alone.

    python bench/validation/tenk_agreement.py [--out reports/tenk_validation] [--n-boot 2000]

Writes ``bench/results/tenk_agreement.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path

import pandas as pd
import yaml

from bizsum.analysis.agreement import agreement_table, format_table
from bizsum.config import build_config
from bizsum.records import GenerationRecord, summary_hash, to_row
from bizsum.scoring import score_run

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "data" / "validation" / "tenk_claims"
RESULTS = ROOT / "bench" / "results"
log = logging.getLogger("bench.tenk_agreement")


def build_run(out: Path, metrics: list[str]) -> Path:
    """A run folder holding the frozen summaries and their labels; returns its path."""
    rows = [
        json.loads(line) for line in (LABELS / "generations.jsonl").read_text(encoding="utf-8").splitlines() if line
    ]
    labels_config = yaml.safe_load((ROOT / "configs" / "labels.yaml").read_text(encoding="utf-8"))
    models = {m["id"]: m for m in labels_config["models"]}
    config = build_config(
        {
            "name": out.name,
            "output_dir": str(out.parent),
            "documents": sorted({r["doc_id"] for r in rows}),
            "prompts": labels_config["prompts"],
            "models": [models[m] for m in sorted({r["model_id"] for r in rows})],
            "metrics": metrics,
            "token_limit": labels_config.get("token_limit", 512),
        },
        "bench/validation/tenk_agreement.py",
    ).with_root(ROOT)
    reviews = (LABELS / "reviews.jsonl").read_text(encoding="utf-8")
    write_frozen_run(config, rows, [json.loads(x) for x in reviews.splitlines() if x])
    score_run(config)
    return config.rundir.path


def write_frozen_run(config, rows: list[dict], reviews: list[dict]) -> None:
    """A fresh run folder for ``config`` holding labelled summaries as generation rows (frozen: no
    request made them), their review rows and the config, ready for ``score_run``."""
    rundir = config.rundir
    if rundir.path.exists():
        shutil.rmtree(rundir.path)
    rundir.ensure()
    with rundir.generations.open("w", encoding="utf-8") as handle:
        for row in rows:
            record = GenerationRecord.model_validate(
                {
                    **row,
                    "cache_key": row.get("cache_key") or summary_hash(row["text"]),
                    "config_hash": "frozen",
                    "error": None,
                }
            )
            handle.write(json.dumps(to_row(record), ensure_ascii=False) + "\n")
    with rundir.reviews.open("w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(review, ensure_ascii=False) + "\n" for review in reviews)
    (rundir.path / "config.yaml").write_text(yaml.safe_dump(config.snapshot(), sort_keys=False), encoding="utf-8")


def markdown(frame: pd.DataFrame) -> str:
    """A pipe table (no tabulate dependency)."""
    cells = [[str(c) for c in frame.columns]] + [["" if pd.isna(v) else str(v) for v in row] for row in frame.values]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells[1:]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "tenk_validation"))
    parser.add_argument("--metrics", default="source_only,focus_coverage")
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    run = build_run(Path(args.out), args.metrics.split(","))
    table = agreement_table(run, n_boot=args.n_boot, seed=0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(RESULTS / "tenk_agreement.csv", index=False)
    reviews = [json.loads(x) for x in (LABELS / "reviews.jsonl").read_text(encoding="utf-8").splitlines() if x]
    claims = [r for r in reviews if r["kind"] == "claim"]
    summaries = {(r["doc_id"], r["summary_sha"]) for r in reviews}
    header = (
        "# Agreement with the project's labelled 10-K claims\n\n"
        f"{len(claims)} claims ({sum(r['label'] == 'unsupported' for r in claims)} unsupported) and "
        f"{sum(r['kind'] == 'area' for r in reviews)} area labels of {len(summaries)} summaries of "
        f"{len({d for d, _ in summaries})} companies (data/validation/tenk_claims/, docs/labelling_guideline.md). "
        "95% CIs resample summaries. `source_only` = shipped metric (hard checks + verifier), "
        "`source_only.rules_v3` = v3 rules, `source_only.verifier_only` = verifier without the hard checks.\n\n"
        "Command: `python bench/validation/tenk_agreement.py`\n\n"
    )
    body = markdown(format_table(table))
    (RESULTS / "tenk_agreement.md").write_text(header + body + "\n", encoding="utf-8")
    print(header + body)


if __name__ == "__main__":
    main()
