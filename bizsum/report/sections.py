"""The sections of the HTML report, each a function from run data to escaped HTML.

:mod:`bizsum.report.build` calls them in order; keeping them here means tests reach every line the
report runs. Which numbers appear, their labels, directions and kinds come from the metrics' own
column declarations (:func:`~bizsum.analysis.tables.headline_columns`), so a new metric's headline
columns appear in the verdict, the scores table and the charts without a change here.
"""

from __future__ import annotations

import math
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

import pandas as pd
import yaml

from bizsum.analysis.tables import (
    all_columns,
    area_table,
    config_history,
    group_table,
    headline_columns,
)
from bizsum.analysis.verdict import (
    compliance_counts,
    configuration_kinds,
    criteria,
    documents_needed,
    fmt_diff,
    fmt_value,
    min_wilcoxon_p,
    verdict_table,
)
from bizsum.config import RunConfig
from bizsum.errors import BizsumError
from bizsum.report import charts as chart_figures
from bizsum.report.html import (
    config_cell,
    csv_link,
    esc,
    figure_html,
    format_value,
    interactive_table,
    kind_badge,
    static_table,
)

if TYPE_CHECKING:
    from bizsum.report.build import ReportData


def card_scores() -> list[tuple[str, str]]:
    """(column, label) shown on each summary card: the headline metric values and the token counter."""
    metric_columns = [c for c in headline_columns() if c.name not in ("latency_s", "cost_usd") and c.kind != "rate"]
    return [(c.name, c.label) for c in metric_columns] + [("token_counter", all_columns()["token_counter"].label)]


def _ok(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["error"].isna()] if "error" in frame else frame


def run_line(config: RunConfig, frame: pd.DataFrame) -> str:
    """One line under the title: what was compared."""
    kinds = configuration_kinds(frame)
    models = {m: k for (_, m), k in kinds.items()}
    llms = sum(1 for k in models.values() if k != "baseline")
    documents = frame["doc_id"].nunique() if not frame.empty else 0
    return (
        f"{documents} documents × {len(config.prompts)} prompts × {len(config.models)} models "
        f"({llms} LLM, {len(models) - llms} baseline) × {config.samples} sample(s) · token limit {config.token_limit}"
    )


def provenance(history: pd.DataFrame) -> str:
    """Which config wrote which rows (:func:`bizsum.analysis.tables.config_history`)."""
    if history.empty:
        return "<p>No config snapshot in this run folder.</p>"
    if len(history) == 1:
        return f"<p>Every row was written by config <code>{esc(history['config'].iloc[0])}</code>.</p>"
    return (
        "<p>Configs that wrote into this run folder; the report shows the current row of each cell, "
        "written by the config named in the row.</p>" + static_table(history, caption="Config snapshots")
    )


# --------------------------------------------------------------------------------------------
# Verdict


def verdict(frame: pd.DataFrame) -> str:
    """The answer first: the best configuration per criterion against the best baseline, with the
    difference, its CI, whether it is significant and why not, and the compliance failures."""
    if frame.empty:
        return "<p>No summaries in this run yet.</p>"
    table = verdict_table(frame)
    if table.empty:
        return "<p>No scored summaries yet: run the score step.</p>"
    parts = [_verdict_lead(table, frame)]
    cards = []
    for row in table.itertuples(index=False):
        cards.append(_verdict_card(row))
    parts.append(f'<div class="verdict-grid">{"".join(cards)}</div>')
    parts.append(_compliance_line(frame))
    parts.append(
        '<p class="muted">'
        f"{kind_badge('llm')} a language model · {kind_badge('baseline')} a baseline without one "
        "(extractive sentences: the floor a model has to beat). Differences are paired by document "
        "(samples averaged per document first): mean difference, 95 % bootstrap CI over documents, "
        "two-sided Wilcoxon signed-rank p, Holm-adjusted over the criteria. "
        '<a href="#pairs">All pairs</a> · <a href="#scores">every number</a>.</p>'
    )
    return "".join(parts)


