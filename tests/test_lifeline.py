"""A notebook kernel dies with the `bizsum run` that started it (issue 18: killing `bizsum run`
left its kernel requesting and appending rows, once while another run already held the lock)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bizsum.lifeline import PARENT_ENV, follow_parent
from tests.helpers import ROOT

# The "bizsum run" stand-in: names itself, starts a "kernel" in a session of its own (as papermill
# does), prints the kernel's pid, and waits to be killed.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    from bizsum.lifeline import name_parent
    name_parent()
    kernel = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]], start_new_session=True)
    print(kernel.pid, flush=True)
    time.sleep(120)
    """
)
# The "kernel": follows its parent (as notebook.setup does), then appends a row every 20 ms.
KERNEL = textwrap.dedent(
    """
    import sys, time
    from bizsum.lifeline import follow_parent
    assert follow_parent()
    with open(sys.argv[1], "a", encoding="utf-8") as rows:
        while True:
            rows.write("row\\n")
            rows.flush()
            time.sleep(0.02)
    """
)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines()) if path.exists() else 0


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_the_kernel_stops_writing_within_half_a_second_of_its_parents_death(tmp_path):
    rows = tmp_path / "generations.jsonl"
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, KERNEL, str(rows)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    kernel = int(parent.stdout.readline())
    try:
        deadline = time.monotonic() + 30
        while _lines(rows) < 5:
            assert time.monotonic() < deadline, "the kernel wrote nothing"
            time.sleep(0.02)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        killed = time.monotonic()
        while not _gone(kernel) and time.monotonic() - killed < 5:
            time.sleep(0.01)
        assert _gone(kernel), "the kernel outlived its parent by 5 s"
        assert time.monotonic() - killed < 0.5
        written = _lines(rows)
        time.sleep(0.3)
        assert _lines(rows) == written  # nothing appended after its death
    finally:
        if not _gone(kernel):
            os.kill(kernel, signal.SIGKILL)


def test_follow_parent_does_nothing_outside_a_run(monkeypatch):
    monkeypatch.delenv(PARENT_ENV, raising=False)
    assert follow_parent() is False
    monkeypatch.setenv(PARENT_ENV, str(os.getpid()))  # the run process itself
    assert follow_parent() is False


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads process states from /proc")
def test_kill_9_of_bizsum_run_stops_its_kernel(project):
    import yaml

    from tests.helpers import base_config

    slow = {"id": "slow", "provider": "fake", "options": {"delay": 0.02}}
    config = base_config(models=[slow], samples=200, metrics=["token_limit"])  # 800 cells, 50 rows/s: 16 s
    (project / "run.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    run = subprocess.Popen(
        [sys.executable, "-m", "bizsum.cli", "run", "run.yaml", "--step", "generate"],
        cwd=project,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = project / "out" / "t" / "generations.jsonl"
    kernels: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while _lines(rows) < 5:
            assert run.poll() is None and time.monotonic() < deadline, "bizsum run wrote no row"
            time.sleep(0.05)
        kernels = _children(run.pid)
        assert kernels, "no kernel under bizsum run"
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        at_kill, killed = _lines(rows), time.monotonic()
        while not all(_gone(pid) for pid in kernels) and time.monotonic() - killed < 5:
            time.sleep(0.01)
        died_after = time.monotonic() - killed
        time.sleep(0.5)
        after = _lines(rows) - at_kill
        # ipykernel's own parent poller looks once a second (os._exit, 1-3 s of rows seen in issue 18);
        # the lifeline watcher looks every 0.1 s
        assert died_after < 0.4 and after <= 8, (died_after, after)
    finally:
        for pid in kernels:
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
