"""Generate summaries for the project's labelled 10-K set, document by document.

``bizsum run configs/labels.yaml --step generate`` requests the cells model by model; on a busy
2-core machine a stopped run would then leave the last model with nothing. This script requests
the cells of the chosen models one document at a time (shortest first, the order of
``configs/labels.yaml``), into a run folder of its own, so a stop leaves whole documents:

    python bench/labels/tenk_generate.py --models qwen0.5b-t0.9 --documents 6 --name labels_t09
    python bench/labels/tenk_generate.py --models qwen1.5b-t0.7 --documents 3 --name labels_15b
    python bench/labels/tenk_labels.py freeze --run reports/labels_t09     # into the labelled set

Cells already in the run folder are skipped, as in any rerun.
"""

from __future__ import annotations

import argparse
import logging
import time

from bizsum.config import load_config
from bizsum.generation.runner import generate

log = logging.getLogger("bench.tenk_generate")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/labels.yaml")
    parser.add_argument("--models", nargs="+", required=True, help="model ids of the config")
    parser.add_argument("--documents", type=int, default=None, help="the first N documents of the config")
    parser.add_argument("--only", nargs="*", default=None, help="these document ids instead")
    parser.add_argument("--prompts", nargs="*", default=None, help="prompt ids (default: the config's)")
    parser.add_argument("--name", required=True, help="run folder name under the config's output_dir")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    base = load_config(args.config, {"name": args.name})
    documents = args.only or list(base.documents)[: args.documents]
    models = [m for m in base.models if m.id in args.models]
    if len(models) != len(args.models):
        raise SystemExit(f"unknown model id among {args.models}; the config has {[m.id for m in base.models]}")
    prompts = args.prompts or list(base.prompts)
    started = time.perf_counter()
    for doc in documents:
        config = load_config(
            args.config,
            {"name": args.name, "documents": [doc], "models": [m.model_dump() for m in models], "prompts": prompts},
        )
        t = time.perf_counter()
        stats = generate(config, progress=False)
        log.info(
            "%s x %s: called %d, skipped %d, failed %d, %.0f s",
            doc,
            ",".join(args.models),
            stats.called,
            stats.skipped,
            stats.failed,
            time.perf_counter() - t,
        )
    log.info("total %.0f s", time.perf_counter() - started)


if __name__ == "__main__":
    main()
