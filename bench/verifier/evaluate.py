"""Evaluate the claim verifier on dev data while tuning, and once on the test halves.

    python bench/verifier/evaluate.py --split dev  --model /work/verifier_runs/run1/final
    python bench/verifier/evaluate.py --split dev  --write-manifest     # shipped weights; threshold + dev metrics → MANIFEST
    python bench/verifier/evaluate.py --split test                      # ONCE, at the end

Splits (nothing here is ever trained on; see ``make_pairs.py`` for what is):

* ``dev``: dev rows of the human-labelled sets whose document is in the dev-*tune* part
  (``fit_doc`` false), and the dev-*tune* companies' 10-K filings (ABBV, ADBE, GOOGL, NKE);
* ``test``: SummaC / QAGS test halves, FRANK test split, SummEval (all test), and the **test
  companies** of ``bench/data/company_split.json`` for the 10-K perturbations.

A summary is split into claims with ``split_claims`` (as source_only does); each claim is scored
against its ``k`` candidate chunks (max); a summary score aggregates its claims (``min``, ``mean``,
``mean2`` = mean of the two lowest); the aggregate and thresholds are chosen on dev.

10-K perturbations (one filing per company, its latest; three generator seeds): the project's
generator kinds (``bench/perturbations.py``: number, year, entity in/outside the filing, negation,
direction, invented financing / fact) plus held-out kinds built here: ``invented_plain`` (focus-area
and general statements with no number and no name, from a template bank disjoint from the training
bank), ``modality``, and faithful kinds ``faithful_extractive``, ``faithful_paraphrase`` (the
project's rewrite), ``faithful_restated`` (numbers restated / parentheticals dropped). An error is
caught when a claim of the changed sentence scores below the threshold; a faithful claim is
flagged when it scores below it.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ROOT, setup

log = logging.getLogger("bench.verifier.evaluate")
RESULTS = ROOT / "bench" / "verifier" / "results"
AGGREGATES = ("min", "mean", "mean2")
PERTURB_SEEDS = (11, 12, 13)


# ---------------------------------------------------------------------------------------------
# statistics


def balanced_accuracy(y: list[int], pred: list[int]) -> float:
    pos = [p for t, p in zip(y, pred) if t == 1]
    neg = [p for t, p in zip(y, pred) if t == 0]
    if not pos or not neg:
        return float("nan")
    return 0.5 * (sum(pos) / len(pos) + sum(1 - p for p in neg) / len(neg))


def best_threshold(y: list[int], score: list[float]) -> float:
    cands = sorted(set(score))
    best, best_t = -1.0, 0.5
    for t in cands:
        ba = balanced_accuracy(y, [int(s >= t) for s in score])
        if ba > best:
            best, best_t = ba, t
    return best_t


def auc(y: list[int], score: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    if len(set(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, score))


def kendall(x: list[float], y: list[float]) -> float:
    from scipy import stats

    if len(x) < 3 or len(set(x)) < 2 or len(set(y)) < 2:
        return float("nan")
    return float(stats.kendalltau(x, y).statistic)


def per_group_tau(x: list[float], y: list[float], groups: list[str]) -> float:
    by: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by[g].append(i)
    vals = [kendall([x[i] for i in idx], [y[i] for i in idx]) for idx in by.values()]
    vals = [v for v in vals if not math.isnan(v)]
    return sum(vals) / len(vals) if vals else float("nan")


def boot_ci(
    stat: Callable[[list[int]], float], groups: list[str], n_boot: int = 1000, seed: int = 12345
) -> tuple[float, float]:
    import numpy as np

    rng = np.random.default_rng(seed)
    by: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(groups):
        by[g].append(i)
    keys = list(by)
    vals = []
    for _ in range(n_boot):
        pick = rng.integers(0, len(keys), len(keys))
        v = stat([i for k in pick for i in by[keys[k]]])
        if not math.isnan(v):
            vals.append(v)
    if not vals:
        return float("nan"), float("nan")
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def aggregate(scores: list[float], how: str) -> float:
    if not scores:
        return 0.0
    if how == "min":
        return min(scores)
    if how == "mean":
        return sum(scores) / len(scores)
    low = sorted(scores)[:2]
    return sum(low) / len(low)


def rouge1_p_src(summary: str, document: str) -> float:

    scorer = _rouge()
    return float(scorer.score(document, summary)["rouge1"].precision)


_ROUGE: list[Any] = []


def _rouge() -> Any:
    if not _ROUGE:
        from rouge_score import rouge_scorer

        _ROUGE.append(rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True))
    return _ROUGE[0]


# ---------------------------------------------------------------------------------------------
# scoring


CANDIDATE_CACHE = Path("/work/verifier_runs/eval_candidates")


class Scorer:
    """Scores claims with the verifier; candidate chunks (model-independent: MiniLM retrieval)
    are cached on disk per document, so ``--prepare`` can compute them while a model trains."""

    def __init__(self, model_dir: str | None, k: int, prepare: bool = False) -> None:
        from bizsum.nlp.claims import split_claims

        self.k = k
        self.split_claims = split_claims
        self.prepare = prepare
        self.pairs = 0
        self.seconds = 0.0
        if prepare:
            from make_pairs import chunker

            self.verifier = None
            self.chunker = chunker()
        else:
            from bizsum.nlp.verifier import get_verifier

            self.verifier = get_verifier(model_dir)
            self.chunker = self.verifier.chunker
        CANDIDATE_CACHE.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, dict[str, list[str]]] = {}
        self._flat: dict[str, str] = {}

    def _doc_cache(self, document: str) -> tuple[str, dict[str, list[str]]]:
        import hashlib

        key = hashlib.sha256(f"{self.k}|{document}".encode()).hexdigest()[:24]
        if key not in self._cache:
            path = CANDIDATE_CACHE / f"{key}.json"
            self._cache[key] = json.loads(path.read_text()) if path.exists() else {}
        return key, self._cache[key]

    def candidates(self, document: str, claims: list[str]) -> list[list[str]]:
        key, cache = self._doc_cache(document)
        missing = [c for c in dict.fromkeys(claims) if c not in cache]
        if missing:
            doc = self.chunker.document(document)
            for claim, chunks in zip(missing, self.chunker.candidates(doc, missing, k=self.k, covering=False)):
                cache[claim] = [c.text for c in chunks]
            (CANDIDATE_CACHE / f"{key}.json").write_text(json.dumps(cache))
        return [cache[c] for c in claims]

    def claims_scores(self, document: str, claims: list[str]) -> list[float]:
        if not claims:
            return []
        cands = self.candidates(document, claims)
        if self.prepare:
            return [0.5 for _ in claims]
        assert self.verifier is not None
        passages = [p for ps in cands for p in ps]
        pair_claims = [c for c, ps in zip(claims, cands) for _ in ps]
        started = time.time()
        scores = self.verifier.score_pairs(passages, pair_claims)
        self.seconds += time.time() - started
        self.pairs += len(passages)
        from bizsum.nlp.verifier import flat_words, is_copied

        flat = self._flat.get(document)
        if flat is None:
            flat = self._flat[document] = flat_words(document)
        doc = SimpleNamespace(flat=flat)  # what is_copied reads of a SourceChunks
        out, pos = [], 0
        for claim, ps in zip(claims, cands):
            out.append(float(max(scores[pos : pos + len(ps)])) if ps else 0.0)
            if is_copied(claim, doc):  # the rule of Verifier.score_claims: a copied claim is supported
                out[-1] = 1.0
            pos += len(ps)
        return out

    def summary(self, document: str, summary: str) -> list[float]:
        return self.claims_scores(document, self.split_claims(summary) or [summary])


SUBSAMPLE_SEED = 12345  # bench/validation/validate_metrics.py's seed: the same test rows as its baseline tables
CAPS = {"summac": 150, "frank": 60, "qags": 60, "summeval": None}


def _rows(loader: str, split: str) -> list[dict]:
    """dev: the dev-tune rows (all of them). test: the rows of bench/validation/validate_metrics.py's tables
    (SummaC ≤ 150 documents per subset, FRANK 60 test documents, QAGS 60 test summaries per
    subset, fixed seed 12345), so the baselines in bench/results/validation.md are on the same rows."""
    from make_pairs import fit_doc

    from bench.datasets import LOADERS

    rows = LOADERS[loader]()
    if split == "dev":
        return [r for r in rows if r["split"] == "dev" and not fit_doc(r["doc_key"])]
    cap = CAPS[loader]
    if loader == "summac":
        kept = []
        for name in sorted({r["set"] for r in rows}):
            sub = [r for r in rows if r["set"] == name]
            docs = sorted({r["doc_key"] for r in sub})
            keep = set(random.Random(SUBSAMPLE_SEED).sample(docs, min(cap, len(docs))))
            kept += [r for r in sub if r["doc_key"] in keep]
        rows = kept
    rows = [r for r in rows if r["split"] == "test"]
    if loader == "frank":
        docs = sorted({r["doc_key"] for r in rows})
        keep = set(random.Random(SUBSAMPLE_SEED).sample(docs, min(len(docs), cap)))
        rows = [r for r in rows if r["doc_key"] in keep]
    if loader == "qags":
        kept = []
        for name in sorted({r["set"] for r in rows}):
            sub = [r for r in rows if r["set"] == name]
            kept += sub if len(sub) <= cap else random.Random(SUBSAMPLE_SEED).sample(sub, cap)
        rows = kept
    if loader == "summeval" and SUMMEVAL_ARTICLES[0]:
        arts = sorted({r["doc_key"] for r in rows})
        keep = set(random.Random(SUBSAMPLE_SEED).sample(arts, SUMMEVAL_ARTICLES[0]))
        rows = [r for r in rows if r["doc_key"] in keep]
    return rows


SUMMEVAL_ARTICLES: list[int | None] = [None]


def eval_summac(sc: Scorer, split: str, dev_choice: dict | None) -> dict:
    rows = _rows("summac", split)
    for r in rows:
        r["claim_scores"] = sc.summary(r["document"], r["summary"])
        r["r1p"] = rouge1_p_src(r["summary"], r["document"])
    out: dict[str, Any] = {"sets": {}}
    for how in AGGREGATES + ("r1p",):
        per = {}
        for name in sorted({r["set"] for r in rows}):
            sub = [r for r in rows if r["set"] == name]
            y = [r["label"] for r in sub]
            x = [r["r1p"] if how == "r1p" else aggregate(r["claim_scores"], how) for r in sub]
            if dev_choice and how in dev_choice.get("summac_thresholds", {}):
                t = dev_choice["summac_thresholds"][how][name]
            else:
                t = best_threshold(y, x)
            per[name] = {
                "n": len(sub),
                "neg": y.count(0),
                "ba": balanced_accuracy(y, [int(v >= t) for v in x]),
                "auc": auc(y, x),
                "threshold": t,
            }
        mean_ba = sum(v["ba"] for v in per.values()) / len(per)
        out["sets"][how] = {"per_set": per, "mean_ba": mean_ba}
    return out


def eval_corr(sc: Scorer, loader: str, split: str, target: str, by_article: bool = False) -> dict:
    rows = _rows(loader, split)
    for r in rows:
        r["claim_scores"] = sc.summary(r["document"], r["summary"])
        r["r1p"] = rouge1_p_src(r["summary"], r["document"])
    out: dict[str, Any] = {}
    for name in sorted({r["set"] for r in rows}):
        sub = [r for r in rows if r["set"] == name]
        y = [r[target] for r in sub]
        groups = [r["doc_key"] for r in sub]
        res = {"n": len(sub)}
        for how in AGGREGATES + ("r1p",):
            x = [r["r1p"] if how == "r1p" else aggregate(r["claim_scores"], how) for r in sub]
            res[f"tau_{how}"] = kendall(x, y)
            res[f"tau_{how}_ci"] = boot_ci(
                lambda idx: kendall([x[i] for i in idx], [y[i] for i in idx]), groups, n_boot=300
            )
            if by_article:
                res[f"tau_article_{how}"] = per_group_tau(x, y, groups)
                res[f"tau_article_{how}_ci"] = boot_ci(
                    lambda idx: per_group_tau([x[i] for i in idx], [y[i] for i in idx], [groups[i] for i in idx]),
                    groups,
                    n_boot=300,
                )
        out[name] = res
    if loader == "qags":  # claim level: QAGS sentences as given
        ys, ss = [], []
        for r in rows:
            scores = sc.claims_scores(r["document"], r["summary_sentences"])
            for s, lab in zip(scores, r["sentence_support"]):
                ys.append(1 if lab > 0.5 else 0)
                ss.append(s)
        out["claim_level"] = {"n": len(ys), "auc": auc(ys, ss)}
    return out


# ---------------------------------------------------------------------------------------------
# 10-K perturbations

# held-out invented statements: no number, no name; frames and terms disjoint from make_pairs.TEMPLATES
HELDOUT_INVENTED = [
    (
        "The company funds its operations primarily through bank loans and venture capital.",
        r"venture capital|bank loans",
    ),
    ("It distributes mainly through independent franchisees.", r"franchise"),
    ("The company financed its expansion mainly with loans from its founders.", r"founder"),
    ("Most of its growth was paid for by crowdfunding campaigns.", r"crowdfund"),
    ("The business is funded by factoring its receivables.", r"factoring"),
    ("It raised money through a rights offering to existing shareholders.", r"rights offering"),
    ("It distributes its goods mostly through vending machines.", r"vending"),
    ("Its products are sold chiefly by traveling salespeople.", r"travel\w* sales"),
    ("The company reaches buyers mainly through home shopping parties.", r"shopping part"),
    ("It sells primarily through regional cooperatives.", r"cooperative"),
    ("Its typical customer is a small family farm.", r"farm"),
    ("The company mostly serves public school districts.", r"school"),
    ("Its main clients are cruise lines and casino operators.", r"cruise|casino"),
    ("The bulk of its income comes from parking fees.", r"parking"),
    ("Most of its revenue comes from toll collections.", r"toll"),
    ("It earns most of its money from ticket sales.", r"ticket"),
    ("The company makes most of its profit from patent litigation settlements.", r"litigation settlement"),
    ("Its flagship offering is a line of electric bicycles.", r"bicycle"),
    ("The company's main product is organic baby food.", r"baby food"),
    ("It is best known for its modular housing kits.", r"modular hous"),
    ("The company has never faced any competition.", r"competit"),
    ("All of its employees work remotely.", r"remote"),
    ("The company began as a family-owned bakery.", r"bakery"),
    ("It plans to move its headquarters overseas.", r"relocat|headquarters"),
    ("Its entire product line is certified carbon-neutral.", r"carbon"),
    ("It sells nothing outside its home state.", r"international|foreign|countries|outside the united states"),
    ("The company leases all of its equipment from its customers.", r"lease"),
    (
        "Its sales depend almost entirely on a single retail partner.",
        r"single customer|one customer|largest customer|significant customer",
    ),
]
MODALITY_EVAL = [
    (r"\bmay\b", "will"),
    (r"\bcould\b", "will"),
    (r"\b(plans|intends|expects) to\b", "has already begun to"),
    (r"\bwould\b", "will"),
    (r"\bproposed\b", "completed"),
    (r"\bgenerally\b", "always"),
]


def pick_filing(split: str, part: str | None) -> list[tuple[str, str, Path]]:
    from make_pairs import filings

    latest: dict[str, tuple[str, str, Path]] = {}
    for company, doc_id, path in filings(split, part):
        if company not in latest or doc_id > latest[company][1]:
            latest[company] = (company, doc_id, path)
    return [latest[c] for c in sorted(latest)]


def perturbation_rows(split: str) -> list[dict]:
    from make_pairs import informative, read_text, restate_numbers

    import bench.perturbations as P
    from bizsum.nlp.source_index import source_sentences

    docs = pick_filing("dev", "tune") if split == "dev" else pick_filing("test", None)
    rows: list[dict] = []
    for seed in PERTURB_SEEDS:
        rng = random.Random(f"verifier-eval|{seed}")
        for company, doc_id, path in docs:
            text = read_text(path)
            low = text.lower()
            sentences = [
                s for s in source_sentences(text) if 10 <= len(s.split()) <= 45 and informative(s) and s.endswith(".")
            ]
            if len(sentences) < 8:
                continue
            with_numbers = [s for s in sentences if P._NUM.search(s)]
            rich = [s for s in sentences if P.names_in(s)]
            picked: list[str] = []
            for pool in (with_numbers, rich, sentences):
                for s in rng.sample(pool, min(len(pool), 3 if pool is not sentences else 8)):
                    if s not in picked and len(picked) < 8:
                        picked.append(s)
            para = [P.paraphrase(s) for s in picked]
            base = {"company": company, "doc_id": doc_id, "path": str(path), "seed": seed}
            rows.append({**base, "kind": "faithful_extractive", "sentences": picked, "changed": None})
            rows.append({**base, "kind": "faithful_paraphrase", "sentences": para, "changed": None})
            restated = []
            for s in para:
                r2 = restate_numbers(s, rng) if rng.random() < 0.7 else None
                restated.append(r2 or re.sub(r"\s*\([^)]{1,80}\)", "", s))
            rows.append({**base, "kind": "faithful_restated", "sentences": restated, "changed": None})
            doc_names = sorted({n for s in sentences for n in P.names_in(s) if len(n.split()) <= 3})

            def inject(kind: str, fn: Callable[[str], Any]) -> None:
                idx = list(range(len(para)))
                rng.shuffle(idx)
                for i in idx:
                    out = fn(para[i])
                    if out and out[0] != para[i]:
                        rows.append(
                            {**base, "kind": kind, "sentences": para[:i] + [out[0]] + para[i + 1 :], "changed": out[0]}
                        )
                        return

            inject("number_changed", lambda s: P.change_number(s, rng))
            inject("year_changed", lambda s: P.change_year(s, rng))
            inject("entity_swap_outside", lambda s: P.swap_entity(s, P.OUTSIDE_NAMES, low, rng, outside=True))
            inject("entity_swap_in_doc", lambda s: P.swap_entity(s, doc_names, low, rng, outside=False))
            inject("negation", P.negate)
            inject("direction", P.change_direction)

            def modality(s: str) -> tuple[str, str] | None:
                for pat, rep in MODALITY_EVAL:
                    if re.search(pat, s):
                        return re.sub(pat, rep, s, count=1), rep
                return None

            inject("modality", modality)
            for kind, templates in (("invented_financing", P.INVENTED_FINANCING), ("invented_fact", P.INVENTED_FACTS)):
                sentence = P._fill(rng.choice(templates), rng)
                pos = rng.randrange(1, len(para) + 1)
                rows.append(
                    {**base, "kind": kind, "sentences": para[:pos] + [sentence] + para[pos:], "changed": sentence}
                )
            plain = [(s, key) for s, key in HELDOUT_INVENTED if not re.search(key, low)]
            for sentence, _ in rng.sample(plain, min(3, len(plain))):
                pos = rng.randrange(1, len(para) + 1)
                rows.append(
                    {
                        **base,
                        "kind": "invented_plain",
                        "sentences": para[:pos] + [sentence] + para[pos:],
                        "changed": sentence,
                    }
                )
    return rows


def score_perturbations(sc: Scorer, rows: list[dict], reject_below: float) -> None:
    """Per row: its claims, the verifier's score of each, v3's hard checks (``rule_fail``) and the
    installed metric's verdict given those scores (``metric_verdicts``)."""
    from make_pairs import read_text

    threshold = sc.verifier.threshold if sc.verifier else 0.5
    texts: dict[str, str] = {}
    for r in rows:
        if r["path"] not in texts:
            texts[r["path"]] = read_text(Path(r["path"]))
        text = texts[r["path"]]
        if r["changed"] is None:
            claims = [c for s in r["sentences"] for c in (sc.split_claims(s) or [s])]
        else:
            claims = sc.split_claims(r["changed"]) or [r["changed"]]
        r["claims"] = claims
        r["claim_scores"] = sc.claims_scores(text, claims)
        r["rule_fail"], r["metric_verdicts"] = claim_checks(text, claims, r["claim_scores"], threshold, reject_below)


