"""Every pair of configurations on every criterion: paired difference, bootstrap CI, Wilcoxon p;
the verdict's pairs carry the one family's Holm p (the others are exploratory)."""

from __future__ import annotations

import pandas as pd

from bizsum.analysis.verdict import min_wilcoxon_p
from bizsum.report.data import ReportData
from bizsum.report.html import csv_link, esc, format_value, interactive_table, is_missing, term

ID, TITLE, SCREEN_ONLY = "pairs", "Paired comparisons", False


def _p(value: float) -> str:
    return "–" if is_missing(value) else f"{value:.3g}"


def render(data: ReportData) -> str:
    pairs = data.tables.pairs
    if pairs.empty:
        return "<p>Paired comparisons need at least two prompt × model configurations with scores.</p>"
    labels = data.tables.columns
    documents = int(pairs["n"].max()) if len(pairs) else 0
    tests = int(data.tables.verdict.attrs.get("tests", 1)) if not data.tables.verdict.empty else 1
    note = ""
    if min_wilcoxon_p(documents) * tests >= 0.05:
        note = (
            f'<p class="callout">With at most {documents} shared documents no pair can be significant: the '
            f"smallest possible Wilcoxon p is {min_wilcoxon_p(documents):.3g} before the Holm adjustment over the "
            f"verdict's {tests} criteria. The CIs still show size and direction.</p>"
        )
    shown = pd.DataFrame(
        {
            "criterion": [term(labels[m].label, labels[m].meaning) if m in labels else esc(m) for m in pairs["metric"]],
            "a": pairs["a"].map(esc),
            "b": pairs["b"].map(esc),
            "n": pairs["n"],
            "mean a": pairs["mean_a"].round(3),
            "mean b": pairs["mean_b"].round(3),
            "b − a": pairs["mean_diff"].round(3),
            "95% CI": [
                f"[{lo:+.3f}, {hi:+.3f}]" if not is_missing(lo) else "–" for lo, hi in zip(pairs.ci_low, pairs.ci_high)
            ],
            "Wilcoxon p": pairs["p_value"].map(_p),
            "Holm p (verdict)": pairs["p_adjusted"].map(_p),
            "in verdict": pairs["in_verdict"].map({True: "yes", False: "no"}),
            "wins/ties/losses": [f"{w}/{t}/{ls}" for w, t, ls in zip(pairs.wins, pairs.ties, pairs.losses)],
        }
    )
    escaped = shown.map(lambda v: v if isinstance(v, str) else esc(format_value(v)))
    return (
        note + '<p class="print-only">Every pair with every statistic is in pairs.csv beside the report; '
        "the verdict above has the comparisons that decide.</p>"
        + interactive_table(
            escaped,
            "pairs",
            caption="Every pair: paired difference b − a per criterion over shared documents, 95% bootstrap CI, "
            "two-sided Wilcoxon signed-rank p; Holm p only for the verdict's pairs (one family: the verdict's "
            f"{tests} criteria); wins/ties/losses of b",
            search_panes=[0, 10],
            page_length=10,
        )
        + f"<p>{csv_link(pairs, 'pairs.csv', 'pairs.csv (every pair, every statistic)')}</p>"
    )
