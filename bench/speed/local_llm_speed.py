"""How fast is the offline `local` provider on this machine?

Runs the real provider (llama.cpp, CPU) on two prompts built from the seed task
(../shared/seed/seed_task.txt beside the repository, or --seed PATH):

  (a) the seed prompt line + the first ~3k tokens of the 10-K text (cut at a paragraph end),
  (b) the whole seed file as the prompt (prompt line + the full "Item 1. Business" text).

and prints prompt tokens, completion tokens and seconds (prompt evaluation vs. generation, as
llama.cpp measured them). The KV cache is reset before each case so (b) does not reuse (a)'s prefix,
and one tiny warm-up call runs first (the first call of a process is several times slower).

The machine's other load matters a lot: with n_threads=2 on 2 cores, another busy process makes
llama.cpp's threads wait for each other and generation can drop from ~40 to ~2 tokens/s. The
printed CPU seconds and load average tell whether a number was measured on a quiet machine; with
--n-threads 1, CPU seconds are close to the wall time a quiet machine would need.

    python bench/speed/local_llm_speed.py                       # 0.5B, both cases, max_tokens 600
    python bench/speed/local_llm_speed.py --model qwen2.5-coder-1.5b-instruct-q4_k_m --cases a
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bizsum.config import ModelSpec
from bizsum.corpus.documents import Document
from bizsum.providers import create_provider
from bizsum.providers.base import GenerationRequest
from bizsum.providers.local_llama import gguf_token_count
from bizsum.providers.local_models import DEFAULT_LOCAL_MODEL, LOCAL_MODELS, ensure_model

DEFAULT_SEED = Path(
    os.environ.get("BIZSUM_SEED_TASK") or Path(__file__).resolve().parents[3] / "shared" / "seed" / "seed_task.txt"
)


def build_prompts(seed_text: str, model_path: str, short_tokens: int) -> dict[str, str]:
    first_line, _, document = seed_text.partition("\n")
    document = document.lstrip("\n")
    paragraphs = document.split("\n")
    kept: list[str] = []
    for paragraph in paragraphs:
        candidate = "\n".join([*kept, paragraph])
        if kept and gguf_token_count(f"{first_line}\n\n{candidate}", model_path) > short_tokens:
            break
        kept.append(paragraph)
    return {"a": f"{first_line}\n\n" + "\n".join(kept), "b": seed_text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default=DEFAULT_LOCAL_MODEL, choices=sorted(LOCAL_MODELS))
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="seed task file (prompt line + document)")
    parser.add_argument("--cases", default="a,b", help="comma-separated: a (~3k tokens), b (whole seed file)")
    parser.add_argument("--short-tokens", type=int, default=3000, help="size of case (a) in model tokens")
    parser.add_argument("--max-tokens", type=int, default=600)
    parser.add_argument("--n-ctx", type=int, default=16384)
    parser.add_argument("--n-threads", type=int, default=None)
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this JSON file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    started = time.perf_counter()
    path = str(ensure_model(args.model))
    ensure_s = time.perf_counter() - started
    prompts = build_prompts(args.seed.read_text(encoding="utf-8"), path, args.short_tokens)
    options = {"n_ctx": args.n_ctx, **({"n_threads": args.n_threads} if args.n_threads else {})}
    spec = ModelSpec(
        id=args.model, provider="local", model=args.model, options=options, params={"max_tokens": args.max_tokens}
    )
    provider = create_provider(spec)  # as a run uses it: with the long-document guard around it
    inner = getattr(provider, "inner", provider)

    warm = GenerationRequest(
        model=spec, prompt_id="warmup", prompt="Say OK.", document=Document(id="warmup", text="OK"), token_limit=4
    )
    warm_started = time.perf_counter()
    warm_gen = provider.generate(warm)
    warmup_s = time.perf_counter() - warm_started
    rows = []
    for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
        inner._llm.reset()  # no KV-prefix reuse between cases
        request = GenerationRequest(
            model=spec,
            prompt_id="seed",
            prompt=prompts[case],
            document=Document(id=f"seed-{case}", text=prompts[case]),
            seed=0,
            token_limit=args.max_tokens // 2,
        )
        cpu_started = time.process_time()
        generation = provider.generate(request)
        cpu_s = time.process_time() - cpu_started
        meta = generation.meta
        rows.append(
            {
                "case": case,
                "model": args.model,
                "prompt_tokens": generation.prompt_tokens,
                "completion_tokens": generation.completion_tokens,
                "finish_reason": generation.finish_reason,
                "seconds": round(generation.latency_s or 0.0, 2),
                "cpu_s": round(cpu_s, 2),
                "n_threads": inner.n_threads,
                "load_avg_1m": round(os.getloadavg()[0], 2),
                "prompt_eval_s": meta.get("prompt_eval_s"),
                "eval_s": meta.get("eval_s"),
                "summary_gguf_tokens": gguf_token_count(generation.text, path),
                "summary_head": generation.text[:160],
            }
        )
        row = rows[-1]
        print(
            f"[{args.model}] case {case}: prompt {row['prompt_tokens']} tok, completion "
            f"{row['completion_tokens']} tok ({row['finish_reason']}), {row['seconds']} s "
            f"(prompt eval {row['prompt_eval_s']} s, generation {row['eval_s']} s; CPU {row['cpu_s']} s "
            f"on {row['n_threads']} threads, load average {row['load_avg_1m']})",
            flush=True,
        )
    provider.close()
    print()
    print(
        f"model file ready in {ensure_s:.1f} s; model load {warm_gen.meta.get('load_s') or 0:.1f} s; warm-up call {warmup_s:.1f} s"
    )
    print(
        f"{'case':<5}{'prompt_tok':>11}{'compl_tok':>10}{'finish':>8}{'total_s':>9}{'pp_s':>8}{'pp_tok/s':>9}{'tg_s':>8}{'tg_tok/s':>9}"
    )
    for row in rows:
        pp_rate = row["prompt_tokens"] / row["prompt_eval_s"] if row["prompt_eval_s"] else float("nan")
        tg_rate = row["completion_tokens"] / row["eval_s"] if row["eval_s"] else float("nan")
        print(
            f"{row['case']:<5}{row['prompt_tokens']:>11}{row['completion_tokens']:>10}{row['finish_reason']:>8}"
            f"{row['seconds']:>9.1f}{row['prompt_eval_s'] or 0:>8.1f}{pp_rate:>9.1f}{row['eval_s'] or 0:>8.1f}{tg_rate:>9.1f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
