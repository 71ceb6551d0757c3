"""The running max_cost cap: bookings, settlement, waiting for answers in flight, exhaustion."""

from __future__ import annotations

import threading
import time

import httpx2
import pytest

from bizsum.config import ModelSpec, build_config
from bizsum.generation.budget import Budget
from bizsum.generation.runner import generate
from bizsum.jsonl import read_jsonl
from bizsum.providers import BudgetExhausted
from bizsum.providers.pricing import CostLimitError, Price, PriceTable
from tests.helpers import base_config, chat_completion

SPEC = ModelSpec(id="m", provider="openai", model="priced")
PRICES = PriceTable(prices={"priced": Price(input=1.0, output=10.0)})  # USD per 1M tokens


def test_a_request_that_does_not_fit_waits_for_answers_in_flight_then_goes():
    budget = Budget(cap=0.02, prices=PRICES)
    first = budget.reserve(SPEC, 1_000, 1_000)  # worst case 0.001 + 0.01 = $0.011
    outcome = {}

    def second():
        started = time.monotonic()
        outcome["ticket"] = budget.reserve(SPEC, 1_000, 1_000)  # 0.011 + 0.011 > 0.02: waits
        outcome["waited"] = time.monotonic() - started

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(0.2)
    assert "ticket" not in outcome and budget.in_flight == 1
    budget.settle(first, 1_000, 100)  # it cost 0.001 + 0.001: room for the second
    thread.join(5)
    assert outcome["waited"] >= 0.2 and budget.in_flight == 1
    assert budget.spent == pytest.approx(0.002) and budget.booked == pytest.approx(0.011)
    assert budget.peak == pytest.approx(0.013) and budget.peak <= budget.cap


def test_with_nothing_in_flight_a_request_that_does_not_fit_ends_the_budget():
    budget = Budget(cap=0.02, prices=PRICES, spent_before=0.015)  # earlier rows of the run folder count
    with pytest.raises(BudgetExhausted, match=r"max_cost \$0.0200 reached \(\$0.0150 spent"):
        budget.reserve(SPEC, 1_000, 1_000)
    with pytest.raises(BudgetExhausted):  # and nothing is sent after that, even what would fit
        budget.reserve(SPEC, 10, 10)
    assert budget.refused == 2 and budget.peak == 0


def test_a_refused_request_frees_its_booking_and_a_timeout_keeps_it():
    budget = Budget(cap=1.0, prices=PRICES)
    budget.release(budget.reserve(SPEC, 1_000, 1_000))
    assert budget.booked == pytest.approx(0) and budget.spent == 0
    budget.settle(budget.reserve(SPEC, 1_000, 1_000), None, None)  # unknown usage: the worst case is spent
    assert budget.spent == pytest.approx(0.011) and budget.in_flight == 0


def test_an_unpriced_model_under_max_cost_is_refused_before_any_request(project, mock_openai):
    requests = []
    mock_openai["handler"] = lambda request: (
        requests.append(request) or httpx2.Response(200, json=chat_completion("ok"))
    )
    models = [{"id": "fake", "provider": "fake"}, {"id": "mystery", "provider": "openai", "model": "brand-new-model"}]
    config = build_config(base_config(models=models, max_cost=5.0), "test")
    with pytest.raises(CostLimitError, match=r"model\(s\) \['mystery'\] have no price") as raised:
        generate(config, progress=False)
    assert "allow_unpriced: true" in str(raised.value)
    assert requests == [] and read_jsonl(config.rundir.generations) == []  # not even the free model ran
    # allowed explicitly: it runs, uncounted
    stats = generate(
        build_config(base_config(models=models, max_cost=5.0, allow_unpriced=True), "test"), progress=False
    )
    assert len(requests) == stats.called - 4 == 4 and stats.failed == 0
    assert {r["cost_usd"] for r in read_jsonl(config.rundir.generations) if r["model_id"] == "mystery"} == {None}


def test_an_answer_costing_more_than_its_booking_stops_the_run_saying_by_how_much(project, mock_openai, caplog):
    """A server that ignores max_completion_tokens (issue 18: 50,000-token answers cost 10.2x a $0.05 cap)."""
    requests = []
    mock_openai["handler"] = lambda request: (
        requests.append(request)
        or httpx2.Response(200, json=chat_completion("A long answer.", prompt_tokens=1_000, completion_tokens=50_000))
    )
    gpt = {"id": "gpt", "provider": "openai", "model": "gpt-4o-mini", "concurrency": 1}
    config = build_config(base_config(models=[gpt], max_cost=1.0), "test")
    stats = generate(config, progress=False)
    # each answer costs 1,000 x $0.15/1M + 50,000 x $0.60/1M = $0.03015, far above its booking (512-token
    # limit) but far below the cap: without the check all 4 cells would have been requested
    assert len(requests) == stats.called == 1 and stats.not_requested == 3
    assert stats.cost_usd == pytest.approx(0.03015)
    (warning,) = [r.getMessage() for r in caplog.records if "more than its booking" in r.getMessage()]
    assert "a request of gpt cost $0.030150, $0.0" in warning and "50000 completion tokens" in warning
    assert "No further request is sent" in warning

    # A rerun books the largest completion the model billed in this folder: with $0.02 left under a
    # $0.05 cap, no request fits (before, each was booked at the 512-token limit and sent)
    stats = generate(build_config(base_config(models=[gpt], max_cost=0.05), "test"), progress=False)
    assert len(requests) == 1 and stats.called == 0 and stats.not_requested == 3


def test_the_booking_of_a_model_uses_the_largest_completion_it_billed():
    budget = Budget(cap=1.0, prices=PRICES, observed_completion={"m": 10_000})
    ticket = budget.reserve(SPEC, 1_000, 1_000)
    assert ticket.worst_usd == pytest.approx(0.001 + 0.1)  # 10,000 completion tokens at $10/1M, not 1,000
    budget.settle(ticket, 1_000, 20_000)  # within its booking? no: 0.201 > 0.101
    assert budget.exhausted and "$0.100000 more than its booking $0.101000" in budget.reason
    with pytest.raises(BudgetExhausted, match="more than its booking"):
        budget.reserve(SPEC, 10, 10)
    assert budget.observed_completion == {"m": 20_000}
