"""`bizsum report` never writes into a run folder while a run holds its lock (issue 18: during a
live generate it wrote report.html and headline.csv into the folder)."""

from __future__ import annotations

import os
import subprocess
import sys

from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.config import build_config
from bizsum.generation.runner import generate
from tests.helpers import ROOT, base_config

runner = CliRunner()

HOLD = (
    "import sys, time; from pathlib import Path; from bizsum.rundir import RunDir; RunDir(Path(sys.argv[1])).lock('bizsum run held.yaml').acquire(); "
    "print('held', flush=True); time.sleep(60)"
)


def test_bizsum_report_refuses_while_a_run_holds_the_folder(project):
    config = build_config(base_config(), "test")
    generate(config, progress=False)
    folder = config.run_dir
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(folder)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        result = runner.invoke(app, ["report", str(folder)])
        assert result.exit_code == 2, result.output
        assert f"run folder {folder} is in use by pid {holder.pid}" in result.stderr
        assert "command: bizsum run held.yaml" in result.stderr
        assert not (folder / "report.html").exists() and not (folder / "headline.csv").exists()
    finally:
        holder.kill()
        holder.wait(10)
    result = runner.invoke(app, ["report", str(folder)])  # the holder is gone: the report is built
    assert result.exit_code == 0, result.output
    assert (folder / "report.html").is_file() and (folder / "headline.csv").is_file()