def claim_checks(
    text: str, claims: list[str], scores: list[float], threshold: float, reject_below: float
) -> tuple[list[bool], list[str]]:
    """Per claim: whether version 3's hard checks fail (unsupported number or name, flipped negation
    or direction), and the installed metric's verdict given the verifier's score (what
    ``source_only`` decides: the hard checks combined with the verifier, an ``uncertain`` band)."""
    import hashlib

    from bizsum.metrics.source_only import check_claim
    from bizsum.nlp.source_index import embed_claims, source_index
    from bizsum.nlp.verifier import ClaimScore

    index = source_index(text, hashlib.sha256(text.encode("utf-8")).hexdigest())
    fails, verdicts = [], []
    for claim, emb, score in zip(claims, embed_claims(claims), scores):
        f = check_claim(claim, emb, index).features
        fails.append(bool(f["bad_numbers"] or f["bad_names"] or f["negation_mismatch"] or f["direction_mismatch"]))
        verified = ClaimScore(claim, score, score >= threshold, "", [], threshold, reject_below=reject_below)
        verdicts.append(check_claim(claim, emb, index, verified).verdict)
    return fails, verdicts


def perturbation_table(rows: list[dict], threshold: float, rules: bool = False, metric: bool = False) -> dict:
    """Caught / flagged rates; with ``rules`` a claim is also unsupported when today's hard checks fail;
    with ``metric`` a claim is unsupported when the installed metric's verdict is (``metric_verdicts``)."""
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    faithful_claims = [0, 0]
    for r in rows:
        fails = r.get("rule_fail") if rules else None
        eff = [0.0 if fails and fails[i] else s for i, s in enumerate(r["claim_scores"])]
        if metric:
            eff, threshold = [0.0 if v == "unsupported" else 1.0 for v in r["metric_verdicts"]], 0.5
        low = min(eff) if eff else 1.0
        if r["changed"] is None:
            flagged = sum(1 for s in eff if s < threshold)
            kinds[r["kind"]][0] += int(flagged > 0)
            kinds[r["kind"]][1] += 1
            faithful_claims[0] += flagged
            faithful_claims[1] += len(r["claim_scores"])
            kinds[r["kind"] + " (claims)"][0] += flagged
            kinds[r["kind"] + " (claims)"][1] += len(r["claim_scores"])
        else:
            kinds[r["kind"]][0] += int(low < threshold)
            kinds[r["kind"]][1] += 1
    errors = [v for k, v in kinds.items() if not k.startswith("faithful")]
    out = {k: {"rate": v[0] / v[1], "n": v[1]} for k, v in sorted(kinds.items())}
    out["_caught_all_errors"] = {
        "rate": sum(e[0] for e in errors) / max(1, sum(e[1] for e in errors)),
        "n": sum(e[1] for e in errors),
    }
    out["_faithful_claims_flagged"] = {"rate": faithful_claims[0] / max(1, faithful_claims[1]), "n": faithful_claims[1]}
    return out


