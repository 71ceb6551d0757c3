"""The three ways to extend bizsum that docs/architecture.md describes, through the report.

A metric from another package (tests/plugin_example, an entry point) shows its column in the
report with no change to the report code; a new report section (a module with ID, TITLE,
SCREEN_ONLY and render(data), listed in SECTIONS) is rendered in its place from the one
ReportData. The provider route is tests/providers/test_acceptance.py and tests/test_plugins.py.
"""

from __future__ import annotations

import html
from types import SimpleNamespace

import pytest

from bizsum import metrics, providers
from bizsum.config import build_config
from bizsum.execution import generate, score_run
from bizsum.report import build
from bizsum.report.data import ReportData
from tests.helpers import ROOT, base_config

PLUGIN = ROOT / "tests" / "plugin_example"


@pytest.fixture
def plugin_run(monkeypatch, project):
    """A run of the fake provider scored with a built-in metric and the example plugin's metric."""
    monkeypatch.syspath_prepend(str(PLUGIN))
    monkeypatch.setattr(metrics, "REGISTRY", metrics.REGISTRY.fresh())
    monkeypatch.setattr(providers, "PROVIDERS", providers.PROVIDERS.fresh())
    config = build_config(base_config(metrics=["token_limit", "example_words"]), "test")
    generate(config, progress=False)
    score_run(config, progress=False)
    return config


def test_a_plugin_metric_appears_in_the_report_without_a_report_change(plugin_run):
    report = build.build_report(plugin_run)
    page = html.unescape(report.html())
    assert "example_words" in report.data.frame.columns
    assert "Words in the summary." in page  # its declared meaning, in the glossary


def test_a_new_section_renders_from_report_data_in_page_order(plugin_run, monkeypatch):
    seen: list[ReportData] = []

    def render(data: ReportData) -> str:
        seen.append(data)
        return f"<p>{len(data.frame)} summaries, {len(data.tables.headline)} headline rows</p>"

    section = SimpleNamespace(ID="word-counts", TITLE="Word counts", SCREEN_ONLY=False, render=render)
    monkeypatch.setattr(build, "SECTIONS", (*build.SECTIONS[:-1], section, build.SECTIONS[-1]))
    report = build.build_report(plugin_run)
    assert len(seen) == 1 and seen[0] is report.data
    page = report.html()
    ours = page.index('<section id="word-counts"><h2>Word counts</h2>')
    assert page.index(f"{len(report.data.frame)} summaries", ours) > ours
    assert page.index('<section id="appendix"') > ours  # listed before the appendix, shown before it
