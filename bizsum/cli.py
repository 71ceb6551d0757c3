"""Command line: ``bizsum run``, ``bizsum score``, ``bizsum ingest``.

User errors print one line (``error: ...``) and exit with status 2; no traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Optional

import typer

from bizsum.errors import BizsumError

app = typer.Typer(add_completion=False, help="Evaluate LLM summaries of 10-K business sections.", no_args_is_help=True)


def _fail(error: BizsumError) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=2)


def _parse_set(values: list[str]) -> dict:
    import yaml

    overrides = {}
    for value in values:
        if "=" not in value:
            raise BizsumError(f"--set expects FIELD=VALUE, got {value!r}")
        key, raw = value.split("=", 1)
        overrides[key.strip()] = yaml.safe_load(raw)
    return overrides


@app.command()
def run(
    config: Path = typer.Argument(..., help="YAML run configuration."),
    set_: list[str] = typer.Option([], "--set", help="Override a config field, e.g. --set samples=2."),
    step: list[str] = typer.Option([], "--step", help="Run only these notebooks: generate, score, compare."),
) -> None:
    """Run the matrix (generate → score → HTML report) for CONFIG."""
    from bizsum.pipeline import NOTEBOOKS, run_pipeline

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        report = run_pipeline(config, _parse_set(set_), tuple(step) or NOTEBOOKS)
    except BizsumError as error:
        _fail(error)
    typer.echo(f"report: {report}" if report else "done (no report: compare step not run)")


@app.command()
def score(
    document: Path = typer.Option(..., "--document", help="Source text (UTF-8)."),
    summary: Path = typer.Option(..., "--summary", help="Summary to score (UTF-8)."),
    reference: list[Path] = typer.Option([], "--reference", help="Reference summary; repeat for several."),
    token_limit: int = typer.Option(512, "--token-limit"),
    count_encoding: str = typer.Option("o200k_base", "--count-encoding", help="o200k_base or cl100k_base."),
    metric: list[str] = typer.Option([], "--metric", help="Only these metrics (default: all)."),
    as_json: bool = typer.Option(False, "--json", help="Print the full JSON (scores and details)."),
) -> None:
    """Score one summary made elsewhere against its source (and references)."""
    from bizsum.documents import read_text_file
    from bizsum.scoring import score_text

    logging.basicConfig(level=logging.WARNING)
    try:
        source = read_text_file(document, what="document")
        text = summary.read_text(encoding="utf-8") if summary.is_file() else None
        if text is None:
            raise BizsumError(f"summary file not found: {summary}")
        references = {path.stem: read_text_file(path, what="reference summary") for path in reference}
        result = score_text(source, text, references, token_limit=token_limit, count_encoding=count_encoding,
                            document_id=document.stem, metrics=metric or None)
    except UnicodeDecodeError:
        _fail(BizsumError(f"summary file {summary} is not UTF-8"))
    except BizsumError as error:
        _fail(error)
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    else:
        for key, value in result["scores"].items():
            typer.echo(f"{key:24s} {value}")


@app.command()
def ingest(
    filing: Path = typer.Argument(..., help="A 10-K filing: .htm/.html (inline XBRL) or plain text."),
    out: Path = typer.Option(Path("data/ingested"), "--out", help="Folder for <id>.txt and <id>.json."),
    doc_id: Optional[str] = typer.Option(None, "--id", help="Document id (default: derived from the filing)."),
    register: bool = typer.Option(False, "--register", help="Also add it to data/documents and its manifest, so configs can select it."),
    data_dir: Path = typer.Option(Path("data"), "--data-dir", help="Data folder for --register."),
) -> None:
    """Extract Item 1 (Business) from a whole 10-K filing."""
    from bizsum.ingest import default_doc_id, ingest_filing, write_ingested

    logging.basicConfig(level=logging.WARNING)
    try:
        result = ingest_filing(filing)
        doc_id = doc_id or default_doc_id(result)
        path = write_ingested(result, out, doc_id)
        if register:
            from bizsum.corpus import register_document

            registered = register_document(data_dir, doc_id, result.text, {
                "company": result.company, "cik": result.cik, "ticker": result.ticker,
                "fiscal_year": result.fiscal_year, "period_of_report": result.period_end,
                "accession": result.accession, "source": f"bizsum ingest {filing.name}",
                "license": "SEC public record"})
            typer.echo(f"registered {doc_id} in {registered.parent / 'manifest.csv'}")
    except BizsumError as error:
        _fail(error)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"wrote {path} ({result.words} words, {result.company or '?'} {result.fiscal_year or '?'}: "
               f"{result.start_heading!r} … {result.end_heading!r})")


def main() -> None:  # console-script entry point
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