def perturb_auc(rows: list[dict]) -> dict[str, float]:
    """ROC AUC of the verifier's claim score: faithful claims vs the lowest claim of each changed sentence."""
    faithful = [s for r in rows if r["changed"] is None for s in r["claim_scores"]]
    out = {}
    kinds = sorted({r["kind"] for r in rows if r["changed"] is not None})
    for kind in ["_all"] + kinds:
        errs = [
            min(r["claim_scores"])
            for r in rows
            if r["changed"] is not None and (kind == "_all" or r["kind"] == kind) and r["claim_scores"]
        ]
        out[kind] = auc([1] * len(faithful) + [0] * len(errs), faithful + errs)
    return out


def choose_threshold(rows: list[dict], max_false_alarm: float = 0.02) -> float:
    """The threshold (grid 0.05, 0.10, ..., 0.95) that catches the most injected errors with rules +
    verifier while flagging at most ``max_false_alarm`` of the faithful *summaries*; ties go to the
    value closest to 0.5 (the dev rows are few: a threshold in the middle of the safe range)."""
    grid = [round(0.05 * i, 2) for i in range(1, 20)]
    best: tuple[float, float, float] | None = None  # (caught, -distance to 0.5, threshold)
    for threshold in grid:
        faithful = flagged = errors = caught = 0
        for r in rows:
            fails = r.get("rule_fail") or [False] * len(r["claim_scores"])
            effective = [0.0 if fail else score for score, fail in zip(r["claim_scores"], fails)]
            low = min(effective) < threshold if effective else False
            if r["changed"] is None:
                faithful += 1
                flagged += int(low)
            else:
                errors += 1
                caught += int(low)
        if faithful and flagged / faithful > max_false_alarm:
            continue
        key = (caught / max(1, errors), -abs(threshold - 0.5), threshold)
        if best is None or key > best:
            best = key
    return best[2] if best is not None else 0.5


