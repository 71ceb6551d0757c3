"""Documentation derived from code stays in step with it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bizsum.analysis.tables import all_columns, columns_markdown, headline_columns
from bizsum.metrics import metric_class, metric_names
from tests.helpers import ROOT


def test_readme_key_table_is_rendered_from_the_declarations():
    proc = subprocess.run(  # noqa: PLW1510  (the exit code is what the test checks)
        [sys.executable, "scripts/render_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "| `source_only` | `unsupported_claims` |" in columns_markdown()


def test_every_metric_declares_its_columns_once():
    seen: dict[str, str] = {}
    for name in metric_names():
        metric = metric_class(name)
        assert metric.label and metric.description and metric.columns, name
        for column in metric.columns:
            assert column.name not in seen, f"{column.name} declared by {seen.get(column.name)} and {name}"
            seen[column.name] = name
    assert {"latency_s", "cost_usd"} <= set(all_columns())
    assert [c.name for c in headline_columns()][:2] == ["rouge1_f_ref", "rougeL_f_ref"]


#: the documents whose Python blocks are examples a reader runs (all of them are executed by a test)
EXAMPLE_DOCS = ("README.md", *sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")))
#: what exists on a fresh clone once `bizsum run configs/ci.yaml` ran, besides the tracked files
MADE_BY_THE_CI_RUN = ("reports/ci",)
WRITTEN_BY_AN_EXAMPLE = ("data/ingested",)


def doc_examples() -> list[tuple[str, str]]:
    """Every ```python block of the README and docs/, as (file, code)."""
    return [
        (name, block)
        for name in EXAMPLE_DOCS
        for block in re.findall(r"```python\n(.*?)```", (ROOT / name).read_text(encoding="utf-8"), re.S)
    ]


def run_doc_examples(project: Path) -> dict[str, Any]:
    """Execute every example block from ``project`` (a fresh-clone-like folder in which the CI run
    exists), then the researcher API page's again from ``notebooks/``; returns the namespace."""
    fixture = Path("tests/ingest/fixtures/aapl_2024_toc_ixbrl.htm")
    (project / fixture).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / fixture, project / fixture)
    (project / "notebooks").mkdir(exist_ok=True)
    namespace: dict[str, Any] = {}
    cwd = os.getcwd()
    try:
        for folder, examples in (
            (project, doc_examples()),
            (project / "notebooks", [e for e in doc_examples() if e[0] == "docs/api.md"]),
        ):
            os.chdir(folder)
            for name, block in examples:
                exec(compile(block, name, "exec"), namespace)
    finally:
        os.chdir(cwd)
    return namespace


def test_every_example_names_only_what_a_fresh_clone_has():
    examples = doc_examples()
    assert {name for name, _ in examples} >= {"README.md", "docs/api.md", "docs/ci.md", "docs/ingest.md"}
    tracked = set(
        subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.splitlines()
    )
    for name, block in examples:
        compile(block, name, "exec")
        for path in re.findall(r"""["']((?:\.\./)?[\w.-]+/[\w./-]+)["']""", block):
            path = path.removeprefix("../")
            made = path.startswith(MADE_BY_THE_CI_RUN + WRITTEN_BY_AN_EXAMPLE)
            assert made or path in tracked or any(t.startswith(path + "/") for t in tracked), (name, path)
