"""Average two verifiers' weights (a "model soup", WiSE-FT style) into a trained-model folder.

    python bench/verifier/soup.py --a bizsum/resources/verifier --b /work/verifier_runs/run9b/final \
        --weight-b 0.5 --out /work/verifier_runs/soup7_9b/final

Both must share one lineage (``b`` fine-tuned from ``a``, directly or through other runs): every
tensor becomes ``(1 - weight_b) * a + weight_b * b``. Stored formats are read with
``bizsum.nlp.verifier.trained_state_dict`` (an int8 package folder is dequantized first); the output
is fp32, with ``b``'s config and tokenizer, ready for ``export.py``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _env import setup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--a", type=Path, required=True, help="the earlier verifier (package folder or run's final/)")
    parser.add_argument("--b", type=Path, required=True, help="a verifier fine-tuned from a")
    parser.add_argument("--weight-b", type=float, default=0.5, help="b's share of every tensor (0..1)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    setup()
    if not 0.0 <= args.weight_b <= 1.0:
        parser.error(f"--weight-b {args.weight_b}: must be in 0..1")
    from safetensors.torch import save_file

    from bizsum.nlp.verifier import trained_state_dict

    a, b = trained_state_dict(args.a), trained_state_dict(args.b)
    if a.keys() != b.keys():
        raise SystemExit(f"soup: {args.a} and {args.b} hold different tensors: {sorted(a.keys() ^ b.keys())[:5]}")
    mixed = {name: ((1.0 - args.weight_b) * a[name] + args.weight_b * b[name]).contiguous() for name in a}
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(mixed, str(args.out / "model.safetensors"))
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        shutil.copy2(args.b / name, args.out / name)
    note = {"soup": {"a": str(args.a), "b": str(args.b), "weight_b": args.weight_b}}
    (args.out / "training.json").write_text(json.dumps(note, indent=1) + "\n")
    print(f"{args.out}: {len(mixed)} tensors, {1 - args.weight_b:g} x a + {args.weight_b:g} x b")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
