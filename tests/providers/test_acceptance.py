"""Provider acceptance: the core never names a provider, and a new one needs only a subclass.

1. No built-in provider name is compared, matched or looked up anywhere outside
   ``bizsum/providers/`` (docstrings and config descriptions may mention them).
2. A provider defined here, in a test module (a ``Provider`` subclass and ``register``, nothing
   else), runs end to end through ``generate()``: its concurrency group, its price and the
   ``max_cost`` meter are the core's business only through the capability hooks.
"""

from __future__ import annotations

import ast
import time

import pytest

from bizsum import providers
from bizsum.config import build_config
from bizsum.generation.runner import generate
from bizsum.jsonl import read_jsonl
from bizsum.providers import Generation, GenerationRequest, Provider, register
from tests.helpers import ROOT, InFlight, base_config

BUILTIN = {"openai", "local", "extractive", "fake"}
#: files where "local" means "this machine" (the executor setting), not the llama.cpp provider
EXECUTOR_FILES = {"bizsum/config.py", "bizsum/execution/ray_session.py"}


def _constants(node: ast.AST) -> list[ast.Constant]:
    """String constants of a compared value: itself, or the items of a tuple, list or set."""
    items = node.elts if isinstance(node, (ast.Tuple, ast.List, ast.Set)) else [node]
    return [item for item in items if isinstance(item, ast.Constant) and isinstance(item.value, str)]


def provider_names_used(source: str, where: str) -> list[str]:
    """``where:line: 'name'`` for every built-in provider name the code branches on."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            compared = [node.left, *node.comparators]
        elif isinstance(node, ast.MatchValue):
            compared = [node.value]
        elif isinstance(node, ast.Dict):
            compared = [key for key in node.keys if key is not None]
        elif isinstance(node, ast.Subscript):
            compared = [node.slice]
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("get", "startswith", "endswith"):
            compared = list(node.args[:1])
        else:
            continue
        for value in compared:
            for constant in _constants(value):
                if constant.value.lower() in BUILTIN:
                    found.append(f"{where}:{constant.lineno}: {constant.value!r}")
    return found


def test_no_provider_name_outside_the_providers_package():
    core = [p for p in (ROOT / "bizsum").rglob("*.py") if "providers" not in p.relative_to(ROOT / "bizsum").parts]
    assert len(core) > 50
    used = [hit for p in core for hit in provider_names_used(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))]
    used = [hit for hit in used if not (hit.split(":")[0] in EXECUTOR_FILES and hit.endswith("'local'"))]
    assert used == []


def test_the_scan_finds_a_branch_on_a_provider_name():
    code = (
        'if spec.provider == "local": pass\n'
        'free = spec.provider in ("fake", "extractive")\n'
        'limits = {"openai": 8}\n'
        "match spec.provider:\n"
        '    case "openai": pass\n'
        '"""A docstring may say openai."""\n'
    )
    assert provider_names_used(code, "x.py") == [
        "x.py:1: 'local'",
        "x.py:2: 'fake'",
        "x.py:2: 'extractive'",
        "x.py:3: 'openai'",
        "x.py:5: 'openai'",
    ]


@pytest.fixture
def registry(monkeypatch):
    """A copy of the provider registry, so providers registered by a test leave with it."""
    monkeypatch.setattr(providers, "PROVIDERS", providers.PROVIDERS.copy())


def test_a_provider_defined_in_a_test_runs_end_to_end_through_its_hooks(project, registry):
    in_flight = InFlight()

    @register("echo-test")
    class EchoProvider(Provider):
        """Answers with the document's first words; paid; every echo model shares one pool of 3."""

        default_concurrency = 3

        def concurrency_group(self) -> str:
            return "echo-pool"

        def generate(self, request: GenerationRequest) -> Generation:
            def answer() -> Generation:
                with in_flight:
                    time.sleep(0.05)
                return Generation(
                    text=" ".join(request.document.text.split()[:30]), prompt_tokens=1_000, completion_tokens=100
                )

            return self.metered(
                self.max_prompt_tokens(request.prompt),
                self.max_output_tokens(request),
                answer,
                usage=lambda g: (g.prompt_tokens, g.completion_tokens, 0),
            )

    (project / "data" / "prices.yaml").write_text(
        "models:\n  echo-model: {input: 1.0, output: 2.0}\n", encoding="utf-8"
    )
    models = [
        {"id": "echo-a", "provider": "echo-test", "model": "echo-model"},
        {"id": "echo-b", "provider": "echo-test", "model": "echo-model"},
    ]
    config = build_config(base_config(models=models, samples=3, max_cost=1.0), "test")
    stats = generate(config, progress=False)
    assert stats.called == 24 and stats.failed == 0
    assert in_flight.peak == 3  # one pool of 3 for both models (not 3 each)
    rows = read_jsonl(config.rundir.generations)
    assert {r["provider"] for r in rows} == {"echo-test"} and all(r["text"] for r in rows)
    # paid: every row costs 1,000 × $1 + 100 × $2 per 1M tokens, and the meter booked each request
    assert [r["cost_usd"] for r in rows] == [pytest.approx(0.0012)] * 24
    assert stats.cost_usd == pytest.approx(24 * 0.0012)
    assert stats.budget_peak_usd is not None and stats.budget_peak_usd >= stats.cost_usd
