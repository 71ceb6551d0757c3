"""A test metric that takes its time (so a run can be killed mid-way) and whose values are known."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence

from bizsum.metrics import Column, Metric, MetricResult, ScoringItem

TARGET = "tests.execution.slow_metric:SlowMetric"
SECONDS_PER_ITEM = float(os.environ.get("BIZSUM_TEST_SLOW_SECONDS", "0.4"))


def expected(summary: str) -> dict[str, object]:
    """The values :class:`SlowMetric` gives a summary, computed independently of it."""
    return {"slow_words": len(summary.split()), "slow_digest": hashlib.sha256(summary.encode()).hexdigest()[:8]}


class SlowMetric(Metric):
    name = "slow"
    label = "slow"
    columns = (
        Column("slow_words", "words", "words in the summary", "none", "count"),
        Column("slow_digest", "digest", "hash of the summary", "none", "label"),
    )

    def score_batch(self, items: Sequence[ScoringItem]) -> list[MetricResult]:
        out = []
        for item in items:
            time.sleep(SECONDS_PER_ITEM)
            words = item.summary.split()
            out.append(
                MetricResult(
                    {"slow_words": len(words), "slow_digest": hashlib.sha256(item.summary.encode()).hexdigest()[:8]},
                    {"pid": os.getpid()},
                )
            )
        return out
