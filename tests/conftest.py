"""Shared fixtures. Tests never touch the network; the encoder is loaded from an installed package."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.helpers import ROOT, STUB_SERVER, StubServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# the claim-verdict cache stays in memory in tests (tests/nlp/test_verdict_cache.py gives it a file)
os.environ.setdefault("BIZSUM_VERDICT_CACHE", "off")


def make_project(root):
    """The real prompts, two real documents (one with a reference) and their manifest under ``root``."""
    data = root / "data"
    shutil.copytree(ROOT / "data" / "prompts", data / "prompts")
    documents = data / "documents"
    documents.mkdir(parents=True)
    keep = ["ZIONS_COOPERATIVE_MERCANTILE_1995", "AMZN_2024"]
    lines = (ROOT / "data" / "documents" / "manifest.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], [line for line in lines[1:] if line.split(",")[0] in keep]
    (documents / "manifest.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    for doc_id in keep:
        shutil.copy(ROOT / "data" / "documents" / f"{doc_id}.txt", documents / f"{doc_id}.txt")
    shutil.copytree(ROOT / "data" / "references" / "AMZN_2024", data / "references" / "AMZN_2024")
    return root


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A throw-away project folder with the real prompts and a few real documents."""
    make_project(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def mock_openai(monkeypatch):
    """Route every OpenAIChatProvider through an httpx2 MockTransport calling ``state['handler']``
    (no sockets); the key is a test value."""
    import httpx2

    from bizsum.providers import openai_chat

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    state = {"handler": None}
    original = openai_chat.OpenAIChatProvider.__init__

    def init(self, spec, http_client=None):
        transport = httpx2.MockTransport(lambda request: state["handler"](request))  # noqa: PLW0108 (set later)
        original(self, spec, http_client=httpx2.Client(transport=transport))

    monkeypatch.setattr(openai_chat.OpenAIChatProvider, "__init__", init)
    return state


@pytest.fixture
def stub_openai():
    """Start the shared stub server (``../shared/tools/stub_openai.py``): ``stub_openai(latency=...,
    summary_file=..., fail_rate=...)``; skipped when ../shared is not beside this checkout."""
    if not STUB_SERVER.is_file():
        pytest.skip(f"{STUB_SERVER} is not beside this checkout")
    servers: list[StubServer] = []

    def start(**options):
        servers.append(StubServer(**options))
        return servers[-1]

    yield start
    for server in servers:
        server.close()
