"""Scoring speed: bizsum's metric suite vs a naive per-pair loop, measured in the same run.

Data: 5 real filings from ``data/documents`` (PG_2025, AMZN_2024, AAPL_2024, META_2024,
LIVEPERSON_2017: 2.5k–11.2k o200k tokens; all but META have ``data/references``), 20 summaries each
(100), built deterministically from source sentences: extractive, lightly paraphrased, lead-style,
reordered with a framing sentence, and paraphrased with a changed number/name plus an invented
sentence (see :func:`make_summary`).

* **bizsum**: ``run_metrics(items, [name])`` per metric with fresh metric instances and empty
  per-document caches (model loading is timed separately).
* **naive**: one pair at a time —
  ROUGE: a fresh ``rouge_score.rouge_scorer.RougeScorer`` per pair, source and summary split into
  lines (pysbd) and scored with ``score`` / ``score_multi``;
  BERTScore: one ``bert_score.BERTScorer`` (loaded once), per pair the source is chunked with the
  original sentence-by-sentence chunking code (copied below, re-tokenizing every sentence) and every
  chunk re-embedded with ``bert_score.utils.get_bert_embedding``, the summary too, then greedy
  matching over the pooled tokens (bizsum's definition); against references
  ``BERTScorer.score([summary] * n, refs)`` (best F1);
  other metrics: a fresh instance per pair, one item per ``score`` call.

Both sides start from empty caches: bizsum's metric instances are recreated and the module-level
caches of source_only / focus_coverage (source indexes, area plans, claim embeddings, see
``CACHES``) are emptied before each side; loaded models are kept, and model loading
is timed apart. The numbers
of both sides are compared: ROUGE must be identical, the others within ``--tolerance`` (BERTScore
differs from ``bert_score`` only by float32 noise from batch padding).

    python bench/speed/scoring_speed.py            # 100 summaries, full suite (~10-15 min on 2 cores)
    python bench/speed/scoring_speed.py --quick    # 20 summaries
    python bench/speed/scoring_speed.py --metrics rouge bertscore
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bizsum.corpus.documents import Document, DocumentStore
from bizsum.metrics.base import ScoringItem
from bizsum.nlp.text import split_sentences

log = logging.getLogger("bench.scoring_speed")

ROOT = Path(__file__).resolve().parents[2]
#: five real filings from 2.5k to 11.2k o200k tokens; four have a reference summary, META does not
DOCS = ("PG_2025", "AMZN_2024", "AAPL_2024", "META_2024", "LIVEPERSON_2017")
SEED = "bizsum-scoring-bench-v1"
MAX_WORDS = 320

# ---------------------------------------------------------------------------------------------
# deterministic summaries: source sentences, lightly paraphrased, some with injected errors

_PARAPHRASES = [
    (r"\bWe\b", "The company"),
    (r"\bwe\b", "the company"),
    (r"\bOur\b", "Its"),
    (r"\bour\b", "its"),
    (r"\bus\b", "the company"),
    (r"\bapproximately\b", "about"),
    (r"\bApproximately\b", "About"),
    (r"\bprimarily\b", "mainly"),
    (r"\butiliz(e|es|ed|ing)\b", r"us\1"),
    (r"\bin order to\b", "to"),
    (r"\ba variety of\b", "various"),
    (r"\s*\((?![^)]*\d)[^)]{1,60}\)", ""),
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
        return sentence[: match.start()] + str(value) + sentence[match.end() :]
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


# ---------------------------------------------------------------------------------------------
# machine and timing


def machine() -> dict[str, Any]:
    import torch

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = None
    try:
        import psutil

        mem = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": mem,
        "torch_threads": torch.get_num_threads(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "load_avg": [round(x, 2) for x in os.getloadavg()],
    }


class Clock:
    """Wall and CPU seconds of a block (CPU counts every thread of this process)."""

    def __enter__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0
        return False


#: module-level caches emptied between the two sides (source indexes, area plans, claim embeddings,
#: memoized stems), plus any other module dict whose name contains CACHE; models stay loaded
CACHES = {
    "bizsum.metrics.source_only": ("_CACHE", "_CLAIM_EMB", "stem"),
    "bizsum.metrics.focus_coverage": ("_PLANS",),
    "bizsum.nlp.focus_areas": (),
}


def reset_document_caches() -> list[str]:
    """Empty every per-document / per-text cache so both sides start cold; returns what was emptied."""
    from bizsum.scoring import get_metric

    get_metric.cache_clear()  # fresh metric instances: ROUGE and BERTScore source caches are per instance
    cleared = []
    for module_name, names in CACHES.items():
        module = sys.modules.get(module_name)
        for attribute, value in vars(module).items() if module else ():
            if (attribute in names or "CACHE" in attribute) and isinstance(value, dict) and value:
                value.clear()
            elif attribute in names and hasattr(value, "cache_clear"):
                value.cache_clear()
            else:
                continue
            cleared.append(f"{module_name.rsplit('.', 1)[-1]}.{attribute}")
    if cleared:
        log.info("emptied %s", ", ".join(cleared))
    return cleared


# ---------------------------------------------------------------------------------------------
# naive implementations

MAX_PIECES = 510


def naive_chunks(tokenizer, text: str) -> list[str]:
    """bizsum's chunking definition as first written: every sentence re-tokenized, twice."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for sentence in split_sentences(text) or [text]:
        words = sentence.split()
        while words:
            take = len(words)
            while take > 1 and len(tokenizer.tokenize(" ".join(words[:take]))) > MAX_PIECES:
                take = max(1, take // 2) if take > 2 * MAX_PIECES else take - 1
            part = " ".join(words[:take])
            words = words[take:]
            n = len(tokenizer.tokenize(part))
            if current and size + n > MAX_PIECES:
                pieces.append(" ".join(current))
                current, size = [], 0
            current.append(part)
            size += n
    if current:
        pieces.append(" ".join(current))
    return pieces


def naive_rouge(item: ScoringItem) -> dict[str, Any]:
    from rouge_score import rouge_scorer

    from bizsum.metrics.rouge import sentence_lines

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    summary = sentence_lines(item.summary)
    source = scorer.score(sentence_lines(item.document.text), summary)
    refs = [sentence_lines(text) for text in item.references.values()]
    best = scorer.score_multi(refs, summary) if refs else None
    values: dict[str, Any] = {}
    for rouge_type, short in (("rouge1", "rouge1"), ("rouge2", "rouge2"), ("rougeLsum", "rougeL")):
        values[f"{short}_p_src"] = source[rouge_type].precision
        values[f"{short}_f_ref"] = best[rouge_type].fmeasure if best else None
    return values


class NaiveBertScore:
    def __init__(self):
        from collections import defaultdict

        import bert_score

        from bizsum.nlp.encoders import MINILM_LAYERS, minilm_path

        self.scorer = bert_score.BERTScorer(model_type=minilm_path(), num_layers=MINILM_LAYERS, lang="en")
        tokenizer = self.scorer._tokenizer
        self.idf = defaultdict(lambda: 1.0)
        self.idf[tokenizer.sep_token_id] = 0
        self.idf[tokenizer.cls_token_id] = 0

    def pooled(self, text: str):
        import torch
        from bert_score.utils import get_bert_embedding

        chunks = naive_chunks(self.scorer._tokenizer, text)
        emb, mask, idf = get_bert_embedding(
            chunks, self.scorer._model, self.scorer._tokenizer, self.idf, batch_size=8, device="cpu"
        )
        emb = emb / emb.norm(dim=-1, keepdim=True)
        keep = mask.bool()
        return torch.cat([emb[k][keep[k]] for k in range(len(chunks))]), torch.cat(
            [idf[k][keep[k]] for k in range(len(chunks))]
        )

    @staticmethod
    def greedy(cand, ref) -> tuple[float, float, float]:
        (ce, cw), (re_, rw) = cand, ref
        sim = ce @ re_.T
        p = float((sim.max(dim=1).values * cw).sum() / cw.sum())
        r = float((sim.max(dim=0).values * rw).sum() / rw.sum())
        return p, r, (2 * p * r / (p + r) if p + r > 0 else 0.0)

    def fits(self, text: str) -> bool:
        return len(self.scorer._tokenizer.tokenize(text)) <= MAX_PIECES

    def __call__(self, item: ScoringItem) -> dict[str, Any]:
        summary = self.pooled(item.summary)
        source = self.pooled(item.document.text)  # re-chunked and re-embedded for every pair
        p, r, f = self.greedy(summary, source)
        values: dict[str, Any] = {"bertscore_p_src": p, "bertscore_r_src": r, "bertscore_f_src": f}
        refs = list(item.references.values())
        best = None
        if refs and self.fits(item.summary) and all(self.fits(t) for t in refs):
            P, R, F = self.scorer.score([item.summary] * len(refs), refs)
            scores = list(zip(P.tolist(), R.tolist(), F.tolist()))
        else:
            scores = [self.greedy(summary, self.pooled(t)) for t in refs]
        for s in scores:
            if best is None or s[2] > best[2]:
                best = s
        for key, value in zip(("p", "r", "f"), best or (None, None, None)):
            values[f"bertscore_{key}_ref"] = value
        return values


# ---------------------------------------------------------------------------------------------
# the two sides


def run_bizsum(items: list[ScoringItem], names: list[str]) -> tuple[dict, dict]:
    from bizsum.scoring import get_metric, run_metrics

    reset_document_caches()
    timings: dict[str, dict] = {}
    values: dict[str, list[dict]] = {}
    for name in names:
        try:
            with Clock() as load:
                get_metric(name)
            with Clock() as score:
                out = run_metrics(items, [name])
        except Exception:
            log.error("bizsum %s failed:\n%s", name, traceback.format_exc())
            continue
        timings[name] = {"load_s": load.wall, "wall_s": score.wall, "cpu_s": score.cpu}
        values[name] = [row["values"] for row in out]
        log.info("bizsum %-15s %7.1f s", name, score.wall)
    return timings, values


def run_naive(items: list[ScoringItem], names: list[str]) -> tuple[dict, dict]:
    from bizsum.metrics import create_metric

    reset_document_caches()
    timings: dict[str, dict] = {}
    values: dict[str, list[dict]] = {}
    for name in names:
        try:
            with Clock() as load:
                if name == "rouge":
                    fn: Callable[[ScoringItem], dict] = naive_rouge
                elif name == "bertscore":
                    fn = NaiveBertScore()
                else:

                    def fn(item, name=name):  # a fresh instance per pair, one item per call
                        return create_metric(name).score(item).values

            with Clock() as score:
                out = [fn(item) for item in items]
        except Exception:
            log.error("naive %s failed:\n%s", name, traceback.format_exc())
            continue
        timings[name] = {"load_s": load.wall, "wall_s": score.wall, "cpu_s": score.cpu}
        values[name] = out
        log.info("naive  %-15s %7.1f s", name, score.wall)
    return timings, values


def max_abs_diff(a: list[dict], b: list[dict]) -> tuple[float, list[str]]:
    """Largest numeric difference over the keys both sides report; non-numeric mismatches by name."""
    worst = 0.0
    mismatches: list[str] = []
    for k, (x, y) in enumerate(zip(a, b)):
        for key in set(x) & set(y):
            u, v = x[key], y[key]
            if isinstance(u, bool) or isinstance(v, bool) or u is None or v is None or isinstance(u, str):
                if u != v:
                    mismatches.append(f"item {k} {key}: {u!r} != {v!r}")
            else:
                worst = max(worst, abs(float(u) - float(v)))
    return worst, mismatches


def warm_up(items: list[ScoringItem], names: list[str]) -> None:
    """One pass over one summary per document, for both sides, before anything is timed.

    Imports, regex compilation and the CPU kernels the encoders pick per tensor shape are process
    state, not caching: without this, whichever side runs first pays for them. The per-document
    caches filled here are emptied again before each timed side.
    """
    from bizsum.scoring import run_metrics

    first = list({item.document.id: item for item in reversed(items)}.values())
    run_metrics(first, names)
    for item in first:
        naive_rouge(item)
    if "bertscore" in names:
        NaiveBertScore()(first[0])


def main() -> int:
    from bizsum.metrics import metric_names

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="4 summaries per document (20) instead of 20 (100)")
    parser.add_argument("--per-doc", type=int, default=None, help="summaries per document")
    parser.add_argument("--metrics", nargs="+", default=None, help="default: every registered metric")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="max abs diff allowed (ROUGE: 0)")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here as JSON")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("transformers", "sentence_transformers", "absl", "httpx"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    per_doc = args.per_doc or (4 if args.quick else 20)
    names = args.metrics or metric_names()

    items = build_items(per_doc)
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, torch {info['torch']} "
        f"({info['torch_threads']} threads), python {info['python']}; load average {info['load_avg']}"
    )
    print(f"data: {len(items)} summaries on {len(DOCS)} documents ({', '.join(DOCS)}); metrics: {', '.join(names)}")
    log.info("warming up on one summary per document")
    warm_up(items, names)
    bizsum_t, bizsum_v = run_bizsum(items, names)
    naive_t, naive_v = run_naive(items, names)
    load_after = [round(x, 2) for x in os.getloadavg()]

    rows = []
    failures = []
    print(f"\n{'metric':<16}{'bizsum s':>10}{'(cpu)':>8}{'naive s':>10}{'(cpu)':>8}{'speed-up':>10}{'max |diff|':>12}")
    for name in names:
        if name not in bizsum_t or name not in naive_t:
            print(f"{name:<16}  failed (see log)")
            failures.append(f"{name}: failed to run")
            continue
        b, n = bizsum_t[name], naive_t[name]
        diff, mismatches = max_abs_diff(bizsum_v[name], naive_v[name])
        limit = 0.0 if name == "rouge" else args.tolerance
        if diff > limit or mismatches:
            failures.append(f"{name}: max abs diff {diff:.3g} (limit {limit}); {mismatches[:3]}")
        speed = n["wall_s"] / b["wall_s"] if b["wall_s"] else float("inf")
        rows.append(
            {
                "metric": name,
                "bizsum": b,
                "naive": n,
                "speedup": speed,
                "max_abs_diff": diff,
                "mismatches": len(mismatches),
            }
        )
        print(
            f"{name:<16}{b['wall_s']:>10.2f}{b['cpu_s']:>8.1f}{n['wall_s']:>10.2f}{n['cpu_s']:>8.1f}"
            f"{speed:>9.1f}x{diff:>12.2g}"
        )

    def total(side: dict, which: list[str], key: str = "wall_s") -> float:
        return sum(side[m][key] for m in which if m in side)

    groups = {
        "rouge+bertscore": [m for m in ("rouge", "bertscore") if m in bizsum_t and m in naive_t],
        "full suite": [m for m in names if m in bizsum_t and m in naive_t],
    }
    summary = {}
    for label, which in groups.items():
        if not which:
            continue
        b, n = total(bizsum_t, which), total(naive_t, which)
        summary[label] = {
            "metrics": which,
            "bizsum_s": b,
            "naive_s": n,
            "speedup": n / b if b else None,
            "bizsum_per_summary_s": b / len(items),
            "naive_per_summary_s": n / len(items),
        }
        print(
            f"{label:<16}{b:>10.2f}{total(bizsum_t, which, 'cpu_s'):>8.1f}{n:>10.2f}"
            f"{total(naive_t, which, 'cpu_s'):>8.1f}{n / b:>9.1f}x   ({b / len(items):.2f} vs {n / len(items):.2f} s/summary)"
        )
    loads = {m: (round(bizsum_t[m]["load_s"], 2), round(naive_t.get(m, {}).get("load_s", 0), 2)) for m in bizsum_t}
    print(f"model loading (bizsum, naive; not in the times above): {loads}")
    print(f"load average after: {load_after}")
    target = summary.get("rouge+bertscore", {}).get("speedup")
    if target is not None:
        print(f"target >= 5x for ROUGE+BERTScore: {'met' if target >= 5 else 'NOT met'} ({target:.1f}x)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": info,
                    "load_avg_after": load_after,
                    "summaries": len(items),
                    "documents": list(DOCS),
                    "rows": rows,
                    "totals": summary,
                },
                indent=2,
            )
        )
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures))
        return 1
    print("numbers: bizsum == naive (ROUGE exact; others within tolerance)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
