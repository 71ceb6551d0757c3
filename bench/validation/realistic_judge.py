"""The LLM judge (``judge_claims``) on the realistic labelled set's dev half, beside source_only and the labels.

    nice -n 19 python bench/validation/realistic_judge.py                    # the 4 tune companies, today's prompt
    nice -n 19 python bench/validation/realistic_judge.py --prompts before   # the claim prompt before issue 17
    python bench/validation/realistic_judge.py --prompts before,current --cached-only   # the table in docs/metrics.md

Every summary of the chosen documents (six per document: faithful, paraphrase, four one-error
copies) goes through the installed ``judge_claims`` metric with a local GGUF model (default
Qwen2.5-Coder-1.5B-Instruct Q4_K_M, llama.cpp, 1 thread, temperature 0, first-token
probabilities), judging every claim (no ``max_claims`` cut). Answers go to the response cache
``<cache>`` (default ``bench/results/realistic_judge/cache``, committed): a rerun, or a run
stopped half-way and started again, asks the model only for answers not there yet. The claims
are ``split_claims``'s, so the judge, source_only and the labels are compared on the same claims;
source_only's verdicts are cached in ``<cache>/../source_only_v<version>.jsonl``.

Printed: per verdict source (judge, source_only), the faithful claims called unsupported (faithful
and paraphrase summaries apart), the faithful summaries with any unsupported claim, the share of
one-error summaries whose altered sentence has an unsupported claim per kind (the same reading as
``realistic_eval.py``, whose ``tally`` this script uses), claim-level balanced accuracy (unsupported
= positive; claims without a verdict left out and counted), the judge's AUC of P(Yes), answers it
could not parse, and the model time per distinct claim request.

The model is asked in the order of :func:`judging_order` (sentence by sentence, in turn an altered,
a paraphrase and a faithful one). With
``--cached-only`` it is never run, and every verdict source is compared on the claims answered
under every prompt asked for: a run stopped half-way still gives a table on the same claims
(faithful summaries flagged: only those answered in full; catch rates: only the one-error copies
whose altered sentence is answered). Only dev documents are accepted: the test half is for the
installed metric's one look.
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
from bizsum.errors import ProviderError
from bizsum.metrics.base import ScoringItem
from bizsum.metrics.judge import JudgeClaimsMetric, JudgeSetup
from bizsum.metrics.judge import prompts as judge_prompts
from bizsum.metrics.judge.client import JudgeAnswer, JudgeRequest
from bizsum.metrics.judge.prompts import parse_verdict
from bizsum.providers.base import Generation, GenerationRequest
from bizsum.providers.local_llama import LocalLlamaProvider

#: the dev companies that chose source_only's thresholds (bench/verifier/make_pairs.tune_company)
TUNE_DOCS = ("ABBV_2024", "ADBE_2024", "GOOGL_2024", "NKE_2025")
DEFAULT_JUDGE = "qwen2.5-coder-1.5b-instruct-q4_k_m"
DEFAULT_CACHE = ROOT / "bench" / "results" / "realistic_judge" / "cache"

#: ``CLAIM_PROMPT`` as it was before issue 17 (commit 7bc7af7), for ``--prompt before``
CLAIM_PROMPT_BEFORE = """You check one claim from a summary of a company's 10-K filing (Item 1, Business) against passages of that filing.

Passages:
{passages}

Claim: "{claim}"

Is the claim supported by the passages? It is supported only when everything it states (what the company does, numbers, names, customers, channels, financing) is said in the passages or follows directly from them.

