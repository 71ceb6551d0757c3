"""The report the browser tests open: `bizsum run configs/ci.yaml` in a throw-away project, once
per session (fake and extractive models, offline).

``BIZSUM_BROWSER_RUN=<a run folder of configs/ci.yaml>`` reuses a run instead (its report is
rebuilt with `bizsum report`), to iterate on the report without generating and scoring again.
``BIZSUM_BROWSER_REPORT=<a report.html>`` opens that file as it is (e.g. an older report, to show
that the checks catch its bugs); tests that need the CI run's own numbers skip then."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT


@pytest.fixture(scope="session")
def ci_report(tmp_path_factory):
    from tests.conftest import make_project

    reuse = os.environ.get("BIZSUM_BROWSER_RUN")
    if reuse:
        result = subprocess.run(
            [sys.executable, "-m", "bizsum.cli", "report", reuse], check=False, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return Path(reuse)

    project = make_project(tmp_path_factory.mktemp("browser"))
    (project / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "ci.yaml", project / "configs" / "ci.yaml")
    result = subprocess.run(
        [sys.executable, "-m", "bizsum.cli", "run", "configs/ci.yaml"],
        check=False,
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return project / "reports" / "ci"


@pytest.fixture(scope="session")
def report_html(request) -> Path:
    """The report.html under test: ``BIZSUM_BROWSER_REPORT`` or the CI run's."""
    given = os.environ.get("BIZSUM_BROWSER_REPORT")
    if given:
        return Path(given).resolve()
    return request.getfixturevalue("ci_report") / "report.html"
