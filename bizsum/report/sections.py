"""The sections of the HTML report, each a function from run data to escaped HTML.

The compare notebook calls these in order; keeping them here means tests reach every line the
report runs.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pandas as pd
import yaml

from bizsum.analysis.tables import HEADLINE_SCORES, area_table, flagged, group_table, headline_table, problems_of
from bizsum.config import RunConfig
from bizsum.errors import BizsumError
from bizsum.report.html import esc, figure_html, html_table, summary_card

RATE_COLUMNS = {"token_compliant", "format_compliant"}

CARD_SCORES = [
    ("rouge1_f_ref", "R-1 F ref"),
    ("rouge1_p_src", "R-1 P src"),
    ("bertscore_f_ref", "BS F ref"),
    ("bertscore_p_src", "BS P src"),
    ("coverage", "coverage"),
    ("source_only", "source-only"),
    ("tokens", "tokens"),
    ("token_counter", "counter"),
]


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
    for spec in HEADLINE_SCORES:
        if f"{spec.column}_mean" in table:
            shown[spec.label] = list(zip(table[f"{spec.column}_mean"], table[f"{spec.column}_sd"]))
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
    columns = [s for s in HEADLINE_SCORES if f"{s.column}_mean" in table and s.higher_is_better]
    if table.empty or not columns:
        return ""
    labels = [f"{p}\n{m}" for p, m in zip(table["prompt"], table["model"])]
    figure, axis = plt.subplots(figsize=(max(7, 1.1 * len(columns) * len(labels) / 3), 4))
    width = 0.8 / len(labels)
    for offset, label in enumerate(labels):
        means = [table[f"{s.column}_mean"].iloc[offset] for s in columns]
        # Rates (yes/no scores) get no error bar: a 0/1 standard deviation says little.
        sds = [0 if s.column in RATE_COLUMNS else table[f"{s.column}_sd"].iloc[offset] for s in columns]
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
    ordered = frame.sort_values(["doc_id", "prompt_id", "model_id", "sample"])
    for _, row in ordered.head(max_cards).iterrows():
        parts.append(summary_card(row, problems_of(row), CARD_SCORES, _unsupported_claims(row.get("details"))))
    if len(ordered) > max_cards:
        parts.append(f"<p>… {len(ordered) - max_cards} more summaries are in generations.jsonl.</p>")
    return "".join(parts)


GLOSSARY = [
    (
        "ROUGE-1/2/Lsum F (ref)",
        "n-gram overlap with the best reference summary (google-research rouge-score, Porter stemmer; "
        "its tokenizer keeps only [a-z0-9], so '$' and '%' are ignored). References were written for this project and are marked so.",
    ),
    (
        "ROUGE P (src)",
        "share of the summary's n-grams that occur in the source: a measure of extractiveness, not of quality.",
    ),
    (
        "BERTScore P/R/F",
        "greedy cosine matching of contextual token embeddings (all-MiniLM-L6-v2, 6 layers, no idf). "
        "Not rescaled with a baseline (baseline files are not available offline), so values are raw and compressed near the top. "
        "Sources longer than 512 word pieces are embedded in 510-piece chunks; each summary token takes its best match over all chunks.",
    ),
    (
        "Focus coverage",
        "per area (sources of revenue, customer base, products, distribution channels, financing): whether the "
        "summary addresses it and how much of the source's key content for it the summary carries; areas the source barely covers are not counted.",
    ),
    (
        "Source-only",
        "the prompt's rule 'use only information from the text': share of summary claims supported by the source "
        "(numbers, names and meaning checked). Saying a topic is not described in the text is compliant.",
    ),
    (
        "Token limit",
        "the summary counted with the model's tokenizer (tiktoken for OpenAI models, llama.cpp's for local ones; "
        "'token counter' shows which) must be within the limit, and the output must not have been cut off.",
    ),
    ("Continuous text", "no bullet lists, headings or tables (the prompt asks for continuous text)."),
    (
        "Spread",
        "sd = standard deviation over documents × samples; a difference between two configurations is only "
        "meaningful with the paired statistics below.",
    ),
]


def glossary() -> str:
    return html_table(pd.DataFrame(GLOSSARY, columns=["score", "what it means"]), caption="What each score means")


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
