"""Agreement of source_only and focus coverage with the realistic labelled set, the way users see it.

    python bench/validation/realistic_agreement.py --split dev
    python bench/validation/realistic_agreement.py --split test --once     # the held-out half: run once

The split's summaries (``data/validation/realistic/generations.jsonl``, written by the project)
and their claim and area labels (``reviews.jsonl``) are put into a run folder, scored by
``bizsum.scoring.score_run`` and compared by ``bizsum.analysis.agreement.agreement_table``, the
code behind ``bizsum agreement``: balanced accuracy, Cohen's κ and Kendall τ with bootstrap CIs
over summaries, for every claim verdict and per focus area. Writes
``bench/results/realistic_agreement_<split>.md`` and ``.csv``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "validation"))
sys.path.insert(0, str(ROOT / "bench" / "labels"))

from realistic import SPLITS, generation_row, load, review_rows
from tenk_agreement import markdown, write_frozen_run

from bizsum.analysis.agreement import agreement_table, format_table
from bizsum.config import build_config
from bizsum.scoring import score_run

RESULTS = ROOT / "bench" / "results"


def build_run(out: Path, summaries: list, metrics: list[str]) -> Path:
    """A run folder holding the summaries (as fake-provider generations) and their labels."""
    docs = sorted({x.doc_id for x in summaries})
    models = sorted({generation_row(x)["model_id"] for x in summaries})
    config = build_config(
        {
            "name": out.name,
            "output_dir": str(out.parent),
            "documents": docs,
            "prompts": ["seed"],
            "models": [{"id": m, "provider": "fake", "model": "written-by-the-project"} for m in models],
            "metrics": metrics,
            "token_limit": 512,
        },
        "bench/validation/realistic_agreement.py",
    ).with_root(ROOT)
    write_frozen_run(
        config, [generation_row(x) for x in summaries], [review for x in summaries for review in review_rows(x)]
    )
    score_run(config)
    return config.rundir.path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=list(SPLITS), default="dev")
    parser.add_argument("--once", action="store_true", help="required for every split but dev (held out)")
    parser.add_argument(
        "--coverage",
        action="store_true",
        help="focus coverage only, on the faithful summaries and their area ablations (one area's sentences removed)",
    )
    parser.add_argument("--n-boot", type=int, default=1000)
    args = parser.parse_args()
    if args.split != "dev" and not args.once:
        parser.error(f"--split {args.split} is held out: pass --once")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if args.coverage:
        summaries = [x for x in load(args.split, ablations=True) if not x.variant.startswith("error:")]
        run = build_run(ROOT / "reports" / f"realistic_coverage_{args.split}", summaries, ["focus_coverage"])
    else:
        summaries = load(args.split)
        run = build_run(ROOT / "reports" / f"realistic_{args.split}", summaries, ["source_only", "focus_coverage"])
    tag = f"{'coverage_' if args.coverage else ''}{args.split}"
    table = agreement_table(run, n_boot=args.n_boot, seed=0)
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(RESULTS / f"realistic_agreement_{tag}.csv", index=False)
    header = (
        f"# Agreement with the realistic labelled set ({args.split} half)\n\n"
        "Summaries written by the project for the seed prompt (faithful, heavy paraphrase, four one-error "
        "copies per text; data/validation/realistic/). 95% CIs resample summaries.\n\n"
        f"Command: `python bench/validation/realistic_agreement.py --split {args.split}"
        f"{' --coverage' if args.coverage else ''}`\n\n"
    )
    body = markdown(format_table(table))
    (RESULTS / f"realistic_agreement_{tag}.md").write_text(header + body + "\n", encoding="utf-8")
    print(header + body)


if __name__ == "__main__":
    main()
