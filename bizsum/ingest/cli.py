"""Plain function behind ``bizsum ingest FILING [--out DIR] [--id ID]`` (registered by the main CLI).

Suggested typer wiring (in the main CLI module)::

    @app.command("ingest")
    def ingest(
        filing: Path = typer.Argument(..., help="10-K file: .htm/.html (inline XBRL), .txt, or full submission"),
        out: Path = typer.Option(Path("data/documents"), "--out", help="folder for <id>.txt and <id>.json"),
        doc_id: Optional[str] = typer.Option(None, "--id", help="document id (default: TICKER_YEAR)"),
    ):
        path = ingest_command(filing, out, doc_id)
        typer.echo(str(path))
"""

from __future__ import annotations

import logging
from pathlib import Path

from bizsum.ingest import ingest_filing, write_ingested

log = logging.getLogger(__name__)


def ingest_command(filing: Path, out_dir: Path, doc_id: str | None = None) -> Path:
    """Extract Item 1 of ``filing`` into ``out_dir``; return the written ``<id>.txt`` path.

    Raises :class:`bizsum.errors.InputError` (message names the file) when the filing cannot be read,
    has no Item 1, or its Item 1 only incorporates text from another document. Warnings (e.g. parts
    incorporated by reference, missing end heading) are logged and stored in ``<id>.json``.
    """
    result = ingest_filing(Path(filing))
    path = write_ingested(result, Path(out_dir), doc_id)
    log.info(
        "ingested %s → %s (%s %s, %d words, %r … %r)",
        filing,
        path,
        result.company or "?",
        result.fiscal_year or "?",
        result.words,
        result.start_heading,
        result.end_heading,
    )
    return path