def _verdict_lead(table: pd.DataFrame, frame: pd.DataFrame) -> str:
    llm_rows = table[table["contender_kind"] == "llm"]
    comparisons = table[table["versus"] == "best baseline"]
    documents = frame["doc_id"].nunique()
    sentences = []
    if not llm_rows.empty:
        wins = llm_rows["contender"].value_counts()
        leader = wins.index[0]
        sentences.append(
            f"<b>Best LLM configuration: {esc(leader)}</b> (best LLM on {int(wins.iloc[0])} of {len(table)} criteria)."
        )
    if not comparisons.empty:
        ahead = comparisons[comparisons["diff"] * comparisons["direction"].map({"higher": 1, "lower": -1}) > 0]
        significant = comparisons[comparisons["significant"]]
        sentences.append(
            f"The best LLM is ahead of the best baseline on {len(ahead)} of {len(comparisons)} criteria; "
            f"{len(significant)} difference(s) significant at α = 0.05."
        )
    best_baseline = table[table["best_kind"] == "baseline"]
    if not best_baseline.empty:
        names = ", ".join(esc(c) for c in best_baseline["criterion"])
        sentences.append(f"A baseline is best on: {names}.")
    tests = int(table.attrs.get("tests", 1))
    if tests * min_wilcoxon_p(documents) >= 0.05:
        sentences.append(
            f'<span class="sig-cannot">{documents} documents: no paired test can reach p &lt; 0.05 '
            f"(the smallest possible two-sided Wilcoxon p is {min_wilcoxon_p(documents):.3g}"
            + (f", Holm-adjusted over {tests} criteria" if tests > 1 else "")
            + f"); add documents (≥ {documents_needed(0.05, tests)} that differ) to tell configurations apart. "
            "More samples per document do not add pairs.</span>"
        )
    return f'<p class="lead">{" ".join(sentences)}</p>'


def _verdict_card(row: Any) -> str:
    kind = row.kind
    arrow = "↑ higher is better" if row.direction == "higher" else "↓ lower is better"
    best = (
        f'<div>{kind_badge(row.best_kind)} <b>{esc(row.best)}</b> <span class="big">'
        f"{esc(fmt_value(row.best_value, kind))}</span></div>"
    )
    compare = ""
    if row.reference is not None and row.contender is not None:
        if row.significant:
            status, css = "significant", "sig-yes"
        elif "no paired test can reach" in row.why:
            status, css = "cannot be significant", "sig-cannot"
        else:
            status, css = "not significant", "sig-no"
        compare = (
            f"<div>{'Best LLM' if row.versus == 'best baseline' else 'Runner-up:'} "
            + (
                f"{kind_badge(row.contender_kind)} {esc(row.contender)} ({esc(fmt_value(row.contender_value, kind))}) "
                f"vs best baseline {kind_badge(row.reference_kind)} {esc(row.reference)} "
                if row.versus == "best baseline"
                else f"{kind_badge(row.reference_kind)} {esc(row.reference)} ({esc(fmt_value(row.reference_value, kind))}); best − runner-up "
            )
            + (f"({esc(fmt_value(row.reference_value, kind))}): " if row.versus == "best baseline" else "")
            + f"<b>{esc(fmt_diff(row.diff, kind))}</b> [{esc(fmt_diff(row.ci_low, kind))}, {esc(fmt_diff(row.ci_high, kind))}] · "
            f'<span class="{css}">{status}</span></div><div class="why" title="{esc(row.why)}">{esc(_short_why(row))}</div>'
        )
    css = "vcard base" if row.best_kind == "baseline" else "vcard"
    return f'<div class="{css}"><h3>{esc(row.criterion)} <span class="muted">{arrow}</span></h3>{best}{compare}</div>'


def _short_why(row: Any) -> str:
    """The card's one-line reason (the full one is the tooltip and in ``verdict_table``)."""
    if "no paired test can reach" not in row.why:
        return str(row.why)
    text = f"{row.n_docs} documents: p < 0.05 is out of reach (smallest possible p {min_wilcoxon_p(row.n_nonzero):.3g})"
    if "CI excludes 0" in row.why:
        text += "; the CI excludes 0 (indicative only)"
    return text


