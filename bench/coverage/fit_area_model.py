"""Fit the focus-area sentence model (bizsum/resources/focus_area_model.json) on the realistic set's dev half.

    python bench/coverage/fit_area_model.py            # fit, report the dev cross-validation, write the model
    python bench/coverage/fit_area_model.py --dry-run  # report only

Training rows are the sentences of the dev companies' faithful and paraphrased summaries
(``data/validation/realistic/sheets``), each tagged by the project with the areas whose key content
it carries (``area_sentences``). Features are what the metric computes for a summary sentence
(:func:`bizsum.nlp.area_model.sentence_features`). One L2 logistic regression per area
(class-balanced).

Honest dev numbers come from leave-one-company-out: for each dev company, a model fit on the other
18 scores that company's summaries and their area ablations (``bench/labels/realistic.py``), and an
area is "carried" when a sentence reaches the threshold. The per-area threshold is the one with the
best pooled out-of-fold balanced accuracy (ties: the one nearest 0.5); the shipped model is then fit
on all dev sentences with those thresholds. The test half is never read.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "labels"))
sys.path.insert(0, str(ROOT / "bench" / "validation"))

import embed_cache
from realistic import SHEETS, Summary, company_splits, load

from bizsum.nlp.area_model import MODEL_FILE, sentence_features
from bizsum.nlp.claims import claims_by_sentence
from bizsum.nlp.focus_areas import FOCUS_AREAS, absence_areas
from bizsum.nlp.source_index import embed_claims

log = logging.getLogger("bench.fit_area_model")
OUT = ROOT / "bizsum" / "resources" / MODEL_FILE
#: L2 strength (sklearn's C) and the threshold grid
C = float(os.environ.get("AREA_MODEL_C", "0.3"))
GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)
VERSION = "1"


def features(text: str) -> tuple[np.ndarray, list[list[str]]]:
    groups = claims_by_sentence(text)
    sentences = [" ".join(g) for g in groups]
    return sentence_features(sentences, [embed_claims(g) for g in groups]), groups


def training_rows() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(features, labels sentences x areas, company) of the dev sheets' sentences."""
    splits = company_splits()
    X, Y, G = [], [], []
    for path in sorted(SHEETS.glob("*.json")):
        sheet = json.loads(path.read_text(encoding="utf-8"))
        company, split = splits[sheet["doc_id"]]
        if split != "dev":
            continue
        for variant in ("faithful", "paraphrase"):
            for row, tags in zip(sheet[variant], sheet["area_sentences"][variant]):
                feats, _ = features(row["text"].strip())
                if not len(feats):
                    continue
                # a sentence the claim splitter cuts in two is one unit here too: the mean of its parts
                X.append(feats.mean(axis=0) if len(feats) > 1 else feats[0])
                Y.append([a in tags for a in FOCUS_AREAS])
                G.append(company)
    return np.array(X, dtype="float32"), np.array(Y, dtype=bool), np.array(G)


def fit(X: np.ndarray, Y: np.ndarray) -> list[LogisticRegression]:
    return [LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(X, Y[:, k]) for k in range(Y.shape[1])]


def summary_scores(models: list[LogisticRegression], s: Summary) -> tuple[np.ndarray, set[str]]:
    """Per area the best sentence probability of a summary, and the areas it says are not described."""
    feats, groups = features(s.text)
    probs = np.stack([m.predict_proba(feats)[:, 1] for m in models], axis=1)
    absent = {a for g in groups for c in g for a in absence_areas(c)}
    return probs.max(axis=0), absent


def balanced_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    if y.all() or not y.any():
        return float("nan")
    return float(0.5 * (p[y].mean() + (~p[~y]).mean()))


def cross_validate(X: np.ndarray, Y: np.ndarray, G: np.ndarray) -> dict[str, list[tuple[bool, float, bool]]]:
    """Leave-one-company-out on the dev summaries: per area (label covered, best probability, says absent)."""
    summaries = [s for s in load("dev", ablations=True) if not s.variant.startswith("error:")]
    out: dict[str, list[tuple[bool, float, bool]]] = {a: [] for a in FOCUS_AREAS}
    for company in sorted(set(G)):
        train = np.asarray(G) != str(company)
        models = fit(X[train], Y[train])
        for s in summaries:
            if s.company != company:
                continue
            best, absent = summary_scores(models, s)
            for k, area in enumerate(FOCUS_AREAS):
                if s.areas[area] in ("covered", "missed"):
                    out[area].append((s.areas[area] == "covered", float(best[k]), area in absent))
        log.info("fold %s done", company)
    return out


def choose_thresholds(oof: dict[str, list[tuple[bool, float, bool]]]) -> dict[str, dict[str, float]]:
    chosen = {}
    for area, rows in oof.items():
        y = np.array([r[0] for r in rows])
        p = np.array([r[1] for r in rows])
        absent = np.array([r[2] for r in rows])
        scored = [(balanced_accuracy(y, (p >= t) | absent), -abs(t - 0.5), t) for t in GRID]
        ba, _, t = max(scored)
        chosen[area] = {"threshold": float(t), "dev_cv_balanced_accuracy": round(ba, 3), "n": len(rows)}
    y = np.array([r[0] for a in FOCUS_AREAS for r in oof[a]])
    call = np.array([(r[1] >= chosen[a]["threshold"]) | r[2] for a in FOCUS_AREAS for r in oof[a]])
    chosen["_pooled"] = {"dev_cv_balanced_accuracy": round(balanced_accuracy(y, call), 3), "n": len(y)}
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="report the cross-validation, write nothing")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    embed_cache.install("coverage")
    X, Y, G = training_rows()
    log.info("%d dev sentences from %d companies; positives per area %s", len(X), len(set(G)), Y.sum(axis=0))
    oof = cross_validate(X, Y, G)
    embed_cache.save()
    chosen = choose_thresholds(oof)
    for area, row in chosen.items():
        print(f"{area:24s} {row}")
    if args.dry_run:
        return
    models = fit(X, Y)
    payload = {
        "name": "bizsum focus-area sentence model",
        "version": VERSION,
        "features": "unit-length mean of the sentence's claim embeddings (all-MiniLM-L6-v2, 384), then "
        "bizsum.nlp.focus_areas.keyword_scores (5)",
        "model": f"per area an L2 logistic regression (C={C}, class-balanced); P = sigmoid(w . x + b)",
        "fit_on": {
            "data": "data/validation/realistic/sheets, dev companies of bench/data/company_split.json only: "
            "sentences of the faithful and paraphrased summaries with the project's area_sentences tags",
            "companies": sorted(set(G.tolist())),
            "sentences": len(X),
            "positives": {a: int(Y[:, k].sum()) for k, a in enumerate(FOCUS_AREAS)},
            "command": "python bench/coverage/fit_area_model.py",
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        },
        "thresholds_from": "leave-one-company-out on the dev summaries and their area ablations: the best "
        "pooled balanced accuracy of 'some sentence reaches the threshold (or says the area is not described)'",
        "areas": {
            area: {
                "threshold": chosen[area]["threshold"],
                "dev_cv_balanced_accuracy": chosen[area]["dev_cv_balanced_accuracy"],
                "bias": round(float(models[k].intercept_[0]), 6),
                "weights": [round(float(w), 6) for w in models[k].coef_[0]],
            }
            for k, area in enumerate(FOCUS_AREAS)
        },
        "dev_cv_balanced_accuracy": chosen["_pooled"]["dev_cv_balanced_accuracy"],
    }
    OUT.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
