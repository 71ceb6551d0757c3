"""The time estimate logged before generation and the ETA that follows the run (issue 18: make demo
ran 16 min with no idea of how long it would take)."""

from __future__ import annotations

import logging

import pytest

from bizsum.config import build_config
from bizsum.generation import eta as eta_module
from bizsum.generation.eta import Eta, by_group, format_seconds
from bizsum.generation.plan import RunPlan, open_provider
from bizsum.generation.runner import generate
from bizsum.nlp.tokens import count_tokens
from bizsum.providers.base import Speed
from bizsum.providers.fake import FakeProvider
from tests.helpers import base_config


def cells_and_providers(config):
    plan = RunPlan.from_config(config)
    providers = {spec.id: open_provider(spec, plan.windows()) for spec in config.models}
    cells = [plan.cell(d, t, s, n, providers[s.id]) for d, t, s, n in plan.combinations()]
    return cells, providers


def test_the_estimate_weighs_prompt_and_output_tokens_and_a_shared_prefix(project, monkeypatch):
    config = build_config(base_config(models=[{"id": "slow", "provider": "fake"}], token_limit=100), "test")
    cells, providers = cells_and_providers(config)
    monkeypatch.setattr(FakeProvider, "speed", lambda self: Speed(1.0, 1000.0, 10.0))
    eta = Eta(by_group(cells, providers), providers)
    # per cell: 1 s + prompt tokens / 1000 + 150 output tokens (0.75 x 2 x 100) / 10; the second prompt
    # of each document pays a tenth of its prompt (the KV cache keeps the document)
    expected = 0.0
    for cell in cells:
        first = cell.request.prompt_id == config.prompts[0]
        prompt = count_tokens(cell.request.prompt)
        expected += 1.0 + (prompt if first else int(prompt * 0.1)) / 1000 + 15.0
    assert eta.expected() == pytest.approx(expected, rel=1e-3)
    assert eta.describe().startswith(f"about {format_seconds(expected)} on this machine (slow: 4 cell(s)")


def test_an_unknown_speed_says_so_and_the_eta_calibrates_on_finished_cells(project, monkeypatch):
    config = build_config(base_config(models=[{"id": "api", "provider": "fake"}]), "test")
    cells, providers = cells_and_providers(config)
    monkeypatch.setattr(FakeProvider, "speed", lambda self: None)
    clock = [100.0]
    monkeypatch.setattr(eta_module.time, "monotonic", lambda: clock[0])
    eta = Eta(by_group(cells, providers), providers)
    assert eta.expected() is None and "time unknown until the first answers" in eta.describe()
    assert eta.postfix() == "ETA ?"
    clock[0] += 30  # the first answer took 30 s: three more cells, 90 s
    eta.finished(providers["api"].concurrency_group(), cells[0].cell_id)
    assert eta.remaining() == pytest.approx(90) and eta.postfix() == "ETA 1.5 min"


def test_generate_logs_the_estimate_before_the_first_request(project, caplog):
    caplog.set_level(logging.INFO)
    models = [{"id": "slow", "provider": "fake", "options": {"delay": 0.05}}, {"id": "lead", "provider": "extractive"}]
    generate(build_config(base_config(models=models), "test"), progress=False)
    (line,) = [r.getMessage() for r in caplog.records if "cell(s) to generate" in r.getMessage()]
    assert line.startswith("run t: 8 cell(s) to generate, about < 1 s on this machine (")
    assert "slow: 4 cell(s), < 1 s" in line and "lead: 4 cell(s), < 1 s" in line


@pytest.mark.parametrize(
    "seconds,text", [(0.2, "< 1 s"), (42, "42 s"), (90, "1.5 min"), (600, "10 min"), (7200, "2.0 h")]
)
def test_format_seconds(seconds, text):
    assert format_seconds(seconds) == text
