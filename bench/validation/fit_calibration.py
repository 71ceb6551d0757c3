"""Fit the claim-level logistic model of source_only on DEV data only; prints COEFFICIENTS.

    python bench/validation/fit_calibration.py          # after validate_metrics.py has filled the caches

Training claims (all from dev halves; no test row is read):

* SummaC subsets, dev half: every claim of a summary labelled consistent is a positive; a summary
  labelled inconsistent that has exactly one claim is a negative (multi-claim inconsistent summaries
  are skipped: we do not know which claim is wrong);
* (only with ``--with-qags``; not used for the shipped coefficients, so QAGS stays fully held out)
  QAGS, dev half: every summary sentence, labelled by the majority of its 3 judgments;
* perturbations, dev filings: claims of faithful summaries are positives, the claim that holds the
  injected error is a negative.

Each pool gets the same total weight; classes are balanced within a pool. The printed dict goes into
``bizsum/metrics/source_only.py:COEFFICIENTS``.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.datasets import load_qags, load_summac
from bench.validation import embed_cache
from bench.validation.compute import CACHE_DIR, _doc

FEATURES = [
    "sim",
    "lex_local",
    "lex_global",
    "bigram_local",
    "novel_words",
    "bad_numbers",
    "bad_names",
    "negation_mismatch",
    "direction_mismatch",
]


def _cache(name: str) -> dict[str, dict]:
    path = CACHE_DIR / f"{name}.jsonl"
    return {json.loads(line)["_id"]: json.loads(line) for line in path.open()} if path.exists() else {}


def pools(with_qags: bool = False) -> dict[str, tuple[list[list[float]], list[int]]]:
    from bench.perturbations import generate
    from bench.validation.validate_metrics import _holds_marker
    from bizsum.metrics.source_only import check_claim
    from bizsum.nlp.encoders import embed
    from bizsum.nlp.source_index import source_index

    out: dict[str, tuple[list, list]] = {}
    summac = _cache("summac")
    X, y = [], []
    for row in load_summac():
        rec = summac.get(row["key"])
        if row["split"] != "dev" or rec is None:
            continue
        claims = [c for c in rec["so_claims_detail"] if "sim" in c["features"]]
        if row["label"] == 1:
            for c in claims:
                X.append([c["features"][f] for f in FEATURES])
                y.append(1)
        elif len(claims) == 1:
            X.append([claims[0]["features"][f] for f in FEATURES])
            y.append(0)
    out["summac_dev"] = (X, y)

    perturb = _cache("perturb")
    rows = generate()
    X, y = [], []
    for i, r in enumerate(rows):
        rec = perturb.get(f"{r['doc_id']}|{r['kind']}|{i}")
        if r["split"] != "dev" or rec is None:
            continue
        for c in rec["so_claims_detail"]:
            if "sim" not in c["features"]:
                continue
            if not r["error"]:
                X.append([c["features"][f] for f in FEATURES])
                y.append(1)
            elif _holds_marker(c["text"], r):
                X.append([c["features"][f] for f in FEATURES])
                y.append(0)
    out["perturb_dev"] = (X, y)

    if not with_qags:
        return out
    X, y = [], []
    for r in load_qags():
        if r["split"] != "dev":
            continue
        doc = _doc(r["document"])
        index = source_index(doc.text, doc.sha256)
        for sent, e, lab in zip(r["summary_sentences"], embed(r["summary_sentences"]), r["sentence_support"]):
            X.append([check_claim(sent, e, index).features[f] for f in FEATURES])
            y.append(int(lab > 0.5))
    embed_cache.save()
    out["qags_dev"] = (X, y)
    return out


def main() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    logging.basicConfig(level=logging.INFO)
    embed_cache.install()
    data = pools(with_qags="--with-qags" in sys.argv)
    Xs, ys, ws = [], [], []
    for name, (X, y) in data.items():
        y = np.array(y)
        n_pos, n_neg = (y == 1).sum(), (y == 0).sum()
        print(f"{name}: {len(y)} claims, {n_pos} supported, {n_neg} unsupported")
        if not len(y) or not n_pos or not n_neg:
            continue
        w = np.where(y == 1, 0.5 / n_pos, 0.5 / n_neg)
        Xs.append(np.array(X))
        ys.append(y)
        ws.append(w)
    X, y, w = np.concatenate(Xs), np.concatenate(ys), np.concatenate(ws)
    model = LogisticRegression(C=1.0, max_iter=2000)
    model.fit(X, y, sample_weight=w * len(y))
    coef = {"bias": round(float(model.intercept_[0]), 3)}
    coef.update({f: round(float(c), 3) for f, c in zip(FEATURES, model.coef_[0])})
    print("COEFFICIENTS =", json.dumps(coef, indent=4))
    for name, (Xp, yp) in data.items():
        if len(set(yp)) == 2:
            print(f"  dev AUC {name}: {roc_auc_score(yp, model.decision_function(np.array(Xp))):.3f}")
    # threshold: best pooled balanced accuracy on dev claims among thresholds that flag at most 5%
    # of the faithful claims of the dev perturbation filings
    prob = model.predict_proba(X)[:, 1]
    Xp, yp = data["perturb_dev"]
    pp = model.predict_proba(np.array(Xp))[:, 1]
    faithful = pp[np.array(yp) == 1]
    best = (0.0, 0.5)
    for t in np.linspace(0.05, 0.95, 91):
        if (faithful < t).mean() > 0.05:
            continue
        pred = prob >= t
        ba = 0.5 * (np.average(pred[y == 1], weights=w[y == 1]) + np.average(~pred[y == 0], weights=w[y == 0]))
        if ba > best[0]:
            best = (ba, float(t))
    print(f"SUPPORT_THRESHOLD = {best[1]:.2f}  (weighted dev balanced accuracy {best[0]:.3f})")


if __name__ == "__main__":
    main()