def _compliance_line(frame: pd.DataFrame) -> str:
    counts = compliance_counts(frame)
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
        + ' <a href="#summaries">See the flagged summaries</a>.'
    )
    table = counts.copy()
    table.insert(0, "configuration", [config_cell(p, m, k) for p, m, k in zip(table.prompt, table.model, table.kind)])
    table = table.drop(columns=["prompt", "model", "kind"])
    classes = ["baseline" if k == "baseline" else "" for k in counts["kind"]]
    return f'<div class="{css}">{text}</div>' + static_table(
        table,
        caption="Rule failures per prompt × model (count of summaries)",
        html_columns=["configuration"],
        row_classes=classes,
    )


# --------------------------------------------------------------------------------------------
# Scores


def headline_export(frame: pd.DataFrame) -> pd.DataFrame:
    """The headline numbers per prompt × model as one flat table (what headline.csv holds)."""
    ok = _ok(frame)
    kinds = configuration_kinds(frame)
    rows = []
    for (prompt_id, model_id), group in ok.groupby(["prompt_id", "model_id"], sort=True):
        row: dict[str, Any] = {
            "prompt": prompt_id,
            "model": model_id,
            "kind": kinds.get((str(prompt_id), str(model_id)), "llm"),
            "summaries": len(group),
            "documents": group["doc_id"].nunique(),
        }
        for column in headline_columns():
            if column.name in group:
                values = pd.to_numeric(group[column.name].map(_number), errors="coerce")
                row[column.name] = values.mean()
                row[f"{column.name}_sd"] = values.std(ddof=1) if values.count() > 1 else math.nan
                row[f"{column.name}_n"] = int(values.count())
        rows.append(row)
    return pd.DataFrame(rows)


def _number(value: Any) -> Any:
    return float(value) if isinstance(value, bool) else value


def scores(frame: pd.DataFrame, headline: pd.DataFrame) -> str:
    """Every headline number, transposed (criteria as rows, configurations as columns), best marked."""
    if headline.empty:
        return "<p>No scored summaries yet.</p>"
    ordered = headline.sort_values(
        ["kind", "model", "prompt"], key=lambda s: s.map({"llm": 0, "baseline": 1}).fillna(s) if s.name == "kind" else s
    )
    configs = [config_cell(p, m, k) for p, m, k in zip(ordered.prompt, ordered.model, ordered.kind)]
    rows, cell_classes = [], {}
    for position, column in enumerate(c for c in headline_columns() if c.name in ordered):
        values = ordered[column.name].tolist()
        row: dict[str, Any] = {"criterion": f"{esc(column.label)} {_arrow(column.direction)}"}
        numeric = [v for v in values if not _missing(v)]
        best = None
        if numeric and column.direction in ("higher", "lower") and len(set(numeric)) > 1:
            best = max(numeric) if column.direction == "higher" else min(numeric)
        for index, (config, value) in enumerate(zip(configs, values)):
            sd = ordered[f"{column.name}_sd"].iloc[index]
            text = esc(format_value(value, kind=column.kind))
            if column.kind not in ("rate", "flag") and not _missing(sd):
                text += f' <span class="muted">± {esc(format_value(sd))}</span>'
            row[config] = text
            if best is not None and not _missing(value) and value == best:
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
            "of summaries that pass). ★ best value of the row.",
            html_columns=list(table.columns),
            cell_classes=cell_classes,
            css="headline",
        )
        + f"<p>{csv_link(headline, 'headline.csv', 'headline.csv (every headline mean, sd and n)')}</p>"
    )


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _arrow(direction: str) -> str:
    return {
        "higher": '<span class="muted" title="higher is better">↑</span>',
        "lower": '<span class="muted" title="lower is better">↓</span>',
    }.get(direction, "")


def charts(frame: pd.DataFrame) -> str:
    """Per-document strip charts, one per criterion (a new metric's headline columns get theirs)."""
    ok = _ok(frame)
    judged = [c for c in criteria(ok) if c.kind in ("score", "rate", "count")]
    if ok.empty or not judged:
        return "<p>No scores to chart.</p>"
    figures = []
    for column in judged:
        figure, alt = chart_figures.strip_chart(ok, column, configuration_kinds(ok))
        figures.append(figure_html(figure, alt, caption=alt))
        chart_figures.close(figure)
    return (
        '<p class="muted">One dot per document; lines join the two prompts of the same model on the same '
        "document; ✕ at the bottom marks a missing value (no score), not a zero. Grey background: baselines.</p>"
        f'<div class="fig-grid">{"".join(figures)}</div>'
    )


