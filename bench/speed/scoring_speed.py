"""Scoring speed: CPU-seconds per summary of the default offline suite at corpus scale.

Data (default): the 5 filings of :data:`DOCS` (PG_2025, AMZN_2024, AAPL_2024, META_2024,
LIVEPERSON_2017: 2.5k–11.2k o200k tokens), each with its 6 realistic summaries of
``data/validation/realistic`` (abstractive, 180–350 words, written like a capable LLM's: faithful,
paraphrased and four one-error copies) and ``--per-doc`` (default 4) deterministic extractive /
paraphrased ones (:func:`make_summary`): 50 summaries, 10 per document. The verifier's cost follows
the claims per summary, so the realistic ones carry the measurement.

Each **repeat** starts from empty per-document caches (source indexes, verifier chunks, area
plans, claim embeddings, the claim-verdict cache in memory; the on-disk verdict cache is off), scores
every summary with every metric of the suite (one ``run_metrics`` call per metric over all the
summaries: each document's index is built once per repeat and counted), and records wall time and
process CPU time (``time.process_time``: every thread of the process, torch's included). Models are
loaded once before the repeats (timed apart). Three repeats; the median and range are printed, with
the load average before and after: on a shared machine wall time follows the other jobs, CPU time
much less.

A last pass (``--rerun``, on by default) scores the same summaries again with the caches kept: what
a rerun of a run costs (the claim-verdict cache answers the verifier).

    python bench/speed/scoring_speed.py                   # the default suite, 50 summaries, 3 repeats
    python bench/speed/scoring_speed.py --repeats 1 --per-doc 0 --docs PG_2025   # a smoke run
    python bench/speed/scoring_speed.py --metrics rouge bertscore --naive        # against a naive loop

``--naive`` keeps the comparison with a per-pair loop (ROUGE: a fresh ``RougeScorer`` per pair;
BERTScore: ``bert_score`` re-chunking and re-embedding the source per pair; other metrics: a fresh
instance per pair), both sides from empty caches, their numbers compared within ``--tolerance``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import re
import statistics
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


REALISTIC = ROOT / "data" / "validation" / "realistic" / "generations.jsonl"


#: the realistic summaries that share no claim with each other (the one-error copies repeat their
#: faithful summary's other sentences, which the claim-verdict cache then answers)
DISTINCT = ("project-faithful", "project-paraphrase")


def realistic_summaries(doc_id: str, path: Path = REALISTIC, distinct: bool = False) -> list[str]:
    """The realistic set's summaries of a document (6: faithful, paraphrase, four one-error copies;
    ``distinct``: the first two only)."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["doc_id"] == doc_id and row.get("text") and (not distinct or row["model_id"] in DISTINCT):
                out.append(row["text"])
    return out


def corpus_items(
    per_doc: int = 4, docs: tuple[str, ...] = DOCS, data_dir: Path = ROOT / "data", distinct: bool = False
) -> list[ScoringItem]:
    """Per document: its realistic summaries, then ``per_doc`` made by :func:`make_summary`."""
    store = DocumentStore(data_dir)
    items = []
    for doc_id in docs:
        document, references = store.load(doc_id), store.references(doc_id)
        sentences = informative_sentences(document.text)
        texts = realistic_summaries(doc_id, distinct=distinct) + [
            make_summary(doc_id, sentences, i) for i in range(per_doc)
        ]
        items += [ScoringItem(summary=text, document=document, references=references) for text in texts]
    return items


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


def reset_document_caches() -> list[str]:
    """Empty every per-document / per-text cache so a pass starts cold (models stay loaded):
    fresh metric instances (ROUGE and BERTScore keep source caches per instance), the source
    indexes and claim embeddings, the verifier's source chunks, the claim-verdict cache in memory,
    focus coverage's area plans and the memoized stems. Returns what was emptied."""
    from bizsum.nlp import lexicon, source_index, verdict_cache, verifier
    from bizsum.scoring import get_metric

    get_metric.cache_clear()
    cleared = ["metric instances"]
    source_index._CACHE.clear()
    source_index._CLAIM_EMB.clear()
    cleared += ["source indexes", "claim embeddings"]
    for loaded in verifier._LOADED.values():
        loaded.chunker._cache.clear()
    for cache in verdict_cache._SHARED.values():
        cache.clear_memory()
    cleared += ["verifier chunks", "claim verdicts"]
    focus = sys.modules.get("bizsum.metrics.focus_coverage")
    if focus is not None:
        focus._PLANS.clear()
        cleared.append("area plans")
    lexicon.stem.cache_clear()
    cleared.append("stems")
    log.debug("emptied %s", ", ".join(cleared))
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


def naive_main(args: argparse.Namespace, names: list[str]) -> int:
    """bizsum against a naive per-pair loop (``--naive``): the synthetic summaries only."""

    per_doc = args.per_doc or (4 if args.quick else 20)

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


