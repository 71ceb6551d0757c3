"""source_only against the project's realistic labelled set (issue 17's targets).

    python bench/validation/realistic_eval.py --split dev              # tune on this
    python bench/validation/realistic_eval.py --split test --once      # the held-out half: run once
    python bench/validation/realistic_eval.py --split holdout --once   # the second, blind batch
    python bench/validation/realistic_eval.py --split holdout2 --once  # the third batch (2026-12-06)
    python bench/validation/realistic_eval.py --split holdout3 --once  # the fourth batch (2026-12-06, later)
    python bench/validation/realistic_eval.py --split holdout4 --once  # the fifth batch (2026-12-06, fourth stop)
    python bench/validation/realistic_eval.py --split holdout5 --once  # the sixth batch (blind until the fifth stop)
    python bench/validation/realistic_eval.py --split holdout6 --once  # the seventh batch (blind until the fifth stop)
    python bench/validation/realistic_eval.py --split holdout7 --once  # the eighth batch (fifth stop)
    python bench/validation/realistic_eval.py --split holdout8 --once  # the ninth batch (blind until the sixth stop)
    python bench/validation/realistic_eval.py --split holdout9 --once  # the tenth batch (seventh stop)
    python bench/validation/realistic_eval.py --split holdout10 --once  # the eleventh batch (eighth stop)
    python bench/validation/realistic_eval.py --split holdout11 --once  # the twelfth batch (blind: written, not scored)
    python bench/validation/realistic_eval.py --split dev --out bench/results/realistic_dev.json

Every summary of the split is scored by the installed ``source_only`` (``score_summary`` with the
source text, as ``bizsum score`` does); each claim's verdict is matched to the sheet sentence it
was cut from. Printed per split:

* faithful claims called unsupported (faithful and paraphrase summaries; ``uncertain`` is
  reported apart and is not a violation), and the share of faithful summaries with any
  unsupported claim;
* per error kind, the share of one-error summaries whose altered sentence has an unsupported claim;
* the same for each comparison verdict the metric keeps per claim (``rules_v3``, ``verifier_only``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "labels"))
# BIZSUM_CODE: another checkout's package (e.g. the previous version) scored on this set
sys.path.insert(0, os.environ.get("BIZSUM_CODE", str(ROOT)))

from realistic import ERROR_KINDS, SPLITS, Summary, load, sentence_of


def score_all(summaries: list[Summary]) -> list[list[dict]]:
    import torch

    from bizsum.metrics.source_only.metric import score_summary
    from bizsum.nlp.source_index import source_index

    torch.set_num_threads(2)
    out = []
    texts: dict[str, str] = {}
    for n, s in enumerate(summaries, 1):
        text = texts.setdefault(s.doc_id, (ROOT / "data" / "documents" / f"{s.doc_id}.txt").read_text())
        index = source_index(text, hashlib.sha256(text.encode()).hexdigest())
        _, details = score_summary(s.text, index, text)
        out.append(details["claims"])
        if n % 20 == 0:
            print(f"  scored {n}/{len(summaries)}", file=sys.stderr)
    return out


def verdict_of(claim: dict, source: str) -> str:
    """The claim's verdict under ``source`` (a comparison verdict falls back to the metric's own for
    claims it does not decide: absence statements, claims that are not checkable)."""
    variant = claim.get(source) if source != "source_only" else None
    return str(variant["verdict"]) if isinstance(variant, dict) else str(claim["verdict"])


def tally(summaries: list[Summary], scored: list[list[dict]], source: str) -> dict:
    faithful_claims = defaultdict(lambda: [0, 0, 0])  # variant -> [claims, unsupported, uncertain]
    flagged = defaultdict(lambda: [0, 0])  # variant -> [summaries, with any unsupported]
    caught = defaultdict(lambda: [0, 0])  # kind -> [summaries, caught]
    errors_uncertain = defaultdict(int)
    for s, claims in zip(summaries, scored):
        verdicts = [(sentence_of(c["text"], s.sentences), verdict_of(c, source)) for c in claims]
        if s.variant in ("faithful", "paraphrase"):
            row = faithful_claims[s.variant]
            row[0] += len(verdicts)
            row[1] += sum(v == "unsupported" for _, v in verdicts)
            row[2] += sum(v == "uncertain" for _, v in verdicts)
            flagged[s.variant][0] += 1
            flagged[s.variant][1] += any(v == "unsupported" for _, v in verdicts)
        else:
            altered = s.labels.index("unsupported")
            mine = [v for i, v in verdicts if i == altered]
            caught[s.kind][0] += 1
            caught[s.kind][1] += any(v == "unsupported" for v in mine)
            errors_uncertain[s.kind] += any(v == "uncertain" for v in mine) and not any(
                v == "unsupported" for v in mine
            )
    total = [sum(r[i] for r in faithful_claims.values()) for i in range(3)]
    return {
        "faithful_claims": total[0],
        "faithful_claims_unsupported": total[1] / max(1, total[0]),
        "faithful_claims_uncertain": total[2] / max(1, total[0]),
        "by_variant": {
            v: {
                "claims": r[0],
                "unsupported": r[1] / max(1, r[0]),
                "uncertain": r[2] / max(1, r[0]),
                "summaries_flagged": flagged[v][1] / max(1, flagged[v][0]),
            }
            for v, r in faithful_claims.items()
        },
        "faithful_summaries_flagged": sum(f[1] for f in flagged.values()) / max(1, sum(f[0] for f in flagged.values())),
        "caught": {k: caught[k][1] / max(1, caught[k][0]) for k in ERROR_KINDS},
        "uncertain_not_caught": {k: errors_uncertain[k] / max(1, caught[k][0]) for k in ERROR_KINDS},
        "summaries": len(summaries),
        "documents": len({s.doc_id for s in summaries}),
    }


def print_table(name: str, r: dict) -> None:
    if not r:
        return
    bv = r["by_variant"]
    print(
        f"| {name} | {r['faithful_claims_unsupported']:.1%} ({r['faithful_claims_uncertain']:.1%} uncertain) "
        f"| {bv.get('faithful', {}).get('unsupported', 0):.1%} | {bv.get('paraphrase', {}).get('unsupported', 0):.1%} "
        f"| {r['faithful_summaries_flagged']:.0%} | " + " | ".join(f"{r['caught'][k]:.0%}" for k in ERROR_KINDS) + " |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=list(SPLITS), default="dev")
    parser.add_argument("--once", action="store_true", help="required for --split test/holdout: held-out sheets")
    parser.add_argument("--docs", default="", help="comma-separated doc ids (a subset, for quick looks)")
    parser.add_argument("--out", default="")
    parser.add_argument("--dump", default="", help="write every claim's verdict to this JSONL file")
    parser.add_argument("--model", default="", help="verifier weights directory (default: the shipped weights)")
    parser.add_argument("--reject-below", type=float, default=None, help="with --model: its reject_below")
    args = parser.parse_args()
    if args.model:
        sys.path.insert(1, str(ROOT / "bench" / "verifier"))
        from weights import use_weights

        use_weights(args.model, args.reject_below)
    if args.split != "dev" and not args.once:
        parser.error(f"--split {args.split} is held out: pass --once and record that it was looked at")
    summaries = load(args.split)
    if args.docs:
        keep = set(args.docs.split(","))
        summaries = [s for s in summaries if s.doc_id in keep]
    start, cpu = time.time(), time.process_time()
    scored = score_all(summaries)
    seconds, cpu_seconds = time.time() - start, time.process_time() - cpu
    results = {src: tally(summaries, scored, src) for src in ("source_only", "verifier_only", "rules_v3")}
    print(
        f"\n{args.split}: {len(summaries)} summaries, {len({s.doc_id for s in summaries})} documents, "
        f"{seconds:.0f} s wall, {cpu_seconds / max(1, len(summaries)):.2f} CPU-s per summary (index builds included)"
    )
    print(
        "| verdict | faithful claims unsupported | faithful | paraphrase | faithful summaries flagged | "
        + " | ".join(ERROR_KINDS)
        + " |"
    )
    print("|---" * (5 + len(ERROR_KINDS)) + "|")
    for name, r in results.items():
        print_table(name, r)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as handle:
            for s, claims in zip(summaries, scored):
                for c in claims:
                    i = sentence_of(c["text"], s.sentences)
                    handle.write(
                        json.dumps(
                            {
                                "doc_id": s.doc_id,
                                "variant": s.variant,
                                "sentence": i,
                                "label": s.labels[i],
                                "claim": c["text"],
                                "verdict": c["verdict"],
                                "score": c["score"],
                                "verifier": c.get("features", {}).get("verifier"),
                                "reasons": c.get("reasons", []),
                                "evidence": c.get("evidence", ""),
                                "features": c.get("features", {}),
                            }
                        )
                        + "\n"
                    )
    if args.out:
        Path(args.out).write_text(json.dumps({"split": args.split, "seconds": seconds, "results": results}, indent=1))


if __name__ == "__main__":
    main()
