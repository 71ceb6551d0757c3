"""PLACEHOLDER"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bizsum.documents import Document, DocumentStore  # noqa: E402
from bizsum.metrics.base import ScoringItem  # noqa: E402
from bizsum.text import split_sentences  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: five real filings from 2.5k to 11.2k o200k tokens; four have a reference summary, META does not
DOCS = ("PG_2025", "AMZN_2024", "AAPL_2024", "META_2024", "LIVEPERSON_2017")
SEED = "bizsum-scoring-bench-v1"
MAX_WORDS = 320

# ---------------------------------------------------------------------------------------------
# deterministic summaries: source sentences, lightly paraphrased, some with injected errors

_PARAPHRASES = [
    (r"\bWe\b", "The company"), (r"\bwe\b", "the company"), (r"\bOur\b", "Its"), (r"\bour\b", "its"),
    (r"\bus\b", "the company"), (r"\bapproximately\b", "about"), (r"\bApproximately\b", "About"),
    (r"\bprimarily\b", "mainly"), (r"\butiliz(e|es|ed|ing)\b", r"us\1"), (r"\bin order to\b", "to"),
    (r"\ba variety of\b", "various"), (r"\s*\((?![^)]*\d)[^)]{1,60}\)", ""),
]
_INVENTED = [
    "The company financed its expansion through a $420 million revolving credit facility with Barclays.",
    "Subscription fees account for 35% of the company's total revenue.",
    "The company's main customers are hospitals and universities in Norway.",
    "The company distributes its products mainly through a network of independent franchisees.",
    "Most of the company's growth has been financed by a term loan from HSBC.",
]
_FRAMES = [
    "The company describes its business model as follows.",
    "In short, the filing explains how the company earns money and whom it serves.",
    "The text gives few details on financing.",
]
_NUMBER = re.compile(r"(?<![\w.$])(\d{2,3})(?![\w.,]\d)")
_NAME = re.compile(r"\b([A-Z][a-z]{3,})\b")


def _paraphrase(sentence: str) -> str:
    out = sentence
    for pattern, repl in _PARAPHRASES:
        out = re.sub(pattern, repl, out)
    out = re.sub(r"\s{2,}", " ", out).strip()
    out = re.sub(r"\s+([,.;])", r"\1", out)
    return out[:1].upper() + out[1:]


def _perturb(sentence: str, rng: random.Random) -> str:
    match = _NUMBER.search(sentence)
    if match:
        value = int(match.group(1)) + rng.choice([3, 7, 11])
        return sentence[: match.start()] + str(value) + sentence[match.end():]
    names = _NAME.findall(sentence[1:])
    if names:
        return sentence.replace(rng.choice(names), rng.choice(["Oracle", "Siemens", "Toyota"]), 1)
    return sentence


def informative_sentences(text: str) -> list[str]:
    return [s for s in split_sentences(text) if 8 <= len(s.split()) <= 45 and re.search(r"[a-z]{3}", s)]


def make_summary(doc_id: str, sentences: list[str], index: int, variant: int = 0) -> str:
    """Summary ``index`` of a document (deterministic); ``variant`` > 0 makes a small variation."""
    rng = random.Random(f"{SEED}:{doc_id}:{index}")
    kind = index % 5
    k = rng.randint(6, 12)
    if kind == 3:  # lead-style: the first informative sentences
        chosen = sentences[:k]
    else:
        picks = sorted(rng.sample(range(len(sentences)), min(k, len(sentences))))
        chosen = [sentences[i] for i in picks]
    if kind in (1, 2, 3, 4):
        chosen = [_paraphrase(s) for s in chosen]
    if kind == 2:  # one changed number or name, one invented sentence
        j = rng.randrange(len(chosen))
        chosen[j] = _perturb(chosen[j], rng)
        chosen.insert(rng.randrange(len(chosen) + 1), rng.choice(_INVENTED))
    if kind == 4:  # reordered, with a framing sentence
        rng.shuffle(chosen)
        chosen.insert(0, rng.choice(_FRAMES))
    if variant:
        vrng = random.Random(f"{SEED}:{doc_id}:{index}:v{variant}")
        if len(chosen) > 3:
            del chosen[vrng.randrange(1, len(chosen))]
        j = vrng.randrange(len(chosen))
        chosen[j] = _perturb(chosen[j], vrng)
        if variant % 2:
            chosen.append(vrng.choice(_FRAMES))
    words: list[str] = []
    out: list[str] = []
    for sentence in chosen:
        if out and len(words) + len(sentence.split()) > MAX_WORDS:
            break
        out.append(sentence)
        words.extend(sentence.split())
    return " ".join(out)


def load_documents(data_dir: Path = ROOT / "data") -> list[tuple[Document, dict[str, str]]]:
    store = DocumentStore(data_dir)
    return [(store.load(doc_id), store.references(doc_id)) for doc_id in DOCS]


def build_items(per_doc: int = 20, variants: int = 1, data_dir: Path = ROOT / "data") -> list[ScoringItem]:
    """``per_doc`` summaries per document, each in ``variants`` versions (variant 0 = the base)."""
    items = []
    for document, references in load_documents(data_dir):
        sentences = informative_sentences(document.text)
        for variant in range(variants):
            for index in range(per_doc):
                summary = make_summary(document.id, sentences, index, variant)
                items.append(ScoringItem(summary=summary, document=document, references=references))
    return items
