"""Agreement of the metrics with the human labels of the run (``reviews.jsonl``), when there are any."""

from __future__ import annotations

from bizsum.analysis.agreement import format_table
from bizsum.report.data import AGREEMENT_BOOT, ReportData
from bizsum.report.html import static_table

ID, TITLE, SCREEN_ONLY = "agreement", "Agreement with human labels", False


def render(data: ReportData) -> str:
    labels, table = data.tables.labels, data.tables.agreement
    if labels is None or table is None:
        return ""  # no labels: no section (label with notebooks/review.ipynb, then `bizsum agreement RUN`)
    parts = [
        static_table(
            format_table(table),
            caption="Metrics against the human labels: balanced accuracy and Cohen's κ of the verdict, Kendall τ-b of "
            f"the score; [95% CI] over {AGREEMENT_BOOT} resamples of the summaries",
        )
    ]
    if labels.unscored:
        parts.append(f"<p>{labels.unscored} labelled summaries have no current score row and are not counted.</p>")
    if not labels.orphans.empty:
        parts.append(
            static_table(
                labels.orphans,
                caption=f"{len(labels.orphans)} orphaned labels: their summary changed or their claim is not among "
                "the summary's claims; they are not attached to anything",
            )
        )
    return "".join(parts)
