"""The LLM judge (``judge_claims``) on the realistic labelled set's dev half, beside source_only and the labels.

    nice -n 19 python bench/validation/realistic_judge.py                    # the 4 tune companies, today's prompt
    nice -n 19 python bench/validation/realistic_judge.py --prompts before   # the claim prompt before issue 17
    python bench/validation/realistic_judge.py --prompts before,current --cached-only   # the table in docs/metrics.md

Every claim of the chosen documents' summaries (six per document: faithful, paraphrase, four
one-error copies) goes through the installed ``judge_claims`` metric with a local GGUF model
(default Qwen2.5-Coder-1.5B-Instruct Q4_K_M, llama.cpp, 1 thread, temperature 0, first-token
probabilities; no ``max_claims`` cut). The claims are ``split_claims``'s, so the judge,
source_only and the labels are compared on the same claims. Each answered claim is appended to
``--log`` (default ``bench/results/realistic_judge/judged_claims.jsonl``: claim, prompt, verdict,
P(Yes), answer, evidence, model time), and the model's answers go to the response cache
``--cache`` (``.../answers``): a run stopped half-way and started again asks only for claims not
answered yet. source_only's verdicts are kept in ``.../source_only_v<version>.jsonl``.

The model is asked in the order of :func:`judging_order`: document by document (shortest text
first), sentence by sentence, in turn an altered sentence, a paraphrase sentence and a faithful
sentence, so a run stopped early has measured a little of everything.

``--cached-only`` never runs the model: the table from the log alone, on the claims answered under
every prompt asked for (the same claims for every verdict source). Printed per verdict source
(judge per prompt, source_only): the faithful claims called unsupported (faithful and paraphrase
summaries apart); the faithful summaries with any unsupported claim (only those answered in full);
per error kind, the share of one-error copies whose altered sentence has an unsupported claim (only
copies whose altered sentence is answered; ``realistic_eval.tally``'s reading); claim-level
balanced accuracy over distinct claims (unsupported = positive) and the AUC of the claim's score
(P(Yes) for the judge); and per prompt the answers not readable as Yes/No and the model time per
claim. Only dev documents are accepted: the test half is for the installed metric's one look.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "labels"))
sys.path.insert(0, str(ROOT / "bench" / "validation"))
sys.path.insert(0, str(ROOT))

from realistic import ERROR_KINDS, Summary, load
from realistic_eval import tally

from bizsum.config import JudgeSettings, ModelSpec
from bizsum.corpus.documents import Document
from bizsum.metrics.base import ScoringItem
from bizsum.metrics.judge import JudgeClaimsMetric, JudgeSetup
from bizsum.metrics.judge import prompts as judge_prompts
from bizsum.metrics.judge.client import JudgeAnswer, JudgeRequest
from bizsum.metrics.judge.prompts import claim_prompt, parse_verdict
from bizsum.nlp.claims import split_claims

#: the dev companies that chose source_only's thresholds (bench/verifier/make_pairs.tune_company)
TUNE_DOCS = ("GOOGL_2024", "NKE_2025", "ABBV_2024", "ADBE_2024")  # shortest text first
DEFAULT_JUDGE = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_CACHE = ROOT / "bench" / "results" / "realistic_judge" / "answers"
DEFAULT_LOG = ROOT / "bench" / "results" / "realistic_judge" / "judged_claims.jsonl"

#: ``CLAIM_PROMPT`` as it was before issue 17 (commit 7bc7af7), for ``--prompt before``
CLAIM_PROMPT_BEFORE = """You check one claim from a summary of a company's 10-K filing (Item 1, Business) against passages of that filing.

Passages:
{passages}

Claim: "{claim}"

Is the claim supported by the passages? It is supported only when everything it states (what the company does, numbers, names, customers, channels, financing) is said in the passages or follows directly from them.

