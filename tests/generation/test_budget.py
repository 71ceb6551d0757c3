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
