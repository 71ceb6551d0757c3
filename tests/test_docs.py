"""Documentation derived from code stays in step with it."""

from __future__ import annotations

import subprocess
import sys

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
