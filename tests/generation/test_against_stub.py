"""Generation against the shared OpenAI-compatible stub server, as a black box.

The stub (``../shared/tools/stub_openai.py``) runs in its own process and behaves like a busy real
server: HTTP/1.0 with one connection per request, a short listen backlog, a fixed latency. It
counts the requests it received at ``/stats``; these tests compare that count with the rows.
"""

from __future__ import annotations

import signal
from collections import Counter

import pytest

from bizsum.config import build_config
from bizsum.generation.runner import GenerationIncomplete, check_complete, generate
from bizsum.providers.pricing import load_prices
from bizsum.records import GenerationRecord, read_records
from tests.helpers import base_config, spawn_generate, wait_for_rows

pytestmark = pytest.mark.timeout(120)


def successful_rows_per_cell(path):
    return Counter(record.key for _, record in read_records(path, GenerationRecord) if record.ok)


def test_a_killed_run_resumes_with_no_cell_lost_or_requested_twice(project, stub_openai):
    stub = stub_openai(latency=0.3)
    data = base_config(models=[stub.model(concurrency=4)], samples=6, cache_dir="cache-kill")  # 24 cells
    child = spawn_generate(project, data)
    path = project / "out" / "t" / "generations.jsonl"
    try:
        wait_for_rows(child, path, 8)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(10)
    finished = successful_rows_per_cell(path)
    assert 8 <= len(finished) < 24 and set(finished.values()) == {1}
    asked_before = stub.stats()["requests"]  # includes the requests in flight when the child died

    stats = generate(build_config(data, "test"), progress=False)
    asked_again = stub.stats()["requests"] - asked_before
    rows = successful_rows_per_cell(path)
    assert len(rows) == 24 and set(rows.values()) == {1}  # nothing lost, nothing duplicated
    assert stats.skipped == len(finished) and stats.failed == 0
    # Only the cells without a row were asked for (answers that arrived before the kill but had no
    # row yet come from the response cache): no finished cell was requested twice.
    assert asked_again == stats.called == 24 - len(finished) - stats.cached
    assert stub.stats()["requests"] == asked_before + asked_again


def long_summary(tmp_path, tokens):
    """A summary the stub reports as ``tokens`` completion tokens (it counts characters / 4)."""
    path = tmp_path / "long_summary.txt"
    path.write_text(("Revenue comes from sales. " * (tokens * 4 // 26 + 1))[: tokens * 4], encoding="utf-8")
    return path


def spent(path, prices):
    """What the rows cost by the usage the server reported and the price table (independent of bizsum's meter)."""
    price = prices.lookup("gpt-4o-mini")
    total = 0.0
    for _, record in read_records(path, GenerationRecord):
        if record.ok and not record.cached:
            total += (record.prompt_tokens * price.input + record.completion_tokens * price.output) / 1e6
    return total


def test_max_cost_is_never_exceeded_by_long_answers_in_flight(project, stub_openai, tmp_path):
    # Every answer is 1,000 completion tokens against max_completion_tokens 1,024, and the stub
    # counts prompt tokens as characters / 4, ~28% more than o200k_base: a cap booked on our own
    # prompt count alone would be passed.
    stub = stub_openai(latency=0.2, summary_file=long_summary(tmp_path, 1000))
    model = stub.model(model="gpt-4o-mini", concurrency=6, params={"max_completion_tokens": 1024})
    cap = 0.006  # room for roughly half of the 16 cells
    data = base_config(models=[model], samples=4, max_cost=cap, cache_dir="cache-cost")
    config = build_config(data, "test")
    stats = generate(config, progress=False)
    prices = load_prices(config.data_path)
    paid = spent(config.rundir.generations, prices)
    asked = stub.stats()["requests"]
    assert 0 < stats.called < 16 and stats.not_requested == 16 - stats.called and stats.failed == 0
    assert asked == stats.called  # every request sent was answered and written; none was sent past the cap
    assert paid <= cap and stats.cost_usd == pytest.approx(paid)
    assert stats.budget_peak_usd is not None and stats.budget_peak_usd <= cap
    with pytest.raises(GenerationIncomplete, match=rf"stub: {16 - stats.called} not requested \(max_cost reached\)"):
        check_complete(stats, config)

    # A higher cap continues: only the cells left out are requested, the spent money still counts.
    more = build_config({**data, "max_cost": 0.05}, "test")
    again = generate(more, progress=False)
    assert again.skipped == stats.called and again.called == 16 - stats.called and again.not_requested == 0
    assert stub.stats()["requests"] - asked == again.called
    assert spent(config.rundir.generations, prices) <= 0.05
    check_complete(again, more)


def test_max_cost_books_what_the_server_may_bill_not_our_own_count(project, stub_openai, tmp_path):
    # One request: by our o200k count (2,631 prompt tokens) its worst case is $0.00101, under the
    # $0.00105 cap; the stub bills 3,381 prompt tokens (characters / 4), $0.00111. It is not sent.
    stub = stub_openai(summary_file=long_summary(tmp_path, 1000))
    model = stub.model(model="gpt-4o-mini", params={"max_completion_tokens": 1024})
    data = base_config(models=[model], documents=["AMZN_2024"], prompts=["seed"], max_cost=0.00105)
    stats = generate(build_config(data, "test"), progress=False)
    assert stats.not_requested == 1 and stub.stats()["requests"] == 0
    stats = generate(build_config({**data, "max_cost": 0.01}, "test"), progress=False)
    assert stats.called == 1 and spent(project / "out" / "t" / "generations.jsonl", load_prices("data")) > 0.00105
