"""bench/speed/scale_out.py: the run folder it scores, and the median and range of its repeats
(the Ray modes themselves run in bench/, not in tests)."""

from __future__ import annotations

import json

from bench.speed import scale_out
from bizsum.jsonl import read_jsonl
from bizsum.records import GenerationRecord


def test_the_run_folder_holds_per_doc_summaries_of_each_document(tmp_path, monkeypatch):
    monkeypatch.setattr(scale_out, "documents", lambda count=20: ["ZIONS_COOPERATIVE_MERCANTILE_1995"])
    config = scale_out.write_run(tmp_path, per_doc=3, metrics=["rouge"])
    rows = [GenerationRecord.model_validate(row) for row in read_jsonl(tmp_path / "scale" / "generations.jsonl")]
    assert [r.sample for r in rows] == [0, 1, 2] and all(r.ok for r in rows)
    assert config["documents"] == ["ZIONS_COOPERATIVE_MERCANTILE_1995"] and config["metrics"] == ["rouge"]


def _result(mode: str, wall: float, workers: list[tuple[int, float, float, float]]) -> dict:
    return {
        "mode": mode,
        "wall_s": wall,
        "startup_s": 10.0,
        "load_before": "1.00 1.00 1.00",
        "load_after": "2.00 1.00 1.00",
        "workers": [
            {"summaries": n, "cpu_s": cpu, "busy_s": busy, "peak_rss_mb": rss} for n, cpu, busy, rss in workers
        ],
    }


def test_repeats_give_the_median_and_range_of_speed_up_share_and_the_projection(tmp_path, capsys):
    # ray1: 100 summaries in 200 s; ray2: 100 in 100, 125 and 80 s -> speed-ups 2.0, 1.6, 2.5
    files = []
    for index, wall in enumerate((100.0, 125.0, 80.0)):
        runs = [
            _result("ray1", 200.0, [(100, 190.0, 190.0, 1500.0)]),
            _result("ray2", wall, [(50, 45.0, 90.0, 1400.0), (50, 72.0, 90.0, 1600.0)]),
        ]
        path = tmp_path / f"r{index}.json"
        path.write_text(json.dumps(runs))
        files.append(str(path))
    assert scale_out.main(["--summarize", *files]) == 0
    printed = capsys.readouterr().out
    assert "2 actors vs 1, throughput: 2.00 (1.60–2.50)×" in printed
    assert "CPU share of a core per actor with 2 actors: 0.65 (0.50–0.80)" in printed
    assert "peak RSS per scoring actor: 1500 (1400–1600) MB" in printed
    # per-actor throughput 100 / 180 busy-s = 0.56/s; start-up 10 + (wall - 90): 20 s (median)
    assert "100,000 summaries on 16 × 8 cores: 20 + 100000 / (16 × 8 × 0.56)" in printed
