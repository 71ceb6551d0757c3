"""The matrix runner: results keyed by cell, resume, cache, per-cell errors."""

import pytest

from bizsum.config import build_config
from bizsum.errors import SetupError
from bizsum.generation.runner import generate
from bizsum.jsonl import read_jsonl
from bizsum.providers.fake import FakeProvider
from tests.helpers import base_config, chat_completion, generation_rows


@pytest.fixture
def calls(monkeypatch):
    """Counts real provider calls across provider instances."""
    counter = {"n": 0}
    original = FakeProvider.generate

    def counting(self, request):
        counter["n"] += 1
        return original(self, request)

    monkeypatch.setattr(FakeProvider, "generate", counting)
    return counter


def test_matrix_rows_are_keyed_and_complete(project, calls):
    config = build_config(base_config(samples=2), "test")
    stats = generate(config, progress=False)
    rows = read_jsonl(config.rundir.generations)
    assert stats.called == calls["n"] == 2 * 2 * 1 * 2 == len(rows)
    keys = {(r["doc_id"], r["prompt_id"], r["model_id"], r["sample"]) for r in rows}
    assert len(keys) == 8
    assert all(r["text"] and r["count_encoding"] == "o200k_base" and r["cached"] is False for r in rows)
    assert (config.run_dir / "config.yaml").is_file()


def test_rerun_makes_zero_calls_and_cache_serves_a_new_run(project, calls):
    config = build_config(base_config(), "test")
    generate(config, progress=False)
    first = calls["n"]
    again = generate(config, progress=False)
    assert calls["n"] == first and again.skipped == first and again.called == 0
    # Same requests under another run name: served from the cache, still no calls.
    other = build_config(base_config(name="t2"), "test")
    stats = generate(other, progress=False)
    assert calls["n"] == first and stats.cached == first
    assert all(r["cached"] for r in read_jsonl(other.rundir.generations))


def test_a_failing_cell_does_not_stop_the_others_and_is_retried(project, calls):
    model = {
        "id": "fake",
        "provider": "fake",
        "options": {"responses": {"AMZN_2024:seed": {"error": "server exploded"}}},
    }
    config = build_config(base_config(models=[model]), "test")
    stats = generate(config, progress=False)
    assert stats.failed == 1 and stats.called == 3
    rows = generation_rows(config.rundir.generations)
    failed = [r for r in rows if r["error"]]
    assert len(failed) == 1 and "server exploded" in failed[0]["error"]
    # The error is not cached: a rerun retries exactly that cell.
    calls["n"] = 0
    again = generate(config, progress=False)
    assert calls["n"] == 1 and again.skipped == 3


def test_a_torn_last_line_is_skipped_and_the_cell_rerun(project, calls):
    config = build_config(base_config(cache_dir="cache-torn"), "test")
    generate(config, progress=False)
    path = config.rundir.generations
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2])
    stats = generate(config, progress=False)
    assert stats.skipped == 3 and stats.cached == 1


def test_missing_key_stops_before_any_call(project, calls, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    models = [{"id": "fake", "provider": "fake"}, {"id": "gpt", "provider": "openai", "model": "gpt-4o"}]
    config = build_config(base_config(models=models), "test")
    with pytest.raises(SetupError, match=r"model 'gpt'.*OPENAI_API_KEY"):
        generate(config, progress=False)
    assert calls["n"] == 0


def test_no_secret_reaches_cache_or_results(project, mock_openai, monkeypatch):
    import httpx2

    monkeypatch.setenv("OPENAI_API_KEY", "test-key-never-store-this-1234567890")
    mock_openai["handler"] = lambda request: httpx2.Response(200, json=chat_completion("Hi.", 5000, 2))
    config = build_config(base_config(models=[{"id": "gpt", "provider": "openai", "model": "gpt-4o"}]), "test")
    generate(config, progress=False)
    for path in [*project.rglob("*.json"), *project.rglob("*.jsonl"), *project.rglob("*.yaml")]:
        assert "test-key-never-store-this" not in path.read_text(), path
