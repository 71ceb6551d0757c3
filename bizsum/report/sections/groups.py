"""Scores by industry and by document length, per model."""

from __future__ import annotations

from bizsum.analysis.tables import group_table
from bizsum.report.data import ReportData
from bizsum.report.html import static_table

ID, TITLE, SCREEN_ONLY = "groups", "By industry and document length", False


def render(data: ReportData) -> str:
    parts = []
    labels = data.tables.columns
    for column, caption in (
        ("industry", "By industry (SIC-based label)"),
        ("length", "By document length (o200k tokens)"),
    ):
        table = group_table(data.ok, column)
        if not table.empty:
            table = table.rename(columns={c: labels[c].label for c in table.columns if c in labels})
            parts.append(static_table(table, caption=caption, index=True))
    return "".join(parts) or "<p>No document metadata (manifest) for these documents.</p>"
