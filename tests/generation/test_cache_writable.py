"""A response cache that cannot be written stops the run before any paid request, and an answer
that could not be cached mid-run is still kept in its row with its cost (issue 18: 7 answers were
paid for, then every cell failed and the rows had null text and null cost_usd)."""

from __future__ import annotations

import httpx2
import pytest

from bizsum.config import build_config
from bizsum.errors import InputError
from bizsum.generation.runner import generate
from bizsum.pipeline import preflight
from bizsum.providers.cache import ResponseCache
from tests.helpers import base_config, chat_completion, generation_rows

GPT = {"id": "gpt", "provider": "openai", "model": "gpt-4o-mini"}


@pytest.fixture
def answers(mock_openai):
    requests = []
    mock_openai["handler"] = lambda request: (
        requests.append(request) or httpx2.Response(200, json=chat_completion("Acme sells anvils."))
    )
    return requests


def test_an_unwritable_cache_dir_is_refused_before_any_request(project, answers):
    (project / "afile").write_text("not a folder", encoding="utf-8")
    config = build_config(base_config(models=[GPT], cache_dir="afile/cache"), "test")
    with pytest.raises(InputError, match=r"cache_dir .*afile/cache is not writable \(.*afile is a file\)"):
        preflight(config, ["generate"])
    with pytest.raises(InputError, match="nothing was requested"):
        generate(config, progress=False)
    assert answers == []
    assert generation_rows(config.rundir.generations) == []


def test_an_answer_that_cannot_be_cached_keeps_its_text_and_cost(project, answers, monkeypatch):
    def refuse(self, key, generation):
        raise PermissionError(13, "Permission denied", str(self.directory))

    monkeypatch.setattr(ResponseCache, "put", refuse)
    config = build_config(base_config(models=[GPT]), "test")
    stats = generate(config, progress=False)
    rows = generation_rows(config.rundir.generations)
    assert len(answers) == stats.called == len(rows) == 4 and stats.failed == 0
    assert {row["text"] for row in rows} == {"Acme sells anvils."}
    # gpt-4o-mini: 1,000 prompt tokens at $0.15/1M + 100 completion tokens at $0.60/1M
    assert [row["cost_usd"] for row in rows] == pytest.approx([0.00021] * 4)
