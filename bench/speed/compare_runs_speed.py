"""How long compare_runs takes for N summaries (issue 20: ≤ 1 s for 1,000).

    python bench/speed/compare_runs_speed.py [N ...]

Two synthetic runs of N summaries with three metric columns (a float, a share, a yes/no), some
values missing (tests/analysis/test_diff.py builds them). Prints wall and CPU seconds, the best of
5 repeats (CPU time is what the process itself spent: the machine may be shared).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bizsum.analysis.diff import compare_runs
from tests.analysis.test_diff import synthetic_run


def main(sizes: list[int]) -> None:
    compare_runs(synthetic_run(10, 1), synthetic_run(10, 2))  # imports and first-call costs
    print("summaries  rows    wall s  cpu s")
    for n in sizes:
        a, b = synthetic_run(n, 1), synthetic_run(n, 2)
        wall, cpu = [], []
        for _ in range(5):
            started, started_cpu = time.perf_counter(), time.process_time()
            rows = len(compare_runs(a, b))
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(f"{n:>9}  {rows:>6}  {min(wall):6.3f}  {min(cpu):5.3f}")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [30, 1000, 10000])
