"""Per configuration and criterion, and per summary, what changed against the baseline run."""

from __future__ import annotations

import pandas as pd

from bizsum.analysis.verdict import criteria
from bizsum.report.cards import card_id
from bizsum.report.data import ReportData
from bizsum.report.html import esc, format_value, interactive_table, static_table

ID, TITLE, SCREEN_ONLY = "changes", "Changes against the baseline run", False


def render(data: ReportData) -> str:
    """Per configuration and criterion, and per summary, what changed against the baseline run."""
    if data.baseline is None:
        return ""
    from bizsum.analysis.diff import changes_by_configuration, compare_runs, summary_diffs

    metrics = [c.name for c in criteria(data.frame)]
    diff = compare_runs(data.baseline, data.frame)
    diff = diff[diff["metric"].isin(metrics)]
    per_config = changes_by_configuration(diff)
    texts = summary_diffs(data.baseline, data.frame)
    changed = texts[texts["text_changed"]]
    lead = (
        f"<p>Baseline run <b>{esc(data.baseline_name)}</b>: {int(texts['in_a'].sum())} summaries; this run "
        f"{int(texts['in_b'].sum())}; {len(changed)} summaries with a different text, "
        f"{int((~texts['in_a']).sum())} new, {int((~texts['in_b']).sum())} gone.</p>"
    )
    table = ""
    if not per_config.empty:
        shown = per_config.drop(columns=["metric"]).rename(
            columns={
                "prompt_id": "prompt",
                "model_id": "model",
                "label": "criterion",
                "a": "baseline",
                "b": "this run",
                "diff": "change",
            }
        )
        table = static_table(
            shown,
            caption="Mean per prompt × model over the summaries both runs have; better/worse: summaries that moved",
        )
    rows = []
    for row in diff[diff["change"].isin(("better", "worse", "new", "gone"))].itertuples(index=False):
        rows.append(
            {
                "summary": f'<a href="#{card_id(row.doc_id, row.prompt_id, row.model_id, row.sample)}">'
                f"{esc(row.doc_id)} · {esc(row.prompt_id)} · {esc(row.model_id)}</a>",
                "criterion": esc(row.label),
                "baseline": esc(format_value(row.a)),
                "this run": esc(format_value(row.b)),
                "change": esc(format_value(row.diff)),
                "direction": esc(row.change),
            }
        )
    per_summary = (
        interactive_table(pd.DataFrame(rows), "changes", caption="Per summary and criterion", search_panes=[1, 5])
        if rows
        else "<p>No criterion changed on any summary.</p>"
    )
    diffs = []
    for row in changed.head(60).itertuples(index=False):
        lines = "".join(
            f'<span class="{"diff-add" if line.startswith("+") else "diff-del" if line.startswith("-") else ""}">{esc(line)}</span>\n'
            for line in row.diff.splitlines()
        )
        diffs.append(
            f"<details><summary>{esc(row.doc_id)} · {esc(row.prompt_id)} · {esc(row.model_id)} · sample {row.sample}"
            f'</summary><pre class="diff">{lines}</pre></details>'
        )
    return lead + table + per_summary + ("<h3>Text changes</h3>" + "".join(diffs) if diffs else "")
