"""Request-keyed resume: a row counts as a cell's result only when the same request made it.

A changed prompt template, model parameter or token limit re-requests exactly the cells it
affects (and the stats and the log say they were stale); an unchanged rerun requests nothing.
Every config that wrote into the run folder is kept, and each row names the one that wrote it.
"""

from __future__ import annotations

import logging
from collections import Counter

import pytest
import yaml

from bizsum.analysis.tables import config_history
from bizsum.config import build_config
from bizsum.generation.runner import generate
from bizsum.providers.fake import FakeProvider
from bizsum.records import GenerationRecord, load_latest, read_records
from bizsum.report.sections.appendix import provenance
from tests.helpers import base_config

AMZN, ZCMI = "AMZN_2024", "ZIONS_COOPERATIVE_MERCANTILE_1995"
TWO_MODELS = [{"id": "a", "provider": "fake"}, {"id": "b", "provider": "fake", "params": {"temperature": 0.2}}]


@pytest.fixture
def requested(monkeypatch):
    """The cells (doc, prompt, model, sample) the fake provider was asked for, in order."""
    seen: list[tuple[str, str, str, int]] = []
    original = FakeProvider.generate

    def recording(self, request):
        seen.append((request.document.id, request.prompt_id, request.model.id, request.sample))
        return original(self, request)

    monkeypatch.setattr(FakeProvider, "generate", recording)
    return seen


def run(requested, caplog, **overrides):
    """Generate; returns (stats, cells requested by this run, stale warnings logged)."""
    requested.clear()
    caplog.clear()
    config = build_config(base_config(**{"models": TWO_MODELS, **overrides}), "test")
    with caplog.at_level(logging.WARNING, logger="bizsum.generation.runner"):
        stats = generate(config, progress=False)
    stale_warnings = [m for m in caplog.messages if "made by another request or config" in m]
    return config, stats, sorted(requested), stale_warnings


def cells(docs=(AMZN, ZCMI), prompts=("focused", "seed"), models=("a", "b")):
    return sorted((d, p, m, 0) for d in docs for p in prompts for m in models)


def test_unchanged_rerun_requests_nothing(project, requested, caplog):
    _, first, asked, _ = run(requested, caplog)
    assert asked == cells() and first.called == 8
    _, again, asked, warnings = run(requested, caplog)
    assert asked == [] and again.skipped == 8 and again.stale == 0 and again.called == again.cached == 0
    assert warnings == []


def test_changed_template_rerequests_only_its_cells(project, requested, caplog):
    config, _, _, _ = run(requested, caplog)
    template = project / "data" / "prompts" / "focused.txt"
    template.write_text(template.read_text(encoding="utf-8") + "\nWrite one paragraph.\n", encoding="utf-8")
    _, stats, asked, warnings = run(requested, caplog)
    assert asked == cells(prompts=("focused",))
    assert stats.stale == 4 and stats.called == 4 and stats.skipped == 4 and stats.cached == 0
    assert len(warnings) == 1 and "4 cell(s)" in warnings[0] and "template" in warnings[0]
    # the new rows are the latest for their cells; the seed rows are untouched
    latest = load_latest(config.rundir.generations, GenerationRecord)
    shas = {r.prompt_sha256 for k, r in latest.items() if k.prompt_id == "focused"}
    assert len(shas) == 1 and shas != {r.prompt_sha256 for k, r in latest.items() if k.prompt_id == "seed"}


def test_changed_parameter_rerequests_only_that_models_cells(project, requested, caplog):
    old, _, _, _ = run(requested, caplog)
    models = [TWO_MODELS[0], {**TWO_MODELS[1], "params": {"temperature": 0.9}}]
    new, stats, asked, warnings = run(requested, caplog, models=models)
    assert asked == cells(models=("b",))
    assert stats.stale == 4 and stats.skipped == 4 and len(warnings) == 1
    assert any(f"kept as configs/{old.hash()}.yaml" in m for m in caplog.messages)
    # the earlier config is kept beside the new one, and each row names the config that wrote it
    rundir = new.rundir
    assert old.hash() != new.hash()
    assert rundir.config_snapshot(old.hash()).is_file() and rundir.config_snapshot(new.hash()).is_file()
    assert yaml.safe_load(rundir.config_snapshot(old.hash()).read_text())["models"][1]["params"] == {"temperature": 0.2}
    assert yaml.safe_load(rundir.config.read_text())["models"][1]["params"] == {"temperature": 0.9}
    latest = load_latest(rundir.generations, GenerationRecord)
    writers = Counter((k.model_id, r.run_config) for k, r in latest.items())
    assert writers == {("a", old.hash()): 4, ("b", new.hash()): 4}
    every_row = [r for _, r in read_records(rundir.generations, GenerationRecord)]
    assert len(every_row) == 12  # nothing is rewritten: the stale rows stay, superseded
    # the report lists both configs and the rows each wrote
    history = config_history(rundir.path)
    assert history.to_dict("records") == [
        {"config": old.hash(), "snapshot": f"configs/{old.hash()}.yaml", "current rows": 4, "latest": False},
        {"config": new.hash(), "snapshot": f"configs/{new.hash()}.yaml", "current rows": 4, "latest": True},
    ]
    html = provenance(history)
    assert old.hash() in html and new.hash() in html and "Config snapshots" in html


def test_changed_token_limit_rerequests_every_cell(project, requested, caplog):
    run(requested, caplog)
    _, stats, asked, warnings = run(requested, caplog, token_limit=256)
    assert asked == cells() and stats.stale == 8 and stats.skipped == 0 and len(warnings) == 1
    # and back: the response cache answers the first requests again, nothing is asked of the model
    _, stats, asked, _ = run(requested, caplog)
    assert asked == [] and stats.stale == 8 and stats.cached == 8


def test_changed_document_text_rerequests_its_cells(project, requested, caplog):
    run(requested, caplog)
    path = project / "data" / "documents" / f"{ZCMI}.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\nZCMI also sells furniture.\n", encoding="utf-8")
    _, stats, asked, _ = run(requested, caplog)
    assert asked == cells(docs=(ZCMI,)) and stats.stale == 4
