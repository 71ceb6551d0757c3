"""`bizsum run`: everything is checked before a kernel starts; the exit code tells a failed run.

Exit 0: every cell has a result (or the failures are within ``allow_failures``); exit 1: the run
finished but cells have no result (one line per model) or the gate failed; exit 2: bad input,
reported before any notebook runs.
"""

from __future__ import annotations

import time

import papermill
import pytest
import yaml
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.config import build_config
from bizsum.errors import InputError
from bizsum.generation.runner import GenerationIncomplete, check_complete
from bizsum.generation.workers import GenerationStats
from bizsum.pipeline import preflight
from tests.helpers import base_config

runner = CliRunner()

DOWN = {"responses": {"*": {"error": "connection refused by the endpoint"}}}


def write_config(project, **overrides):
    path = project / "run.yaml"
    path.write_text(yaml.safe_dump(base_config(**overrides)), encoding="utf-8")
    return path


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if any notebook is executed."""

    def refuse(*args, **kwargs):
        raise AssertionError("a notebook was executed")

    monkeypatch.setattr(papermill, "execute_notebook", refuse)


def run_cli(*args):
    started = time.monotonic()
    result = runner.invoke(app, ["run", *map(str, args)])
    return result, time.monotonic() - started


@pytest.mark.slow
def test_every_cell_failing_exits_1_with_one_line_per_model(project):
    models = [
        {"id": "down-a", "provider": "fake", "options": DOWN},
        {"id": "down-b", "provider": "fake", "options": DOWN},
    ]
    config = write_config(project, models=models)
    result, _ = run_cli(config)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    (summary,) = [line for line in lines if "GenerationIncomplete" in line]  # after the notebooks' own log
    assert "8 of 8 cell(s) have no result" in summary, result.stderr
    for model in ("down-a", "down-b"):
        (line,) = [line for line in lines if line.strip().startswith(f"{model}:")]
        assert "4 failed (last error: connection refused by the endpoint)" in line
    # scoring and the report still ran for what there is
    assert (project / "out" / "t" / "report.html").is_file()

    # allow_failures relaxes it (here a share: 0.5 of 8 cells = 4 may fail)
    half = [models[0], {"id": "up", "provider": "fake"}]
    result, _ = run_cli(
        write_config(project, name="half", models=half), "--step", "generate", "--set", "allow_failures=0.5"
    )
    assert result.exit_code == 0, result.output


def test_allow_failures_is_a_count_or_a_share():
    stats = GenerationStats(cells=200, failed=15, not_requested=5)
    stats.failed_by_model.update({"a": 15})
    stats.not_requested_by_model.update({"b": 5})
    for allowed, passes in ((0, False), (19, False), (20, True), (0.09, False), (0.1, True)):
        config = build_config(base_config(allow_failures=allowed), "test")
        if passes:
            check_complete(stats, config)
        else:
            with pytest.raises(GenerationIncomplete, match=r"20 of 200 cell\(s\)") as raised:
                check_complete(stats, config)
            assert "a: 15 failed" in str(raised.value) and "b: 5 not requested (max_cost reached)" in str(raised.value)


def test_a_bad_step_is_caught_before_anything_runs(project, no_kernel):
    config = write_config(project)
    result, seconds = run_cli(config, "--step", "generate", "--step", "scroe")
    assert result.exit_code == 2 and "unknown step(s) ['scroe']" in result.stderr
    assert seconds < 10 and not (project / "out").exists()  # no run folder, no executed notebook


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"documents": ["AMZN_2024", "NOPE_2020"]}, "document selector 'NOPE_2020' is neither a known document id"),
        ({"prompts": ["seed", "fokused"]}, "unknown prompt template 'fokused'"),
        (
            {"models": [{"id": "fake", "provider": "fake"}, {"id": "gpt", "provider": "openai", "model": "gpt-4o"}]},
            "model 'gpt' (provider 'openai'): environment variable OPENAI_API_KEY is not set",
        ),
        ({"models": [{"id": "x", "provider": "nope"}]}, "unknown provider 'nope'"),
        ({"metrics": ["rouge", "rogue"]}, "unknown metric(s) ['rogue']"),
        ({"baseline": "old/scores.jsonl"}, "baseline scores not found"),
    ],
)
def test_missing_inputs_are_reported_before_any_kernel_starts(project, no_kernel, monkeypatch, overrides, message):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    config = write_config(project, **overrides)
    result, seconds = run_cli(config)
    assert result.exit_code == 2 and message in result.stderr, result.output
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) <= 3
    assert seconds < 10 and not (project / "out").exists()


def five_megabyte_document(project):
    documents = project / "data" / "documents"
    text = (documents / "AMZN_2024.txt").read_text(encoding="utf-8")
    whole = (text + "\n\n") * (5_000_000 // len(text) + 1)
    (documents / "WHOLE_FILING_2024.txt").write_text(whole, encoding="utf-8")
    with (documents / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write("WHOLE_FILING_2024,Whole Filing Inc.,2024\n")
    return documents / "WHOLE_FILING_2024.txt"


def test_a_document_listed_without_its_file_is_reported_before_any_kernel(project, no_kernel):
    with (project / "data" / "documents" / "manifest.csv").open("a", encoding="utf-8") as manifest:
        manifest.write("GONE_2020,Gone Inc.,2020\n")
    result, _ = run_cli(write_config(project, documents=["AMZN_2024", "GONE_2020"]))
    assert result.exit_code == 2 and "document file not found: " in result.stderr and "GONE_2020.txt" in result.stderr
    assert not (project / "out").exists()


def test_a_5mb_document_is_refused_quickly_by_the_plan(project, no_kernel):
    five_megabyte_document(project)
    config = build_config(base_config(documents=["AMZN_2024", "WHOLE_FILING_2024"]), "test")
    started = time.monotonic()
    with pytest.raises(InputError) as raised:
        preflight(config, ["generate", "score", "compare"])
    assert time.monotonic() - started < 10
    message = str(raised.value)
    assert "document 'WHOLE_FILING_2024' is 975,1" in message and "above max_document_tokens 500,000" in message
    assert "'map-reduce'" in message and "'truncate'" in message
    # the limit is the config's: raised, the same document passes
    preflight(build_config(base_config(documents=["WHOLE_FILING_2024"], max_document_tokens=2_000_000), "test"), [])


def test_a_5mb_document_is_refused_quickly_by_bizsum_score(project):
    document = five_megabyte_document(project)
    summary = project / "summary.txt"
    summary.write_text("Amazon sells things.", encoding="utf-8")
    started = time.monotonic()
    result = runner.invoke(app, ["score", "--document", str(document), "--summary", str(summary)])
    assert time.monotonic() - started < 10
    assert result.exit_code == 2 and "above max_document_tokens 500,000" in result.stderr
    assert "'map-reduce'" in result.stderr and "document 'WHOLE_FILING_2024'" in result.stderr
