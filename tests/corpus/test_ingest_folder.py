"""bizsum ingest DIR: a folder of filings in parallel, one bad filing listed, duplicates detected."""

from __future__ import annotations

import csv
import json
import shutil

import pytest
from typer.testing import CliRunner

from bizsum.cli import app
from bizsum.execution.ingest_batch import find_filings, ingest_folder
from tests.helpers import ROOT

FIXTURES = ROOT / "tests" / "ingest" / "fixtures"


@pytest.fixture
def filings(tmp_path):
    folder = tmp_path / "filings"
    (folder / "2024").mkdir(parents=True)
    for name in (
        "aapl_2024_toc_ixbrl.htm",
        "ma_2024_running_headers_table.htm",
        "medicis_1999_plaintext_submission.txt",
    ):
        shutil.copy(FIXTURES / name, folder / name)
    shutil.copy(FIXTURES / "wmt_2025_heading_in_table.htm", folder / "2024" / "wmt.htm")  # any depth
    shutil.copy(FIXTURES / "ibm_2024_incorporated_by_reference.htm", folder / "ibm.htm")  # fails: no Item 1 text
    shutil.copy(FIXTURES / "aapl_2024_toc_ixbrl.htm", folder / "zz_aapl_again.htm")  # the same bytes
    text = (FIXTURES / "medicis_1999_plaintext_submission.txt").read_text(encoding="utf-8")
    (folder / "zz_medicis_resent.txt").write_text(text + "\n", encoding="utf-8")  # other bytes, same accession
    (folder / "notes.md").write_text("not a filing", encoding="utf-8")
    return folder


def _manifest(project):
    with (project / "data" / "documents" / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row for row in csv.DictReader(handle)}


def test_a_folder_is_ingested_in_parallel_with_a_report(project, filings):
    assert [p.name for p in find_filings(filings)][:2] == ["wmt.htm", "aapl_2024_toc_ixbrl.htm"]
    before = set(_manifest(project))
    report = ingest_folder(filings, project / "ingested", register=True, data_dir=project / "data", workers=2)
    by_name = {o.path.rsplit("/", 1)[-1]: o for o in report.outcomes}
    assert {name: o.status for name, o in by_name.items()} == {
        "wmt.htm": "registered",
        "aapl_2024_toc_ixbrl.htm": "registered",
        "ibm.htm": "failed",
        "ma_2024_running_headers_table.htm": "registered",
        "medicis_1999_plaintext_submission.txt": "registered",
        "zz_aapl_again.htm": "duplicate",
        "zz_medicis_resent.txt": "duplicate",
    }
    assert "incorporated by reference" in by_name["ibm.htm"].message.lower() or "item 1" in by_name["ibm.htm"].message
    assert by_name["zz_aapl_again.htm"].doc_id == "AAPL_2024"
    assert "0000950153-99-001234" in by_name["zz_medicis_resent.txt"].message
    manifest = _manifest(project)
    added = set(manifest) - before
    assert added == {"AAPL_2024", "MASTERCARD_2024", "WMT_2025", "MEDICIS_PHARMACEUTICAL_1999"}
    medicis = manifest["MEDICIS_PHARMACEUTICAL_1999"]
    text = (project / "data" / "documents" / "MEDICIS_PHARMACEUTICAL_1999.txt").read_text(encoding="utf-8")
    from bizsum.nlp.tokens import count_tokens

    assert medicis["accession"] == "0000950153-99-001234"
    assert int(medicis["tokens_o200k"]) == count_tokens(text.rstrip("\n"))  # counted in the worker, same number
    assert report.summary().startswith("7 filing(s)") and "4 registered, 2 duplicate, 1 failed" in report.summary()

    # the same folder again: everything is a duplicate now (accession from the manifest, bytes from ingested/)
    again = ingest_folder(filings, project / "ingested", register=True, data_dir=project / "data", workers=1)
    assert [o.status for o in again.outcomes].count("duplicate") == 6
    assert set(_manifest(project)) == set(manifest)


def test_cli_ingests_a_folder_lists_every_file_and_fails_on_a_bad_one(project, filings):
    result = CliRunner().invoke(
        app, ["ingest", str(filings), "--register", "--out", "ingested", "--workers", "2", "--data-dir", "data"]
    )
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stdout.splitlines() if line.split(" ")[0] in ("registered", "duplicate", "failed")]
    assert len(lines) == 7 and sum(line.startswith("failed") for line in lines) == 1
    report = json.loads((project / "ingested" / "ingest-report.json").read_text(encoding="utf-8"))
    assert len(report["files"]) == 7 and report["workers"] == 2
    assert CliRunner().invoke(app, ["ingest", str(filings), "--id", "X"]).exit_code == 2
