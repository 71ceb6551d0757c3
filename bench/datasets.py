"""Loaders for the human-labelled benchmarks in shared/data (see shared/data/SOURCES.md).

Every loader returns a list of dict rows with at least: ``set``, ``key`` (unique), ``doc_key``
(groups summaries of the same source), ``document``, ``summary``, ``references`` (list, maybe
empty) and the human labels of that set. ``split`` is ``dev`` or ``test``:

* SummaC subsets and QAGS: a seeded hash of the *document* decides (fixed before any result was
  looked at: ``sha256("bizsum-split-v1|" + doc_key)``, even first byte = dev), so no source text is
  in both halves;
* FRANK: its own ``valid`` (dev) / ``test`` split;
* SummEval: no split is needed (nothing is fitted on it); all rows are ``test``.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
from pathlib import Path

#: the shared data sets: ``BIZSUM_SHARED_DATA``, else ``data/`` of the shared folder
#: (``BIZSUM_SHARED_DIR``, as in the tests, else ``../shared`` beside the repository)
DATA = Path(
    os.environ.get("BIZSUM_SHARED_DATA")
    or Path(os.environ.get("BIZSUM_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared") / "data"
)

SPLIT_SALT = "bizsum-split-v1|"


def seeded_split(doc_key: str) -> str:
    return "dev" if hashlib.sha256((SPLIT_SALT + doc_key).encode()).digest()[0] % 2 == 0 else "test"


def _doc_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def load_summeval() -> list[dict]:
    rows = []
    with open(DATA / "summeval" / "summeval_12models_with_source.jsonl", encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            refs = r["references"]
            if isinstance(refs, str):
                refs = ast.literal_eval(refs)
            rows.append(
                {
                    "set": "summeval",
                    "key": f"{r['id']}|{r['model_id']}",
                    "doc_key": r["id"],
                    "document": r["text"],
                    "summary": r["decoded"],
                    "references": list(refs),
                    "consistency": float(r["expert_mean_consistency"]),
                    "relevance": float(r["expert_mean_relevance"]),
                    "split": "test",
                }
            )
    return rows


SUMMAC_SETS = ("factcc", "polytope", "summeval", "xsumfaith")


def load_summac() -> list[dict]:
    rows = []
    for name in SUMMAC_SETS:
        data = json.loads((DATA / "summac_benchmark_subset" / f"{name}.json").read_text(encoding="utf-8"))
        for key, r in data.items():
            dk = _doc_key(r["document"])
            rows.append(
                {
                    "set": f"summac_{name}",
                    "key": f"{name}|{key}",
                    "doc_key": dk,
                    "document": r["document"],
                    "summary": r["claim"],
                    "references": [],
                    "label": int(r["label"]),
                    "split": seeded_split(dk),
                }
            )
    return rows


def load_frank() -> list[dict]:
    rows = []
    with open(DATA / "frank" / "frank_joined.jsonl", encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            r = json.loads(line)
            rows.append(
                {
                    "set": f"frank_{r['dataset']}",
                    "key": f"{r['hash']}|{r['model_name']}|{i}",
                    "doc_key": r["hash"],
                    "document": r["article"],
                    "summary": r["summary"],
                    "references": [r["reference"]] if r.get("reference") else [],
                    "factuality": float(r["Factuality"]),
                    "split": "dev" if r["split"] == "valid" else "test",
                }
            )
    return rows


def load_qags() -> list[dict]:
    rows = []
    for name in ("cnndm", "xsum"):
        with open(DATA / "qags" / f"mturk_{name}.jsonl", encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                r = json.loads(line)
                sents = r["summary_sentences"]
                if isinstance(sents, str):
                    sents = ast.literal_eval(sents)
                labels = []
                for s in sents:
                    yes = sum(1 for resp in s["responses"] if resp["response"].strip().lower() == "yes")
                    labels.append(yes / max(1, len(s["responses"])))
                dk = _doc_key(r["article"])
                rows.append(
                    {
                        "set": f"qags_{name}",
                        "key": f"qags_{name}|{i}",
                        "doc_key": dk,
                        "document": r["article"],
                        "summary": " ".join(s["sentence"] for s in sents),
                        "summary_sentences": [s["sentence"] for s in sents],
                        "sentence_support": labels,
                        "references": [],
                        "faithfulness": sum(labels) / len(labels) if labels else 1.0,
                        "split": seeded_split(dk),
                    }
                )
    return rows


LOADERS = {"summeval": load_summeval, "summac": load_summac, "frank": load_frank, "qags": load_qags}
