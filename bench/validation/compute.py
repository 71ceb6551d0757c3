"""Score benchmark rows with bizsum's metrics and the baselines, with an on-disk cache.

Per row: source-only values (+ per-claim features for calibration), focus coverage (SummEval
only, where relevance is rated), and the baselines of the issue:

* ``rouge1_f_ref``: ROUGE-1 F1 against the references (best reference, rouge-score, stemmed);
* ``rouge1_p_src``: ROUGE-1 precision against the source (plain extractiveness);
* ``bertscore_p_src``: BERTScore precision against the source (MiniLM, 6 layers, chunked source);
* ``bertscore_f_ref1``: BERTScore F1 against the first reference.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable
from pathlib import Path

from bizsum.corpus.documents import Document
from bizsum.metrics.base import ScoringItem
from bizsum.nlp.text import normalize_text

log = logging.getLogger("bench.compute")

CACHE_DIR = Path(__file__).resolve().parents[1] / "results" / "cache"


def metric_version() -> str:
    """Changes whenever the metric code or the shipped verifier changes, so cached scores are recomputed."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[2] / "bizsum"
    files = sorted(
        [
            *(root / "metrics" / "source_only").glob("*.py"),
            root / "metrics" / "focus_coverage.py",
            *(root / "nlp").glob("*.py"),
            root / "resources" / "verifier" / "MANIFEST.json",
        ]
    )
    for path in files:
        if path.exists():
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _doc(text: str) -> Document:
    text = normalize_text(text)
    return Document(id=hashlib.sha256(text.encode()).hexdigest()[:12], text=text)


def compute(rows: list[dict], what: Iterable[str], cache_name: str) -> list[dict]:
    """Values per row (aligned); cached in results/cache/<cache_name>.jsonl by row key + version."""
    what = tuple(what)
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    path = CACHE_DIR / f"{cache_name}.jsonl"
    version = metric_version()
    cache: dict[str, dict] = {}
    if path.exists():
        for line in path.open(encoding="utf-8"):
            rec = json.loads(line)
            cache[rec["_id"]] = rec
    out: list[dict | None] = []
    todo: list[int] = []
    for i, row in enumerate(rows):
        rec = cache.get(row["key"])
        if rec is None or any(rec.get(f"_v_{w}") != _version_of(w, version) for w in what):
            todo.append(i)
            out.append(rec)
        else:
            out.append(rec)
    if todo:
        log.info("%s: scoring %d of %d rows (%s)", cache_name, len(todo), len(rows), ",".join(what))
        fresh = _score(rows, todo, what, version, [out[i] for i in todo])
        for i, rec in zip(todo, fresh):
            out[i] = rec
            cache[rows[i]["key"]] = rec
        with path.open("w", encoding="utf-8") as handle:
            for rec in cache.values():
                handle.write(json.dumps(rec) + "\n")
    return out  # type: ignore[return-value]


def _version_of(what: str, version: str) -> str:
    return version if what in ("source_only", "coverage") else "1"


def _score(rows, todo, what, version, previous):
    from bizsum.metrics.focus_coverage import score_coverage
    from bizsum.metrics.source_only import score_summary
    from bizsum.nlp.source_index import source_index

    recs = [dict(p or {}) for p in previous]
    for rec, i in zip(recs, todo):
        rec["_id"] = rows[i]["key"]
    docs: dict[str, Document] = {}
    for i in todo:
        docs.setdefault(rows[i]["doc_key"], _doc(rows[i]["document"]))
    started = time.time()
    if "source_only" in what or "coverage" in what:
        for n, (rec, i) in enumerate(zip(recs, todo)):
            doc = docs[rows[i]["doc_key"]]
            index = source_index(doc.text, doc.sha256)
            if "source_only" in what:
                values, details = score_summary(rows[i]["summary"], index, doc.text)
                rec.update({f"so_{k}": v for k, v in values.items()})
                rec["so_claims_detail"] = [
                    {"text": c["text"], "verdict": c["verdict"], "score": c["score"], "features": c["features"]}
                    for c in details["claims"]
                ]
                rec["_v_source_only"] = version
            if "coverage" in what:
                values, _ = score_coverage(rows[i]["summary"], index)
                rec.update({f"cov_{k}": v for k, v in values.items()})
                rec["_v_coverage"] = version
            if n % 100 == 99:
                log.info("  %d/%d rows, %.0f s", n + 1, len(todo), time.time() - started)
                from bench.validation import embed_cache

                embed_cache.save()
    if "rouge" in what:
        from rouge_score import rouge_scorer

        scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
        for rec, i in zip(recs, todo):
            if rec.get("_v_rouge") == "1":
                continue
            row = rows[i]
            rec["rouge1_p_src"] = scorer.score(row["document"], row["summary"])["rouge1"].precision
            refs = row["references"]
            rec["rouge1_f_ref"] = (
                max(scorer.score(r, row["summary"])["rouge1"].fmeasure for r in refs) if refs else None
            )
            rec["_v_rouge"] = "1"
    if "bertscore" in what:
        from bizsum.metrics.bertscore import BertScoreMetric

        keep = [n for n, rec in enumerate(recs) if rec.get("_v_bertscore") != "1"]
        recs_all, recs = recs, [recs[n] for n in keep]
        _todo_all, todo = todo, [todo[n] for n in keep]
        metric = BertScoreMetric() if todo else None
        items = []
        for i in todo:
            row = rows[i]
            refs = {"ref1": row["references"][0]} if row["references"] else {}
            items.append(ScoringItem(summary=row["summary"], document=docs[row["doc_key"]], references=refs))
        batch = 64
        for start in range(0, len(items), batch):
            results = metric.score_batch(items[start : start + batch])
            for rec, res in zip(recs[start : start + batch], results):
                rec["bertscore_p_src"] = res.values.get("bertscore_p_src")
                rec["bertscore_f_ref1"] = res.values.get("bertscore_f_ref")
                rec["_v_bertscore"] = "1"
            if start % 640 == 0:
                log.info("  bertscore %d/%d, %.0f s", start, len(items), time.time() - started)
        recs = recs_all
    return recs
