"""executor: ray on a real two-node Ray cluster: the same scores.jsonl as local scoring, a worker
killed mid-run, a driver killed and restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from bizsum import metrics
from bizsum.config import load_config
from bizsum.generation import generate
from bizsum.jsonl import read_jsonl
from bizsum.metrics import register_metric
from tests.execution.slow_metric import TARGET, expected
from tests.helpers import ROOT

pytestmark = [pytest.mark.ray, pytest.mark.slow, pytest.mark.timeout(900)]


def _write_config(project: Path, **fields) -> Path:
    data = yaml.safe_load((ROOT / "configs" / "ci.yaml").read_text(encoding="utf-8"))
    data.update(output_dir="out", cache_dir="cache", **fields)
    path = project / "run.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _ray(cluster, **extra):
    return {"kind": "ray", "address": cluster.address, **extra}


#: bookkeeping of the LLM judge's response cache and clock: the second scoring of the same answers finds them cached
CACHE_BOOKKEEPING = {"cached", "spent_usd", "seconds"}


def _without_cache_bookkeeping(value):
    if isinstance(value, dict):
        return {k: _without_cache_bookkeeping(v) for k, v in value.items() if k not in CACHE_BOOKKEEPING}
    if isinstance(value, list):
        return [_without_cache_bookkeeping(v) for v in value]
    return value


def _comparable(rows):
    return {
        (r["doc_id"], r["prompt_id"], r["model_id"], r["sample"]): {
            **r,
            "created_at": None,
            "details": {
                name: _without_cache_bookkeeping(detail) if name.startswith("judge_") else detail
                for name, detail in (r.get("details") or {}).items()
            },
        }
        for r in rows
    }


def _differences(a, b, path=""):
    """Every leaf where two JSON values differ, as 'path: a != b'."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [d for k in sorted(set(a) | set(b), key=str) for d in _differences(a.get(k), b.get(k), f"{path}/{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for k, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{path}[{k}]")]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"[:300]]


@pytest.fixture
def slow_metric(monkeypatch):
    monkeypatch.setattr(metrics, "REGISTRY", metrics.REGISTRY.copy())
    register_metric("slow", TARGET)
    monkeypatch.setattr("bizsum.scoring.SCORE_GROUP", 2)  # 2 summaries per group: many groups


SCORE_HERE = "from bizsum.config import load_config; from bizsum.execution import score; score(load_config({!r}))"


def test_ray_scores_equal_local_scores_on_the_ci_config(project, ray_cluster):
    from bizsum.execution import score

    config_path = _write_config(project)
    local = load_config(config_path)
    generate(local, progress=False)
    # The local reference is scored like an actor scores: a fresh process (no cache warmed by the
    # extractive baselines' sentence embeddings during generation) on one thread (one CPU per actor);
    # torch's float sums depend on both, in the 8th-10th digit.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    code = SCORE_HERE.format(str(config_path))
    subprocess.run([sys.executable, "-c", code], cwd=project, env=env, check=True, capture_output=True)
    local_rows = read_jsonl(local.rundir.scores)
    local.rundir.scores.unlink()

    on_ray = load_config(config_path, {"executor": _ray(ray_cluster, num_actors=2)})
    assert on_ray.hash() == local.hash()  # the executor is not part of what a run computes
    ray_rows = read_jsonl(score(on_ray, progress=False))
    assert not on_ray.rundir.score_parts.exists()
    assert [(r["doc_id"], r["prompt_id"], r["model_id"]) for r in ray_rows] == [
        (r["doc_id"], r["prompt_id"], r["model_id"]) for r in local_rows
    ]
    scored = [r for r in local_rows if not r["error"]]
    assert len(scored) == 16 and all(len(r["values"]) > 40 for r in scored)  # every metric ran
    differences = [
        d for k, row in _comparable(local_rows).items() for d in _differences(row, _comparable(ray_rows)[k], str(k))
    ]
    assert differences == []  # every value and every detail

    # a rerun reuses every row: nothing is scored twice, the file is unchanged
    before = on_ray.rundir.scores.read_bytes()
    score(on_ray, progress=False)
    assert on_ray.rundir.scores.read_bytes() == before


def _parts(rundir) -> list[dict]:
    rows = []
    for path in sorted(rundir.score_parts.glob("part-*.jsonl")) if rundir.score_parts.is_dir() else []:
        rows.extend(read_jsonl(path))
    return rows


def _slow_config(project, cluster, **executor):
    config_path = _write_config(
        project, models=[{"id": "lead", "provider": "extractive", "options": {"method": "lead"}}], samples=4
    )
    config = load_config(config_path, {"metrics": ["slow"], "executor": _ray(cluster, **executor)})
    generate(config, progress=False)
    return config


