"""The sections of the HTML report, each a function from run data to escaped HTML.

The compare notebook calls these in order; keeping them here means tests reach every line the
report runs.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd
import yaml

from bizsum.analysis.tables import (
    all_columns,
    area_table,
    flagged,
    group_table,
    headline_columns,
    headline_table,
    problems_of,
)
from bizsum.config import RunConfig
from bizsum.errors import BizsumError
from bizsum.report.html import esc, figure_html, html_table, summary_card


def card_scores() -> list[tuple[str, str]]:
    """(column, label) shown on each summary card: the headline metric values and the token counter."""
    metric_columns = [c for c in headline_columns() if c.name not in ("latency_s", "cost_usd") and c.kind != "rate"]
    return [(c.name, c.label) for c in metric_columns] + [("token_counter", all_columns()["token_counter"].label)]


def _pkg(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def overview(config: RunConfig, frame: pd.DataFrame, metric_versions: dict[str, dict[str, str]]) -> str:
    """Run config, models actually answering, and the versions of everything that made the numbers."""
    models = []
    for spec in config.models:
        rows = frame[frame.model_id == spec.id] if not frame.empty else frame
        returned = sorted({str(v) for v in rows.get("model_returned", pd.Series(dtype=str)).dropna()})
        counters = sorted({str(v) for v in rows.get("token_counter", pd.Series(dtype=str)).dropna()})
        models.append(
            {
                "model id": spec.id,
                "provider": spec.provider,
                "model": spec.model_name,
                "base_url": spec.base_url or "",
                "model returned": ", ".join(returned),
                "token counter": ", ".join(counters),
                "params": yaml.safe_dump(spec.params, default_flow_style=True).strip(),
            }
        )
    versions = [
        {"component": name, "version": _pkg(name)}
        for name in (
            "bizsum",
            "openai",
            "rouge-score",
            "bert-score",
            "tiktoken",
            "torch",
            "transformers",
            "llama-cpp-python",
        )
    ]
    for metric, info in metric_versions.items():
        for key, value in info.items():
            versions.append({"component": f"{metric}: {key}", "version": value})
    config_yaml = yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False)
    n = len(frame)
    errors = int(frame["error"].notna().sum()) if "error" in frame else 0
    cached = int(frame["cached"].fillna(False).astype(bool).sum()) if "cached" in frame else 0
    return (
        f"<p>{n} summaries ({errors} failed, {cached} served from cache) · {len(config.documents)} document selector(s) · "
        f"{len(config.prompts)} prompt(s) · {len(config.models)} model(s) · {config.samples} sample(s) · "
        f"token limit {config.token_limit}</p>"
        + html_table(pd.DataFrame(models), caption="Models")
        + html_table(pd.DataFrame(versions), caption="Versions of models, metrics and encoders")
        + f"<details><summary>Run configuration (YAML)</summary><pre>{esc(config_yaml)}</pre></details>"
    )


def headline(frame: pd.DataFrame) -> str:
    table = headline_table(frame)
    if table.empty:
        return "<p>No scored summaries yet.</p>"
    shown = table[[c for c in table.columns if not c.endswith(("_mean", "_sd"))]].copy()
    for spec in headline_columns():
        if f"{spec.name}_mean" in table:
            shown[spec.label] = list(zip(table[f"{spec.name}_mean"], table[f"{spec.name}_sd"]))
    return html_table(
        shown,
        caption="Per prompt × model: mean ± standard deviation over documents × samples "
        "(rates for yes/no scores); click a header to sort",
    )


def score_chart(frame: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = headline_table(frame)
    columns = [s for s in headline_columns() if f"{s.name}_mean" in table and s.direction == "higher"]
    if table.empty or not columns:
        return ""
    labels = [f"{p}\n{m}" for p, m in zip(table["prompt"], table["model"])]
    figure, axis = plt.subplots(figsize=(max(7, 1.1 * len(columns) * len(labels) / 3), 4))
    width = 0.8 / len(labels)
    for offset, label in enumerate(labels):
        means = [table[f"{s.name}_mean"].iloc[offset] for s in columns]
        # Rates (yes/no scores) get no error bar: a 0/1 standard deviation says little.
        sds = [0 if s.yes_no else table[f"{s.name}_sd"].iloc[offset] for s in columns]
        axis.bar(
            [i + offset * width for i in range(len(columns))],
            means,
            width,
            yerr=[0 if pd.isna(s) else s for s in sds],
            label=label.replace("\n", " · "),
            capsize=2,
            error_kw={"elinewidth": 0.8},
        )
    axis.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(columns))], [s.label for s in columns], rotation=30, ha="right"
    )
    axis.set_ylim(0, 1.1)
    axis.set_ylabel("score (0–1), error bar = 1 sd")
    axis.legend(fontsize=7, ncol=2)
    axis.set_title("Scores per prompt × model")
    html = figure_html(figure, "Scores per prompt × model")
    plt.close(figure)
    return html


def area_heatmap(frame: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = area_table(frame)
    if table.empty:
        return "<p>No focus-coverage scores.</p>"
    figure, axis = plt.subplots(figsize=(7, 0.45 * len(table) + 1.5))
    image = axis.imshow(table.to_numpy(dtype=float), vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    axis.set_xticks(range(len(table.columns)), [c.replace("_", " ") for c in table.columns], rotation=25, ha="right")
    axis.set_yticks(range(len(table)), [f"{p} · {m}" for p, m in table.index])
    for (i, j), value in pd.DataFrame(table.to_numpy()).stack().items():
        axis.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axis, fraction=0.03)
    axis.set_title("Focus-area coverage (mean over documents)")
    html = figure_html(figure, "Focus-area coverage heatmap")
    plt.close(figure)
    return html + html_table(table, caption="Focus-area coverage per prompt × model", index=True)


def by_document_group(frame: pd.DataFrame) -> str:
    """Scores by industry and by document length, per model."""
    parts = []
    for column, caption in (
        ("industry", "By industry (SIC-based label)"),
        ("length", "By document length (o200k tokens)"),
    ):
        table = group_table(frame, column)
        if not table.empty:
            parts.append(html_table(table, caption=caption, index=True))
    return "".join(parts) or "<p>No document metadata (manifest) for these documents.</p>"


def flags(frame: pd.DataFrame) -> str:
    bad = flagged(frame)
    if bad.empty:
        return "<p>No summary was flagged.</p>"
    table = bad[["doc_id", "prompt_id", "model_id", "sample"]].copy()
    table["problems"] = bad["problems"].map("; ".join)
    counts = {
        "over token limit": int(frame.get("over_limit", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        "cut off": int(frame.get("cut_off", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        "prompt truncated": int(frame.get("prompt_truncated", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        "document truncated": int(
            frame.get("document_truncated", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()
        ),
        "not continuous text": int(
            (~frame.get("format_compliant", pd.Series(dtype=bool)).fillna(True).astype(bool)).sum()
        ),
    }
    summary = " · ".join(f"{k}: <b>{v}</b>" for k, v in counts.items())
    return f"<p>{summary}</p>" + html_table(table, caption="Flagged summaries")


def _unsupported_claims(details: Any) -> list[str]:
    if not isinstance(details, dict):
        return []
    claims = (details.get("source_only") or {}).get("claims") or []
    return [c.get("text", "") for c in claims if isinstance(c, dict) and c.get("verdict") == "unsupported"]


def summaries(frame: pd.DataFrame, max_cards: int = 200) -> str:
    """Every summary (up to max_cards), grouped by document, worst problems first."""
    if frame.empty:
        return "<p>No summaries.</p>"
    parts = []
    cards = card_scores()
    ordered = frame.sort_values(["doc_id", "prompt_id", "model_id", "sample"])
    for _, row in ordered.head(max_cards).iterrows():
        parts.append(summary_card(row, problems_of(row), cards, _unsupported_claims(row.get("details"))))
    if len(ordered) > max_cards:
        parts.append(f"<p>… {len(ordered) - max_cards} more summaries are in generations.jsonl.</p>")
    return "".join(parts)


SPREAD_NOTE = (
    "sd = standard deviation over documents × samples; a difference between two configurations is only "
    "meaningful with the paired statistics below."
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
    return html_table(pd.DataFrame(rows), caption="What each score means") + html_table(
        pd.DataFrame(columns), caption="Every column of scores.jsonl and the report"
    )


PAIRED_METRICS = ("coverage", "source_only", "rouge1_f_ref", "bertscore_f_ref")


def paired(frame: pd.DataFrame, metrics: tuple[str, ...] = PAIRED_METRICS) -> str:
    """Paired differences between configurations on the same documents (bootstrap CI, Wilcoxon, Holm)."""
    from bizsum.analysis.stats import compare_all, plot_ranking, rank_configurations

    ok = frame[frame["error"].isna()] if "error" in frame else frame
    metrics = tuple(m for m in metrics if m in ok and ok[m].notna().any())
    if ok.empty or not metrics or ok.groupby(["prompt_id", "model_id"]).ngroups < 2:
        return "<p>Paired comparisons need at least two prompt × model configurations with scores.</p>"
    parts = []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for metric in metrics[:2]:
        ranking = rank_configurations(ok, metric, n_boot=2000, seed=0)
        figure, axis = plt.subplots(figsize=(7, 0.4 * len(ranking) + 1.5))
        plot_ranking(ranking, metric, ax=axis)
        parts.append(figure_html(figure, f"Ranking by {metric}"))
        plt.close(figure)
        parts.append(html_table(ranking, caption=f"Ranking by {metric} (mean over documents, 95% bootstrap CI)"))
    table = compare_all(ok, list(metrics), correction="holm")
    parts.append(
        html_table(
            table,
            caption="All pairs: paired difference b − a per metric, 95% bootstrap CI over "
            "documents, Wilcoxon signed-rank p (Holm-adjusted), wins/ties/losses",
        )
    )
    return "".join(parts)


def gate(config: RunConfig, frame: pd.DataFrame) -> tuple[str, bool]:
    """Compare with the baseline scores file, if the config names one; returns (html, passed)."""
    if not config.baseline:
        return "<p>No baseline configured (parameter <code>baseline</code>): the gate is off.</p>", True
    from bizsum.analysis.gate import check_regressions, load_scores

    result = check_regressions(frame, load_scores(config.resolve(config.baseline)), dict(config.thresholds))
    verdict = "passed" if result.passed else "FAILED"
    return (
        f"<p>Gate against <code>{esc(config.baseline)}</code>: <b>{verdict}</b>. {esc(result.message())}</p>"
        + html_table(result.table, caption="Regression checks"),
        result.passed,
    )


class GateFailed(BizsumError):
    """The regression gate found a significant drop (the report says where)."""


def raise_if_gate_failed(passed: bool) -> None:
    """Last cell of the report: a failed gate makes papermill (and CI) exit non-zero."""
    if not passed:
        raise GateFailed("regression gate failed: see the 'Regression gate' section of the report")