# ---------------------------------------------------------------------------------------------


def speed(sc: Scorer) -> dict:
    from make_pairs import read_text

    text = read_text(ROOT / "data" / "documents" / "LIVEPERSON_2017.txt")
    v = sc.verifier
    doc = v.document(text)
    claims = [u for u in doc.units if len(u.split()) > 8][:40]
    cands = v.chunker.candidates(doc, claims, k=sc.k, covering=False)
    passages = [c.text for cs in cands for c in cs]
    pair_claims = [cl for cl, cs in zip(claims, cands) for _ in cs]
    v.score_pairs(passages[:16], pair_claims[:16])
    started = time.time()
    v.score_pairs(passages, pair_claims)
    dt = time.time() - started
    return {"pairs": len(passages), "seconds": dt, "pairs_per_s": len(passages) / dt}


def fmt(v: Any, pct: bool = False) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{100 * v:.1f}" if pct else f"{v:.3f}"


def render(res: dict) -> str:
    L = [
        f"# Claim verifier — {res['split']} evaluation",
        "",
        f"Model `{res['model']}` (weights sha256 `{res.get('weights_sha256', '')[:16]}…`), k = {res['k']} candidate chunks per claim, "
        f"threshold {res['threshold']:.3f}, generated {res['when']}.",
        "",
    ]
    if "summac" in res:
        L += [
            "## SummaC subsets: balanced accuracy (threshold per subset "
            + ("from dev-tune" if res["split"] == "test" else "best on these rows")
            + ")",
            "",
            "| summary score | " + " | ".join(res["summac"]["sets"]["min"]["per_set"]) + " | mean |",
            "|---|" + "---|" * 5,
        ]
        for how, v in res["summac"]["sets"].items():
            label = "ROUGE-1 P vs source" if how == "r1p" else f"verifier {how}"
            L.append(
                f"| {label} | "
                + " | ".join(
                    f"{fmt(p['ba'], True)} (AUC {fmt(p['auc'])}, n={p['n']}/{p['neg']} neg)"
                    for p in v["per_set"].values()
                )
                + f" | {fmt(v['mean_ba'], True)} |"
            )
        L.append("")
    for name, target in (
        ("summeval", "consistency"),
        ("frank", "factuality"),
        ("qags", "share of supported sentences"),
    ):
        if name not in res:
            continue
        L += [f"## {name}: Kendall τ with {target}", ""]
        subsets = [s for s in res[name] if s != "claim_level"]
        per_article = any("tau_article_min" in res[name][s] for s in subsets)
        L.append(
            "| summary score | "
            + " | ".join(f"{s} τ (n={res[name][s]['n']})" for s in subsets)
            + (" | " + " | ".join(f"{s} τ per article" for s in subsets) if per_article else "")
            + " |"
        )
        L.append("|---|" + "---|" * (len(subsets) * (2 if per_article else 1)))
        for how in AGGREGATES + ("r1p",):
            label = "ROUGE-1 P vs source" if how == "r1p" else f"verifier {how}"
            cells = [
                f"{fmt(res[name][s][f'tau_{how}'])} [{fmt(res[name][s][f'tau_{how}_ci'][0])}, {fmt(res[name][s][f'tau_{how}_ci'][1])}]"
                for s in subsets
            ]
            if per_article:
                cells += [
                    f"{fmt(res[name][s][f'tau_article_{how}'])} [{fmt(res[name][s][f'tau_article_{how}_ci'][0])}, {fmt(res[name][s][f'tau_article_{how}_ci'][1])}]"
                    for s in subsets
                ]
            L.append(f"| {label} | " + " | ".join(cells) + " |")
        if "claim_level" in res[name]:
            cl = res[name]["claim_level"]
            L += ["", f"Claim level (QAGS sentences, majority label): ROC AUC {fmt(cl['auc'])} on {cl['n']} sentences."]
        L.append("")
    if "perturb" in res:
        pt = res["perturb"]
        L += [
            f"## 10-K perturbations ({pt['filings']} filings × {len(PERTURB_SEEDS)} generator seeds; companies: {', '.join(pt['companies'])})",
            "",
            "| kind | rate | n |",
            "|---|---|---|",
        ]
        L[-2] = "| kind | verifier (threshold) | today's hard rules only | rules + verifier | n | verifier claim AUC |"
        L[-1] = "|---|---|---|---|---|---|"
        ro, rv, aucs = pt.get("table_rules_only", {}), pt.get("table_rules_and_verifier", {}), pt.get("claim_auc", {})
        for kind, v in pt["table"].items():
            what = (
                "flagged (false alarm)"
                if kind.startswith("faithful") or kind == "_faithful_claims_flagged"
                else "caught"
            )
            a = aucs.get("_all" if kind == "_caught_all_errors" else kind)
            L.append(
                f"| {kind} ({what}) | {fmt(v['rate'], True)}% | {fmt(ro.get(kind, {}).get('rate'), True)}% | "
                f"{fmt(rv.get(kind, {}).get('rate'), True)}% | {v['n']} | {fmt(a) if a is not None else ''} |"
            )
        L.append("")
    if "speed" in res:
        s = res["speed"]
        L += [
            f"Speed: {s['pairs_per_s']:.1f} pairs/s on {res['threads']} thread(s) ({s['pairs']} LivePerson pairs in {s['seconds']:.1f} s); "
            f"whole evaluation scored {res['pairs_scored']} pairs in {res['scoring_seconds']:.0f} s.",
            "",
        ]
    return "\n".join(L)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test"], default="dev")
    parser.add_argument("--model", default=None, help="a model directory (default: the shipped weights)")
    parser.add_argument("--k", type=int, default=None)
    parser.add_argument("--sets", default="summac,frank,qags,perturb,summeval")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--threshold", type=float, default=None, help="10-K claim threshold (default: dev choice / manifest)"
    )
    parser.add_argument(
        "--write-manifest", action="store_true", help="dev: write threshold + dev metrics into the shipped MANIFEST"
    )
    parser.add_argument("--tag", default="")
    parser.add_argument(
        "--reject-below", type=float, default=0.25, help="the metric's reject_below for table_metric (MANIFEST's)"
    )
    parser.add_argument("--prepare", action="store_true", help="only compute and cache the candidate chunks (no model)")
    parser.add_argument(
        "--summeval-articles",
        type=int,
        default=None,
        help="test: a fixed-seed sample of SummEval articles (default all 100)",
    )
    args = parser.parse_args()
    setup(args.threads)
    SUMMEVAL_ARTICLES[0] = args.summeval_articles
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("sentence_transformers", "transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from bizsum.nlp.verifier import CANDIDATES

    k = args.k or CANDIDATES
    sc = Scorer(args.model, k, prepare=args.prepare)
    sets = args.sets.split(",")
    if args.split == "test":
        sets = list(sets)
    else:
        sets = [s for s in sets if s != "summeval"]  # SummEval is test only
    RESULTS.mkdir(parents=True, exist_ok=True)
    dev_path = RESULTS / f"dev{args.tag}.json"
    dev_choice = json.loads(dev_path.read_text()) if args.split == "test" and dev_path.exists() else None
    manifest = sc.verifier.manifest if sc.verifier is not None else {}
    res: dict[str, Any] = {
        "split": args.split,
        "model": args.model or "shipped",
        "k": k,
        "threads": args.threads,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "weights_sha256": manifest.get("files", {}).get(manifest.get("weights_file", ""), ""),
    }
    started = time.time()
    threshold = args.threshold
    if "perturb" in sets:
        rows = perturbation_rows(args.split)
        score_perturbations(sc, rows, args.reject_below)
        if threshold is None:
            if args.split == "dev":
                threshold = choose_threshold(rows)
            else:
                threshold = (
                    float(dev_choice["threshold"]) if dev_choice else (sc.verifier.threshold if sc.verifier else 0.5)
                )
        res["perturb"] = {
            "filings": len({r["doc_id"] for r in rows}),
            "companies": sorted({r["company"] for r in rows}),
            "table": perturbation_table(rows, threshold),
        }
        for t in (0.3, 0.5, 0.7):
            res["perturb"][f"table_at_{t}"] = perturbation_table(rows, t)
        res["perturb"]["table_rules_only"] = perturbation_table(rows, 1e-9, rules=True)
        res["perturb"]["table_rules_and_verifier"] = perturbation_table(rows, threshold, rules=True)
        res["perturb"]["table_metric"] = perturbation_table(rows, 0.5, metric=True)
        log.info(
            "the metric (reject_below %.2f): caught %.1f%%, faithful claims flagged %.1f%%",
            args.reject_below,
            100 * res["perturb"]["table_metric"]["_caught_all_errors"]["rate"],
            100 * res["perturb"]["table_metric"]["_faithful_claims_flagged"]["rate"],
        )
        res["perturb"]["claim_auc"] = perturb_auc(rows)
        (RESULTS / f"perturb_rows_{args.split}{args.tag}.json").write_text(json.dumps(rows, indent=0, default=float))
        log.info("perturb done (%.0f s)", time.time() - started)
        res["threshold"] = threshold
    partial = RESULTS / f"{args.split}{args.tag}.partial.json"
    partial.write_text(json.dumps(res, indent=1, default=float))
    if "summac" in sets:
        res["summac"] = eval_summac(sc, args.split, dev_choice)
        log.info(
            "summac done (%.0f s): %s",
            time.time() - started,
            {h: round(v["mean_ba"], 4) for h, v in res["summac"]["sets"].items()},
        )
        if args.split == "dev":
            res["summac_thresholds"] = {
                h: {n: p["threshold"] for n, p in v["per_set"].items()} for h, v in res["summac"]["sets"].items()
            }
        partial.write_text(json.dumps(res, indent=1, default=float))
    if "frank" in sets:
        res["frank"] = eval_corr(sc, "frank", args.split, "factuality")
        log.info("frank done (%.0f s)", time.time() - started)
        partial.write_text(json.dumps(res, indent=1, default=float))
    if "qags" in sets:
        res["qags"] = eval_corr(sc, "qags", args.split, "faithfulness")
        log.info("qags done (%.0f s)", time.time() - started)
        partial.write_text(json.dumps(res, indent=1, default=float))
    if "summeval" in sets and args.split == "test":
        res["summeval"] = eval_corr(sc, "summeval", "test", "consistency", by_article=True)
        log.info("summeval done (%.0f s)", time.time() - started)
    if args.prepare:
        log.info("candidates prepared in %.0f s", time.time() - started)
        return
    assert sc.verifier is not None
    res["threshold"] = threshold if threshold is not None else sc.verifier.threshold
    res["pairs_scored"] = sc.pairs
    res["scoring_seconds"] = sc.seconds
    res["speed"] = speed(sc)
    (RESULTS / f"{args.split}{args.tag}.json").write_text(json.dumps(res, indent=1, default=float))
    (RESULTS / f"{args.split}{args.tag}.md").write_text(render(res))
    print(render(res))
    if args.write_manifest and args.split == "dev":
        write_manifest(res)


def write_manifest(res: dict) -> None:
    from export import OUT, sha256

    path = OUT / "MANIFEST.json"
    manifest = json.loads(path.read_text())
    manifest["threshold"] = res["threshold"]
    manifest["threshold_source"] = (
        f"dev-tune 10-K perturbations, {res['when']}: choose_threshold (most injected errors caught by rules + "
        "verifier with <= 2% of faithful summaries flagged; grid 0.05..0.95, ties to 0.5)"
    )
    metrics: dict[str, Any] = {"split": "dev (tune part; never trained on)", "k": res["k"]}
    if "summac" in res:
        metrics["summac_mean_ba"] = {h: v["mean_ba"] for h, v in res["summac"]["sets"].items()}
    if "frank" in res:
        metrics["frank_tau_min"] = {s: v["tau_min"] for s, v in res["frank"].items()}
    if "qags" in res:
        metrics["qags_tau_min"] = {s: v["tau_min"] for s, v in res["qags"].items() if s != "claim_level"}
    if "perturb" in res:
        metrics["perturb"] = {k: v["rate"] for k, v in res["perturb"]["table"].items()}
    metrics["pairs_per_s_1_thread"] = res["speed"]["pairs_per_s"]
    manifest["metrics"] = metrics
    manifest["files"] = {f.name: sha256(f) for f in sorted(OUT.iterdir()) if f.is_file() and f.name != "MANIFEST.json"}
    path.write_text(json.dumps(manifest, indent=1) + "\n")
    log.info("manifest updated: threshold %.4f", res["threshold"])


if __name__ == "__main__":
    main()
