"""Providers: OpenAI over a mock transport (no sockets), extractive baselines, the fake."""

import json

import httpx2
import pytest

from bizsum.config import ModelSpec
from bizsum.corpus.documents import Document
from bizsum.errors import ConfigError, ProviderError, SetupError
from bizsum.nlp.text import split_sentences
from bizsum.nlp.tokens import count_tokens
from bizsum.providers import available, create_provider
from bizsum.providers.base import GenerationRequest
from bizsum.providers.openai_chat import OpenAIChatProvider
from tests.helpers import chat_completion

DOC = Document(
    id="d",
    text="Acme sells widgets to retailers. Revenue comes from widget sales and service fees. "
    "Acme finances itself with a revolving credit facility. Its customers are retailers.",
)


def request(spec, prompt="Summarize:\n\n" + DOC.text, **kw):
    return GenerationRequest(model=spec, prompt_id="p", prompt=prompt, document=DOC, **kw)


def mock_client(handler):
    return httpx2.Client(transport=httpx2.MockTransport(handler))


@pytest.fixture
def key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-value")


def test_registry_lists_builtins():
    assert {"openai", "local", "extractive", "fake"} <= set(available())
    with pytest.raises(ConfigError, match="unknown provider 'nope'"):
        create_provider(ModelSpec(id="x", provider="nope"))


def test_openai_request_and_recorded_fields(key):
    seen = {}

    def handler(req):
        seen["body"] = json.loads(req.content)
        seen["auth"] = req.headers["authorization"]
        seen["url"] = str(req.url)
        return httpx2.Response(200, json=chat_completion("Acme sells widgets.", prompt_tokens=60, completion_tokens=12))

    spec = ModelSpec(
        id="mini", provider="openai", model="gpt-4o-mini", params={"temperature": 0}, base_url="http://stub.local/v1"
    )
    provider = OpenAIChatProvider(spec, http_client=mock_client(handler))
    generation = provider.generate(request(spec, seed=7, token_limit=512))
    body = seen["body"]
    assert body["model"] == "gpt-4o-mini" and body["messages"][0]["content"].startswith("Summarize:")
    assert body["seed"] == 7 and body["temperature"] == 0 and body["max_completion_tokens"] == 1024
    assert seen["url"] == "http://stub.local/v1/chat/completions"
    assert seen["auth"] == "Bearer sk-test-secret-value"
    assert generation.text == "Acme sells widgets."
    assert (generation.prompt_tokens, generation.completion_tokens) == (60, 12)
    assert generation.finish_reason == "stop" and generation.model_returned == "gpt-4o-mini-2024-07-18"
    assert generation.latency_s >= 0 and generation.prompt_truncated is False
    assert generation.meta["count_encoding"] == "o200k_base"
    assert generation.meta["counted_prompt_tokens"] == count_tokens(request(spec).prompt)
    assert "sk-test" not in json.dumps(generation.to_dict())


def test_openai_detects_a_truncated_prompt(key):
    long_prompt = "Summarize:\n\n" + DOC.text * 50

    def handler(req):
        return httpx2.Response(200, json=chat_completion("x", prompt_tokens=100))

    spec = ModelSpec(id="m", provider="openai", model="some-local-model", base_url="http://stub.local/v1")
    generation = OpenAIChatProvider(spec, http_client=mock_client(handler)).generate(request(spec, prompt=long_prompt))
    assert count_tokens(long_prompt) > 1000
    assert generation.prompt_truncated is True


def test_openai_http_error_is_one_clear_message(key):
    def handler(req):
        return httpx2.Response(400, json={"error": {"message": "model not found", "type": "invalid"}})

    spec = ModelSpec(id="m", provider="openai", model="nope", options={"max_retries": 0})
    with pytest.raises(ProviderError, match=r"model 'm': the server answered HTTP 400"):
        OpenAIChatProvider(spec, http_client=mock_client(handler)).generate(request(spec))


