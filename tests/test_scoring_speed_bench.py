"""bench/speed/scoring_speed.py runs with no arguments: a smoke run of its default path on one
small document, with the model-free metrics (the full suite is what the script itself measures)."""

from __future__ import annotations

import json

from bench.speed import scoring_speed


def test_the_corpus_path_prints_cpu_per_summary_with_median_range_and_load(tmp_path, capsys):
    out = tmp_path / "speed.json"
    code = scoring_speed.main(
        [
            *("--docs", "ZIONS_COOPERATIVE_MERCANTILE_1995", "--per-doc", "1", "--repeats", "2"),
            *("--metrics", "rouge", "token_limit", "--json", str(out)),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    # the realistic set's six abstractive summaries of the document, and one extractive
    assert "data: 7 summaries on 1 documents" in printed
    assert "repeat 2:" in printed and "load average (1, 5, 15 min)" in printed
    assert "target <= 1.0 CPU-s per summary" in printed
    numbers = json.loads(out.read_text())
    assert numbers["summaries"] == 7 and len(numbers["suite_cpu_per_summary"]) == 2
    assert set(numbers["metrics"]) == {"rouge", "token_limit"} and numbers["rerun"] is not None
