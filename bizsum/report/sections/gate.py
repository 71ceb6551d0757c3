"""The regression gate's outcome (checked once in :func:`~bizsum.report.data.check_gate`)."""

from __future__ import annotations

from bizsum.report.data import ReportData
from bizsum.report.html import esc, static_table

ID, TITLE, SCREEN_ONLY = "gate", "Regression gate", False


def render(data: ReportData) -> str:
    outcome = data.gate
    if outcome.table is None:
        if not outcome.source:
            return (
                "<p>The gate is off: set <code>thresholds</code> and a <code>baseline_run</code> (or a "
                "<code>baseline</code> scores file).</p>"
            )
        return f"<p>Baseline <code>{esc(outcome.source)}</code> but no <code>thresholds</code>: the gate is off.</p>"
    word = "passed" if outcome.passed else "FAILED"
    css = "callout ok-callout" if outcome.passed else "callout"
    return (
        f'<div class="{css}">Gate against {esc(outcome.what)} <code>{esc(outcome.source)}</code>: <b>{word}</b>.</div>'
        f'<pre class="diff">{esc(outcome.message)}</pre>'
        + static_table(outcome.table, caption="Regression checks per prompt × model and gated criterion")
    )
