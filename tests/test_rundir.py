"""The run lock: one process writes into a run folder at a time; a dead holder's lock is taken over."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time

import pytest
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.config import build_config
from bizsum.generation.runner import generate
from bizsum.jsonl import read_jsonl
from bizsum.rundir import RunDir, RunLockedError
from tests.helpers import base_config, spawn_generate, wait_for_rows

SLOW = {"id": "slow", "provider": "fake", "options": {"delay": 0.5}}  # 8 cells, one at a time: 4 s


def test_a_second_run_on_the_same_folder_stops_at_once_naming_the_holder(project):
    data = base_config(models=[SLOW], samples=2)
    child = spawn_generate(project, data)
    path = project / "out" / "t" / "generations.jsonl"
    try:
        wait_for_rows(child, path, 1)
        second = build_config(data, "test")
        started = time.monotonic()
        with pytest.raises(RunLockedError) as raised:
            generate(second, progress=False)
        assert time.monotonic() - started < 2
        message = str(raised.value)
        assert f"pid {child.pid} on {socket.gethostname()}" in message and "command: bizsum generate" in message
        assert str(second.run_dir) in message

        # `bizsum run` on the same folder: exit 2 with the same message, before any kernel starts
        (project / "run.yaml").write_text((project / "run.yaml").read_text() + "metrics: [format]\n")
        result = CliRunner().invoke(app, ["run", str(project / "run.yaml")])
        assert result.exit_code == 2 and f"is in use by pid {child.pid}" in result.stderr
        assert not RunDir(second.run_dir).executed("generate").exists()
        assert child.wait(30) == 0, child.stderr.read().decode()
    finally:
        child.kill()
        child.wait(10)
    rows = read_jsonl(path)  # only the first run wrote: each cell once
    assert len(rows) == len({(r["doc_id"], r["prompt_id"], r["sample"]) for r in rows}) == 8


def test_a_lock_left_by_a_killed_process_is_taken_over_with_a_warning(project, caplog):
    data = base_config(models=[SLOW], samples=2)
    child = spawn_generate(project, data)
    try:
        wait_for_rows(child, project / "out" / "t" / "generations.jsonl", 1)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        child.kill()
        child.wait(10)
    config = build_config({**data, "models": [{**SLOW, "options": {}}]}, "test")
    holder = config.rundir.lock().holder()
    assert holder["pid"] == child.pid  # the dead process's record is still in the lock file
    with caplog.at_level(logging.WARNING, logger="bizsum.rundir"):
        stats = generate(config, progress=False)
    assert stats.called == 8
    (warning,) = [m for m in caplog.messages if "stale lock" in m]
    assert f"pid {child.pid}" in warning and "no longer running" in warning
    assert config.rundir.lock().holder() == {}  # released: an empty lock file


def test_the_lock_is_reentrant_and_lets_the_holders_kernels_in(tmp_path, monkeypatch):
    rundir = RunDir(tmp_path / "run").ensure()
    with rundir.lock("bizsum run x.yaml") as outer:
        token = os.environ["BIZSUM_RUN_LOCK_TOKEN"]
        with rundir.lock("bizsum generate"):  # the same process again (a nested step)
            pass
        assert outer.holder()["command"] == "bizsum run x.yaml"
        # A kernel started by the holder inherits the token and enters; the lock stays the holder's.
        with monkeypatch.context() as kernel:
            kernel.setattr("bizsum.rundir.RunLock._held", {})  # a new process: no lock held yet
            kernel.setenv("BIZSUM_RUN_LOCK_TOKEN", token)
            with rundir.lock("bizsum generate"):
                pass
            # Anyone else is refused while it is held.
            kernel.setenv("BIZSUM_RUN_LOCK_TOKEN", "someone-else")
            with pytest.raises(RunLockedError, match=r"bizsum run x\.yaml"):
                rundir.lock("bizsum generate").acquire()
    assert rundir.lock().holder() == {} and "BIZSUM_RUN_LOCK_TOKEN" not in os.environ
