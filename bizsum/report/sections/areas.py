"""Focus-area coverage per prompt × model: a heatmap and its table."""

from __future__ import annotations

from bizsum.analysis.tables import area_table
from bizsum.report import charts as chart_figures
from bizsum.report.data import ReportData
from bizsum.report.html import config_cell, figure_html, static_table

ID, TITLE, SCREEN_ONLY = "areas", "Focus areas", False


def render(data: ReportData) -> str:
    table = area_table(data.ok)
    if table.empty:
        return ""
    figure, alt = chart_figures.area_heatmap(table)
    html = figure_html(figure, alt)
    chart_figures.close(figure)
    shown = table.reset_index()
    kinds = data.tables.kinds
    shown.insert(
        0,
        "configuration",
        [config_cell(p, m, kinds.get((p, m))) for p, m in zip(shown.pop("prompt_id"), shown.pop("model_id"))],
    )
    shown = shown.drop_duplicates(subset=["configuration"])  # a baseline once: it ignores the prompt
    return html + static_table(
        shown,
        caption="Focus-area coverage per prompt × model (mean over documents; – = the source is thin on it)",
        html_columns=["configuration"],
    )