def test_openai_missing_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(SetupError, match="environment variable OPENAI_API_KEY is not set"):
        create_provider(ModelSpec(id="gpt", provider="openai"))
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(SetupError, match="MY_KEY"):
        create_provider(ModelSpec(id="gpt", provider="openai", api_key_env="MY_KEY"))
    # A local compatible server without a key is allowed when the config says so.
    create_provider(
        ModelSpec(id="l", provider="openai", base_url="http://127.0.0.1:9/v1", options={"requires_key": False})
    )


def test_cache_key_covers_what_changes_the_output(key):
    spec = ModelSpec(id="m", provider="openai", model="gpt-4o")
    provider = create_provider(spec)
    base = provider.cache_key(request(spec))
    assert base == provider.cache_key(request(spec))
    assert base != provider.cache_key(request(spec, sample=1))
    assert base != provider.cache_key(request(spec, seed=1))
    assert base != provider.cache_key(request(spec, prompt="other"))
    other_params = create_provider(ModelSpec(id="m", provider="openai", model="gpt-4o", params={"temperature": 1}))
    assert base != other_params.cache_key(request(spec))
    other_url = create_provider(ModelSpec(id="m", provider="openai", model="gpt-4o", base_url="http://x/v1"))
    assert base != other_url.cache_key(request(spec))


def test_extractive_lead_is_source_sentences_under_the_limit():
    spec = ModelSpec(id="lead", provider="extractive", options={"method": "lead"})
    generation = create_provider(spec).generate(request(spec, token_limit=40))
    assert generation.text.startswith("Acme sells widgets to retailers.")
    assert all(s in DOC.text for s in split_sentences(generation.text))
    assert count_tokens(generation.text) <= 40 - 16
    with pytest.raises(ConfigError, match="extractive method 'mmr' unknown"):
        create_provider(ModelSpec(id="x", provider="extractive", options={"method": "mmr"}))


@pytest.mark.slow
def test_extractive_focus_picks_area_sentences():
    spec = ModelSpec(id="focus", provider="extractive", options={"method": "focus"})
    text = create_provider(spec).generate(request(spec, token_limit=60)).text
    assert "credit facility" in text and "Revenue comes from" in text
    assert count_tokens(text) <= 60 - 16


def test_fake_scripted_replies_and_errors():
    spec = ModelSpec(
        id="f",
        provider="fake",
        options={"responses": {"d:p": {"text": "scripted", "finish_reason": "length"}, "other": {"error": "boom"}}},
    )
    provider = create_provider(spec)
    generation = provider.generate(request(spec))
    assert (generation.text, generation.finish_reason) == ("scripted", "length")
    spec2 = ModelSpec(id="f", provider="fake", options={"responses": {"*": {"error": "boom"}}})
    with pytest.raises(ProviderError, match="boom"):
        create_provider(spec2).generate(request(spec2))
    default = create_provider(ModelSpec(id="g", provider="fake", options={"lead_sentences": 1}))
    assert default.generate(request(spec)).text == "Acme sells widgets to retailers."


def test_extractive_focus_embeds_a_document_once_for_every_prompt_and_sample(monkeypatch):
    import numpy as np

    from bizsum.nlp import encoders
    from bizsum.providers import extractive

    calls: list[int] = []

    def fake_embed(texts):
        calls.append(len(texts))
        rng = np.random.default_rng(len(texts))
        vectors = rng.random((len(texts), 8))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    monkeypatch.setattr(encoders, "embed", fake_embed)
    extractive._ranked_sentences.cache_clear()
    extractive._area_embeddings.cache_clear()
    text = " ".join(f"The company sells product number {i} to customers in many markets." for i in range(40))
    first = extractive.focus_summary(text, 120)
    assert extractive.focus_summary(text, 120) == first and extractive.focus_summary(text, 60) != ""
    assert calls == [5, 40]  # the five area queries once, the document's sentences once
    extractive._ranked_sentences.cache_clear()
    extractive._area_embeddings.cache_clear()
