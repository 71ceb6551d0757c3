"""The notebooks, executed headless with papermill exactly as CI runs them (fake provider)."""

import json
import re
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
from tests.test_docs import run_doc_examples

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
        "not continuous text: inline HTML",
        'id="verdict"',
        "No LLM configuration beats the best baseline",
        "no paired test can reach p &lt; 0.05",
        "Focus-area coverage",
        "What each score means",
        "no baseline rescaling",
        "claim-supported",
        "LLM judge: fake-judge",
        "LLM judge: consistency (1-5)",
    ):
        assert text in html, text
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html
    assert html.index('id="verdict"') < html.index('id="scores"') < html.index('id="appendix"')
    assert (run_dir / "headline.csv").is_file() and (run_dir / "pairs.csv").is_file()

    # `bizsum report RUN` writes the same report from the folder (only the build time differs)
    from typer.testing import CliRunner

    from bizsum.cli import app

    def body(text):
        return re.sub(r"built \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", text)

    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert body(report.read_text(encoding="utf-8")) == body(html)

    # against a baseline run: per summary and metric changes, text diffs, and the gate reads its rows
    base = notebook_project / "reports" / "ci_base"
    shutil.copytree(run_dir, base)
    _edit_baseline(base)
    result = CliRunner().invoke(
        app, ["report", str(run_dir), "--baseline", str(base), "--set", "thresholds={coverage: 0.05}"]
    )
    assert result.exit_code == 1 and "regression gate failed" in result.output  # coverage was higher before
    changed = report.read_text(encoding="utf-8")
    assert 'id="changes"' in changed and "summaries with a different text" in changed
    assert "Gate against baseline run" in changed and "FAILED" in changed
    assert "diff-add" in changed and "diff-del" in changed

    # every example of the README and docs/ runs on this fresh-clone-like project (docs/api.md's
    # again from notebooks/): tests/test_docs.py
    namespace = run_doc_examples(notebook_project)
    claims = namespace["claims"]
    assert len(claims) > 0 and set(claims["verdict"]) <= {"supported", "uncertain", "unsupported", "not_checkable"}
    assert namespace["areas"]["area"].nunique() == 5
    assert (notebook_project / "data" / "ingested" / "AAPL_2024.txt").is_file()


def _edit_baseline(base):
    """The baseline run had another text for one summary and a higher coverage everywhere."""
    lines = (base / "generations.jsonl").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    for row in rows:
        if row["model_id"] == "lead" and row["prompt_id"] == "seed" and row["doc_id"] == "AMZN_2024":
            row["text"] = "An older summary. " + row["text"]
    (base / "generations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    scores = [json.loads(line) for line in (base / "scores.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in scores:
        if row.get("values", {}).get("coverage") is not None:
            row["values"]["coverage"] = min(1.0, row["values"]["coverage"] + 0.3)
    (base / "scores.jsonl").write_text("".join(json.dumps(r) + "\n" for r in scores), encoding="utf-8")


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