Answer with Yes or No on the first line. On the second line give the reason in one short sentence."""


def choose_docs(spec: str) -> list[str]:
    """Document ids for ``--docs``: 'tune', 'dev' (tune first, then the other dev documents) or ids."""
    dev = sorted({s.doc_id for s in load("dev")})
    if spec == "tune":
        return list(TUNE_DOCS)
    if spec == "dev":
        return list(TUNE_DOCS) + [d for d in dev if d not in TUNE_DOCS]
    wanted = [d.strip() for d in spec.split(",") if d.strip()]
    outside = [d for d in wanted if d not in dev]
    if outside:
        raise SystemExit(f"--docs: {', '.join(outside)} not in the dev half of the realistic set")
    return wanted


def document(doc_id: str) -> Document:
    return Document(id=doc_id, text=(ROOT / "data" / "documents" / f"{doc_id}.txt").read_text(encoding="utf-8"))


def judge_metric(model: str, threads: int, cache: Path) -> JudgeClaimsMetric:
    spec = ModelSpec(id=f"judge-{model}", provider="local", model=model, options={"n_ctx": 2048, "n_threads": threads})
    settings = JudgeSettings(model=spec, metrics=["judge_claims"], max_claims=500, passages=3)
    return JudgeClaimsMetric(JudgeSetup(settings, cache_dir=cache, data_dir=ROOT / "data"))


def judging_order(summaries: list[Summary]) -> list[tuple[Summary, str]]:
    """What to ask in which order, so that a run stopped early has measured a little of everything:
    document by document (each new document costs an index build), sentence by sentence
    (``split_claims`` cuts a sentence alone exactly as inside its summary), in turn an altered
    sentence of a one-error copy, a paraphrase sentence and a faithful sentence; then every whole
    summary (answered from the cache by then)."""
    order: list[tuple[Summary, str]] = []
    for doc_id in dict.fromkeys(s.doc_id for s in summaries):
        mine = [s for s in summaries if s.doc_id == doc_id]
        queues = [
            [(s, s.sentences[s.labels.index("unsupported")]) for s in mine if s.kind],
            [(s, t) for s in mine if s.variant == "paraphrase" for t in s.sentences],
            [(s, t) for s in mine if s.variant == "faithful" for t in s.sentences],
        ]
        order += [q[i] for i in range(max(map(len, queues))) for q in queues if i < len(q)]
    return order + [(s, s.text) for s in summaries]


def run_judge(metric: JudgeClaimsMetric, summaries: list[Summary], prompt: str, log_path: Path) -> None:
    """Ask the judge about every claim of ``summaries`` in :func:`judging_order`, appending each
    answered claim to the log (doc, claim, prompt, verdict, score, answer, evidence, model time)."""
    seen: dict[str, JudgeAnswer] = {}
    ask = metric.client.ask

    def recording(requests: list[JudgeRequest], desc: str = "") -> list[JudgeAnswer]:
        answers = ask(requests, desc)
        for request, answer in zip(requests, answers):
            seen.setdefault(request.prompt, answer)
        return answers

    metric.client.ask = recording  # type: ignore[method-assign]
    logged = {(r["doc_id"], r["claim"]) for r in read_log(log_path, prompt)}
    docs: dict[str, Document] = {}
    order = judging_order(summaries)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as handle:
        for n, (s, text) in enumerate(order, 1):
            doc = docs.setdefault(s.doc_id, document(s.doc_id))
            started, cpu = time.perf_counter(), time.process_time()
            (result,) = metric.score_batch([ScoringItem(summary=text, document=doc)])
            for row in result.details["claims"]:
                if row["verdict"] in ("error", "not_judged") or (s.doc_id, row["text"]) in logged:
                    continue
                answer = seen[claim_prompt(row["text"], row["evidence"])]
                record = {
                    "doc_id": s.doc_id,
                    "claim": row["text"],
                    "prompt": prompt,
                    "prompt_sha": prompt_sha(),
                    **{k: row.get(k) for k in ("verdict", "score", "answer", "evidence")},
                    "latency_s": answer.latency_s,
                    "prompt_tokens": answer.prompt_tokens,
                    "completion_tokens": answer.completion_tokens,
                }
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                handle.flush()
                logged.add((s.doc_id, row["text"]))
            print(
                f"  {n}/{len(order)} {s.doc_id} {s.variant}{'' if text == s.text else ' (one sentence)'}: "
                f"{len(result.details['claims'])} claims, {result.details['cached']} cached, "
                f"{time.perf_counter() - started:.0f} s, {time.process_time() - cpu:.1f} CPU-s",
                file=sys.stderr,
                flush=True,
            )


def prompt_sha() -> str:
    return hashlib.sha256(judge_prompts.CLAIM_PROMPT.encode()).hexdigest()[:12]


def read_log(path: Path, prompt: str) -> list[dict[str, Any]]:
    """The logged claims of one prompt (the last answer of a claim wins)."""
    if not path.is_file():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["prompt"] == prompt]


def judged_rows(summaries: list[Summary], logged: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Per summary the judge's claim rows from the log (``not_judged`` for a claim not there)."""
    by_claim = {(r["doc_id"], r["claim"]): r for r in logged}
    out = []
    for s in summaries:
        rows = []
        for claim in split_claims(s.text):
            r = by_claim.get((s.doc_id, claim))
            rows.append({**r, "text": claim} if r else {"text": claim, "verdict": "not_judged", "score": None})
        out.append(rows)
    return out


