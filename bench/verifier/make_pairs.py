"""Training pairs for the claim verifier (seeded, deterministic): JSONL of
``{company, doc_id, source_passage, claim, label, kind, group}``.

    python bench/verifier/make_pairs.py --out /work/verifier_runs/pairs.jsonl      # ~10 min, 1 thread

Data rules (``bench/data/company_split.json``): only filings of **dev** companies are used, and of
those only the *fit* companies (``sha256("bizsum-verifier-tune-v1|" + company)[0] % 5 != 0``);
the *tune* companies (ABBV, ADBE, GOOGL, NKE) are kept for threshold choice and dev evaluation.
Of the human-labelled sets only **dev** rows are used, and of those only documents in the *fit*
part (``sha256("bizsum-verifier-fit-v1|" + doc_key)[0] % 10 < 7``); the rest is dev-tune.
SummEval (all test) and every test half are never read here.

10-K pairs (per filing, from its informative sentences; budget per company, shared by its filings):

* positives: ``pos_extract`` (a source sentence), ``pos_paraphrase`` (deterministic rewrites:
  we→the company, synonyms, dropped parentheticals, fronted phrases moved, passive voice),
  ``pos_fusion`` (two nearby sentences joined), ``pos_subclause`` (one clause of a sentence),
  ``pos_number`` (numbers restated: "$1.2 billion" for 1,234 million, "about a third" for 33%,
  "three" for 3, a list as its count), ``pos_template`` (a focus-area template filled with a term
  the filing uses in that area);
* negatives: ``neg_number``/``neg_year``/``neg_pct``/``neg_scale`` (values from the same filing
  where possible), ``neg_entity_in``/``neg_entity_out`` (another name of the filing / of another
  filing), ``neg_negation``, ``neg_direction``, ``neg_modality``, ``neg_area_swap`` (subscription ↔
  licence, direct ↔ resellers, debt ↔ equity, consumers ↔ enterprises ...), ``neg_invented``
  (templates over the five areas with plausible terms the filing does not use: no number, no name),
  ``neg_generic`` (invented general business statements), ``neg_stitched`` (a number- and
  name-free sentence of another company), ``neg_offtarget`` (a true sentence of the filing against
  a retrieved chunk that does not hold it: "another section").

The passage of every pair is what the verifier sees at inference: a chunk of at most
``CHUNK_TOKENS`` word pieces grown around one of the claim's most similar units / adjacent pairs
under the MiniLM sentence embedder (``bizsum.nlp.verifier.Chunker``). Positives get the best
retrieved chunk that holds their gold sentence(s); perturbed claims get the chunk that holds the
original sentence (an on-topic hard negative); invented / stitched claims get their top retrieved
chunk.

News pairs (dev-fit documents; passage = top retrieved chunk of the claim): SummaC and FRANK
summaries labelled consistent → every claim 1; an inconsistent summary only when it is one
sentence (factcc, xsumfaith, FRANK XSum with Factuality ≤ 1/3) → 0 against its two best chunks;
inconsistent multi-sentence summaries are skipped (which sentence is wrong is unknown). QAGS:
sentence labels (≥ 2 of 3 yes → 1, ≤ 1 of 3 → 0).

Invented-sentence templates and terms here are disjoint from the held-out bank used by
``bench/verifier/evaluate.py`` and from ``bench/perturbations.py`` (no "bank loans", "venture
capital", "franchisees").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ROOT, setup

setup(int(os.environ.get("VERIFIER_THREADS", "1")))

import numpy as np

from bench.datasets import DATA, LOADERS

log = logging.getLogger("bench.verifier.pairs")

SEED = 20261129
RECIPE_VERSION = "2"
SPLIT_FILE = ROOT / "bench" / "data" / "company_split.json"
EXTRA_DOCS = {"LIVEPERSON_2017": ROOT / "data" / "documents" / "LIVEPERSON_2017.txt"}
PAIRS_PER_COMPANY = 1800


# ---------------------------------------------------------------------------------------------
# splits


def tune_company(company: str) -> bool:
    return hashlib.sha256(("bizsum-verifier-tune-v1|" + company).encode()).digest()[0] % 5 == 0


def fit_doc(doc_key: str) -> bool:
    return hashlib.sha256(("bizsum-verifier-fit-v1|" + doc_key).encode()).digest()[0] % 10 < 7


def filings(split: str, part: str | None = None) -> list[tuple[str, str, Path]]:
    """(company, doc_id, path) of a company split ('dev'/'test'); part 'fit'/'tune' within dev."""
    companies = json.loads(SPLIT_FILE.read_text())["companies"]
    out = []
    for company, info in sorted(companies.items()):
        if info["split"] != split:
            continue
        if (part == "fit" and tune_company(company)) or (part == "tune" and not tune_company(company)):
            continue
        for doc_id in info["filings"]:
            path = EXTRA_DOCS.get(doc_id) or DATA / "tenk_item1" / f"{doc_id}.txt"
            out.append((company, doc_id, path))
    return out


# ---------------------------------------------------------------------------------------------
# helpers shared with evaluate.py


def chunker():
    from transformers import AutoTokenizer

    from bizsum.nlp.encoders import minilm_path
    from bizsum.nlp.verifier import Chunker

    return Chunker(AutoTokenizer.from_pretrained(minilm_path()), cache_size=512)


def embed(texts: list[str]) -> np.ndarray:
    from bizsum.nlp.encoders import embed as _embed

    return np.asarray(_embed(list(texts)), dtype="float32")


def read_text(path: Path) -> str:
    from bizsum.nlp.text import normalize_text

    return normalize_text(path.read_text(encoding="utf-8"))


_WORDS = re.compile(r"[A-Za-z][A-Za-z'\-]*")
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
    "at",
    "by",
    "for",
    "with",
    "from",
    "as",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "its",
    "it",
    "their",
    "our",
    "we",
    "us",
    "this",
    "that",
    "these",
    "those",
    "which",
    "who",
    "has",
    "have",
    "had",
    "not",
    "no",
    "also",
    "such",
    "other",
    "than",
    "into",
    "over",
    "per",
}


def stems(text: str) -> set[str]:
    from bizsum.nlp.lexicon import content_stems

    return set(content_stems(text))


def support_share(claim: str, passage: str) -> float:
    cs = stems(claim)
    if not cs:
        return 1.0
    ps = stems(passage)
    return sum(1 for s in cs if s in ps) / len(cs)


def names_of(text: str) -> list[str]:
    from bizsum.nlp.names import extract_names

    return [n for n in extract_names(text) if len(n) > 2 and not re.search(r"\d", n)]


def good_names(text: str, min_count: int = 2) -> list[str]:
    """Names of a text that look like real entities: ≤ 3 words, no periods, used at least twice."""
    counts = Counter(
        n
        for n in names_of(text)
        if 1 <= len(n.split()) <= 3
        and "." not in n
        and len(n) > 3
        and not re.search(r"\b(The|And|Of|For|In)$", n)
        and not re.search(r"[^\w &'\-]", n)
    )
    return sorted(n for n, c in counts.items() if c >= min_count)


def informative(sentence: str) -> bool:
    words = sentence.split()
    if not 8 <= len(words) <= 60:
        return False
    if not sentence[0].isupper() or sentence.count("|") > 0 or sentence.count("--") > 1:
        return False
    if not re.search(r"[.!?]['\"”’)]?$", sentence):
        return False
    letters = sum(c.isalpha() for c in sentence)
    if letters < 0.6 * len(sentence):
        return False
    upper_words = sum(1 for w in words if w.isupper() and len(w) > 1)
    return upper_words < 0.4 * len(words)


def cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def decap(s: str) -> str:
    if not s:
        return s
    first = s.split(" ", 1)[0]
    if first in (
        "The",
        "A",
        "An",
        "It",
        "Its",
        "This",
        "These",
        "In",
        "Our",
        "We",
        "Such",
        "Each",
        "All",
        "Most",
        "Some",
        "Other",
    ):
        return s[:1].lower() + s[1:]
    return s


def tidy(s: str) -> str:
    s = re.sub(r"\s{2,}", " ", s).strip()
    s = re.sub(r"\s+([,.;:])", r"\1", s)
    s = re.sub(r",\s*,", ",", s)
    s = re.sub(r"\(\s*\)", "", s)
    return cap(s.strip(" ,;"))


# ---------------------------------------------------------------------------------------------
# paraphrases (faithful)

PRONOUNS = [
    (r"\bWe\b", "The company"),
    (r"\bwe\b", "the company"),
    (r"\bOur\b", "Its"),
    (r"\bour\b", "its"),
    (r"\bus\b", "the company"),
    (r"\bours\b", "the company's"),
]
SYNONYMS = [
    (r"\bapproximately\b", ["about", "roughly", "around"]),
    (r"\bprimarily\b", ["mainly", "chiefly", "mostly"]),
    (r"\bprincipally\b", ["mainly", "chiefly"]),
    (r"\butiliz(e|es|ed|ing)\b", None),
    (r"\ba variety of\b", ["various", "a range of"]),
    (r"\bnumerous\b", ["many"]),
    (r"\bis comprised of\b", ["consists of", "is made up of"]),
    (r"\bin order to\b", ["to"]),
    (r"\bcustomers\b", ["clients", "customers"]),
    (r"\bpurchase\b", ["buy"]),
    (r"\bpurchases\b", ["buys"]),
    (r"\bprincipal\b", ["main", "primary"]),
    (r"\bheadquartered in\b", ["based in"]),
    (r"\bcommenced\b", ["began", "started"]),
    (r"\bsubsequently\b", ["later"]),
    (r"\bprovides\b", ["offers", "supplies"]),
    (r"\bprovide\b", ["offer", "supply"]),
    (r"\bsignificant\b", ["substantial", "considerable"]),
    (r"\bmanufactures\b", ["makes", "produces"]),
    (r"\bmanufacture\b", ["make", "produce"]),
    (r"\bobtain\b", ["get", "secure"]),
    (r"\bassist\b", ["help"]),
    (r"\bassists\b", ["helps"]),
    (r"\bin addition to\b", ["besides", "along with"]),
    (r"\bapproximate\b", ["rough"]),
    (r"\bcurrently\b", [""]),
    (r"\bpresently\b", [""]),
    (r"\bas well as\b", ["and", "along with"]),
    (r"\bindividuals\b", ["people"]),
    (r"\bacquired\b", ["bought", "purchased"]),
    (r"\bemploys\b", ["has"]),
    (r"\boperates\b", ["runs"]),
    (r"\bfacilities\b", ["sites", "facilities"]),
    (r"\bdesigns\b", ["develops", "designs"]),
    (r"\bworldwide\b", ["around the world", "globally"]),
    (r"\bcomplete\b", ["full"]),
    (r"\bmajority\b", ["bulk"]),
]
LEADING = [
    r"^In addition,\s*",
    r"^Additionally,\s*",
    r"^Furthermore,\s*",
    r"^Moreover,\s*",
    r"^Also,\s*",
    r"^As a result,\s*",
]


def paraphrase(sentence: str, rng: random.Random, strength: float = 0.6) -> str:
    out = sentence
    for pattern, repl in PRONOUNS:
        out = re.sub(pattern, repl, out)
    for pattern in LEADING:
        out = re.sub(pattern, "", out)
    for pattern, options in SYNONYMS:
        if rng.random() > strength:
            continue
        if options is None:
            out = re.sub(pattern, lambda m: "us" + m.group(1), out)
        else:
            out = re.sub(pattern, rng.choice(options), out)
    if rng.random() < 0.7:  # parentheticals without numbers ("(the "Company")", "(SMS)")
        out = re.sub(r"\s*\((?![^)]*\d)[^)]{1,80}\)", "", out)
    if rng.random() < 0.5:
        out = move_fronted_phrase(out)
    if rng.random() < 0.25:
        out = to_passive(out)
    return tidy(out)


def move_fronted_phrase(s: str) -> str:
    """ "In 2017, the company did X." → "The company did X in 2017." (fronted phrases up to a comma)."""
    m = re.match(
        r"^((?:In|During|Through|Since|As of|At|Under|With|For|Outside|Within) [^,]{3,60}),\s+(.+?)([.!?])$", s
    )
    if not m:
        return s
    head, rest, end = m.groups()
    return f"{cap(rest)} {head[0].lower() + head[1:]}{end}"


_PP = {
    "sells": "sold",
    "markets": "marketed",
    "distributes": "distributed",
    "offers": "offered",
    "provides": "provided",
    "manufactures": "manufactured",
    "develops": "developed",
    "produces": "produced",
    "makes": "made",
    "owns": "owned",
    "operates": "operated",
    "designs": "designed",
    "licenses": "licensed",
    "supplies": "supplied",
    "serves": "served",
}


def to_passive(s: str) -> str:
    m = re.match(
        r"^(The company|It) ("
        + "|".join(_PP)
        + r") (its |their |a |an |the )?([^,;]{3,80}?) (to|through|in|for|under|from|at|with) (.+)$",
        s,
    )
    if not m:
        return s
    _subj, verb, det, obj, prep, rest = m.groups()
    det = (det or "").replace("its ", "the company's ").replace("their ", "the company's ")
    be = "are" if obj.split()[-1].endswith("s") and not obj.split()[-1].endswith("ss") else "is"
    return f"{cap(det + obj)} {be} {_PP[verb]} by the company {prep} {rest}"


# numbers

_NUMW = {
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
    10: "ten",
    11: "eleven",
    12: "twelve",
    15: "fifteen",
    20: "twenty",
}
_MONEY = re.compile(r"\$\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?(?:million|billion|thousand))?")
_PCT = re.compile(r"(\d+(?:\.\d+)?)(\s?%|\s?percent\b|\s?per cent\b)")
_COUNT = re.compile(r"(?<![\w.$,])(\d{1,3}(?:,\d{3})+|\d+)(?![\w%,.]\d|\d|\s?%|\s?percent)(?=\s+[a-z])")
_YEAR = re.compile(r"(?<![\w$.,])(19[5-9]\d|20[0-3]\d)(?![\w%,.]\d|\d)")
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def _money_value(m: re.Match) -> float:
    v = float(m.group(1).replace(",", ""))
    return v * _SCALE.get((m.group(2) or "").strip(), 1.0)


def _fmt_money(v: float, rng: random.Random) -> str:
    if v >= 1e9:
        return f"${v / 1e9:.1f} billion".replace(".0 ", " ")
    if v >= 1e6:
        return f"${v / 1e6:.0f} million" if v >= 1e7 else f"${v / 1e6:.1f} million".replace(".0 ", " ")
    return f"${v:,.0f}"


def restate_numbers(s: str, rng: random.Random) -> str | None:
    """A faithful restatement of one number of the sentence (or of a list as its count)."""
    options = []
    for m in _MONEY.finditer(s):
        v = _money_value(m)
        if v >= 1e6:
            new = _fmt_money(v, rng)
            if new.replace("$", "") not in m.group(0):
                prefix = rng.choice(["about ", "roughly ", "approximately ", ""]) if new != m.group(0) else ""
                options.append((m.start(), m.end(), prefix + new))
    for m in _PCT.finditer(s):
        v = float(m.group(1))
        words = None
        for lo, hi, w in (
            (24, 26, "about a quarter"),
            (32, 35, "about a third"),
            (49, 51, "about half"),
            (65, 68, "about two-thirds"),
            (74, 76, "about three quarters"),
            (9, 11, "about a tenth"),
            (19, 21, "about a fifth"),
        ):
            if lo <= v <= hi:
                words = w
        if words:
            options.append(
                (
                    m.start(),
                    m.end() + (len(" of") if s[m.end() : m.end() + 3] == " of" else 0),
                    words + (" of" if s[m.end() : m.end() + 3] == " of" else ""),
                )
            )
        alt = (
            f"{round(v)}%"
            if "." in m.group(1)
            else (f"{m.group(1)} percent" if "%" in m.group(2) else f"{m.group(1)}%")
        )
        options.append((m.start(), m.end(), ("about " if "." in m.group(1) else "") + alt))
    for m in _COUNT.finditer(s):
        raw = m.group(1)
        if _YEAR.fullmatch(raw):
            continue
        v = int(raw.replace(",", ""))
        if v in _NUMW:
            options.append((m.start(), m.end(), _NUMW[v]))
        elif v >= 1000:
            digits = len(str(v)) - 2  # two significant digits
            rounded = int(round(v, -digits))
            floor = v // 10**digits * 10**digits
            if rounded != v:
                options.append((m.start(), m.end(), f"about {rounded:,}"))
            if floor != v:
                options.append((m.start(), m.end(), f"more than {floor:,}"))
    for word, n in ((w, n) for n, w in _NUMW.items()):
        for m in re.finditer(rf"\b{word}\b", s):
            options.append((m.start(), m.end(), str(n)))
    lst = re.search(
        r"\b([a-z]+s)(?: such as| including|:|, including| in| include)? ((?:[A-Z][\w&'\-]*(?: [A-Z][\w&'\-]*){0,3}, ){1,6}(?:and |or )[A-Z][\w&'\-]*(?: [A-Z][\w&'\-]*){0,3})",
        s,
    )
    if lst:
        count = lst.group(2).count(",") + 1
        noun = lst.group(1)
        if count in _NUMW and noun in (
            "segments",
            "countries",
            "states",
            "brands",
            "divisions",
            "markets",
            "regions",
            "groups",
            "businesses",
            "categories",
            "subsidiaries",
            "units",
        ):
            options.append((lst.start(), lst.end(), f"{_NUMW[count]} {noun}"))
    if not options:
        return None
    a, b, new = rng.choice(options)
    head = s[:a]
    if re.search(r"\b(approximately|about|around|roughly|nearly|over|more than|almost)\s*\$?$", head, re.IGNORECASE):
        new = re.sub(r"^(about|roughly|approximately|more than) ", "", new)
    return tidy(head + new + s[b:])


def change_number(s: str, pool: dict[str, list[str]], rng: random.Random) -> tuple[str, str, str] | None:
    """(claim, kind, new text): a money / pct / count / year value replaced, from the same filing when possible."""
    found = []
    for m in _MONEY.finditer(s):
        found.append(("neg_number", m.start(), m.end(), m.group(0), "money"))
    for m in _PCT.finditer(s):
        found.append(("neg_pct", m.start(), m.end(), m.group(0), "pct"))
    for m in _COUNT.finditer(s):
        if not _YEAR.fullmatch(m.group(1)) and int(m.group(1).replace(",", "")) >= 2:
            found.append(("neg_number", m.start(), m.end(), m.group(0), "count"))
    for m in _YEAR.finditer(s):
        found.append(("neg_year", m.start(), m.end(), m.group(0), "year"))
    if not found:
        return None
    kind, a, b, old, typ = rng.choice(found)
    others = [x for x in pool.get(typ, []) if _num_key(x) != _num_key(old)]
    if typ == "money" and rng.random() < 0.35:
        m = _MONEY.fullmatch(old)
        if m and m.group(2):
            scale = m.group(2).strip()
            alt = {"million": "billion", "billion": "million", "thousand": "million"}[scale]
            return tidy(s[:a] + old.replace(scale, alt) + s[b:]), "neg_scale", old.replace(scale, alt)
    if others and rng.random() < 0.6:
        new = rng.choice(others)
    elif typ == "year":
        new = str(int(old) + rng.choice([-3, -2, -1, 1, 2, 3]))
    else:
        digits = re.search(r"\d[\d,]*(?:\.\d+)?", old)
        if not digits:
            return None
        raw = digits.group(0)
        value = float(raw.replace(",", ""))
        factor = rng.choice([0.5, 0.7, 1.3, 1.5, 2.0, 3.0])
        nv = value * factor
        if "." in raw:
            nd = f"{nv:.{len(raw.split('.')[1])}f}"
        else:
            nd = f"{round(nv):,}" if "," in raw else str(round(nv))
        if nd == raw:
            return None
        new = old.replace(raw, nd)
    return tidy(s[:a] + new + s[b:]), kind, new


def _num_key(x: str) -> str:
    return re.sub(r"[^\d.]", "", x)


# entity swaps

OUTSIDE_NAMES = [
    "Honeywell",
    "Samsung",
    "Morgan Stanley",
    "Canada",
    "Mexico",
    "Germany",
    "Japan",
    "India",
    "Texas",
    "Ohio",
    "Chicago",
    "Dallas",
    "Pfizer",
    "General Electric",
    "Intel",
    "Sony",
    "Walgreens",
    "Costco",
    "FedEx",
    "Boeing",
    "Merck",
    "Caterpillar",
    "Microsoft",
    "IBM",
    "Cisco",
    "Verizon",
    "Lockheed Martin",
    "Target",
    "Kroger",
    "PepsiCo",
    "New York Stock Exchange",
    "NASDAQ",
    "European Union",
    "China",
    "France",
    "Italy",
    "Australia",
    "Florida",
    "California",
    "Atlanta",
    "Seattle",
    "Boston",
    "Medicare",
    "Department of Defense",
    "Federal Reserve",
]
PLACES = frozenset(
    {
        "canada",
        "mexico",
        "germany",
        "japan",
        "india",
        "texas",
        "ohio",
        "chicago",
        "dallas",
        "china",
        "france",
        "italy",
        "australia",
        "florida",
        "california",
        "atlanta",
        "seattle",
        "boston",
        "europe",
        "asia",
        "africa",
        "united states",
        "united kingdom",
        "new york",
        "london",
        "brazil",
        "virginia",
        "georgia",
        "illinois",
        "michigan",
        "arizona",
        "colorado",
        "oregon",
        "washington",
        "minnesota",
        "tennessee",
        "kentucky",
        "missouri",
        "pennsylvania",
        "north america",
        "latin america",
        "south america",
        "middle east",
        "ireland",
        "netherlands",
        "switzerland",
        "korea",
        "singapore",
        "taiwan",
        "israel",
        "spain",
        "massachusetts",
        "new jersey",
        "north carolina",
        "utah",
        "asia pacific",
        "emea",
        "americas",
        "san francisco",
        "los angeles",
        "houston",
        "denver",
        "phoenix",
        "arkansas",
    }
)


def _is_place(name: str) -> bool:
    return name.lower() in PLACES


def swap_entity(
    s: str, doc_names: list[str], outside: list[str], chunk_text: str, rng: random.Random, inside: bool
) -> tuple[str, str] | None:
    names = [n for n in names_of(s) if n in s and "." not in n and not re.search(r"\b(The|And|Of)$", n)]
    if not names:
        return None
    target = rng.choice(names)
    place = _is_place(target)
    pool = doc_names if inside else outside
    low_chunk = chunk_text.lower()
    options = [
        p
        for p in pool
        if p.lower() not in low_chunk
        and target.lower() not in p.lower()
        and p.lower() not in target.lower()
        and _is_place(p) == place
    ]
    if not options:
        return None
    new = rng.choice(options)
    return s.replace(target, new, 1), new


# negation, direction, modality

NEGATE = [
    (r"\b(is|are|was|were)\b(?! not)(?! also)", r"\1 not"),
    (r"\b(has|have)\b(?! not| been| also)", "does not have"),
    (r"\bcan\b", "cannot"),
    (r"\bwill\b(?! not)", "will not"),
    (
        r"\b(offers|provides|sells|operates|serves|owns|markets|distributes|generates|develops|manufactures|uses|relies|holds|includes|derives|leases|competes|employs|designs|produces)\b",
        lambda m: "does not " + _base(m.group(1)),
    ),
    (
        r"\b(offer|provide|sell|operate|serve|own|market|distribute|generate|develop|manufacture|use|rely|hold|include|derive|lease|compete|employ|design|produce)\b(?=\s)",
        lambda m: "do not " + m.group(1),
    ),
]
UNNEGATE = [
    (r"\bdoes not (\w+)", lambda m: _third(m.group(1))),
    (r"\bdo not (\w+)", r"\1"),
    (r"\b(is|are|was|were) not\b", r"\1"),
    (r"\bno longer\b", "still"),
    (r"\bnot\b ", ""),
    (r"\bnever\b", "always"),
    (r"\bNo\b", "One"),
    (r"\bwithout\b", "with"),
]


def _base(verb: str) -> str:
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("sses", "shes", "ches", "xes")):
        return verb[:-2]
    return verb[:-1] if verb.endswith("s") else verb


def _third(verb: str) -> str:
    if verb.endswith("y") and verb[-2:-1] not in "aeiou":
        return verb[:-1] + "ies"
    if verb.endswith(("s", "sh", "ch", "x")):
        return verb + "es"
    if verb == "have":
        return "has"
    return verb + "s"


def negate(s: str, rng: random.Random) -> str | None:
    if re.search(r"\b(not|no longer|never|without)\b|n't\b|\bNo\b", s) and rng.random() < 0.7:
        for pattern, repl in UNNEGATE:
            new = re.sub(pattern, repl, s, count=1)
            if new != s:
                return tidy(new)
    for pattern, repl in NEGATE:
        new = re.sub(pattern, repl, s, count=1)
        if new != s:
            return tidy(new)
    return None


DIRECTION = [
    ("increased", "decreased"),
    ("increase", "decrease"),
    ("increases", "decreases"),
    ("increasing", "decreasing"),
    ("grew", "declined"),
    ("growth", "decline"),
    ("growing", "shrinking"),
    ("more than", "less than"),
    ("over", "under"),
    ("higher", "lower"),
    ("rose", "fell"),
    ("expanded", "reduced"),
    ("expand", "reduce"),
    ("largest", "smallest"),
    ("majority", "minority"),
    ("above", "below"),
    ("gains", "losses"),
    ("improved", "worsened"),
    ("strengthened", "weakened"),
    ("exceeds", "falls short of"),
    ("acquired", "sold"),
    ("acquire", "divest"),
    ("maximum", "minimum"),
    ("most", "least"),
    ("leading", "minor"),
    ("first", "last"),
    ("long-term", "short-term"),
    ("upward", "downward"),
    ("profit", "loss"),
    ("before", "after"),
    ("at least", "at most"),
    ("buys", "sells"),
    ("purchased", "sold"),
]


def flip_direction(s: str, rng: random.Random) -> tuple[str, str] | None:
    pairs = DIRECTION[:]
    rng.shuffle(pairs)
    for a, b in pairs:
        for x, y in ((a, b), (b, a)):
            m = re.search(rf"\b{re.escape(x)}\b", s)
            if m:
                return tidy(s[: m.start()] + y + s[m.end() :]), y
    return None


MODALITY = [
    (r"\bmay\b", ["will", "is certain to"]),
    (r"\bmight\b", ["will"]),
    (r"\bcould\b", ["will", "does"]),
    (r"\b(plans|intends|expects|hopes|aims|seeks|anticipates) to\b", ["has already begun to", "has already moved to"]),
    (r"\b(plan|intend|expect|hope|aim|seek|anticipate) to\b", ["have already begun to"]),
    (r"\bwould\b", ["will"]),
    (r"\bpotential\b", ["confirmed"]),
    (r"\bproposed\b", ["completed"]),
    (r"\bpending\b", ["completed"]),
    (r"\bbelieves\b", ["has shown"]),
    (r"\bis developing\b", ["has launched"]),
    (r"\bare developing\b", ["have launched"]),
    (r"\bis subject to\b", ["is exempt from"]),
    (r"\bgenerally\b", ["always"]),
    (r"\btypically\b", ["always"]),
    (r"\bsome\b", ["all"]),
    (r"\bcertain\b", ["all"]),
    (r"\bmany\b", ["all"]),
    (r"\boften\b", ["always"]),
]


def change_modality(s: str, rng: random.Random) -> tuple[str, str] | None:
    opts = [(p, r) for p, r in MODALITY if re.search(p, s)]
    if not opts:
        return None
    pattern, repl = rng.choice(opts)
    new = rng.choice(repl)
    return tidy(re.sub(pattern, new, s, count=1)), new


# focus-area swaps: groups of interchangeable terms

AREA_SWAPS = [
    ["subscription", "license", "advertising", "transaction", "maintenance", "royalty", "consulting"],
    ["subscriptions", "licenses", "advertising", "royalties", "services", "hardware"],
    ["directly", "through resellers", "through distributors", "through retailers", "through wholesalers"],
    ["direct sales force", "reseller network", "distributor network", "dealer network"],
    ["resellers", "distributors", "retailers", "wholesalers", "dealers", "sales agents"],
    ["consumers", "enterprises", "small businesses", "government agencies", "hospitals", "manufacturers"],
    ["consumer", "enterprise", "government", "commercial", "industrial", "institutional", "residential"],
    ["debt", "equity"],
    ["loans", "equity offerings"],
    ["borrowings", "stock issuances"],
    ["credit facility", "equity offering", "commercial paper program", "convertible notes"],
    ["fixed-rate", "variable-rate"],
    ["secured", "unsecured"],
    ["domestic", "international", "foreign"],
    ["owned", "leased"],
    ["owns", "leases"],
    ["wholesale", "retail"],
    ["generic", "branded"],
    ["prescription", "over-the-counter"],
    ["online", "in-store"],
    ["exclusive", "non-exclusive"],
    ["hardware", "software"],
    ["products", "services"],
    ["deposits", "borrowings"],
    ["mortgage", "consumer"],
    ["patents", "trademarks"],
    ["employees", "contractors"],
    ["suppliers", "customers"],
]


def area_swap(s: str, chunk_text: str, rng: random.Random) -> tuple[str, str] | None:
    low_chunk = chunk_text.lower()
    groups = AREA_SWAPS[:]
    rng.shuffle(groups)
    for group in groups:
        present = [t for t in group if re.search(rf"\b{re.escape(t)}\b", s, re.IGNORECASE)]
        if not present:
            continue
        t = rng.choice(present)
        options = [u for u in group if u != t and not re.search(rf"\b{re.escape(u)}\b", low_chunk)]
        if not options:
            continue
        u = rng.choice(options)
        m = re.search(rf"\b{re.escape(t)}\b", s, re.IGNORECASE)
        assert m
        rep = cap(u) if m.group(0)[0].isupper() else u
        return tidy(s[: m.start()] + rep + s[m.end() :]), u
    return None


# invented statements: focus-area templates and terms (TRAIN bank; evaluate.py has a disjoint one)

TEMPLATES = {
    "distribution_channels": (
        [
            "The company sells its products through {x}.",
            "Its products reach customers through {x}.",
            "Distribution is handled through {x}.",
            "The company relies on {x} to sell its offerings.",
            "It markets its services through {x}.",
        ],
        [
            ("a direct sales force", r"direct sales"),
            ("independent sales representatives", r"sales representatives"),
            ("value-added resellers", r"resellers"),
            ("wholesale distributors", r"wholesale|distributors"),
            ("its own retail stores", r"retail stores|own stores"),
            ("online marketplaces", r"marketplaces?"),
            ("mail-order catalogs", r"catalog"),
            ("door-to-door sales agents", r"door-to-door"),
            ("television shopping networks", r"television shopping"),
            ("exclusive dealers", r"dealers"),
            ("telemarketing", r"telemarketing"),
            ("system integrators", r"integrators"),
            ("pharmacies", r"pharmac"),
            ("supermarket chains", r"supermarket|grocery"),
            ("original equipment manufacturers", r"original equipment|OEM"),
        ],
        r"\b(sell|sold|sales|distribut|market|through|channel|reach)",
    ),
    "customer_base": (
        [
            "The company's customers are {x}.",
            "It serves {x}.",
            "Its main clients are {x}.",
            "The business targets {x}.",
            "Its offerings are aimed at {x}.",
        ],
        [
            ("individual consumers", r"consumers"),
            ("large enterprises", r"enterprises"),
            ("small and medium-sized businesses", r"small (and medium|business)"),
            ("government agencies", r"government agenc"),
            ("hospitals", r"hospitals"),
            ("universities", r"universit"),
            ("farmers", r"farmers"),
            ("airlines", r"airlines"),
            ("electric utilities", r"utilities"),
            ("automotive manufacturers", r"automotive"),
            ("retail chains", r"retail"),
            ("homebuilders", r"homebuilder"),
            ("banks", r"\bbanks"),
            ("insurance companies", r"insurance compan|insurers"),
            ("physicians", r"physicians"),
            ("teenagers", r"teen"),
            ("military customers", r"military"),
            ("oil and gas producers", r"oil and gas"),
        ],
        r"\b(customer|client|serve|user|consumer|patient|market)",
    ),
    "sources_of_revenue": (
        [
            "The company generates revenue from {x}.",
            "Its revenue comes from {x}.",
            "The company earns income through {x}.",
            "Revenue is derived from {x}.",
            "It makes money through {x}.",
        ],
        [
            ("subscription fees", r"subscription"),
            ("software license fees", r"licens"),
            ("advertising", r"advertis"),
            ("transaction fees", r"transaction fee|transaction revenue"),
            ("maintenance contracts", r"maintenance"),
            ("royalties", r"royalt"),
            ("consulting services", r"consulting"),
            ("hardware sales", r"hardware"),
            ("interest income", r"interest income"),
            ("rental income", r"rental|rent"),
            ("commissions", r"commission"),
            ("membership fees", r"membership"),
            ("service contracts", r"service contracts"),
            ("government grants", r"grant"),
            ("usage-based fees", r"usage"),
        ],
        r"\b(revenue|fees|income|sales|earn|derive|generate)",
    ),
    "financing": (
        [
            "The company finances its operations through {x}.",
            "It relies on {x} to fund its growth.",
            "The company raised capital through {x}.",
            "Its operations are funded by {x}.",
            "It uses {x} to finance acquisitions.",
        ],
        [
            ("a revolving credit facility", r"revolving|credit facilit"),
            ("the issuance of common stock", r"issu\w* (of )?(common )?stock|equity offering|public offering"),
            ("convertible notes", r"convertible"),
            ("commercial paper", r"commercial paper"),
            ("cash generated from operations", r"cash (flows? )?(generated )?from operations"),
            ("a term loan", r"term loan"),
            ("customer deposits", r"deposits"),
            ("public bond offerings", r"bonds?|debentures"),
            ("private equity investments", r"private equity"),
            ("government grants", r"grant"),
            ("sale-leaseback transactions", r"leaseback"),
            ("a secured line of credit", r"line of credit"),
            ("preferred stock", r"preferred stock"),
            ("senior notes", r"senior notes"),
        ],
        r"\b(financ|fund|borrow|credit|debt|equity|capital|notes|loan|liquidity)",
    ),
}
GENERIC_CLAIMS = [
    ("The company has no significant competitors in its markets.", r"competit"),
    (
        "The company outsources all of its manufacturing to third parties.",
        r"outsourc|contract manufactur|third-party manufactur",
    ),
    ("Its business is highly seasonal, with most sales in the winter.", r"seasonal"),
    ("The company operates a single production facility.", r"facilit|plant"),
    ("The company has been profitable every year since its founding.", r"profitab"),
    ("Its products are sold only in its home country.", r"international|foreign|countries"),
    ("The company depends on one supplier for all of its raw materials.", r"supplier|raw material"),
    ("The company's employees are represented by a labor union.", r"union|collective bargaining"),
    ("The company pays a quarterly dividend to shareholders.", r"dividend"),
    ("The company recently completed a major restructuring of its operations.", r"restructur"),
    ("It holds no patents on its core technology.", r"patent"),
    ("The company is the market leader in its industry.", r"leader|leading"),
    ("Its largest customer accounts for most of its sales.", r"largest customer|significant customer|single customer"),
    ("The company is planning to go private.", r"going private|take private"),
    ("The company plans to spin off its largest division.", r"spin"),
    ("Its research and development is performed entirely by universities.", r"research and development|universit"),
    ("The company sells exclusively to government customers.", r"government"),
    ("The company's products are manufactured entirely by hand.", r"manufactur"),
    ("The company operates only in rural areas.", r"rural"),
    ("The company offers free lifetime warranties on all its products.", r"warrant"),
]


def fill_templates(rng: random.Random, doc_low: str, unit_texts: list[str]) -> list[tuple[str, int, str, int | None]]:
    """(claim, label, area, gold unit) pairs from the area templates: terms the filing uses in the area's
    context → 1 (gold = that sentence), terms absent from the filing → 0."""
    out: list[tuple[str, int, str, int | None]] = []
    for area, (frames, terms, cue) in TEMPLATES.items():
        cue_re = re.compile(cue, re.IGNORECASE)
        for text, key in terms:
            key_re = re.compile(key, re.IGNORECASE)
            hits = [
                i
                for i, u in enumerate(unit_texts)
                if key_re.search(u)
                and cue_re.search(u)
                and not re.search(r"\b(not|no|never|nor|neither)\b", u, re.IGNORECASE)
                and len(u.split()) <= 70
            ]
            if hits:
                i = rng.choice(hits)
                # positive: the term the filing uses (its own wording from the sentence)
                m = key_re.search(unit_texts[i])
                assert m
                term = _np_around(unit_texts[i], m.start(), m.end()) or text
                out.append((rng.choice(frames).format(x=term), 1, area, i))
            elif not key_re.search(doc_low):
                out.append((rng.choice(frames).format(x=text), 0, area, None))
    return out


def _np_around(sentence: str, a: int, b: int) -> str | None:
    """The few words around a matched term (a short noun phrase ending at a word boundary)."""
    left = sentence[:a].split()[-2:]
    right = re.split(r"[,.;:()]", sentence[b:], maxsplit=1)[0].split()[:2]
    words = (
        [w for w in left if w.lower() not in STOP or w.lower() in ("and",)]
        + [sentence[a:b] + (right[0] if right and not sentence[b : b + 1].isspace() else "")]
        + (right[1:] if right and not sentence[b : b + 1].isspace() else right)
    )
    phrase = " ".join(words).strip(" ,;:.()")
    phrase = re.sub(r"^(and|or|of|to|through|with|by|the)\s+", "", phrase, flags=re.IGNORECASE)
    phrase = re.sub(r"\s+(and|or|of|to|the|a|an|such|as|is|are|in)$", "", phrase, flags=re.IGNORECASE)
    if len(phrase.split()) < 1 or len(phrase) > 60:
        return None
    return phrase.lower() if not re.search(r"[A-Z]{2}", phrase) else phrase


# ---------------------------------------------------------------------------------------------
# one filing


@dataclass
class Pair:
    company: str
    doc_id: str
    source_passage: str
    claim: str
    label: int
    kind: str
    group: str  # '10k' or the benchmark set


def pairs_for_filing(
    company: str,
    doc_id: str,
    text: str,
    budget: int,
    other_sentences: list[str],
    outside_names: list[str],
    ck,
    rng: random.Random,
) -> list[Pair]:
    doc = ck.document(text)
    units = doc.units
    info = [i for i, u in enumerate(units) if informative(u)]
    if len(info) < 10:
        return []
    doc_low = text.lower()
    doc_names = good_names(text)
    pool: dict[str, list[str]] = defaultdict(list)
    for i in info:
        u = units[i]
        pool["money"] += [m.group(0) for m in _MONEY.finditer(u)]
        pool["pct"] += [m.group(0) for m in _PCT.finditer(u)]
        pool["year"] += [m.group(0) for m in _YEAR.finditer(u)]
        pool["count"] += [m.group(0) for m in _COUNT.finditer(u) if not _YEAR.fullmatch(m.group(1))]

    # quotas (fractions of the budget)
    quotas = {
        "pos_extract": 0.10,
        "pos_paraphrase": 0.13,
        "pos_fusion": 0.05,
        "pos_subclause": 0.05,
        "pos_number": 0.06,
        "pos_template": 0.05,
        "neg_number": 0.07,
        "neg_entity_in": 0.04,
        "neg_entity_out": 0.03,
        "neg_negation": 0.06,
        "neg_direction": 0.05,
        "neg_modality": 0.04,
        "neg_area_swap": 0.05,
        "neg_invented": 0.07,
        "neg_generic": 0.015,
        "neg_stitched": 0.04,
        "neg_offtarget": 0.04,
    }
    want = {k: max(1, round(v * budget)) for k, v in quotas.items()}
    got: Counter = Counter()
    # (claim, label, kind, gold units or None, replaced marker or None)
    items: list[tuple[str, int, str, tuple[int, ...] | None, str | None]] = []

    def add(claim: str | None, label: int, kind: str, gold: tuple[int, ...] | None, marker: str | None = None) -> None:
        if not claim or len(claim.split()) < 4:
            return
        kind_key = kind if kind in want else ("neg_number" if kind in ("neg_year", "neg_pct", "neg_scale") else kind)
        if got[kind_key] >= want.get(kind_key, 0):
            return
        got[kind_key] += 1
        items.append((claim, label, kind, gold, marker))

    def sentence_kind(kind: str, i: int) -> tuple[str, int, str, tuple[int, ...], str | None] | None:
        s = units[i]
        base = paraphrase(s, rng) if rng.random() < 0.6 else s
        chunk_text = ck.chunk(doc, (i,)).text
        if kind == "pos_extract":
            return (s if rng.random() < 0.7 else paraphrase(s, rng, 0.0)), 1, kind, (i,), None
        if kind == "pos_paraphrase":
            para = paraphrase(s, rng, 0.8)
            return (para, 1, kind, (i,), None) if para != s else None
        if kind == "pos_fusion":
            j = i + 1 if rng.random() < 0.7 else i + 2
            if j < len(units) and informative(units[j]) and len(s.split()) + len(units[j].split()) < 55:
                joiner = rng.choice(["; ", ", and ", ". ", ", while "])
                a = paraphrase(s, rng, 0.3).rstrip(".")
                b = paraphrase(units[j], rng, 0.3)
                return tidy(a + joiner + (decap(b) if joiner != ". " else b)), 1, kind, (i, j), None
            return None
        if kind == "pos_subclause":
            parts = [
                p.strip(" ,;")
                for p in re.split(r";\s+|,\s+(?:and|while|but|which)\s+|\s+--\s+", s)
                if len(p.split()) >= 6
            ]
            if len(parts) >= 2:
                part = rng.choice(parts[:1] * 2 + parts[1:])
                return tidy(paraphrase(part, rng, 0.3).rstrip(".") + "."), 1, kind, (i,), None
            return None
        if kind == "pos_number":
            out = restate_numbers(base, rng)
            return (out, 1, kind, (i,), None) if out and out != base else None
        if kind == "neg_number":
            ch = change_number(base, pool, rng)
            return (ch[0], 0, ch[1], (i,), ch[2]) if ch and ch[2] not in chunk_text else None
        if kind in ("neg_entity_in", "neg_entity_out"):
            sw = swap_entity(base, doc_names, outside_names, chunk_text, rng, kind == "neg_entity_in")
            return (tidy(sw[0]), 0, kind, (i,), sw[1]) if sw else None
        if kind == "neg_negation":
            out = negate(base, rng)
            return (out, 0, kind, (i,), None) if out else None
        if kind == "neg_direction":
            fl = flip_direction(base, rng)
            return (fl[0], 0, kind, (i,), fl[1]) if fl else None
        if kind == "neg_modality":
            md = change_modality(base, rng)
            return (md[0], 0, kind, (i,), md[1]) if md else None
        if kind == "neg_area_swap":
            sw2 = area_swap(base, chunk_text, rng)
            return (sw2[0], 0, kind, (i,), sw2[1]) if sw2 else None
        if kind == "neg_offtarget":
            return base, 0, kind, (i,), None  # paired below with a retrieved chunk that lacks it
        raise ValueError(kind)

    sentence_kinds = [k for k in quotas if k not in ("pos_template", "neg_invented", "neg_generic", "neg_stitched")]
    order = info[:]
    for _ in range(10):  # passes over the sentences; each sentence tries kinds whose quota is open
        rng.shuffle(order)
        for i in order:
            open_kinds = [k for k in sentence_kinds if got[k] < want[k]]
            if not open_kinds:
                break
            weights = [want[k] - got[k] for k in open_kinds]
            for _try in range(3):
                kind = rng.choices(open_kinds, weights)[0]
                made = sentence_kind(kind, i)
                if made:
                    add(made[0], made[1], made[2], made[3], made[4])
                    break
    # templates (both labels) and invented generic statements
    for claim, label, _area, gold in fill_templates(rng, doc_low, units):
        if label == 1:
            add(claim, 1, "pos_template", (gold,) if gold is not None else None)
        else:
            add(claim, 0, "neg_invented", None)
    for _ in range(3):  # a second fill with other frames / terms
        for claim, label, _area, gold in fill_templates(rng, doc_low, units):
            if label == 1:
                add(claim, 1, "pos_template", (gold,) if gold is not None else None)
            else:
                add(claim, 0, "neg_invented", None)
    generic = GENERIC_CLAIMS[:]
    rng.shuffle(generic)
    for claim, key in generic:
        if not re.search(key, doc_low):
            add(claim, 0, "neg_generic", None)
    stitched = other_sentences[:]
    rng.shuffle(stitched)
    for s in stitched[: 6 * want["neg_stitched"]]:
        add(paraphrase(s, rng, 0.3), 0, "neg_stitched", None)

    # passages
    claims = [c for c, *_ in items]
    emb = embed(claims)
    cands = ck.candidates(doc, claims, k=5, claim_embeddings=emb, covering=False)
    pairs: list[Pair] = []
    for (claim, label, kind, gold, marker), chunks in zip(items, cands):
        if kind == "neg_offtarget":
            assert gold is not None
            off = [c for c in chunks[1:] if not c.holds(gold[0]) and support_share(claim, c.text) < 0.6]
            if off:
                pairs.append(Pair(company, doc_id, off[0].text, claim, 0, kind, "10k"))
            continue
        if gold is None:  # invented / stitched: the top retrieved chunk (and sometimes the second)
            for c in chunks[: 1 + (rng.random() < 0.3)]:
                if kind == "neg_stitched" and (c.retrieval > 0.8 or support_share(claim, c.text) >= 0.7):
                    break
                pairs.append(Pair(company, doc_id, c.text, claim, label, kind, "10k"))
            continue
        holding = [c for c in chunks if all(c.holds(g) for g in gold)]
        chunk = holding[0] if holding else ck.chunk(doc, gold)
        if not all(chunk.holds(g) for g in gold):
            continue  # a fusion too long for one chunk
        if label == 0 and marker and marker.lower() in chunk.text.lower():
            continue  # the "wrong" value is in the passage after all
        pairs.append(Pair(company, doc_id, chunk.text, claim, label, kind, "10k"))
        # recipe 2: the same claim against the joined evidence of several units that holds the gold
        # unit(s) among others (what retrieval returns for merged claims): the verdict must not
        # change because unrelated sentences sit around the evidence
        joined = [c for c in holding if len(c.units) > 2 or (len(c.units) == 2 and c is not chunk)]
        if joined and rng.random() < 0.5 and not (label == 0 and marker and marker.lower() in joined[-1].text.lower()):
            pairs.append(Pair(company, doc_id, joined[-1].text, claim, label, kind + "_joined", "10k"))
        if label == 1 and kind in ("pos_extract", "pos_paraphrase") and rng.random() < 0.25:
            # the same true claim against an on-topic chunk that does not hold it
            off = [c for c in chunks if not any(c.holds(g) for g in gold) and support_share(claim, c.text) < 0.6]
            if off:
                pairs.append(Pair(company, doc_id, off[0].text, claim, 0, "neg_offtarget", "10k"))
    return pairs


def name_free_sentences(text: str, ck) -> list[str]:
    doc = ck.document(text)
    out = []
    for u in doc.units:
        if informative(u) and len(u.split()) <= 35 and not re.search(r"\d", u) and not names_of(u):
            out.append(u)
    return out


# ---------------------------------------------------------------------------------------------
# news benchmarks (dev-fit documents only)


def news_pairs(ck, rng: random.Random, max_per_set: int = 1500) -> list[Pair]:
    from bizsum.nlp.claims import split_claims

    rows: list[tuple[str, str, str, list[tuple[str, int]]]] = []  # (set, doc_key, document, [(claim, label)])
    for r in LOADERS["summac"]():
        if r["split"] != "dev" or not fit_doc(r["doc_key"]):
            continue
        claims = split_claims(r["summary"])
        if r["label"] == 1:
            rows.append((r["set"], r["doc_key"], r["document"], [(c, 1) for c in claims]))
        elif len(claims) == 1 or (r["set"] in ("summac_factcc", "summac_xsumfaith") and len(claims) <= 2):
            rows.append((r["set"], r["doc_key"], r["document"], [(r["summary"], 0)]))
    for r in LOADERS["frank"]():
        if r["split"] != "dev" or not fit_doc(r["doc_key"]):
            continue
        claims = split_claims(r["summary"])
        if r["factuality"] >= 0.999:
            rows.append((r["set"], r["doc_key"], r["document"], [(c, 1) for c in claims]))
        elif len(claims) == 1 and r["factuality"] <= 0.34:
            rows.append((r["set"], r["doc_key"], r["document"], [(r["summary"], 0)]))
    for r in LOADERS["qags"]():
        if r["split"] != "dev" or not fit_doc(r["doc_key"]):
            continue
        labelled = []
        for sent, sup in zip(r["summary_sentences"], r["sentence_support"]):
            if sup >= 0.66:
                labelled.append((sent, 1))
            elif sup <= 0.34:
                labelled.append((sent, 0))
        if labelled:
            rows.append((r["set"], r["doc_key"], r["document"], labelled))
    by_set: dict[str, list] = defaultdict(list)
    for row in rows:
        by_set[row[0]].append(row)
    out: list[Pair] = []
    for name in sorted(by_set):
        group = by_set[name]
        rng.shuffle(group)
        n_pairs = 0
        for set_name, doc_key, document, labelled in group:
            if n_pairs >= max_per_set:
                break
            doc = ck.document(document)
            claims = [c for c, _ in labelled]
            cands = ck.candidates(doc, claims, k=2, covering=False)
            for (claim, label), chunks in zip(labelled, cands):
                use = chunks[:1] if label == 1 else chunks[:2]
                for c in use:
                    out.append(
                        Pair(set_name, doc_key, c.text, claim, label, f"news_{'pos' if label else 'neg'}", set_name)
                    )
                    n_pairs += 1
        log.info("news %s: %d pairs from %d summaries", name, n_pairs, len(group))
    return out


# ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="/work/verifier_runs/pairs.jsonl")
    parser.add_argument("--per-company", type=int, default=PAIRS_PER_COMPANY)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-news", action="store_true")
    parser.add_argument("--max-filings", type=int, default=None, help="debug: only the first N filings")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("sentence_transformers", "transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    started = time.time()
    rng = random.Random(args.seed)
    ck = chunker()
    fit = filings("dev", "fit")
    if args.max_filings:
        fit = fit[: args.max_filings]
    texts = {doc_id: read_text(path) for _, doc_id, path in fit}
    per_company: Counter = Counter(c for c, _, _ in fit)
    # number- and name-free sentences of every fit company, for stitching into other companies' filings
    free: dict[str, list[str]] = defaultdict(list)
    for company, doc_id, _ in fit:
        free[company] += name_free_sentences(texts[doc_id], ck)
    all_names = sorted({n for t in texts.values() for n in good_names(t, 3)})
    pairs: list[Pair] = []
    for company, doc_id, _ in fit:
        budget = args.per_company // per_company[company]
        others = [s for c, lst in sorted(free.items()) if c != company for s in lst]
        outside = [
            n
            for n in OUTSIDE_NAMES + rng.sample(all_names, min(200, len(all_names)))
            if n.lower() not in texts[doc_id].lower()
        ]
        got = pairs_for_filing(
            company, doc_id, texts[doc_id], budget, others, outside, ck, random.Random(f"{args.seed}|{doc_id}")
        )
        pairs += got
        log.info("%s: %d pairs (%.0f s)", doc_id, len(got), time.time() - started)
    if not args.no_news:
        pairs += news_pairs(ck, random.Random(f"{args.seed}|news"))
    # deterministic order, then a seeded shuffle
    random.Random(args.seed).shuffle(pairs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as handle:
        for p in pairs:
            handle.write(json.dumps(p.__dict__, ensure_ascii=False) + "\n")
    kinds = Counter(p.kind for p in pairs)
    labels = Counter(p.label for p in pairs)
    stats = {
        "pairs": len(pairs),
        "labels": dict(labels),
        "kinds": dict(sorted(kinds.items())),
        "filings": len(fit),
        "companies": len(per_company),
        "seed": args.seed,
        "recipe_version": RECIPE_VERSION,
        "seconds": round(time.time() - started),
    }
    Path(args.out).with_suffix(".stats.json").write_text(json.dumps(stats, indent=1))
    print(json.dumps(stats, indent=1))


if __name__ == "__main__":
    main()
