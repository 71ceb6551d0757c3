"""`bizsum score` JSON contract, CLI error messages, and report escaping."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.report.html import static_table
from tests.helpers import ROOT

runner = CliRunner()
DOC = ROOT / "data" / "documents" / "ZIONS_COOPERATIVE_MERCANTILE_1995.txt"

# The documented, stable keys of `bizsum score --json` (README "Scoring one summary").
STABLE_SCORE_KEYS = {
    "rouge1_f_ref",
    "rouge2_f_ref",
    "rougeL_f_ref",
    "rouge1_p_src",
    "rouge2_p_src",
    "rougeL_p_src",
    "tokens",
    "tokens_reported",
    "token_counter",
    "over_limit",
    "cut_off",
    "token_compliant",
    "format_compliant",
    "has_bullets",
    "has_headings",
    "has_tables",
}


def test_score_json_has_stable_keys(tmp_path):
    summary = tmp_path / "s.txt"
    summary.write_text("ZCMI operates full-line department stores in Utah and Idaho.")
    ref = tmp_path / "ref.txt"
    ref.write_text("ZCMI is a department store retailer in Utah, Idaho and Arizona.")
    result = runner.invoke(
        app,
        [
            "score",
            "--document",
            str(DOC),
            "--summary",
            str(summary),
            "--reference",
            str(ref),
            "--metric",
            "rouge",
            "--metric",
            "token_limit",
            "--metric",
            "format",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["schema_version"] == 1 and data["token_limit"] == 512
    assert set(data["scores"]) >= STABLE_SCORE_KEYS
    assert data["scores"]["token_compliant"] is True and 0 < data["scores"]["rouge1_f_ref"] < 1
    assert set(data["details"]) == {"rouge", "token_limit", "format"}


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: p.write_text(""), "document file {p} is empty"),
        (lambda p: p.write_bytes(b"caf\xe9"), "document file {p} is not UTF-8"),
    ],
)
def test_bad_document_gives_one_line(tmp_path, make, message):
    doc = tmp_path / "doc.txt"
    make(doc)
    summary = tmp_path / "s.txt"
    summary.write_text("A summary.")
    result = runner.invoke(app, ["score", "--document", str(doc), "--summary", str(summary)])
    assert result.exit_code == 2
    assert message.format(p=doc) in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_run_with_bad_config_gives_one_line(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text("name: x\ndocuments: [A]\nprompts: [seed]\nmodels: [{id: m, provider: fake}]\nsampels: 2\n")
    result = runner.invoke(app, ["run", str(config)])
    assert result.exit_code == 2 and "sampels: unknown field" in result.stderr


def test_model_output_is_escaped_in_tables():
    evil = "<script>alert('x')</script> & <b>bold</b>"
    table = static_table(pd.DataFrame([{"summary": evil, "score": 0.5}]))
    assert "<script>alert" not in table and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in table


def test_ingest_register_makes_a_filing_selectable(project):
    from bizsum.corpus.documents import DocumentStore
    from bizsum.corpus.select import select_documents

    filing = ROOT / "tests" / "ingest" / "fixtures"
    source = sorted(filing.glob("*.htm*"))[0]
    result = runner.invoke(app, ["ingest", str(source), "--out", "ingested", "--id", "MY_FILING_2024", "--register"])
    assert result.exit_code == 0, result.output
    store = DocumentStore("data")
    assert select_documents(store, ["MY_FILING_2024"]) == ["MY_FILING_2024"]
    document = store.load("MY_FILING_2024")
    assert int(store.manifest["MY_FILING_2024"]["tokens_o200k"]) > 0 and document.text
    again = runner.invoke(app, ["ingest", str(source), "--out", "ingested", "--id", "MY_FILING_2024", "--register"])
    assert again.exit_code == 2 and "already in" in again.stderr