def area_heatmap(frame: pd.DataFrame) -> str:
    table = area_table(_ok(frame))
    if table.empty:
        return ""
    figure, alt = chart_figures.area_heatmap(table)
    html = figure_html(figure, alt)
    chart_figures.close(figure)
    shown = table.reset_index()
    kinds = configuration_kinds(frame)
    shown.insert(
        0,
        "configuration",
        [config_cell(p, m, kinds.get((p, m))) for p, m in zip(shown.pop("prompt_id"), shown.pop("model_id"))],
    )
    return html + static_table(
        shown,
        caption="Focus-area coverage per prompt × model (mean over documents; – = the source is thin on it)",
        html_columns=["configuration"],
    )


def by_document_group(frame: pd.DataFrame) -> str:
    """Scores by industry and by document length, per model."""
    parts = []
    for column, caption in (
        ("industry", "By industry (SIC-based label)"),
        ("length", "By document length (o200k tokens)"),
    ):
        table = group_table(_ok(frame), column)
        if not table.empty:
            labels = all_columns()
            table = table.rename(columns={c: labels[c].label for c in table.columns if c in labels})
            parts.append(static_table(table, caption=caption, index=True))
    return "".join(parts) or "<p>No document metadata (manifest) for these documents.</p>"


# --------------------------------------------------------------------------------------------
# Paired comparisons


def pairs_export(frame: pd.DataFrame) -> pd.DataFrame:
    """Every pair of configurations on every criterion (what pairs.csv holds)."""
    from bizsum.analysis.stats import compare_all

    ok = _ok(frame)
    metrics = [c.name for c in criteria(ok)]
    if ok.empty or not metrics or ok.groupby(["prompt_id", "model_id"]).ngroups < 2:
        return pd.DataFrame()
    return compare_all(ok, metrics, correction="holm")


def paired(frame: pd.DataFrame, pairs: pd.DataFrame) -> str:
    """Paired differences between configurations on the same documents (bootstrap CI, Wilcoxon, Holm)."""
    if pairs.empty:
        return "<p>Paired comparisons need at least two prompt × model configurations with scores.</p>"
    labels = all_columns()
    documents = int(pairs["n"].max()) if len(pairs) else 0
    note = ""
    if min_wilcoxon_p(documents) * max(1, pairs["p_value"].notna().sum()) >= 0.05:
        note = (
            f'<p class="callout">With at most {documents} shared documents and {len(pairs)} tests (Holm), no pair '
            f"can be significant: the smallest possible Wilcoxon p is {min_wilcoxon_p(documents):.3g} before "
            "adjustment. The CIs still show size and direction.</p>"
        )
    shown = pd.DataFrame(
        {
            "criterion": [labels[m].label if m in labels else m for m in pairs["metric"]],
            "a": pairs["a"],
            "b": pairs["b"],
            "n": pairs["n"],
            "mean a": pairs["mean_a"].round(3),
            "mean b": pairs["mean_b"].round(3),
            "b − a": pairs["mean_diff"].round(3),
            "95% CI": [
                f"[{lo:+.3f}, {hi:+.3f}]" if not _missing(lo) else "–" for lo, hi in zip(pairs.ci_low, pairs.ci_high)
            ],
            "p (Holm)": pairs["p_adjusted"].map(lambda p: "–" if _missing(p) else f"{p:.3g}"),
            "significant": pairs["significant"].map({True: "yes", False: "no"}),
            "wins/ties/losses": [f"{w}/{t}/{ls}" for w, t, ls in zip(pairs.wins, pairs.ties, pairs.losses)],
        }
    )
    escaped = shown.map(lambda v: esc(format_value(v)))
    return (
        note + '<p class="print-only">Every pair with every statistic is in pairs.csv beside the report; '
        "the verdict above has the comparisons that decide.</p>"
        + interactive_table(
            escaped,
            "pairs",
            caption="Every pair: paired difference b − a per criterion over shared documents, 95% bootstrap CI, "
            "Wilcoxon signed-rank p (Holm-adjusted over all rows), wins/ties/losses of b",
            search_panes=[0],
            page_length=10,
        )
        + f"<p>{csv_link(pairs, 'pairs.csv', 'pairs.csv (every pair, every statistic)')}</p>"
    )


