"""source_only on written claim pairs, one claim at a time (the verifier's dev measure per error kind).

    python bench/verifier/written_eval.py                                   # the tune set (never trained on)
    python bench/verifier/written_eval.py --model /work/verifier_runs/run6/final   # candidate weights
    python bench/verifier/written_eval.py --dir bench/verifier/data/written_claims --docs SANDISK_2011

The tune set (``bench/verifier/data/written_claims_tune/``) holds claims written exactly like the
training pairs (``written_claims/``, same guideline: restatements in the styles capable models use
and subtle errors that reuse the source's words) for the four dev *tune* companies, whose texts no
training run reads. The realistic set's tune sheets hold only four errors of each kind; these
files hold about 80 per kind, so the kinds can be told apart while tuning.

Each claim is scored as a one-sentence summary by the installed ``score_summary`` with the source
text (rules + verifier, as ``bizsum score``). A supported claim is *flagged* when any claim
``split_claims`` cuts from it is unsupported; an unsupported claim is *caught* the same way.
``uncertain`` is reported apart and is not a violation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from weights import use_weights

TUNE_DIR = ROOT / "bench" / "verifier" / "data" / "written_claims_tune"


def score_rows(rows: list[dict]) -> list[list[dict]]:
    """Per row, the verdict, score, verifier score and reasons of each claim cut from its claim text."""
    import torch

    from bizsum.metrics.source_only.metric import score_summary
    from bizsum.nlp.source_index import source_index

    torch.set_num_threads(2)
    texts: dict[str, str] = {}
    out: list[list[str]] = []
    for n, row in enumerate(rows, 1):
        doc = row["doc_id"]
        text = texts.setdefault(doc, (ROOT / "data" / "documents" / f"{doc}.txt").read_text())
        index = source_index(text, hashlib.sha256(text.encode()).hexdigest())
        _, details = score_summary(row["claim"], index, text)
        out.append(
            [
                {
                    "verdict": str(c["verdict"]),
                    "score": c["score"],
                    "verifier": c.get("features", {}).get("verifier"),
                    "reasons": c.get("reasons", []),
                }
                for c in details["claims"]
            ]
        )
        if n % 100 == 0:
            print(f"  scored {n}/{len(rows)}", file=sys.stderr)
    return out


def table(rows: list[dict], scored: list[list[dict]]) -> dict[str, dict[str, float]]:
    by: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for row, claims in zip(rows, scored):
        v = [c["verdict"] for c in claims]
        key = ("supported:" if row["label"] else "unsupported:") + row["style"]
        by[key].append(("unsupported" in v, "uncertain" in v and "unsupported" not in v))
        by["supported:ALL" if row["label"] else "unsupported:ALL"].append(by[key][-1])
    return {
        k: {"n": len(v), "unsupported": sum(a for a, _ in v) / len(v), "uncertain": sum(b for _, b in v) / len(v)}
        for k, v in sorted(by.items())
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default=str(TUNE_DIR))
    parser.add_argument("--docs", default="", help="comma-separated doc ids (default: every file)")
    parser.add_argument("--model", default="", help="weights directory (default: the shipped weights)")
    parser.add_argument("--reject-below", type=float, default=None, help="with --model: its reject_below")
    parser.add_argument("--out", default="", help="write the table as JSON here")
    parser.add_argument("--dump", default="", help="write every claim's verdicts to this JSONL file")
    args = parser.parse_args()
    if args.model:
        use_weights(args.model, args.reject_below)
    rows: list[dict] = []
    for path in sorted(Path(args.dir).glob("*.jsonl")):
        if args.docs and path.stem.split("__")[0] not in args.docs.split(","):
            continue
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = score_rows(rows)
    result = table(rows, scored)
    print(f"\n{len(rows)} claims from {args.dir} ({args.model or 'shipped weights'})")
    print("| label:style | n | unsupported | uncertain |\n|---|---|---|---|")
    for k, r in result.items():
        print(f"| {k} | {r['n']} | {r['unsupported']:.1%} | {r['uncertain']:.1%} |")
    if args.out:
        Path(args.out).write_text(json.dumps({"model": args.model, "dir": args.dir, "table": result}, indent=1))
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as handle:
            for row, claims in zip(rows, scored):
                handle.write(json.dumps({**row, "scored": claims}, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
