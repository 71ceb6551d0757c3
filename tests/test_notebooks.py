"""The notebooks, executed headless with papermill exactly as CI runs them (fake provider)."""

import shutil

import papermill
import pytest
from papermill.exceptions import PapermillExecutionError

from bizsum.jsonl import read_jsonl
from bizsum.metrics import metric_columns
from bizsum.notebook import notebook_path
from bizsum.pipeline import run_pipeline
from bizsum.records import ScoreRecord, load_latest
from tests.helpers import ROOT, score_rows

pytestmark = pytest.mark.slow


@pytest.fixture
def notebook_project(project):
    (project / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "ci.yaml", project / "configs" / "ci.yaml")
    return project


def test_pipeline_writes_a_report_with_flags(notebook_project):
    report = run_pipeline("configs/ci.yaml")
    html = report.read_text(encoding="utf-8")
    run_dir = notebook_project / "reports" / "ci"
    generations = read_jsonl(run_dir / "generations.jsonl")
    scores = {(r["doc_id"], r["prompt_id"], r["model_id"]): r for r in score_rows(run_dir / "scores.jsonl")}
    assert len(generations) == 2 * 2 * 4 == len(scores)
    misbehaving = {k[:2]: v for k, v in scores.items() if k[2] == "fake-misbehaving"}
    assert misbehaving[("AMZN_2024", "focused")]["over_limit"] is True
    assert misbehaving[("AMZN_2024", "seed")]["cut_off"] is True
    assert misbehaving[("ZIONS_COOPERATIVE_MERCANTILE_1995", "focused")]["has_bullets"] is True
    for column in ("rouge1_p_src", "bertscore_p_src", "coverage", "source_only", "token_compliant"):
        assert all(column in row for row in scores.values()), column
    # every value a metric writes is one it declares, and every declared value is written
    declared = set(metric_columns())
    for record in load_latest(run_dir / "scores.jsonl", ScoreRecord).values():
        assert set(record.values) == declared, set(record.values) ^ declared
    # The report shows each problem, the scores, and escapes model output.
    for text in (
        "over the token limit",
        "cut off (finish_reason",
        "not continuous text: bullets",
        "Focus-area coverage",
        "What each score means",
        "Ranking by",
        "no baseline rescaling",
    ):
        assert text in html, text
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html


def test_unknown_parameter_stops_the_notebook(notebook_project):
    with pytest.raises(PapermillExecutionError, match=r"unknown notebook parameter\(s\) \['sampels'\]"):
        papermill.execute_notebook(
            str(notebook_path("generate")),
            str(notebook_project / "out.ipynb"),
            parameters={"config_path": "configs/ci.yaml", "sampels": 2},
            cwd=str(notebook_project),
            progress_bar=False,
            kernel_name="python3",
        )