# --------------------------------------------------------------------------------------------
# Gate and changes


def gate(config: RunConfig, frame: pd.DataFrame, baseline: pd.DataFrame | None = None) -> tuple[str, bool]:
    """The regression gate: against the baseline run's rows when there is one, else the scores file
    named by ``baseline``; returns (html, passed). Off without thresholds or a baseline."""
    from bizsum.analysis.gate import check_regressions, load_scores

    if baseline is not None and config.thresholds:
        source = f"baseline run <code>{esc(config.baseline_run)}</code>"
        reference = baseline
    elif config.baseline:
        source = f"<code>{esc(config.baseline)}</code>"
        reference = load_scores(config.resolve(config.baseline))
    else:
        return (
            "<p>The gate is off: set <code>thresholds</code> and a <code>baseline_run</code> (or a "
            "<code>baseline</code> scores file).</p>",
            True,
        )
    if not config.thresholds:
        return f"<p>Baseline {source} but no <code>thresholds</code>: the gate is off.</p>", True
    result = check_regressions(_ok(frame), _ok(reference), dict(config.thresholds))
    word = "passed" if result.passed else "FAILED"
    css = "callout ok-callout" if result.passed else "callout"
    table = result.table[
        [
            "config",
            "metric",
            "n_docs",
            "baseline_mean",
            "current_mean",
            "diff",
            "ci_low",
            "ci_high",
            "p_holm",
            "threshold",
            "regressed",
            "note",
        ]
    ]
    return (
        f'<div class="{css}">Gate against {source}: <b>{word}</b>.</div><pre class="diff">{esc(result.message())}</pre>'
        + static_table(table, caption="Regression checks per prompt × model and gated criterion"),
        result.passed,
    )


def changes(data: ReportData) -> str:
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
                "summary": f'<a href="#{_card_id(row.doc_id, row.prompt_id, row.model_id, row.sample)}">'
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


def _card_id(doc_id: str, prompt_id: str, model_id: str, sample: Any) -> str:
    from bizsum.report.cards import card_id

    return card_id(doc_id, prompt_id, model_id, sample)


# --------------------------------------------------------------------------------------------
# Appendix


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


PACKAGES = (
    "bizsum",
    "openai",
    "rouge-score",
    "bert-score",
    "tiktoken",
    "torch",
    "transformers",
    "llama-cpp-python",
    "itables",
)


def appendix(data: ReportData) -> str:
    """Provenance (models, versions, config) and definitions (glossary), after the results."""
    return (
        "<h3>Models</h3>"
        + models_table(data.config, data.frame)
        + "<h3>Versions</h3>"
        + versions_table(data.metric_versions)
        + "<h3>Run configuration</h3>"
        + provenance(config_history(data.config.run_dir))
        + f'<details><summary>config.yaml</summary><pre class="yaml">{esc(yaml.safe_dump(data.config.snapshot(), sort_keys=False))}</pre></details>'
        + "<h3>What the scores mean</h3>"
        + glossary()
    )


def models_table(config: RunConfig, frame: pd.DataFrame) -> str:
    from bizsum.providers import provider_kind

    rows = []
    for spec in config.models:
        got = frame[frame.model_id == spec.id] if not frame.empty else frame
        returned = sorted({str(v) for v in got.get("model_returned", pd.Series(dtype=str)).dropna()})
        counters = sorted({str(v) for v in got.get("token_counter", pd.Series(dtype=str)).dropna()})
        rows.append(
            {
                "model id": config_cell("", spec.id, provider_kind(spec.provider)).replace(" · ", ""),
                "provider": esc(spec.provider),
                "model": esc(spec.model_name),
                "model returned": esc(", ".join(returned)),
                "token counter": esc(", ".join(counters)),
                "params": esc(yaml.safe_dump(spec.params, default_flow_style=True).strip()),
                "options": esc(yaml.safe_dump(spec.options, default_flow_style=True).strip()),
            }
        )
    errors = int(frame["error"].notna().sum()) if "error" in frame else 0
    cached = int(frame["cached"].fillna(False).astype(bool).sum()) if "cached" in frame else 0
    return f"<p>{len(frame)} summaries ({errors} failed, {cached} served from the response cache).</p>" + static_table(
        pd.DataFrame(rows),
        html_columns=["model id", "provider", "model", "model returned", "token counter", "params", "options"],
    )


