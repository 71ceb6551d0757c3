"""Context-window check and the truncate / map-reduce strategies (fake provider, no model)."""

from pathlib import Path

import pytest

from bizsum.config import ModelSpec, build_config
from bizsum.corpus.documents import Document
from bizsum.errors import ProviderError
from bizsum.generation.long_docs import ContextGuard, WindowTable, split_to_fit
from bizsum.generation.plan import open_provider
from bizsum.nlp.tokens import count_tokens
from bizsum.providers.base import GenerationRequest

PARAGRAPHS = [
    f"Paragraph {i}: Acme sells widget model {i} to retailers and earns fees of ${i} million." for i in range(40)
]
LONG = Document(id="long", text="\n\n".join(PARAGRAPHS))
TEMPLATE = "Summarize:\n\n{document}"


def request(spec, document=LONG):
    return GenerationRequest(
        model=spec,
        prompt_id="p",
        prompt=TEMPLATE.replace("{document}", document.text),
        document=document,
        token_limit=50,
    )


def spec(strategy, window=400, **options):
    return ModelSpec(
        id=f"f-{strategy}",
        provider="fake",
        context_window=window,
        strategy=strategy,
        params={"max_tokens": 60},
        options=options,
    )


SHIPPED = WindowTable.for_data_dir(Path("/nonexistent"))  # the table shipped in bizsum/resources


def create_provider(spec):
    return open_provider(spec, SHIPPED)


def test_declared_table_exact_then_longest_prefix():
    assert SHIPPED.window("gpt-4o-mini") == 128000
    assert SHIPPED.window("gpt-4o-mini-2024-07-18") == 128000
    assert SHIPPED.window("qwen2.5-coder-0.5b") == 32768
    assert SHIPPED.window("unknown-model") is None


def test_a_project_table_overrides_the_shipped_one(tmp_path):
    (tmp_path / "context_windows.yaml").write_text("gpt-4o-mini: 1000\n", encoding="utf-8")
    assert WindowTable.for_data_dir(tmp_path).window("gpt-4o-mini") == 1000


def test_a_short_prompt_passes_through():
    provider = create_provider(spec("whole", window=100000))
    assert isinstance(provider, ContextGuard)
    assert provider.generate(request(provider.spec)).meta["strategy"] == "whole"


def test_too_long_stops_with_the_numbers():
    provider = create_provider(spec("whole"))
    needed = count_tokens(request(provider.spec).prompt) + 60
    with pytest.raises(
        ProviderError, match=rf"document 'long' with prompt 'p' does not fit model 'f-whole': {needed} tokens"
    ):
        provider.generate(request(provider.spec))


def test_truncate_keeps_the_head_and_reports_it():
    provider = create_provider(spec("truncate", responses={"*": "short summary"}))
    generation = provider.generate(request(provider.spec))
    meta = generation.meta
    assert meta["document_truncated"] is True and meta["strategy"] == "truncate"
    assert 0 < meta["document_tokens_kept"] < meta["document_tokens_total"] == count_tokens(LONG.text)
    assert meta["document_tokens_kept"] + count_tokens("Summarize:\n\n") + 60 + 32 <= 400


def test_map_reduce_maps_every_section_then_reduces(monkeypatch):
    prompts = []
    provider = create_provider(spec("map-reduce", responses={"*": "note"}))
    original = provider.inner.generate

    def record(req):
        prompts.append(req.prompt_id)
        return original(req)

    monkeypatch.setattr(provider.inner, "generate", record)
    generation = provider.generate(request(provider.spec))
    sections = generation.meta["sections"]
    assert sections >= 2 and prompts == [f"p#map{i}" for i in range(sections)] + ["p#reduce"]
    assert generation.text == "note" and generation.meta["strategy"] == "map-reduce"


def test_split_to_fit_never_exceeds_and_loses_nothing():
    fits = lambda text: count_tokens(text) <= 80  # noqa: E731
    pieces = split_to_fit(LONG.text, fits)
    assert all(fits(p) for p in pieces) and len(pieces) > 1
    assert " ".join(" ".join(pieces).split()) == " ".join(LONG.text.split())


def test_strategies_are_a_matrix_dimension():
    config = build_config(
        {
            "documents": ["a"],
            "prompts": ["seed"],
            "strategies": ["whole", "map-reduce"],
            "models": [{"id": "q", "provider": "local", "model": "qwen"}],
        },
        "x",
    )
    assert [(m.id, m.strategy, m.model_name) for m in config.models] == [
        ("q@whole", "whole", "qwen"),
        ("q@map-reduce", "map-reduce", "qwen"),
    ]


def test_guard_passes_counting_and_window_through():
    provider = create_provider(spec("whole", window=1234))
    assert provider.context_limit() == 1234
    assert provider.count_prompt("hello world") == provider.inner.count_prompt("hello world") == 2


def test_map_reduce_trims_an_over_long_answer_to_full_sentences():
    long_answer = " ".join(f"Acme sells widget line {i} to retailers." for i in range(40))
    provider = create_provider(spec("map-reduce", responses={"p#reduce": long_answer, "*": "note"}))
    generation = provider.generate(request(provider.spec))
    assert generation.meta["trimmed_to_limit"] is True and generation.meta["untrimmed_text"] == long_answer
    assert provider.count_prompt(generation.text) <= 50 and generation.text.endswith("retailers.")
    assert long_answer.startswith(generation.text)
