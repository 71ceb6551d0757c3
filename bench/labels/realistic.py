"""The project's realistic labelled set (data/validation/realistic/): loader and builder.

    python bench/labels/realistic.py build     # sheets -> generations.jsonl + reviews.jsonl
    python bench/labels/realistic.py stats     # counts per split and variant

Each sheet (``sheets/<DOC_ID>.json``, written by the project, checked by
``bench/labels/realistic_check.py``) holds a faithful summary and a heavy paraphrase of one Item 1
text, sentence by sentence with the verbatim source quotes that support each sentence, and four
one-error copies of the faithful summary (one sentence replaced: ``invented``, ``wrong_relation``,
``unsupported_inference``, ``financing_customer``). A summary's text is its sentences joined by
spaces; its claims are what ``bizsum.nlp.claims.split_claims`` makes of that text, and each claim
takes the label of the sentence it comes from (the replaced sentence's claims are unsupported,
every other claim is supported). Labels are sentence-level in the sheets, so a change of the
claim splitter only needs ``build`` again, never a new reading.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if "bizsum" not in sys.modules and not any(Path(p, "bizsum").is_dir() for p in sys.path if p):
    sys.path.insert(0, str(ROOT))

from bizsum.nlp.claims import split_claims

SET_DIR = ROOT / "data" / "validation" / "realistic"
SHEETS = SET_DIR / "sheets"
#: a second batch written 2026-12-05 for other filings of test-half companies, in other styles, and
#: scored once at the end of that stop (split "holdout"; never used to choose anything)
HOLDOUT_SHEETS = SET_DIR / "holdout"
#: a third batch written 2026-12-06 (new writers and styles, test-half filings), scored once at the
#: end of that stop (split "holdout2"; never used to choose anything)
HOLDOUT2_SHEETS = SET_DIR / "holdout2"
#: a fourth batch written 2026-12-06 by seven new writers in the styles of capable chat models, for
#: test-half filings (two Disney filings no sheet used, five with new summaries); scored once, blind,
#: at the end of that stop (split "holdout3")
HOLDOUT3_SHEETS = SET_DIR / "holdout3"
#: a fifth batch written 2026-12-06 (fourth stop) by eight new writers in eight more chat-model styles,
#: for test-half filings with earlier sheets; scored once, blind, at the end of that stop (split "holdout4")
HOLDOUT4_SHEETS = SET_DIR / "holdout4"
#: a sixth batch written at the end of the fourth stop (2026-12-06) and left unscored: blind for the
#: next change of source_only (split "holdout5")
HOLDOUT5_SHEETS = SET_DIR / "holdout5"
#: a seventh batch written at the start of the fifth stop (2026-12-06) by eight new writers, for
#: test-half filings with the fewest sheets; left unscored, blind for the change after the next
#: (split "holdout6")
HOLDOUT6_SHEETS = SET_DIR / "holdout6"
#: an eighth batch written in the fifth stop (2026-12-06), after holdout 6 was scored (split "holdout7")
HOLDOUT7_SHEETS = SET_DIR / "holdout7"
#: a ninth batch written at the end of the fifth stop (2026-12-06); scored once in the sixth stop
#: (verifier run9b against version 14), no longer blind (split "holdout8")
HOLDOUT8_SHEETS = SET_DIR / "holdout8"
#: a tenth batch written at the start of the seventh stop (2026-12-06) by eight new writers, for
#: test-half filings; scored once in that stop (version 14 only), no longer blind (split "holdout9")
HOLDOUT9_SHEETS = SET_DIR / "holdout9"
#: an eleventh batch written at the end of the seventh stop (2026-12-06) by eight new writers, for
#: test-half filings; scored once in the eighth stop (version 16 against candidate 17), no longer
#: blind (split "holdout10")
HOLDOUT10_SHEETS = SET_DIR / "holdout10"
#: a twelfth batch written at the start of the eighth stop (2026-12-06) by eight new writers, for the
#: test-half filings with the fewest earlier sheets; left unscored, blind for the next change
#: (split "holdout11")
HOLDOUT11_SHEETS = SET_DIR / "holdout11"
HOLDOUT_BATCHES = {
    "holdout": HOLDOUT_SHEETS,
    "holdout2": HOLDOUT2_SHEETS,
    "holdout3": HOLDOUT3_SHEETS,
    "holdout4": HOLDOUT4_SHEETS,
    "holdout5": HOLDOUT5_SHEETS,
    "holdout6": HOLDOUT6_SHEETS,
    "holdout7": HOLDOUT7_SHEETS,
    "holdout8": HOLDOUT8_SHEETS,
    "holdout9": HOLDOUT9_SHEETS,
    "holdout10": HOLDOUT10_SHEETS,
    "holdout11": HOLDOUT11_SHEETS,
}
SPLITS = ("dev", "test", *HOLDOUT_BATCHES)
SPLIT_FILE = ROOT / "bench" / "data" / "company_split.json"
ERROR_KINDS = ("invented", "wrong_relation", "unsupported_inference", "financing_customer")
AREAS = ("sources_of_revenue", "customer_base", "products", "distribution_channels", "financing")
CREATED_AT = "2026-12-05T00:00:00Z"


@dataclass
class Summary:
    doc_id: str
    company: str
    split: str  # dev | test (bench/data/company_split.json) | holdout, holdout2, holdout3 (HOLDOUT_BATCHES)
    variant: str  # faithful | paraphrase | error:<kind>
    sentences: list[str]
    labels: list[str]  # per sentence: supported | unsupported
    quotes: list[list[str]]  # per sentence (empty for the altered one)
    areas: dict[str, str] = field(default_factory=dict)  # faithful / paraphrase only
    why: str = ""  # what the altered sentence gets wrong

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]

    @property
    def kind(self) -> str:
        return self.variant.split(":", 1)[1] if self.variant.startswith("error:") else ""

    def claim_labels(self) -> list[tuple[str, str, int]]:
        """(claim, label, sentence index) for every claim ``split_claims`` makes of the text."""
        out = []
        for claim in split_claims(self.text):
            i = sentence_of(claim, self.sentences)
            out.append((claim, self.labels[i], i))
        return out


def sentence_of(claim: str, sentences: list[str]) -> int:
    """Index of the sentence a claim was cut from (the most of its words in order of position)."""
    words = claim.lower().split()
    head = " ".join(words[:4])
    for i, s in enumerate(sentences):
        if head and head in " ".join(s.lower().split()):
            return i
    best, best_share = 0, -1.0
    claim_words = set(words)
    for i, s in enumerate(sentences):
        share = len(claim_words & set(s.lower().split())) / max(1, len(claim_words))
        if share > best_share:
            best, best_share = i, share
    return best


def company_splits() -> dict[str, tuple[str, str]]:
    """doc_id -> (company, split) for every filing named in the company split."""
    data = json.loads(SPLIT_FILE.read_text())["companies"]
    return {f: (company, c["split"]) for company, c in data.items() for f in c["filings"]}


def load(split: str | None = None, ablations: bool = False) -> list[Summary]:
    """Every summary of the set (six per sheet), optionally of one split only. With ``ablations``,
    also the coverage variants (:func:`area_ablations`)."""
    splits = company_splits()
    out: list[Summary] = []
    paths = [(p, "") for p in sorted(SHEETS.glob("*.json"))] + [
        (p, batch) for batch, folder in HOLDOUT_BATCHES.items() for p in sorted(folder.glob("*.json"))
    ]
    for path, batch in paths:
        sheet = json.loads(path.read_text())
        doc_id = sheet["doc_id"]
        company, doc_split = splits[doc_id]
        doc_split = batch or doc_split
        if split and doc_split != split:
            continue
        for variant in ("faithful", "paraphrase"):
            rows = sheet[variant]
            out.append(
                Summary(
                    doc_id,
                    company,
                    doc_split,
                    variant,
                    [r["text"].strip() for r in rows],
                    ["supported"] * len(rows),
                    [list(r["quotes"]) for r in rows],
                    dict(sheet["areas"][variant]),
                )
            )
        faithful = sheet["faithful"]
        for error in sheet["errors"]:
            r = error["replaces"]
            sentences = [row["text"].strip() for row in faithful]
            sentences[r] = error["text"].strip()
            labels = ["supported"] * len(faithful)
            labels[r] = "unsupported"
            quotes = [list(row["quotes"]) for row in faithful]
            quotes[r] = []
            out.append(
                Summary(
                    doc_id, company, doc_split, f"error:{error['kind']}", sentences, labels, quotes, why=error["why"]
                )
            )
        if ablations:
            out += area_ablations(sheet, company, doc_split)
    return out


def area_ablations(sheet: dict, company: str, split: str) -> list[Summary]:
    """Coverage variants: a faithful summary without every sentence that carries one area's key
    content (``area_sentences``, tagged by the project). That area is then ``missed``; every
    other area is ``covered`` if a remaining sentence carries it, else ``missed`` (or
    ``not_in_source`` as before). Variants with fewer than three sentences left are skipped."""
    out: list[Summary] = []
    tags = sheet.get("area_sentences") or {}
    for variant in ("faithful", "paraphrase"):
        rows, carried = sheet[variant], tags.get(variant)
        if not carried:
            continue
        labels = sheet["areas"][variant]
        for area in AREAS:
            if labels[area] != "covered":
                continue
            keep = [i for i, t in enumerate(carried) if area not in t]
            if len(keep) < 3:
                continue
            left = {a for i in keep for a in carried[i]}
            areas = {
                a: ("not_in_source" if labels[a] == "not_in_source" else "covered" if a in left else "missed")
                for a in AREAS
            }
            out.append(
                Summary(
                    sheet["doc_id"],
                    company,
                    split,
                    f"ablate:{variant}:{area}",
                    [rows[i]["text"].strip() for i in keep],
                    ["supported"] * len(keep),
                    [list(rows[i]["quotes"]) for i in keep],
                    areas,
                )
            )
    return out


def generation_row(s: Summary) -> dict:
    return {
        "doc_id": s.doc_id,
        "prompt_id": "seed",
        "model_id": f"project-{s.variant.replace(':', '-')}",
        "sample": 0,
        "provider": "fake",
        "model": "written-by-the-project",
        "text": s.text,
        "meta": {"split": s.split, "variant": s.variant, "written_by": "the project (docs/labelling_guideline.md)"},
    }


def review_rows(s: Summary) -> list[dict]:
    base = {
        "schema_version": 1,
        "doc_id": s.doc_id,
        "prompt_id": "seed",
        "model_id": f"project-{s.variant.replace(':', '-')}",
        "sample": 0,
        "summary_sha": s.sha,
        "reviewer": "project",
        "created_at": CREATED_AT,
    }
    rows, seen = [], set()
    for claim, label, _ in s.claim_labels():
        if claim in seen:
            continue
        seen.add(claim)
        comment = s.why if label == "unsupported" else ""
        rows.append({**base, "kind": "claim", "claim": claim, "label": label, "comment": comment})
    for area, label in s.areas.items():
        rows.append({**base, "kind": "area", "area": area, "label": label, "comment": ""})
    return rows


def build() -> None:
    summaries = load()
    with (
        open(SET_DIR / "generations.jsonl", "w", encoding="utf-8") as g,
        open(SET_DIR / "reviews.jsonl", "w", encoding="utf-8") as r,
    ):
        for s in summaries:
            g.write(json.dumps(generation_row(s), ensure_ascii=False) + "\n")
            for row in review_rows(s):
                r.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(summaries)} summaries from {len({s.doc_id for s in summaries})} sheets written to {SET_DIR}")


def stats() -> None:
    summaries = load()
    counts = Counter((s.split, s.variant) for s in summaries)
    claims = Counter((s.split, label) for s in summaries for _, label, _ in s.claim_labels())
    for key in sorted(counts):
        print(*key, counts[key])
    for key in sorted(claims):
        print("claims", *key, claims[key])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["build", "stats"])
    args = parser.parse_args(argv)
    {"build": build, "stats": stats}[args.command]()


if __name__ == "__main__":
    main()
