"""Tools for the project's labelled 10-K claim set (data/validation/tenk_claims/).

    python bench/labels/tenk_labels.py show DOC_ID [--model M] [--prompt P] [--hits N]
        print every summary of DOC_ID in the run with its claims (numbered exactly as
        ``split_claims`` cuts them) and, under each claim, the source sentences that share the
        most of its numbers and rare words (a plain lexical search to help reading the source;
        no metric is run); "=" after a claim number marks a claim found verbatim in the source
    python bench/labels/tenk_labels.py freeze [--run reports/labels]
        copy the successful summaries of a run folder that are not yet in
        data/validation/tenk_claims/generations.jsonl into it (the labelled set is that file, not
        the run folder, so later reruns or code changes never change what was labelled)
    python bench/labels/tenk_labels.py build
        turn the label sheets (bench/data/tenk_label_sheets/<DOC_ID>.txt) into
        data/validation/tenk_claims/reviews.jsonl, checking that every claim and every area of
        every summary has exactly one label
    python bench/labels/tenk_labels.py stats
        label counts overall, by model, by prompt and by document

Sheet format (one file per document)::

    # labelled: 2025-01-01T12:00:00Z        (UTC time the labels below were written)
    ## qwen0.5b-t0.2 seed 0                 (model_id prompt_id sample)
    1 S
    2 U | "2,602 employees", not stores
    3 S | hard call: ...
    area sources_of_revenue covered
    area financing not_in_source | comment

S = supported, U = unsupported; claim numbers follow ``split_claims`` order (a claim text that
repeats within one summary is shown and labelled once, at its first position).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bizsum.nlp.claims import split_claims
from bizsum.nlp.text import split_sentences

RUN_DIR = ROOT / "reports" / "labels"
OUT_DIR = ROOT / "data" / "validation" / "tenk_claims"
SHEETS = ROOT / "bench" / "data" / "tenk_label_sheets"
AREAS = ["sources_of_revenue", "customer_base", "products", "distribution_channels", "financing"]
AREA_LABELS = {"covered", "missed", "not_in_source"}
CLAIM_LABELS = {"S": "supported", "U": "unsupported"}
STOP = {
    "a",
    "an",
    "the",
    "and",
    "or",
    "of",
    "to",
    "in",
    "on",
    "for",
    "with",
    "by",
    "from",
    "as",
    "at",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "its",
    "it",
    "this",
    "that",
    "these",
    "those",
    "their",
    "our",
    "we",
    "his",
    "her",
    "which",
    "who",
    "also",
    "such",
    "other",
    "than",
    "into",
    "over",
    "under",
    "per",
    "not",
    "no",
    "can",
    "may",
    "will",
    "would",
    "company",
    "company's",
    "companies",
    "business",
    "provides",
    "provide",
    "offers",
    "offer",
    "including",
    "include",
    "includes",
}


def summary_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_generations(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if not r.get("error")]


def unique_claims(text: str) -> list[str]:
    seen: set[str] = set()
    out = []
    for claim in split_claims(text):
        if claim not in seen:
            seen.add(claim)
            out.append(claim)
    return out


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[A-Za-z][A-Za-z'&.-]*[A-Za-z]|\d[\d,.]*", text.lower()) if w not in STOP]


def _flat(text: str) -> str:
    return " ".join(re.findall(r"\w+|[^\w\s]", text.lower()))


def freeze(args) -> None:
    frozen_path = OUT_DIR / "generations.jsonl"
    frozen = load_generations(frozen_path) if frozen_path.exists() else []
    have = {(r["doc_id"], r["prompt_id"], r["model_id"], int(r["sample"])) for r in frozen}
    added = 0
    with frozen_path.open("a", encoding="utf-8") as fh:
        for row in load_generations(Path(args.run) / "generations.jsonl"):
            key = (row["doc_id"], row["prompt_id"], row["model_id"], int(row["sample"]))
            if key in have or not (row.get("text") or "").strip():
                continue
            have.add(key)
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            added += 1
    print(f"added {added} summaries to {frozen_path.relative_to(ROOT)} ({len(have)} in all)")


def show(args) -> None:
    rows = load_generations(OUT_DIR / "generations.jsonl")
    doc_text = (ROOT / "data" / "documents" / f"{args.doc}.txt").read_text(encoding="utf-8")
    sentences = split_sentences(doc_text)
    flat = _flat(doc_text)
    sent_words = [set(_words(s)) for s in sentences]
    df = Counter(w for ws in sent_words for w in ws)
    done: set = set()
    if args.todo:
        sheet = SHEETS / f"{args.doc}.txt"
        if sheet.exists():
            done = set(parse_sheet(sheet))
    for row in rows:
        if row["doc_id"] != args.doc:
            continue
        if (row["model_id"], row["prompt_id"], int(row["sample"])) in done:
            continue
        if args.model and row["model_id"] != args.model:
            continue
        if args.prompt and row["prompt_id"] != args.prompt:
            continue
        text = row["text"]
        print(
            f"## {row['model_id']} {row['prompt_id']} {row['sample']}   sha={summary_sha(text)} "
            f"finish={row.get('finish_reason')} completion_tokens={row.get('completion_tokens')}"
        )
        if args.text:
            print(text)
            print()
        for i, claim in enumerate(unique_claims(text), 1):
            mark = "=" if _flat(claim.rstrip(".")) in flat else " "
            print(f"{i:>3}.{mark}{claim}")
            if args.hits:
                words = set(_words(claim))
                scored = []
                for j, ws in enumerate(sent_words):
                    common = words & ws
                    if not common:
                        continue
                    score = sum(1.0 / df[w] ** 0.5 + (1.0 if re.match(r"\d", w) else 0.0) for w in common)
                    scored.append((score, j))
                for _score, j in sorted(scored, reverse=True)[: args.hits]:
                    s = sentences[j]
                    print(f"       [{j}] {s[:300]}{'…' if len(s) > 300 else ''}")
        print()


_HEAD = re.compile(r"^##\s+(\S+)\s+(\S+)\s+(\d+)\s*$")
_CLAIM = re.compile(r"^(\d+)\s+([SU])\s*(?:\|\s*(.*))?$")
_AREA = re.compile(r"^area\s+(\S+)\s+(\S+)\s*(?:\|\s*(.*))?$")
_TIME = re.compile(r"^#\s*labelled:\s*(\S+)\s*$")


def parse_sheet(path: Path) -> dict[tuple[str, str, int], dict]:
    out: dict[tuple[str, str, int], dict] = {}
    current = None
    stamp = None
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if m := _TIME.match(line):
            stamp = m.group(1)
            continue
        if line.startswith("##"):
            m = _HEAD.match(line)
            if not m:
                raise SystemExit(f"{path}:{n}: bad summary header {line!r}")
            key = (m.group(1), m.group(2), int(m.group(3)))
            if key in out:
                raise SystemExit(f"{path}:{n}: {key} labelled twice")
            if stamp is None:
                raise SystemExit(f"{path}:{n}: no '# labelled:' time before the first summary")
            current = out[key] = {"claims": {}, "areas": {}, "created_at": stamp}
            continue
        if line.startswith("#"):
            continue
        if current is None:
            raise SystemExit(f"{path}:{n}: label before any summary header")
        if m := _CLAIM.match(line):
            idx = int(m.group(1))
            if idx in current["claims"]:
                raise SystemExit(f"{path}:{n}: claim {idx} labelled twice")
            current["claims"][idx] = (CLAIM_LABELS[m.group(2)], (m.group(3) or "").strip())
        elif m := _AREA.match(line):
            area, label = m.group(1), m.group(2)
            if area not in AREAS or label not in AREA_LABELS:
                raise SystemExit(f"{path}:{n}: bad area line {line!r}")
            current["areas"][area] = (label, (m.group(3) or "").strip())
        else:
            raise SystemExit(f"{path}:{n}: cannot parse {line!r}")
    return out


def build(args) -> None:
    rows = load_generations(OUT_DIR / "generations.jsonl")
    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_doc[row["doc_id"]].append(row)
    out_lines = []
    problems = []
    for doc_id in sorted(by_doc):
        sheet = SHEETS / f"{doc_id}.txt"
        if not sheet.exists():
            problems.append(f"{doc_id}: no sheet")
            continue
        labels = parse_sheet(sheet)
        for row in by_doc[doc_id]:
            key = (row["model_id"], row["prompt_id"], int(row["sample"]))
            if key not in labels:
                problems.append(f"{doc_id} {key}: not labelled")
                continue
            entry = labels.pop(key)
            claims = unique_claims(row["text"])
            have = set(entry["claims"])
            want = set(range(1, len(claims) + 1))
            if have != want:
                problems.append(f"{doc_id} {key}: claims labelled {sorted(have)} but the summary has {len(claims)}")
                continue
            if set(entry["areas"]) != set(AREAS):
                problems.append(f"{doc_id} {key}: areas labelled {sorted(entry['areas'])}")
                continue
            base = {
                "schema_version": 1,
                "doc_id": doc_id,
                "prompt_id": row["prompt_id"],
                "model_id": row["model_id"],
                "sample": int(row["sample"]),
                "summary_sha": summary_sha(row["text"]),
            }
            for i, claim in enumerate(claims, 1):
                label, comment = entry["claims"][i]
                out_lines.append(
                    {
                        **base,
                        "kind": "claim",
                        "claim": claim,
                        "label": label,
                        "comment": comment,
                        "reviewer": "project",
                        "created_at": entry["created_at"],
                    }
                )
            for area in AREAS:
                label, comment = entry["areas"][area]
                out_lines.append(
                    {
                        **base,
                        "kind": "area",
                        "area": area,
                        "label": label,
                        "comment": comment,
                        "reviewer": "project",
                        "created_at": entry["created_at"],
                    }
                )
        for key in labels:
            problems.append(f"{doc_id} {key}: in the sheet but not in generations.jsonl")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        if not args.partial:
            raise SystemExit(1)
    path = OUT_DIR / "reviews.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for line in out_lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    print(f"wrote {len(out_lines)} lines to {path.relative_to(ROOT)}")


def stats(args) -> None:
    lines = [json.loads(x) for x in (OUT_DIR / "reviews.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    claims = [x for x in lines if x["kind"] == "claim"]
    areas = [x for x in lines if x["kind"] == "area"]
    summaries = {(x["doc_id"], x["model_id"], x["prompt_id"], x["sample"]) for x in lines}
    print(
        f"summaries {len(summaries)}, documents {len({s[0] for s in summaries})}, claims {len(claims)}, area labels {len(areas)}"
    )
    print("claims:", dict(Counter(x["label"] for x in claims)))
    for field in ("model_id", "prompt_id"):
        for value in sorted({x[field] for x in claims}):
            c = Counter(x["label"] for x in claims if x[field] == value)
            n = sum(c.values())
            print(
                f"  {field}={value}: n={n} supported={c['supported']} unsupported={c['unsupported']} "
                f"({c['unsupported'] / n:.1%} unsupported)"
            )
    for model in sorted({x["model_id"] for x in claims}):
        for prompt in sorted({x["prompt_id"] for x in claims}):
            c = Counter(x["label"] for x in claims if x["model_id"] == model and x["prompt_id"] == prompt)
            n = sum(c.values())
            if n:
                print(f"  {model} {prompt}: n={n} unsupported={c['unsupported']} ({c['unsupported'] / n:.1%})")
    if args.by_doc:
        for doc in sorted({x["doc_id"] for x in claims}):
            c = Counter(x["label"] for x in claims if x["doc_id"] == doc)
            print(f"  {doc}: {dict(c)}")
    print("areas:", dict(Counter(x["label"] for x in areas)))
    for area in AREAS:
        c = Counter(x["label"] for x in areas if x["area"] == area)
        print(f"  {area}: {dict(c)}")
    for model in sorted({x["model_id"] for x in areas}):
        c = Counter(x["label"] for x in areas if x["model_id"] == model)
        print(f"  {model}: {dict(c)}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("show")
    p.add_argument("doc")
    p.add_argument("--model")
    p.add_argument("--prompt")
    p.add_argument("--hits", type=int, default=0)
    p.add_argument("--text", action="store_true", help="also print the whole summary")
    p.add_argument("--todo", action="store_true", help="only summaries not yet in the document's sheet")
    p.set_defaults(fn=show)
    p = sub.add_parser("freeze")
    p.add_argument("--run", default=str(RUN_DIR), help="run folder whose generations.jsonl to add")
    p.set_defaults(fn=freeze)
    p = sub.add_parser("build")
    p.add_argument("--partial", action="store_true", help="write what is complete despite problems")
    p.set_defaults(fn=build)
    p = sub.add_parser("stats")
    p.add_argument("--by-doc", action="store_true")
    p.set_defaults(fn=stats)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