Answer with Yes or No on the first line. On the second line give the reason in one short sentence."""


class CachedOnly(LocalLlamaProvider):
    """The local provider with the same cache keys, that never runs the model: an answer not in
    the cache is an error (the claim is then counted as not judged)."""

    def generate(self, request: GenerationRequest) -> Generation:
        raise ProviderError("not in the judge cache (run without --cached-only to ask the model)")


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


def judge_metric(model: str, threads: int, cache: Path, cached_only: bool) -> JudgeClaimsMetric:
    spec = ModelSpec(id=f"judge-{model}", provider="local", model=model, options={"n_ctx": 2048, "n_threads": threads})
    settings = JudgeSettings(model=spec, metrics=["judge_claims"], max_claims=500, passages=3)
    provider = CachedOnly(spec) if cached_only else None
    return JudgeClaimsMetric(JudgeSetup(settings, cache_dir=cache, data_dir=ROOT / "data", provider=provider))


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


def run_judge(
    metric: JudgeClaimsMetric, summaries: list[Summary]
) -> tuple[list[list[dict[str, Any]]], dict[str, JudgeAnswer]]:
    """Per summary the judge's claim rows (``error`` for a claim not answered); and every distinct
    request's answer (by prompt)."""
    seen: dict[str, JudgeAnswer] = {}
    ask = metric.client.ask

    def recording(requests: list[JudgeRequest], desc: str = "") -> list[JudgeAnswer]:
        answers = ask(requests, desc)
        for request, answer in zip(requests, answers):
            seen.setdefault(request.prompt, answer)
        return answers

    metric.client.ask = recording  # type: ignore[method-assign]
    rows: dict[int, list[dict[str, Any]]] = {}
    docs: dict[str, Document] = {}
    order = judging_order(summaries)
    for n, (s, text) in enumerate(order, 1):
        doc = docs.setdefault(s.doc_id, document(s.doc_id))
        started = time.perf_counter()
        (result,) = metric.score_batch([ScoringItem(summary=text, document=doc)])
        if text == s.text:
            rows[id(s)] = result.details["claims"]
        print(
            f"  {n}/{len(order)} {s.doc_id} {s.variant}{'' if text == s.text else ' (one sentence)'}: "
            f"{len(result.details['claims'])} claims, {result.details['cached']} cached, "
            f"{time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
    return [rows[id(s)] for s in summaries], seen


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
    good = [p for p, bad in pairs if not bad]
    bad = [p for p, is_bad in pairs if is_bad]
    if not good or not bad:
        return None
    wins = sum((g > b) + 0.5 * (g == b) for g in good for b in bad)
    return wins / (len(good) * len(bad))


def answer_stats(seen: dict[str, JudgeAnswer]) -> dict[str, Any]:
    answered = [a for a in seen.values() if a.error is None]
    latencies = [a.latency_s for a in answered if a.latency_s is not None]
    unparsed = sum(parse_verdict(a.text)[0] == "unparsed" for a in answered)
    return {
        "requests": len(seen),
        "answered": len(answered),
        "not_in_cache_or_failed": len(seen) - len(answered),
        "unparsed_answers": unparsed,
        "seconds_per_claim_mean": statistics.fmean(latencies) if latencies else None,
        "seconds_per_claim_median": statistics.median(latencies) if latencies else None,
        "prompt_tokens_mean": statistics.fmean([a.prompt_tokens for a in answered if a.prompt_tokens] or [0]),
        "answer_tokens_mean": statistics.fmean([a.completion_tokens for a in answered if a.completion_tokens] or [0]),
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
    parser.add_argument("--cache", default=str(DEFAULT_CACHE))
    parser.add_argument(
        "--cached-only",
        action="store_true",
        help="never run the model: the table on the claims answered under every prompt",
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
    for name in names:
        judge_prompts.CLAIM_PROMPT = templates[name]  # claim_prompt() reads the module's template
        shas[name] = hashlib.sha256(templates[name].encode()).hexdigest()[:12]
        print(f"prompt {name} ({shas[name]})", file=sys.stderr)
        metric = judge_metric(args.judge, args.threads, cache, args.cached_only)
        judged[name], seen = run_judge(metric, summaries)
        stats[name] = answer_stats(seen)
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
        f"\n{sum(len(t) for t in texts)} claims answered under every prompt, in {first['summaries']} summaries of "
        f"{len(counted)} dev documents ({', '.join(counted)}); faithful summaries answered in full: "
        f"{first['faithful_summaries_answered_in_full']}; one-error copies with the altered sentence answered: "
        f"{sum(first['one_error_summaries'].values())}; judge {args.judge}"
    )
    print_table(rows)
    for name in names:
        st = stats[name]
        print(
            f"\nprompt {name} ({shas[name]}): {st['requests']} distinct claim requests, {st['answered']} answered "
            f"({st['not_in_cache_or_failed']} not in the cache or failed), {st['unparsed_answers']} answers not "
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
