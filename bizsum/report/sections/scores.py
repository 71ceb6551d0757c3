"""Every headline number, transposed (criteria as rows, configurations as columns), best marked."""

from __future__ import annotations

from typing import Any

import pandas as pd

from bizsum.report.data import ReportData, baselines_once
from bizsum.report.html import config_cell, csv_link, esc, format_value, is_missing, static_table, term

ID, TITLE, SCREEN_ONLY = "scores", "Scores per prompt × model", False


def arrow(direction: str) -> str:
    return {
        "higher": '<span class="muted" title="higher is better">↑</span>',
        "lower": '<span class="muted" title="lower is better">↓</span>',
    }.get(direction, "")


def render(data: ReportData) -> str:
    headline = data.tables.headline
    if headline.empty:
        return "<p>No scored summaries yet.</p>"
    ordered = baselines_once(headline).sort_values(
        ["kind", "model", "prompt"], key=lambda s: s.map({"llm": 0, "baseline": 1}).fillna(s) if s.name == "kind" else s
    )
    configs = [config_cell(p, m, k) for p, m, k in zip(ordered.prompt, ordered.model, ordered.kind)]
    headline_columns = [c for c in data.tables.columns.values() if c.headline and c.name in ordered]
    rows, cell_classes = [], {}
    for position, column in enumerate(headline_columns):
        values = ordered[column.name].tolist()
        row: dict[str, Any] = {"criterion": f"{term(column.label, column.meaning)} {arrow(column.direction)}"}
        numeric = [v for v in values if not is_missing(v)]
        best = None
        if numeric and column.direction in ("higher", "lower") and len(set(numeric)) > 1:
            best = max(numeric) if column.direction == "higher" else min(numeric)
        for index, (config, value) in enumerate(zip(configs, values)):
            sd = ordered[f"{column.name}_sd"].iloc[index]
            text = esc(format_value(value, kind=column.kind))
            if column.kind not in ("rate", "flag") and not is_missing(sd):
                text += f' <span class="muted">± {esc(format_value(sd))}</span>'
            row[config] = text
            if best is not None and not is_missing(value) and value == best:
                cell_classes[(position, config)] = "best"
        rows.append(row)
    table = pd.DataFrame(rows)
    n_row = {"criterion": "summaries (documents)"} | {
        c: f"{int(s)} ({int(d)})" for c, s, d in zip(configs, ordered.summaries, ordered.documents)
    }
    table = pd.concat([pd.DataFrame([n_row]), table], ignore_index=True)
    cell_classes = {(p + 1, c): v for (p, c), v in cell_classes.items()}
    return (
        static_table(
            table,
            caption="Mean over documents × samples (± standard deviation for scores; yes/no rules as the share "
            "of summaries that pass). ★ best value of the row. A baseline is shown once (it ignores the prompt).",
            html_columns=list(table.columns),
            cell_classes=cell_classes,
            css="headline",
        )
        + f"<p>{csv_link(headline, 'headline.csv', 'headline.csv (every headline mean, sd and n)')}</p>"
    )
