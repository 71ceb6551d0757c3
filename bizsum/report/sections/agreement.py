"""Agreement of the metrics with the human labels of the run (``reviews.jsonl``), when there are any."""

from __future__ import annotations

from bizsum.report.data import ReportData
from bizsum.report.html import static_table

ID, TITLE, SCREEN_ONLY = "agreement", "Agreement with human labels", False

N_BOOT = 1000


def render(data: ReportData) -> str:
    from bizsum.analysis.agreement import agreement_from, collect, format_table

    rundir = data.rundir
    if not rundir.reviews.is_file():
        return ""  # no labels: no section (label with notebooks/review.ipynb, then `bizsum agreement RUN`)
    labels = collect(rundir.path)
    table = agreement_from(labels, n_boot=N_BOOT)
    parts = [
        static_table(
            format_table(table),
            caption="Metrics against the human labels: balanced accuracy and Cohen's κ of the verdict, Kendall τ-b of "
            f"the score; [95% CI] over {N_BOOT} resamples of the summaries",
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
