"""Check the written claim pairs (bench/verifier/data/written_claims/<DOC_ID>.jsonl).

    python bench/verifier/check_written_claims.py [DOC_ID ...]
    python bench/verifier/check_written_claims.py --dir bench/verifier/data/written_claims_tune   # the tune set

A second set for the same document is ``<DOC_ID>__<tag>.jsonl``. One JSON object a line: {"doc_id", "claim", "label" (1 supported / 0 not), "style", "quotes": [verbatim
source passages], "why" (for label 0)}. Every quote must occur verbatim in data/documents/<DOC_ID>.txt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "labels"))
from realistic_check import normalise

DIR = ROOT / "bench" / "verifier" / "data" / "written_claims"
POSITIVE = {"paraphrase", "merged", "numbers", "subject", "generalise", "short", "light", "fragment"}
NEGATIVE = {"invented", "wrong_relation", "unsupported_inference", "financing_customer", "wrong_number"}


def main(argv: list[str]) -> int:
    folder = DIR
    if argv[:1] == ["--dir"]:
        folder, argv = Path(argv[1]) if Path(argv[1]).is_absolute() else ROOT / argv[1], argv[2:]
    paths = [folder / f"{d}.jsonl" for d in argv] if argv else sorted(folder.glob("*.jsonl"))
    problems: list[str] = []
    counts = {0: 0, 1: 0}
    for path in paths:
        doc_id = path.stem.split("__")[0]
        source = normalise((ROOT / "data" / "documents" / f"{doc_id}.txt").read_text())
        for n, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.name}:{n}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: not JSON ({exc})")
                continue
            label, style = row.get("label"), row.get("style")
            if label not in (0, 1) or (label == 1 and style not in POSITIVE) or (label == 0 and style not in NEGATIVE):
                problems.append(f"{where}: label/style must be 1 with {sorted(POSITIVE)} or 0 with {sorted(NEGATIVE)}")
                continue
            counts[label] += 1
            if not isinstance(row.get("claim"), str) or len(row["claim"].split()) < 5:
                problems.append(f"{where}: claim needs at least 5 words")
            quotes = row.get("quotes")
            if not isinstance(quotes, list) or not quotes:
                problems.append(f"{where}: needs 'quotes'")
                continue
            for q in quotes:
                if not isinstance(q, str) or len(q.split()) < 3 or normalise(q) not in source:
                    problems.append(f"{where}: quote not verbatim in the document (or < 3 words): {str(q)[:70]!r}")
            if label == 0 and not str(row.get("why", "")).strip():
                problems.append(f"{where}: a label-0 claim needs 'why'")
    for p in problems:
        print(p)
    print(f"{len(paths)} file(s), {counts[1]} supported, {counts[0]} unsupported, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
