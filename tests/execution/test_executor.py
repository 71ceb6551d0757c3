"""The executor field, and scoring's part files (what lets a killed run continue), without Ray."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bizsum.config import ExecutorSettings, build_config
from bizsum.errors import ConfigError, SetupError
from bizsum.generation import generate
from bizsum.jsonl import read_jsonl
from bizsum.scoring import score_groups_here, score_run
from tests.helpers import base_config as full_config

CHEAP = {"documents": ["ZIONS_COOPERATIVE_MERCANTILE_1995"], "metrics": ["token_limit", "format"]}


def base_config(**overrides):
    """One short document and two cheap metrics: these tests are about files, not numbers."""
    return full_config(**{**CHEAP, **overrides})


def test_executor_shorthands_and_the_hash():
    local = build_config(base_config(), "t")
    assert local.executor == ExecutorSettings() and local.executor.kind == "local"
    on_ray = build_config(base_config(executor="ray"), "t")
    assert on_ray.executor.kind == "ray" and on_ray.executor.address == "local"
    cluster = build_config(base_config(executor={"kind": "ray", "address": "auto", "num_actors": 8}), "t")
    assert (cluster.executor.address, cluster.executor.num_actors) == ("auto", 8)
    assert local.hash() == on_ray.hash() == cluster.hash()  # where a run executes is not what it computes
    assert "executor" not in local.snapshot()


def test_bad_executor_settings_name_the_field():
    with pytest.raises(ConfigError, match=r"executor\.kind"):
        build_config(base_config(executor="spark"), "t")
    with pytest.raises(ConfigError, match=r"executor\.num_actors"):
        build_config(base_config(executor={"kind": "ray", "num_actors": 0}), "t")
    with pytest.raises(ConfigError, match="secret"):
        build_config(base_config(executor={"kind": "ray", "runtime_env": {"env_vars": {"OPENAI_API_KEY": "x"}}}), "t")


def test_without_ray_installed_the_error_says_how_to_get_it(monkeypatch):
    from bizsum.execution.ray_session import import_ray

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(SetupError, match=r"bizsum\[ray\]"):
        import_ray()


def test_the_local_path_never_imports_ray(project):
    code = (
        "import sys, yaml\n"
        "from bizsum.config import build_config\n"
        "from bizsum import execution\n"
        "from bizsum.generation import generate\n"
        f"config = build_config({base_config()!r}, 't').with_root({str(project)!r})\n"
        "generate(config, progress=False)\n"
        "execution.score(config, progress=False)\n"
        "assert 'ray' not in sys.modules, 'ray was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


class Interrupted(Exception):
    pass


def test_a_killed_scoring_run_continues_from_its_part_files(project, monkeypatch):
    monkeypatch.setattr("bizsum.scoring.SCORE_GROUP", 1)
    config = build_config(base_config(samples=3), "t").with_root(project)
    generate(config, progress=False)

    def dies_after_three(units, names, judge=None):
        for count, group in enumerate(score_groups_here(units, names, judge)):
            if count == 3:
                raise Interrupted
            yield group

    with pytest.raises(Interrupted):
        score_run(config, progress=False, scorer=dies_after_three)
    parts = sorted(config.rundir.score_parts.glob("part-*.jsonl"))
    assert len(parts) == 3 and not config.rundir.scores.exists()
    done = {(r["doc_id"], r["prompt_id"], r["sample"]): r for p in parts for r in read_jsonl(p)}

    scored = []

    def counting(units, names, judge=None):
        scored.extend(record for group in units for record, _ in group)
        return score_groups_here(units, names, judge)

    rows = read_jsonl(score_run(config, progress=False, scorer=counting))
    assert len(rows) == 6 and len(scored) == 6 - 3  # only what the killed run had not finished
    for row in rows:
        key = (row["doc_id"], row["prompt_id"], row["sample"])
        if key in done:
            assert row == done[key]
    assert not config.rundir.score_parts.exists()
    # the same rows as a run that was never interrupted
    fresh = build_config(base_config(samples=3, name="fresh"), "t").with_root(project)
    generate(fresh, progress=False)
    again = read_jsonl(score_run(fresh, progress=False))
    strip = lambda r: {k: v for k, v in r.items() if k not in ("created_at", "generation_key")}  # noqa: E731
    assert [strip(r) for r in rows] == [strip(r) for r in again]


def test_parts_of_another_metric_version_are_not_reused(project, monkeypatch):
    from bizsum.metrics.format_check import FormatMetric

    config = build_config(base_config(), "t").with_root(project)
    generate(config, progress=False)

    def dies(units, names, judge=None):
        yield from list(score_groups_here(units, names, judge))[:1]
        raise Interrupted

    with pytest.raises(Interrupted):
        score_run(config, progress=False, scorer=dies)
    monkeypatch.setattr(FormatMetric, "version", lambda self: {"bumped": "2"})
    monkeypatch.setattr("bizsum.scoring.get_metric", _uncached())
    scored = []

    def counting(units, names, judge=None):
        scored.extend(record for group in units for record, _ in group)
        return score_groups_here(units, names, judge)

    score_run(config, progress=False, scorer=counting)
    assert len(scored) == 2  # the part row was made by the old version: every row is rescored


def _uncached():
    from bizsum.metrics import create_metric

    return create_metric


def test_the_public_verbs_honour_the_executor(monkeypatch):
    """``bizsum.generate`` and ``bizsum.score_run`` are the executor-aware verbs (they were the
    in-process engines, which ignore ``executor: ray``)."""
    import bizsum
    from bizsum import execution
    from bizsum.execution import ray_generation, ray_scoring

    assert bizsum.generate is execution.generate and bizsum.score_run is execution.score_run
    called = []
    monkeypatch.setattr(ray_generation, "generate_on_ray", lambda config, plan, progress: called.append("generate"))

    class FakeRayScorer:
        def __init__(self, settings):
            called.append("scorer")

    monkeypatch.setattr(ray_scoring, "RayScorer", FakeRayScorer)
    monkeypatch.setattr("bizsum.scoring.score_run", lambda config, progress, scorer=None: called.append(scorer))
    on_ray = build_config(base_config(executor={"kind": "ray", "generation_actors": True}), "t")
    bizsum.generate(on_ray, progress=False)
    bizsum.score_run(on_ray, progress=False)
    assert called[:2] == ["generate", "scorer"] and isinstance(called[2], FakeRayScorer)


def test_ray_sends_the_costliest_groups_first():
    # longest-processing-time order: the group of the longest document (and the most summaries)
    # goes out first, so no actor starts a large document when the others are about done
    from bizsum.corpus.documents import Document
    from bizsum.execution.ray_scoring import SUMMARY_COST_CHARS, group_cost
    from bizsum.metrics.base import ScoringItem

    def group(chars: int, summaries: int):
        document = Document(id=f"D{chars}", text="x" * chars)
        return [(None, ScoringItem(summary="s", document=document)) for _ in range(summaries)]

    small, large, many = group(1_000, 1), group(50_000, 1), group(1_000, 30)
    assert group_cost(large) == 50_000 + SUMMARY_COST_CHARS
    assert sorted([small, large, many], key=group_cost, reverse=True) == [many, large, small]
    assert group_cost([]) == 0
