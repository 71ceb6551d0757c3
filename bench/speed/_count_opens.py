"""Run ``python -m bizsum.cli ARGS...`` and count the opens of every file of a run folder.

    BENCH_RUN=RUN BENCH_COUNTS=OUT.json python bench/speed/_count_opens.py report RUN

An audit hook (``sys.addaudithook``, event ``open``: ``open()``, ``Path.open``/``read_text`` and
``os.open`` all raise it) counts, per file under ``BENCH_RUN``, the opens for reading and for
writing; at exit they go to ``BENCH_COUNTS`` as ``{relative path: {"read": n, "write": n}}``.
Whichever ``bizsum`` comes first on ``PYTHONPATH`` runs (report_build.py points it at each
checkout in turn).
"""

from __future__ import annotations

import json
import os
import runpy
import sys
from collections import Counter

RUN = os.path.realpath(os.environ["BENCH_RUN"])
COUNTS = os.environ["BENCH_COUNTS"]
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT
reads: Counter[str] = Counter()
writes: Counter[str] = Counter()


def _hook(event: str, args: tuple) -> None:
    if event != "open" or not isinstance(args[0], (str, bytes, os.PathLike)):
        return
    path = os.path.realpath(os.fsdecode(args[0]))
    if not path.startswith(RUN + os.sep):
        return
    mode, flags = args[1], args[2]
    writing = any(c in mode for c in "wax+") if isinstance(mode, str) else bool((flags or 0) & _WRITE_FLAGS)
    (writes if writing else reads)[os.path.relpath(path, RUN)] += 1


def main() -> None:
    sys.addaudithook(_hook)
    sys.argv = ["bizsum", *sys.argv[1:]]
    try:
        runpy.run_module("bizsum.cli", run_name="__main__", alter_sys=True)
    finally:
        counts = {p: {"read": reads[p], "write": writes[p]} for p in sorted(set(reads) | set(writes))}
        with open(COUNTS, "w", encoding="utf-8") as handle:
            json.dump(counts, handle, indent=1)


if __name__ == "__main__":
    main()
