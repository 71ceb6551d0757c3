"""Export of an executed report notebook to one self-contained HTML file (code hidden, offline)."""

from __future__ import annotations

import re
from pathlib import Path

_REMOTE_SCRIPT = re.compile(r'<script[^>]*\bsrc="https?://[^"]*"[^>]*>\s*</script>', re.IGNORECASE)


def export_html(notebook_path: str | Path, html_path: str | Path, title: str = "bizsum report") -> Path:
    """Export an executed notebook to a standalone HTML file with the code hidden."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(notebook_path), as_version=4)
    notebook.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.embed_images = True
    for cell in notebook.cells:  # logs and progress bars go to stderr: not for stakeholders
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    body, _ = exporter.from_notebook_node(notebook)
    # The template loads require.js and MathJax from a CDN; the report uses neither and must work offline.
    body = _REMOTE_SCRIPT.sub("", body)
    html_path = Path(html_path)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(body, encoding="utf-8")
    return html_path
