"""A third-party package adds a metric and a provider through entry points, with no change here.

``tests/plugin_example`` is laid out as an installed distribution (a module and its ``*.dist-info``
with ``entry_points.txt``); putting it on ``sys.path`` is what ``pip install`` would do.
"""

from __future__ import annotations

import logging

import pytest

from bizsum import metrics, providers
from bizsum.analysis.tables import load_run
from bizsum.config import build_config
from bizsum.errors import ConfigError
from bizsum.execution import generate, score_run
from bizsum.metrics.rouge import RougeMetric
from bizsum.registry import Registry
from tests.helpers import ROOT, base_config

PLUGIN = ROOT / "tests" / "plugin_example"


@pytest.fixture
def installed(monkeypatch):
    """The example plugin installed, and registries that have not read the entry points yet."""
    monkeypatch.syspath_prepend(str(PLUGIN))
    monkeypatch.setattr(metrics, "REGISTRY", metrics.REGISTRY.fresh())
    monkeypatch.setattr(providers, "PROVIDERS", providers.PROVIDERS.fresh())


def test_without_the_plugin_its_names_are_unknown():
    with pytest.raises(ConfigError, match=r"unknown metric 'example_words'; available: .*'rouge'"):
        metrics.metric_class("example_words")
    with pytest.raises(ConfigError, match="unknown provider 'example_echo'"):
        providers.provider_class("example_echo")


def test_entry_points_add_a_metric_and_a_provider(installed, caplog):
    with caplog.at_level(logging.WARNING, logger="bizsum.registry"):
        names = metrics.metric_names()
    assert names[-1] == "example_words" and "example_words" in metrics.default_metric_names()
    assert metrics.metric_class("rouge") is RougeMetric  # a plugin never replaces a built-in
    assert "ignored: the name is built in" in caplog.text
    assert "example_echo" in providers.available()
    echo = providers.provider_class("example_echo")
    assert echo.name == "example_echo" and providers.provider_kind("example_echo") == "baseline"
    assert metrics.metric_columns(["example_words"])["example_words"].kind == "count"


def test_a_run_uses_the_plugins_provider_and_metric(installed, project):
    config = build_config(
        base_config(models=[{"id": "echo", "provider": "example_echo", "options": {"words": 5}}],
                    metrics=["token_limit", "example_words"]),
        "test",
    )  # fmt: skip
    generate(config, progress=False)
    score_run(config, progress=False)
    frame = load_run(config.run_dir)
    assert len(frame) == 4 and frame["example_words"].tolist() == [5, 5, 5, 5]
    assert set(frame["model_kind"]) == {"baseline"}


def test_a_target_that_is_not_a_metric_is_one_line(monkeypatch):
    registry: Registry = metrics.REGISTRY.fresh()
    registry.register("broken", "bizsum.metrics.base:Column")
    registry.register("missing", "bizsum_nowhere:Metric")
    monkeypatch.setattr(metrics, "REGISTRY", registry)
    with pytest.raises(ConfigError, match=r"metric 'broken': .* is not a bizsum Metric subclass"):
        metrics.metric_class("broken")
    with pytest.raises(ConfigError, match="metric 'missing': cannot load 'bizsum_nowhere:Metric'"):
        metrics.metric_class("missing")