def versions_table(metric_versions: dict[str, dict[str, str]]) -> str:
    rows = [{"component": name, "version": _pkg(name)} for name in PACKAGES]
    for metric, info in metric_versions.items():
        for key, value in info.items():
            rows.append({"component": f"{metric}: {key}", "version": value})
    return static_table(pd.DataFrame(rows), caption="Versions of packages, metrics and encoders", css="versions")


SPREAD_NOTE = (
    "sd = standard deviation over documents × samples; a difference between two configurations is only "
    "meaningful with the paired statistics."
)


def glossary() -> str:
    """What each metric and each of its values means, from the metrics' own declarations."""
    from bizsum.metrics import metric_class, metric_names

    rows = []
    for name in metric_names():
        metric = metric_class(name)
        rows.append({"score": metric.label, "what it means": metric.description})
    rows.append({"score": "Spread", "what it means": SPREAD_NOTE})
    columns = [
        {"column": c.name, "label": c.label, "meaning": c.meaning, "better": c.direction, "kind": c.kind}
        for c in all_columns().values()
    ]
    return static_table(pd.DataFrame(rows), caption="What each score means") + (
        "<details><summary>Every column of scores.jsonl</summary>"
        + static_table(pd.DataFrame(columns), caption="Every column of scores.jsonl and the report")
        + "</details>"
    )


class GateFailed(BizsumError):
    """The regression gate found a significant drop (the report says where)."""


def raise_if_gate_failed(passed: bool) -> None:
    """Last cell of the report: a failed gate makes papermill (and CI) exit non-zero."""
    if not passed:
        raise GateFailed("regression gate failed: see the 'Regression gate' section of the report")


JUDGE_METRIC_NAMES = ("judge_claims", "judge_rubric")


def judge(config: RunConfig, frame: pd.DataFrame) -> str:
    """The LLM judge's columns per prompt × model, in a section of their own ("LLM judge: <model>").

    Never merged into the headline: a judge is optional, may be weak (a small local model) and
    costs money, so its numbers stand beside the offline metrics, labelled with the judge model.
    """
    from bizsum.analysis.tables import headline_table
    from bizsum.metrics import metric_columns

    columns = tuple(c for c in metric_columns(list(JUDGE_METRIC_NAMES)).values() if c.name in frame)
    if not columns or all(frame[c.name].isna().all() for c in columns):
        return ""  # no judge in this run: no section
    table = headline_table(frame, columns)
    shown = table[["prompt", "model", "n"]].copy()
    for spec in columns:
        if f"{spec.name}_mean" in table:
            shown[spec.label] = table[f"{spec.name}_mean"]
    model = config.judge_model.id if config.judge_model is not None else "?"
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


def agreement(run_dir: Any, n_boot: int = 1000) -> str:
    """Agreement of the metrics with the human labels of the run (``reviews.jsonl``), when there are any."""
    from pathlib import Path

    from bizsum.analysis.agreement import agreement_from, collect, format_table
    from bizsum.rundir import RunDir

    rundir = RunDir(Path(run_dir))
    if not rundir.reviews.is_file():
        return ""  # no labels: no section (label with notebooks/review.ipynb, then `bizsum agreement RUN`)
    data = collect(rundir.path)
    table = agreement_from(data, n_boot=n_boot)
    parts = [
        static_table(
            format_table(table),
            caption="Metrics against the human labels: balanced accuracy and Cohen's κ of the verdict, Kendall τ-b of "
            f"the score; [95% CI] over {n_boot} resamples of the summaries",
        )
    ]
    if data.unscored:
        parts.append(f"<p>{data.unscored} labelled summaries have no current score row and are not counted.</p>")
    if not data.orphans.empty:
        parts.append(
            static_table(
                data.orphans,
                caption=f"{len(data.orphans)} orphaned labels: their summary changed or their claim is not among "
                "the summary's claims; they are not attached to anything",
            )
        )
    return "".join(parts)