def source_only_verdicts(summaries: list[Summary], path: Path) -> list[list[dict[str, Any]]]:
    """source_only's claim rows per summary, cached in ``path`` (one line per summary text)."""
    from bizsum.metrics.source_only.metric import score_summary
    from bizsum.nlp.source_index import source_index

    cached: dict[str, list[dict[str, Any]]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            cached[row["sha"]] = row["claims"]
    missing = [s for s in summaries if s.sha not in cached]
    if missing:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            for s in missing:
                doc = document(s.doc_id)
                _, details = score_summary(s.text, source_index(doc.text, doc.sha256), doc.text)
                claims = [{"text": c["text"], "verdict": c["verdict"], "score": c["score"]} for c in details["claims"]]
                cached[s.sha] = claims
                handle.write(
                    json.dumps({"sha": s.sha, "doc_id": s.doc_id, "variant": s.variant, "claims": claims}) + "\n"
                )
                handle.flush()
    return [cached[s.sha] for s in summaries]


DECIDED = ("supported", "unsupported", "uncertain")


def answered_texts(rows: list[dict[str, Any]]) -> set[str]:
    """The claims of a summary that have a verdict (not failed, not missing from the cache)."""
    return {r["text"] for r in rows if r["verdict"] in DECIDED}


def on_claims(rows: list[dict[str, Any]], texts: set[str]) -> list[dict[str, Any]]:
    return [r for r in rows if r["text"] in texts]


def claim_agreement(summaries: list[Summary], scored: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Claim-level balanced accuracy (unsupported = positive) over the distinct labelled claims of
    each document (a faithful claim repeated in the four one-error copies counts once); claims
    without a verdict are left out and counted. ``uncertain`` is not a violation (as in the
    metric), so it counts as a 'supported' call here."""
    calls: dict[tuple[str, str, str], dict[str, Any] | None] = {}
    for s, rows in zip(summaries, scored):
        verdicts = {r["text"]: r for r in rows if r["verdict"] in DECIDED}
        for claim, label, _ in s.claim_labels():
            key = (s.doc_id, claim, label)
            if calls.get(key) is None:
                calls[key] = verdicts.get(claim)
    tp = fn = tn = fp = 0
    pairs: list[tuple[float, bool]] = []  # (support score, labelled unsupported) for the AUC
    for (_, _, label), row in calls.items():
        if row is None:
            continue
        bad, called = label == "unsupported", row["verdict"] == "unsupported"
        tp += bad and called
        fn += bad and not called
        tn += (not bad) and not called
        fp += (not bad) and called
        if isinstance(row.get("score"), (int, float)):
            pairs.append((float(row["score"]), bad))
    tpr = tp / max(1, tp + fn)
    tnr = tn / max(1, tn + fp)
    return {
        "claims": tp + fn + tn + fp,
        "unsupported_labelled": tp + fn,
        "left_out": sum(row is None for row in calls.values()),
        "recall_unsupported": tpr,
        "specificity": tnr,
        "balanced_accuracy": (tpr + tnr) / 2,
        "auc_support_score": auc(pairs),
    }


def compare(summaries: list[Summary], rows: list[list[dict[str, Any]]], texts: list[set[str]]) -> dict[str, Any]:
    """One verdict source on the claims in ``texts`` (per summary): ``realistic_eval.tally`` on the
    answered claims (one-error copies only when their altered sentence is answered in full), its
    'faithful summaries flagged' on the faithful summaries answered in full, and the claim agreement."""
    kept, kept_rows, whole, whole_rows = [], [], [], []
    for s, summary_rows, answered in zip(summaries, rows, texts):
        mine = on_claims(summary_rows, answered)
        labels = s.claim_labels()
        if s.kind:
            altered = {c for c, label, _ in labels if label == "unsupported"}
            if not altered <= answered:
                continue
        elif not mine:
            continue
        kept.append(s)
        kept_rows.append(mine)
        if not s.kind and {c for c, _, _ in labels} <= answered:
            whole.append(s)
            whole_rows.append(mine)
    result = tally(kept, kept_rows, "source_only")
    flagged = tally(whole, whole_rows, "source_only")
    result["faithful_summaries_flagged"] = flagged["faithful_summaries_flagged"]
    result["faithful_summaries_answered_in_full"] = len(whole)
    result["one_error_summaries"] = {k: sum(1 for s in kept if s.kind == k) for k in ERROR_KINDS}
    return {"tally": result, "claims": claim_agreement(kept, kept_rows)}


def auc(pairs: list[tuple[float, bool]]) -> float | None:
    """P(a supported claim scores above an unsupported one), ties half: the score's ranking quality."""
    from sklearn.metrics import roc_auc_score

    supported = [not bad for _, bad in pairs]
    if all(supported) or not any(supported):
        return None
    return float(roc_auc_score(supported, [p for p, _ in pairs]))


def answer_stats(logged: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = [r["latency_s"] for r in logged if r.get("latency_s") is not None]
    return {
        "claims_answered": len(logged),
        "unparsed_answers": sum(parse_verdict(r.get("answer") or "")[0] == "unparsed" for r in logged),
        "seconds_per_claim_mean": statistics.fmean(latencies) if latencies else None,
        "seconds_per_claim_median": statistics.median(latencies) if latencies else None,
        "prompt_tokens_mean": statistics.fmean([r["prompt_tokens"] for r in logged if r.get("prompt_tokens")] or [0]),
        "answer_tokens_mean": statistics.fmean(
            [r["completion_tokens"] for r in logged if r.get("completion_tokens")] or [0]
        ),
    }


def share(variant: dict[str, Any] | None) -> str:
    """'x% of n' faithful claims of one variant called unsupported."""
    return f"{variant['unsupported']:.1%} of {variant['claims']}" if variant and variant["claims"] else "–"


def print_table(rows: dict[str, dict[str, Any]]) -> None:
    head = [
        "verdict",
        "faithful claims unsupported",
        "… faithful",
        "… paraphrase",
        "faithful summaries flagged",
        *(f"{k} caught" for k in ERROR_KINDS),
        "claim BA",
        "AUC of score",
        "claims (left out)",
    ]
    print("| " + " | ".join(head) + " |")
    print("|---" * len(head) + "|")
    for name, result in rows.items():
        t, agree = result["tally"], result["claims"]
        bv = t["by_variant"]
        cells = [
            name,
            f"{t['faithful_claims_unsupported']:.1%} of {t['faithful_claims']}" if t["faithful_claims"] else "–",
            share(bv.get("faithful")),
            share(bv.get("paraphrase")),
            f"{t['faithful_summaries_flagged']:.0%} of {t['faithful_summaries_answered_in_full']}"
            if t["faithful_summaries_answered_in_full"]
            else "–",
            *(
                f"{t['caught'][k]:.0%} of {t['one_error_summaries'][k]}" if t["one_error_summaries"][k] else "–"
                for k in ERROR_KINDS
            ),
            f"{agree['balanced_accuracy']:.3f}",
            "–" if agree["auc_support_score"] is None else f"{agree['auc_support_score']:.3f}",
            f"{agree['claims']} ({agree['left_out']})",
        ]
        print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", default="tune", help="'tune' (default), 'dev', or comma-separated dev doc ids")
    parser.add_argument(
        "--prompts", default="current", help="comma-separated: current (prompts.CLAIM_PROMPT), before (before issue 17)"
    )
    parser.add_argument("--judge", default=DEFAULT_JUDGE, help="a local model of bizsum.providers.local_models")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", default=str(DEFAULT_CACHE), help="the judge's response cache (resumes a run)")
    parser.add_argument("--log", default=str(DEFAULT_LOG), help="the judged claims, one line each (the table's input)")
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="never run the model: the table from the log, on the claims answered under every prompt",
    )
    parser.add_argument("--out", default="", help="write the numbers to this JSON file")
    parser.add_argument("--dump", default="", help="write every claim's label and verdicts to this JSONL file")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)  # the claim and source embeddings too: one thread on a shared machine
    templates = {"current": judge_prompts.CLAIM_PROMPT, "before": CLAIM_PROMPT_BEFORE}
    names = [p.strip() for p in args.prompts.split(",") if p.strip()]
    unknown = [p for p in names if p not in templates]
    if unknown or not names:
        parser.error(f"--prompts: unknown {unknown}; known: {sorted(templates)}")
    docs = choose_docs(args.docs)
    dev = load("dev")
    summaries = [s for d in docs for s in dev if s.doc_id == d]
    cache = Path(args.cache)
    print(
        f"{len(summaries)} summaries of {len(docs)} dev documents; judge {args.judge}, cache {cache}", file=sys.stderr
    )

    judged: dict[str, list[list[dict[str, Any]]]] = {}
    stats: dict[str, dict[str, Any]] = {}
    shas: dict[str, str] = {}
    log_path = Path(args.log)
    for name in names:
        judge_prompts.CLAIM_PROMPT = templates[name]  # claim_prompt() reads the module's template
        shas[name] = prompt_sha()
        if not args.cached_only:
            print(f"prompt {name} ({shas[name]})", file=sys.stderr)
            run_judge(judge_metric(args.judge, args.threads, cache), summaries, name, log_path)
        logged = [r for r in read_log(log_path, name) if r["prompt_sha"] == shas[name]]
        judged[name] = judged_rows(summaries, logged)
        stats[name] = answer_stats(logged)
    # the same claims for every verdict source: those answered under every prompt
    texts = [set.intersection(*(answered_texts(judged[name][i]) for name in names)) for i in range(len(summaries))]

    from bizsum.metrics.source_only.metric import SourceOnlyMetric

    version = SourceOnlyMetric().version()["source_only"]
    source_only = source_only_verdicts(summaries, cache.parent / f"source_only_v{version}.jsonl")
    rows = {f"judge_claims, prompt {name}": compare(summaries, judged[name], texts) for name in names}
    rows[f"source_only v{version}"] = compare(summaries, source_only, texts)
    counted = [d for d in docs if any(t for s, t in zip(summaries, texts) if s.doc_id == d)]
    first = next(iter(rows.values()))["tally"]
    print(
        f"\n{sum(len(t) for t in texts)} claims (counted per summary) answered under every prompt, in {first['summaries']} summaries of "
        f"{len(counted)} dev documents ({', '.join(counted)}); faithful summaries answered in full: "
        f"{first['faithful_summaries_answered_in_full']}; one-error copies with the altered sentence answered: "
        f"{sum(first['one_error_summaries'].values())}; judge {args.judge}"
    )
    print_table(rows)
    for name in names:
        st = stats[name]
        print(
            f"\nprompt {name} ({shas[name]}): {st['claims_answered']} claims answered (log), {st['unparsed_answers']} "
            f"answers not "
            f"parsed as Yes/No; model time per claim mean {st['seconds_per_claim_mean'] or 0:.1f} s, median "
            f"{st['seconds_per_claim_median'] or 0:.1f} s ({st['prompt_tokens_mean']:.0f} prompt tokens, "
            f"{st['answer_tokens_mean']:.0f} answer tokens on average)"
        )
    if args.out:
        out = {
            "docs": counted,
            "judge": args.judge,
            "prompts": shas,
            "answers": stats,
            "results": rows,
        }
        Path(args.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as handle:
            for n, s in enumerate(summaries):
                by_prompt = {name: {r["text"]: r for r in judged[name][n]} for name in names}
                by_so = {r["text"]: r for r in source_only[n]}
                for claim, label, i in s.claim_labels():
                    record: dict[str, Any] = {
                        "doc_id": s.doc_id,
                        "variant": s.variant,
                        "sentence": i,
                        "label": label,
                        "claim": claim,
                        "source_only": by_so.get(claim, {}).get("verdict"),
                    }
                    for name in names:
                        j = by_prompt[name].get(claim, {})
                        record[name] = {k: j.get(k) for k in ("verdict", "score", "answer")}
                    record["evidence"] = by_prompt[names[0]].get(claim, {}).get("evidence")
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
