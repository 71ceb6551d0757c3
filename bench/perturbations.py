"""Deterministic perturbation set from real 10-K Item 1 texts (shared/data/tenk_item1).

For each selected filing (one per company, latest year) the generator builds:

* ``faithful_extractive``: 8 source sentences chosen with a seeded RNG among informative sentences
  (10–45 words), preferring ones with numbers and names so that errors can be injected;
* ``faithful_paraphrase``: the same sentences lightly rewritten (we → the company, our → its,
  approximately → about, parentheses dropped, ...): still faithful;
* one copy of the paraphrase per error type, each with exactly ONE injected error:
  ``number_changed``, ``year_changed``, ``entity_swap_outside`` (a name not in the filing),
  ``entity_swap_in_doc`` (another name from the same filing), ``invented_financing`` (an added
  sentence about financing: credit facility, notes, private placement, bank loans), ``invented_fact``
  (an added sentence about customers/revenue/distribution), ``negation`` and ``direction``.

Each perturbed text records ``marker``: the text span that carries the error, so the evaluation
can check that the claim holding it is the one flagged.

For coverage, ``area_deleted_<area>`` drops the sentences of the faithful summary whose best area
(by hand rules on the *source tags*, see ``bench/validation/validate_metrics.py``) is that area.

Documents are split into dev/test by the same seeded hash as the other benchmarks; thresholds are
never chosen on the test half. ``python bench/perturbations.py --out FILE`` writes the set as JSONL.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.datasets import DATA, seeded_split

SEED = 20240611
N_SENTENCES = 8

OUTSIDE_NAMES = [
    "Oracle",
    "Siemens",
    "Goldman Sachs",
    "Brazil",
    "Singapore",
    "Deutsche Bank",
    "Toyota",
    "Nestlé",
    "London Stock Exchange",
    "Barclays",
    "Mitsubishi",
    "Unilever",
    "Argentina",
    "Norway",
    "Hyundai",
    "Credit Suisse",
    "Accenture",
    "Kraft Heinz",
    "Vodafone",
    "Sao Paulo",
]
BANKS = ["JPMorgan Chase", "Wells Fargo", "Citigroup", "Barclays", "HSBC", "BNP Paribas", "Bank of America"]
INVENTED_FINANCING = [
    "The company financed its expansion through a ${n} million revolving credit facility with {bank}.",
    "In {year}, the company raised ${n} million through a private placement of senior notes.",
    "The company funds its operations primarily through bank loans and venture capital investments.",
    "The company issued ${n} million of convertible notes due {year2} to finance acquisitions.",
    "Most of the company's growth has been financed by a term loan from {bank}.",
    "The company relies on a {p}% equity stake held by {bank} to finance its operations.",
]
INVENTED_FACTS = [
    "The company generates most of its revenue from government contracts in {country}.",
    "{company} is the company's largest customer, accounting for {p}% of revenue.",
    "The company sells its products exclusively through {company}'s retail stores.",
    "Subscription fees account for {p}% of the company's total revenue.",
    "The company's main customers are hospitals and universities in {country}.",
    "The company distributes its products mainly through a network of independent franchisees.",
]
COUNTRIES = ["Brazil", "Norway", "Argentina", "Vietnam", "Kenya", "Chile", "Portugal"]
COMPANIES = ["Oracle", "Siemens", "Toyota", "Unilever", "Accenture", "Vodafone", "Hyundai"]

PARAPHRASES = [
    (r"\bWe\b", "The company"),
    (r"\bwe\b", "the company"),
    (r"\bOur\b", "Its"),
    (r"\bour\b", "its"),
    (r"\bus\b", "the company"),
    (r"\bapproximately\b", "about"),
    (r"\bApproximately\b", "About"),
    (r"^In addition,\s*", ""),
    (r"^Additionally,\s*", ""),
    (r"\butiliz(e|es|ed|ing)\b", r"us\1"),
    (r"\ba variety of\b", "various"),
    (r"\bprimarily\b", "mainly"),
    (r"\bis comprised of\b", "consists of"),
    (r"\s*\((?![^)]*\d)[^)]{1,60}\)", ""),
    (r"\bin order to\b", "to"),
    (r"\bcurrently\b", ""),
]

NEGATIONS = [
    (r"\b(is|are|was|were)\b(?! not)", r"\1 not"),
    (r"\b(has|have)\b(?! not| been)", r"does not have"),
    (
        r"\b(offers|provides|sells|operates|serves|owns|markets|distributes|generates|develops|manufactures)\b",
        lambda m: "does not " + m.group(1)[:-1],
    ),
]
DIRECTIONS = [
    (r"\bincreased\b", "decreased"),
    (r"\bincrease\b", "decrease"),
    (r"\bgrew\b", "declined"),
    (r"\bgrowth\b", "decline"),
    (r"\bmore than\b", "less than"),
    (r"\bexpanded\b", "reduced"),
    (r"\bhigher\b", "lower"),
    (r"\brose\b", "fell"),
    (r"\bdecreased\b", "increased"),
    (r"\blower\b", "higher"),
]


def paraphrase(sentence: str) -> str:
    out = sentence
    for pattern, repl in PARAPHRASES:
        out = re.sub(pattern, repl, out)
    out = re.sub(r"\s{2,}", " ", out).strip()
    out = re.sub(r"\s+([,.;])", r"\1", out)
    return out[0].upper() + out[1:] if out else out


_NUM = re.compile(r"(?<![\w.\-/$])(\$?)(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?![\w\-/]|\.\d)")
_YEAR = re.compile(r"(?<![\w$.,])(19[5-9]\d|20[0-2]\d)(?![\w%,.]\d|\d)")


def _is_year(text: str) -> bool:
    return bool(re.fullmatch(r"(19[5-9]\d|20[0-2]\d)", text))


def change_number(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    candidates = [m for m in _NUM.finditer(sentence) if not _is_year(m.group(2))]
    candidates = [m for m in candidates if float(m.group(2).replace(",", "")) >= 2]
    if not candidates:
        return None
    m = rng.choice(candidates)
    raw = m.group(2)
    if "." in raw:
        decimals = len(raw.split(".")[1])
        value = float(raw) + rng.choice([1, 2, 3]) * 10 ** (-decimals) * rng.choice([3, 7])
        new = f"{value:.{decimals}f}"
    else:
        value = int(raw.replace(",", ""))
        delta = max(1, round(value * rng.choice([0.2, 0.3, 0.45])))
        new_value = value + delta
        new = f"{new_value:,}" if "," in raw else str(new_value)
    marker = m.group(1) + new
    return sentence[: m.start()] + marker + sentence[m.end() :], marker


def change_year(sentence: str, rng: random.Random) -> tuple[str, str] | None:
    years = list(_YEAR.finditer(sentence))
    if not years:
        return None
    m = rng.choice(years)
    new = str(int(m.group(1)) + rng.choice([-3, -2, -1, 1, 2, 3]))
    return sentence[: m.start()] + new + sentence[m.end() :], new


def names_in(sentence: str) -> list[str]:
    from bizsum.nlp.names import extract_names

    return [n for n in extract_names(sentence) if len(n) > 2 and not re.search(r"\d", n)]


def swap_entity(
    sentence: str, pool: list[str], source_lower: str, rng: random.Random, outside: bool
) -> tuple[str, str] | None:
    names = [n for n in names_in(sentence) if n in sentence]
    if not names:
        return None
    target = rng.choice(names)
    if outside:
        options = [p for p in pool if p.lower() not in source_lower]
    else:
        options = [
            p
            for p in pool
            if p.lower() not in sentence.lower() and target.lower() not in p.lower() and p.lower() not in target.lower()
        ]
    if not options:
        return None
    new = rng.choice(options)
    return sentence.replace(target, new, 1), new


def negate(sentence: str) -> tuple[str, str] | None:
    for pattern, repl in NEGATIONS:
        m = re.search(pattern, sentence)
        if m:
            new = re.sub(pattern, repl, sentence, count=1)
            if new != sentence:
                marker = "not"
                return new, marker
    return None


def change_direction(sentence: str) -> tuple[str, str] | None:
    for pattern, repl in DIRECTIONS:
        if re.search(pattern, sentence):
            return re.sub(pattern, repl, sentence, count=1), repl
    return None


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        n=rng.choice([150, 275, 350, 420, 600, 850]),
        bank=rng.choice(BANKS),
        year=rng.choice([2003, 2011, 2016, 2019]),
        year2=rng.choice([2027, 2029, 2031]),
        p=rng.choice([12, 18, 27, 35, 41]),
        country=rng.choice(COUNTRIES),
        company=rng.choice(COMPANIES),
    )


MAX_CHARS = 30_000  # 2 shared cores: filings up to ~4.5k words; longer ones are skipped


def select_documents() -> list[Path]:
    """One filing per company (the latest year) of at most MAX_CHARS characters, in name order."""
    files = sorted(f for f in (DATA / "tenk_item1").glob("*.txt") if f.stat().st_size <= MAX_CHARS)
    latest: dict[str, Path] = {}
    for f in files:
        company, _, _year = f.stem.rpartition("_")
        if company not in latest or f.stem > latest[company].stem:
            latest[company] = f
    return [latest[c] for c in sorted(latest)]


def generate(max_docs: int | None = None) -> list[dict]:
    from bizsum.nlp.source_index import source_sentences
    from bizsum.nlp.text import normalize_text

    rng = random.Random(SEED)
    rows: list[dict] = []
    docs = select_documents()
    if max_docs:
        docs = docs[:max_docs]
    for path in docs:
        text = normalize_text(path.read_text(encoding="utf-8"))
        source_lower = text.lower()
        sentences = [
            s
            for s in source_sentences(text)
            if 10 <= len(s.split()) <= 45 and s[0].isupper() and s.endswith(".") and "|" not in s and s.count("--") < 2
        ]
        if len(sentences) < N_SENTENCES:
            continue
        with_numbers = [s for s in sentences if _NUM.search(s)]
        rich = [s for s in sentences if names_in(s)]
        picked: list[str] = []
        for pool in (with_numbers, rich, sentences):
            for s in rng.sample(pool, min(len(pool), 3 if pool is not sentences else N_SENTENCES)):
                if s not in picked and len(picked) < N_SENTENCES:
                    picked.append(s)
        order = {s: i for i, s in enumerate(sentences)}
        picked.sort(key=lambda s: order[s])
        para = [paraphrase(s) for s in picked]
        doc_id = path.stem
        split = seeded_split(doc_id)
        base = {"doc_id": doc_id, "doc_path": str(path), "split": split}
        rows.append(
            {**base, "kind": "faithful_extractive", "summary": " ".join(picked), "error": False, "marker": None}
        )
        rows.append({**base, "kind": "faithful_paraphrase", "summary": " ".join(para), "error": False, "marker": None})
        doc_names = sorted({n for s in sentences for n in names_in(s) if len(n.split()) <= 3})

        def inject(kind: str, fn) -> None:
            idx = list(range(len(para)))
            rng.shuffle(idx)
            for i in idx:
                out = fn(para[i])
                if out:
                    new_sentence, marker = out
                    if new_sentence == para[i]:
                        continue
                    text_out = " ".join(para[:i] + [new_sentence] + para[i + 1 :])
                    rows.append(
                        {
                            **base,
                            "kind": kind,
                            "summary": text_out,
                            "error": True,
                            "marker": marker,
                            "changed_sentence": new_sentence,
                            "original_sentence": para[i],
                        }
                    )
                    return

        inject("number_changed", lambda s: change_number(s, rng))
        inject("year_changed", lambda s: change_year(s, rng))
        inject("entity_swap_outside", lambda s: swap_entity(s, OUTSIDE_NAMES, source_lower, rng, outside=True))
        inject("entity_swap_in_doc", lambda s: swap_entity(s, doc_names, source_lower, rng, outside=False))
        inject("negation", negate)
        inject("direction", change_direction)
        for kind, templates in (("invented_financing", INVENTED_FINANCING), ("invented_fact", INVENTED_FACTS)):
            sentence = _fill(rng.choice(templates), rng)
            pos = rng.randrange(1, len(para) + 1)
            rows.append(
                {
                    **base,
                    "kind": kind,
                    "summary": " ".join(para[:pos] + [sentence] + para[pos:]),
                    "error": True,
                    "marker": sentence,
                    "changed_sentence": sentence,
                }
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "perturbations.jsonl"))
    parser.add_argument("--max-docs", type=int, default=None)
    args = parser.parse_args()
    rows = generate(args.max_docs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    kinds: dict[str, int] = {}
    for row in rows:
        kinds[row["kind"]] = kinds.get(row["kind"], 0) + 1
    print(json.dumps({"rows": len(rows), "kinds": kinds}, indent=1))


if __name__ == "__main__":
    main()