def test_a_worker_killed_mid_run_is_retried_and_every_row_is_there_once(project, ray_cluster, slow_metric):
    from bizsum.execution import score

    config = _slow_config(project, ray_cluster, num_actors=2)
    killed: list[int] = []

    def kill_one_actor() -> None:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not killed:
            rows = _parts(config.rundir)
            if rows:
                pid = rows[0]["details"]["slow"]["pid"]
                os.kill(pid, signal.SIGKILL)  # the actor is busy with its next group
                killed.append(pid)
            time.sleep(0.05)

    killer = threading.Thread(target=kill_one_actor, daemon=True)
    killer.start()
    rows = read_jsonl(score(config, progress=False))
    killer.join()
    assert killed, "no part file appeared: the run ended before a worker could be killed"
    keys = [(r["doc_id"], r["prompt_id"], r["model_id"], r["sample"]) for r in rows]
    assert len(keys) == len(set(keys)) == 16
    for row in rows:
        assert {k: row["values"][k] for k in ("slow_words", "slow_digest")} == expected(_summary(config, row))
    pids = {row["details"]["slow"]["pid"] for row in rows}
    assert len(pids) >= 2 and killed[0] in pids  # both actors worked, the killed one before it died


def _summary(config, row) -> str:
    for generation in read_jsonl(config.rundir.generations):
        if all(generation[k] == row[k] for k in ("doc_id", "prompt_id", "model_id", "sample")):
            return generation["text"]
    raise AssertionError(row)


DRIVER = """
import sys
import bizsum.scoring
from bizsum.config import load_config
from bizsum.execution import score
from bizsum.metrics import register_metric
bizsum.scoring.SCORE_GROUP = 2
register_metric("slow", {target!r})
config = load_config({config!r}, {{"metrics": ["slow"], "executor": {executor!r}}})
score(config, progress=False)
"""


def test_a_killed_driver_is_resumed_and_nothing_is_scored_twice(project, ray_cluster, slow_metric):
    from bizsum.execution.ray_scoring import RayScorer
    from bizsum.scoring import score_run

    config = _slow_config(project, ray_cluster, num_actors=1)
    script = DRIVER.format(target=TARGET, config=str(project / "run.yaml"), executor=_ray(ray_cluster, num_actors=1))
    driver = subprocess.Popen([sys.executable, "-c", script], cwd=project, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 300
        while len(_parts(config.rundir)) < 4 and driver.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert driver.poll() is None, "the driver finished before it could be killed"
        driver.send_signal(signal.SIGKILL)
    finally:
        driver.wait()
    done = {(r["doc_id"], r["prompt_id"], r["model_id"], r["sample"]): r for r in _parts(config.rundir)}
    assert 4 <= len(done) < 16 and not config.rundir.scores.exists()

    scorer = RayScorer(config.executor)
    rows = read_jsonl(score_run(config, progress=False, scorer=scorer))
    assert sum(worker.summaries for worker in scorer.workers.values()) == 16 - len(done)  # only the rest
    keys = [(r["doc_id"], r["prompt_id"], r["model_id"], r["sample"]) for r in rows]
    assert len(keys) == len(set(keys)) == 16
    for key, row in zip(keys, rows):
        if key in done:
            assert row == done[key]  # the row the killed driver wrote, as it was
        assert {k: row["values"][k] for k in ("slow_words", "slow_digest")} == expected(_summary(config, row))
    assert not config.rundir.score_parts.exists()
    assert json.loads(config.rundir.lock_file.read_text() or "{}") == {}


def test_in_process_models_run_as_one_actor_per_node_with_the_same_rows(project, ray_cluster, monkeypatch):
    from bizsum.execution import generate as generate_with_executor
    from bizsum.execution.ray_generation import ActorPoolProvider

    served: dict[str, dict[str, int]] = {}
    close = ActorPoolProvider.close

    def spy(self):
        served[self.spec.id] = dict(zip(self.nodes, self.served))
        close(self)

    monkeypatch.setattr(ActorPoolProvider, "close", spy)
    config_path = _write_config(project)
    local = load_config(config_path, {"name": "local", "cache_dir": "cache-local"})
    on_ray = load_config(config_path, {"name": "ray", "cache_dir": "cache-ray", "executor": _ray(ray_cluster)})
    generate(local, progress=False)
    stats = generate_with_executor(on_ray, progress=False)
    assert stats.called == 16 and stats.failed == 0  # every cell answered, none from a cache
    # the fake models ran on both nodes (one actor each); the extractive ones stayed on the driver
    assert set(served) == {"fake-lead3", "fake-misbehaving"}
    for counts in served.values():
        assert len(counts) == 2 and sum(counts.values()) == 4 and all(counts.values())
    volatile = ("latency_s", "created_at", "run_config")  # run_config: the two runs have other names
    rows = [{k: v for k, v in r.items() if k not in volatile} for r in read_jsonl(on_ray.rundir.generations)]
    expected_rows = [{k: v for k, v in r.items() if k not in volatile} for r in read_jsonl(local.rundir.generations)]
    assert sorted(rows, key=str) == sorted(expected_rows, key=str)