def percentile_line(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """``median (min–max)`` of repeated measurements."""
    return f"{statistics.median(values):.{digits}f} {unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def timed_pass(items: list[ScoringItem], names: list[str]) -> dict[str, dict[str, float]]:
    """Wall and process CPU seconds of every metric over all items (one ``run_metrics`` call each)."""
    from bizsum.scoring import run_metrics

    out: dict[str, dict[str, float]] = {}
    for name in names:
        with Clock() as clock:
            run_metrics(items, [name])
        out[name] = {"wall_s": clock.wall, "cpu_s": clock.cpu}
    return out


def corpus_main(args: argparse.Namespace, names: list[str]) -> int:
    """The default: the suite at corpus scale, repeated, CPU-s per summary with median and range."""
    import torch

    from bizsum.scoring import get_metric

    os.environ["BIZSUM_VERDICT_CACHE"] = "off"  # repeats start cold; --rerun shows the cache in memory
    if args.threads:
        torch.set_num_threads(args.threads)
    items = corpus_items(args.per_doc if args.per_doc is not None else 4, tuple(args.docs), distinct=args.distinct)
    n = len(items)
    per_document = n / len(args.docs)
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {info['ram_gb']} GB RAM, torch {info['torch']} "
        f"({torch.get_num_threads()} threads), python {info['python']}"
    )
    print(
        f"data: {n} summaries on {len(args.docs)} documents ({', '.join(args.docs)}), {per_document:.0f} per document "
        f"(the realistic set's {'faithful and paraphrased' if args.distinct else 'abstractive'} summaries + "
        f"{args.per_doc if args.per_doc is not None else 4} extractive); "
        f"metrics: {', '.join(names)}"
    )
    load_before = [round(x, 2) for x in os.getloadavg()]
    with Clock() as load:
        for name in names:
            get_metric(name)
        if "source_only" in names:
            from bizsum.nlp.verifier import get_verifier

            get_verifier()
    print(f"model loading (once, not in the numbers below): {load.wall:.1f} s wall, {load.cpu:.1f} s CPU")
    passes: list[dict[str, dict[str, float]]] = []
    for repeat in range(args.repeats):
        reset_document_caches()
        loads = os.getloadavg()[0]
        for name in names:
            get_metric(name)  # fresh instances (their source caches empty); the models stay loaded
        timing = timed_pass(items, names)
        passes.append(timing)
        cpu = sum(t["cpu_s"] for t in timing.values())
        wall = sum(t["wall_s"] for t in timing.values())
        print(
            f"repeat {repeat + 1}: {cpu / n:.3f} CPU-s per summary, {wall / n:.3f} s wall per summary "
            f"(load average {loads:.2f} → {os.getloadavg()[0]:.2f})"
        )
    rerun = timed_pass(items, names) if args.rerun else None
    load_after = [round(x, 2) for x in os.getloadavg()]

    print(f"\nper summary, median (range) of {args.repeats} repeats; CPU = process time of every thread")
    print(f"{'metric':<16}{'CPU-s':>24}{'wall s':>24}" + (f"{'rerun CPU-s':>14}" if rerun else ""))
    rows = {}
    for name in names:
        cpus = [p[name]["cpu_s"] / n for p in passes]
        walls = [p[name]["wall_s"] / n for p in passes]
        rows[name] = {"cpu_per_summary": cpus, "wall_per_summary": walls}
        extra = f"{rerun[name]['cpu_s'] / n:>14.3f}" if rerun else ""
        print(f"{name:<16}{percentile_line(cpus, '', 3):>24}{percentile_line(walls, '', 3):>24}{extra}")
    total_cpu = [sum(t["cpu_s"] for t in p.values()) / n for p in passes]
    total_wall = [sum(t["wall_s"] for t in p.values()) / n for p in passes]
    extra = f"{sum(t['cpu_s'] for t in rerun.values()) / n:>14.3f}" if rerun else ""
    print(f"{'suite':<16}{percentile_line(total_cpu, '', 3):>24}{percentile_line(total_wall, '', 3):>24}{extra}")
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    target = statistics.median(total_cpu)
    print(f"target <= 1.0 CPU-s per summary: {'met' if target <= 1.0 else 'NOT met'} ({target:.3f})")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "machine": {**info, "torch_threads": torch.get_num_threads()},
                    "load_avg_before": load_before,
                    "load_avg_after": load_after,
                    "summaries": n,
                    "documents": list(args.docs),
                    "model_load": {"wall_s": load.wall, "cpu_s": load.cpu},
                    "metrics": rows,
                    "suite_cpu_per_summary": total_cpu,
                    "suite_wall_per_summary": total_wall,
                    "rerun": rerun,
                },
                indent=2,
            )
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    from bizsum.metrics import default_metric_names

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-doc", type=int, default=None, help="extractive summaries per document (default 4)")
    parser.add_argument("--docs", nargs="+", default=list(DOCS), help="document ids (default: the five of DOCS)")
    parser.add_argument("--metrics", nargs="+", default=None, help="default: the default offline suite")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--distinct",
        action="store_true",
        help="of the realistic set, only the faithful and paraphrased summaries (no claim shared between summaries)",
    )
    parser.add_argument("--no-rerun", dest="rerun", action="store_false", help="skip the pass with warm caches")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1, as a scoring actor runs: one CPU each; 0 = torch's own, one per core)",
    )
    parser.add_argument("--naive", action="store_true", help="compare with a naive per-pair loop instead")
    parser.add_argument("--quick", action="store_true", help="--naive: 4 summaries per document instead of 20")
    parser.add_argument("--tolerance", type=float, default=1e-5, help="--naive: max abs diff allowed (ROUGE: 0)")
    parser.add_argument("--json", type=Path, default=None, help="write the numbers here as JSON")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for noisy in ("transformers", "sentence_transformers", "absl", "httpx", "bizsum"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    names = args.metrics or default_metric_names()
    return naive_main(args, names) if args.naive else corpus_main(args, names)


if __name__ == "__main__":
    sys.exit(main())
