"""Training pairs from text the project wrote (recipe 2 of the verifier): the realistic labelled
set's dev *fit* companies and the written claim pairs (``bench/verifier/data/written_claims/``).

    python bench/verifier/realistic_pairs.py --out /work/verifier_runs/realistic_pairs.jsonl

Only dev companies that are not *tune* companies (``make_pairs.tune_company``) are read; the tune
companies' sheets choose the thresholds and the test half is never read. Per sheet sentence
(faithful and paraphrase summaries) and per claim ``split_claims`` cuts from it:

* ``real_pos_gold``: the claim against the units that hold its support quotes, joined in document
  order (" ... " marks a gap): evidence from several passages for a merged claim;
* ``real_pos_window``: against every inference window (``Chunker.candidates``) that holds all of
  those units, with whatever unrelated sentences retrieval put around them;
* ``real_neg_offtarget`` (30 %): against an inference window holding none of them and sharing
  under 40 % of its content words (a true fact needs its own evidence, not a neighbour's);
* ``real_neg_<kind>``: every claim of a one-error copy's altered sentence against the units of the
  sentence it replaced and against every inference window (label 0).

Each row's ``origin`` names the written-claims file it came from (``sheets`` for the realistic
sheets), so a training mix can take a new round whole and replay a share of the older ones.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ROOT, setup

sys.path.insert(0, str(ROOT / "bench" / "labels"))

SEED = 20261205
WRITTEN = ROOT / "bench" / "verifier" / "data" / "written_claims"


def normalise(text: str) -> str:
    from realistic_check import normalise as _normalise

    return _normalise(text)


def gold_units(quotes: list[str], units: list[str], norm_units: list[str]) -> tuple[int, ...] | None:
    """Units holding each quote (a quote may span units: every unit it covers); None if one is lost."""
    found: set[int] = set()
    for quote in quotes:
        q = normalise(quote)
        hits = [i for i, u in enumerate(norm_units) if q in u]
        if not hits:  # the quote runs over a unit boundary: units that are inside it or start it
            hits = [i for i, u in enumerate(norm_units) if u and (u in q or q[:40] in u or u[-40:] in q)]
        if not hits:
            return None
        found.add(hits[0]) if len(hits) > 3 else found.update(hits)
    return tuple(sorted(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/work/verifier_runs/realistic_pairs.jsonl")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    setup(1)
    from make_pairs import chunker, embed, support_share, tune_company
    from realistic import company_splits, load

    from bizsum.nlp.claims import split_claims

    rng = random.Random(args.seed)
    ck = chunker()
    summaries = [s for s in load("dev") if not tune_company(s.company)]
    # per document: (claim, label, kind, quotes, origin) from the sheets and from the written claims
    per_doc: dict[str, list[tuple[str, int, str, list[str], str]]] = defaultdict(list)
    companies: dict[str, str] = {}
    for s in summaries:
        companies[s.doc_id] = s.company
        faithful = next(f for f in summaries if f.variant == "faithful" and f.doc_id == s.doc_id)
        for i, (sentence, label, quotes) in enumerate(zip(s.sentences, s.labels, s.quotes)):
            if label == "supported" and s.variant.startswith("error:"):
                continue  # the copied faithful sentences: already paired from the faithful summary
            kind = "real_pos" if label == "supported" else "real_neg_" + s.kind
            source_quotes = quotes if label == "supported" else faithful.quotes[i]
            for claim in split_claims(sentence):
                per_doc[s.doc_id].append((claim, 1 if label == "supported" else 0, kind, source_quotes, "sheets"))
    splits = company_splits()
    for path in sorted(WRITTEN.glob("*.jsonl")):
        doc_id = path.stem.split("__")[0]  # <DOC_ID>__<tag>.jsonl: a second set for the document
        company, split = splits[doc_id]
        if split != "dev" or tune_company(company):
            continue
        companies[doc_id] = company
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            kind = ("written_pos_" if row["label"] else "written_neg_") + row["style"]
            per_doc[doc_id].append((row["claim"], int(row["label"]), kind, list(row["quotes"]), path.name))
    pairs: list[dict] = []
    lost = 0
    for doc_id, items in sorted(per_doc.items()):
        text = (ROOT / "data" / "documents" / f"{doc_id}.txt").read_text()
        doc = ck.document(text)
        norm_units = [normalise(u) for u in doc.units]
        golds = [gold_units(quotes, doc.units, norm_units) for *_, quotes, _ in items]
        lost += sum(g is None for g in golds)
        claims = [c for c, *_ in items]
        cands = ck.candidates(doc, claims, claim_embeddings=embed(claims), covering=False)
        for (claim, label, kind, _, origin), gold, chunks in zip(items, golds, cands):

            def add(passage: str, k: str, lab: int, claim: str = claim, origin: str = origin) -> None:
                pairs.append(
                    {
                        "company": companies[doc_id],
                        "doc_id": doc_id,
                        "source_passage": passage,
                        "claim": claim,
                        "label": lab,
                        "kind": k,
                        "group": "realistic" if kind.startswith("real") else "written",
                        "origin": origin,
                    }
                )

            if label == 1 and gold is None:
                continue
            seen: set[str] = set()
            if gold and sum(doc.tokens[g] for g in gold) <= ck.evidence_tokens:
                passage = ck.chunk(doc, gold).text
                seen.add(passage)
                add(passage, kind + "_gold", label)
            for c in chunks:
                if c.text in seen:
                    continue
                holds_all = bool(gold) and all(c.holds(g) for g in gold)
                holds_none = not gold or not any(c.holds(g) for g in gold)
                if label == 0:
                    seen.add(c.text)
                    add(c.text, kind, 0)
                elif holds_all:
                    seen.add(c.text)
                    add(c.text, kind + "_window", 1)
                elif holds_none and support_share(claim, c.text) < 0.4 and rng.random() < 0.3:
                    seen.add(c.text)
                    add(c.text, "neg_offtarget_" + kind, 0)
    rng.shuffle(pairs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        for p in pairs:
            handle.write(json.dumps(p, ensure_ascii=False) + "\n")
    stats = {
        "pairs": len(pairs),
        "kinds": dict(sorted(Counter(p["kind"] for p in pairs).items())),
        "labels": dict(Counter(p["label"] for p in pairs)),
        "claims_without_gold": lost,
        "companies": sorted(set(companies.values())),
        "seed": args.seed,
    }
    Path(args.out).with_suffix(".stats.json").write_text(json.dumps(stats, indent=1))
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
