"""``bizsum score``'s side process: the model-free metrics run in a forked process while the models
load, and the output is the same as scoring everything in one process."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bizsum import side_process as side
from tests.helpers import ROOT

#: scores a filing with one model metric (BERTScore reads the sentences the side process split) and
#: the three model-free ones; prints the result and the pid each metric was scored in
PROBE = """
import json, os, sys
from bizsum.metrics.base import Metric
from bizsum.metrics import metric_class
from bizsum.scoring import score_text

parent = os.getpid()
def record(name):
    cls = metric_class(name)
    original = cls.score_batch
    def score_batch(self, items):
        if os.environ.get("KILL_SIDE") and os.getpid() != parent:
            os._exit(3)  # the side process dies
        results = original(self, items)
        for result in results:
            result.details["_pid"] = os.getpid()
        return results
    cls.score_batch = score_batch

for name in ("rouge", "token_limit", "format", "bertscore"):
    record(name)
text = open("data/documents/UNITED_STATES_SHOE_1994.txt").read()
summary = "The company runs women's apparel chains. It also runs LensCrafters, an optical retailer."
result = score_text(text, summary, metrics=["rouge", "bertscore", "token_limit", "format"])
print(json.dumps({"pid": os.getpid(), "result": result, "torch_imported": "torch" in sys.modules}))
"""


def run_probe(side_process: str, kill_side: bool = False) -> dict:
    env = {**os.environ, side.ENV_SWITCH: side_process, "KILL_SIDE": "1" if kill_side else ""}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, env=env, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def pids(out: dict) -> dict[str, int]:
    return {name: details.pop("_pid") for name, details in out["result"]["details"].items()}


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_model_free_metrics_run_beside_and_give_the_same_output():
    beside, alone = run_probe("on"), run_probe("off")
    beside_pids, alone_pids = pids(beside), pids(alone)
    assert set(alone_pids.values()) == {alone["pid"]}
    assert beside_pids["bertscore"] == beside["pid"]
    assert {beside_pids[n] for n in ("rouge", "token_limit", "format")} - {beside["pid"]}, "no side process ran"
    # every value and detail equal, keys in the same order
    assert json.dumps(beside["result"]) == json.dumps(alone["result"])
    assert list(beside["result"]["scores"])[:3] == ["rouge1_p_src", "rouge2_p_src", "rougeL_p_src"]


@pytest.mark.skipif("fork" not in __import__("multiprocessing").get_all_start_methods(), reason="needs fork")
def test_a_side_process_that_dies_costs_nothing_but_time():
    out, alone = run_probe("on", kill_side=True), run_probe("off")
    assert set(pids(out).values()) == {out["pid"]}  # everything was scored here after all
    pids(alone)
    assert json.dumps(out["result"]) == json.dumps(alone["result"])


def test_the_side_process_is_offered_only_before_torch_and_when_not_switched_off(monkeypatch):
    monkeypatch.delenv(side.ENV_SWITCH, raising=False)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    assert side.side_process_allowed()
    with side.side_process() as pool:
        assert pool is not None and pool.submit(os.getpid).result() != os.getpid()
    monkeypatch.setenv(side.ENV_SWITCH, "off")
    assert not side.side_process_allowed()
    monkeypatch.delenv(side.ENV_SWITCH)
    monkeypatch.setitem(sys.modules, "torch", object())
    assert not side.side_process_allowed()
    with side.side_process() as pool:
        assert pool is None
