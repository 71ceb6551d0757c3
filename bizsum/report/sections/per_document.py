"""Per-document strip charts, one per criterion (a new metric's headline columns get theirs)."""

from __future__ import annotations

from bizsum.analysis.verdict import criteria, one_per_baseline
from bizsum.report import charts as chart_figures
from bizsum.report.data import ReportData
from bizsum.report.html import figure_html

ID, TITLE, SCREEN_ONLY = "charts", "Per-document scores", False


def render(data: ReportData) -> str:
    ok = data.ok
    headline = tuple(c for c in data.tables.columns.values() if c.headline)
    judged = [c for c in criteria(ok, headline) if c.kind in ("score", "rate", "count")]
    if ok.empty or not judged:
        return "<p>No scores to chart.</p>"
    kinds = one_per_baseline(data.tables.kinds)
    shown = ok[[(str(p), str(m)) in kinds for p, m in zip(ok["prompt_id"], ok["model_id"])]]
    figures = []
    for column in judged:
        figure, alt = chart_figures.strip_chart(shown, column, kinds)
        figures.append(figure_html(figure, alt, caption=alt, font_pt=chart_figures.FONT_PT))
        chart_figures.close(figure)
    return (
        '<p class="muted">One dot per document; lines join the prompts of the same model on the same '
        "document; ✕ left of the axis marks a missing value (no score), not a zero. Grey background: baselines "
        "(shown once: a baseline ignores the prompt).</p>"
        f'<div class="fig-grid">{"".join(figures)}</div>'
    )
