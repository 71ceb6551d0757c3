"""The LLM judge's columns per prompt × model, in a section of their own ("LLM judge: <model>").

Never merged into the headline: a judge is optional, may be weak (a small local model) and costs
money, so its numbers stand beside the offline metrics, labelled with the judge model.
"""

from __future__ import annotations

import pandas as pd

from bizsum.report.data import ReportData
from bizsum.report.html import esc, static_table

ID, TITLE, SCREEN_ONLY = "judge", "LLM judge", False

JUDGE_METRIC_NAMES = ("judge_claims", "judge_rubric")


def render(data: ReportData) -> str:
    from bizsum.analysis.tables import headline_table
    from bizsum.metrics import metric_columns

    frame = data.frame
    columns = tuple(c for c in metric_columns(list(JUDGE_METRIC_NAMES)).values() if c.name in frame)
    if not columns or all(frame[c.name].isna().all() for c in columns):
        return ""  # no judge in this run: no section
    table = headline_table(frame, columns)
    shown = table[["prompt", "model", "n"]].copy()
    for spec in columns:
        if f"{spec.name}_mean" in table:
            shown[spec.label] = table[f"{spec.name}_mean"]
    model = data.config.judge_model.id if data.config.judge_model is not None else "?"
    details = frame.get("details", pd.Series(dtype=object))
    spent = 0.0
    for entry in details:
        for name in JUDGE_METRIC_NAMES:
            part = entry.get(name) if isinstance(entry, dict) else None
            if isinstance(part, dict) and isinstance(part.get("spent_usd"), (int, float)):
                spent += float(part["spent_usd"])
    return (
        f"<p><b>LLM judge: {esc(model)}</b>. Its numbers are its own columns, not part of the headline. "
        f"Money spent on judge answers in the latest scoring: ${spent:,.4f} (cached answers cost nothing again).</p>"
        + static_table(shown, caption=f"LLM judge: {model}: mean per prompt × model")
    )
