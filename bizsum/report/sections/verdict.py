"""The answer first: one sentence a stakeholder can repeat, then per criterion the best
configuration against the best baseline (difference, CI, Holm p), then the compliance failures."""

from __future__ import annotations

from typing import Any

from bizsum.analysis.verdict import fmt_diff, fmt_value, lead_sentence, min_wilcoxon_p
from bizsum.report.data import ReportData
from bizsum.report.html import esc, kind_badge, static_table, term

ID, TITLE, SCREEN_ONLY = "verdict", "Verdict", False


def render(data: ReportData) -> str:
    if data.frame.empty:
        return "<p>No summaries in this run yet.</p>"
    table = data.tables.verdict
    if table.empty:
        return "<p>No scored summaries yet: run the score step.</p>"
    documents = int(data.frame["doc_id"].nunique())
    lead = lead_sentence(table, data.tables.compliance, documents)
    tests = int(table.attrs.get("tests", 1))
    cards = "".join(_card(row, data) for row in table.itertuples(index=False))
    return (
        f'<p class="lead"><b>{esc(lead)}</b></p>'
        + model_warning(data)
        + f'<div class="verdict-grid">{cards}</div>'
        + _compliance(data)
        + '<p class="muted family">'
        f"{kind_badge('llm')} a language model · {kind_badge('baseline')} a baseline without one, shown once "
        "(it ignores the prompt). One family of tests: per criterion, best LLM − best baseline paired by document, "
        f"two-sided Wilcoxon signed-rank p, Holm-adjusted over these {tests} criteria (pairs.csv's p_adjusted is "
        "this family's; its other pairs are exploratory). CI: 95 % bootstrap over documents; pts: percentage points. "
        '<a href="#pairs">All pairs</a> · <a href="#scores">every number</a>.</p>'
    )


def model_warning(data: ReportData) -> str:
    """A warning for every model whose generations name a different model than the one requested."""
    from bizsum.analysis.tables import model_mismatches

    found = model_mismatches(data.config, data.frame)
    if not found:
        return ""
    items = "".join(
        f"<li><b>{esc(model_id)}</b>: requested <code>{esc(requested)}</code>, the provider answered as "
        f"<code>{esc(', '.join(returned))}</code></li>"
        for model_id, requested, returned in found
    )
    return (
        f'<div class="callout model-warning">⚠ The model that answered is not the one requested: <ul>{items}</ul></div>'
    )


def _status(row: Any) -> tuple[str, str]:
    if row.significant:
        return "significant", "sig-yes"
    if "no paired test can reach" in row.why:
        return "not testable", "sig-cannot"
    return "not significant", "sig-no"


def _card(row: Any, data: ReportData) -> str:
    column = data.tables.columns.get(row.column)
    name = term(row.criterion, column.meaning) if column is not None else esc(row.criterion)
    kind = row.kind
    arrow = "↑ higher is better" if row.direction == "higher" else "↓ lower is better"
    best = (
        f'<div class="best">{kind_badge(row.best_kind)} <b>{esc(row.best_label)}</b> '
        f'<span class="big">{esc(fmt_value(row.best_value, kind))}</span>{_tie(row)}{_rule_note(row.best, data)}</div>'
    )
    compare = ""
    if row.reference is not None and row.contender is not None:
        status, css = _status(row)
        p = "–" if row.p_holm != row.p_holm else f"{row.p_holm:.3g}"
        if row.versus == "best baseline":
            who = (
                f"Best LLM {kind_badge(row.contender_kind)} {esc(row.contender_label)} "
                f"({esc(fmt_value(row.contender_value, kind))}) − best baseline {esc(row.reference_label)} "
                f"({esc(fmt_value(row.reference_value, kind))})"
            )
        else:
            who = (
                f"Best − runner-up {kind_badge(row.reference_kind)} {esc(row.reference_label)} "
                f"({esc(fmt_value(row.reference_value, kind))})"
            )
        compare = (
            f'<div class="cmp">{who}: <b>{esc(fmt_diff(row.diff, kind))}</b> '
            f"[{esc(fmt_diff(row.ci_low, kind))}, {esc(fmt_diff(row.ci_high, kind))}] · Holm p {esc(p)} · "
            f'<span class="{css}">{status}</span></div><div class="why" title="{esc(row.why)}">{esc(_short_why(row))}</div>'
        )
    css = "vcard base" if row.best_kind == "baseline" else "vcard"
    return f'<div class="{css}"><h3>{name} <span class="muted">{arrow}</span></h3>{best}{compare}</div>'


def _tie(row: Any) -> str:
    """A best LLM level with the best baseline is a tie, not a win."""
    if row.versus == "best baseline" and row.best_kind != "baseline" and row.diff == 0:
        return f' <span class="muted tie">tied with the baseline {esc(row.reference_label)}</span>'
    return ""


def _rule_note(label: str, data: ReportData) -> str:
    """⚠ beside a best configuration that broke a rule (it is never called best without saying so)."""
    from bizsum.analysis.stats import config_label

    for row in data.tables.compliance.itertuples(index=False):
        if config_label((str(row.prompt), str(row.model))) == label and int(row.failed):
            return f' <span class="flag">⚠ broke a rule on {int(row.failed)} of {int(row.summaries)}</span>'
    return ""


def _short_why(row: Any) -> str:
    """The card's one-line reason (the full one is the tooltip and in ``verdict_table``)."""
    if "no paired test can reach" not in row.why:
        return str(row.why)
    text = f"{row.n_docs} documents: p < 0.05 is out of reach (smallest possible p {min_wilcoxon_p(row.n_nonzero):.3g})"
    if "CI excludes 0" in row.why:
        text += "; the CI excludes 0 (indicative only)"
    return text


def _compliance(data: ReportData) -> str:
    counts = data.tables.compliance
    if counts.empty:
        return ""
    llm = counts[counts["kind"] != "baseline"]
    total = int(counts["summaries"].sum())
    failed = int(counts["failed"].sum())
    rule_columns = [c for c in counts.columns if c not in ("prompt", "model", "kind", "summaries", "failed")]
    by_rule = ", ".join(f"{esc(c)} {int(counts[c].sum())}" for c in rule_columns if int(counts[c].sum()))
    css = "callout" if failed else "callout ok-callout"
    llm_failed = int(llm["failed"].sum()) if not llm.empty else 0
    text = (
        f"<b>Compliance:</b> {failed} of {total} summaries broke a rule of the prompt "
        f"({llm_failed} of {int(llm['summaries'].sum()) if not llm.empty else 0} LLM summaries)"
        + (f": {by_rule}." if by_rule else ".")
        + ' <a href="#summaries">See them</a> (status “broke a rule”).'
    )
    table = counts.copy()
    table.insert(
        0,
        "configuration",
        [f"{kind_badge(k)} {esc(p)} · {esc(m)}" for p, m, k in zip(table.prompt, table.model, table.kind)],
    )
    table = table.drop(columns=["prompt", "model", "kind"])
    classes = ["baseline" if k == "baseline" else "" for k in counts["kind"]]
    return f'<div class="{css}">{text}</div>' + (
        '<details class="compliance"><summary>Rule failures per prompt × model</summary>'
        + static_table(
            table,
            caption="Rule failures per prompt × model (count of summaries)",
            html_columns=["configuration"],
            row_classes=classes,
        )
        + "</details>"
    )
