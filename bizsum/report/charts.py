"""Charts that fit the data: per-document strip charts, the focus-area heatmap and the ranking of
configurations with their confidence intervals (matplotlib, Agg).

Few documents per configuration: every document is drawn as a dot (a box only from 8 values on),
the two prompts of one model are drawn side by side with a line per document between them, and a
missing value is drawn as ✕ under the axis, never as a zero.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from bizsum.analysis.stats import document_means
from bizsum.errors import InputError
from bizsum.metrics import Column

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

BOX_FROM = 8
#: the smallest text on a strip chart (points) and the chart's width: a 390 px phone shows it at
#: about 370 px, so FONT_PT / 72 * 370 / (WIDTH_IN + the labels' width) stays above 8.5 px
FONT_PT = 11.0
WIDTH_IN = 4.6


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def close(figure: Any) -> None:
    _pyplot().close(figure)


def _order(configs: list[tuple[str, str]], kinds: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    """LLMs first, then baselines; within a model its prompts side by side."""
    return sorted(configs, key=lambda c: (kinds.get(c) == "baseline", c[1], c[0]))


def _label(config: tuple[str, str], kinds: dict[tuple[str, str], str]) -> str:
    """A configuration on the chart's axis: prompt and model on two lines (a baseline: its model)."""
    prompt, model = config
    return model if kinds.get(config) == "baseline" else f"{prompt}\n{model}"


def strip_chart(frame: pd.DataFrame, column: Column, kinds: dict[tuple[str, str], str]) -> tuple[Any, str]:
    """One dot per document for each prompt × model, configurations as rows (their names never
    overlap), every text at least :data:`FONT_PT`; returns (figure, alt text)."""
    plt = _pyplot()
    table = document_means(frame, column.name)  # documents × configurations, samples averaged
    configs = _order([(str(c[0]), str(c[1])) for c in table.columns], kinds)
    documents = list(table.index)
    colors = plt.get_cmap("tab10")
    rate = column.kind == "rate"
    values = table.to_numpy(dtype="float64") * (100 if rate else 1)
    finite = values[np.isfinite(values)]
    low = 0.0 if rate or (finite.size and finite.min() >= 0) else float(finite.min()) if finite.size else 0.0
    high = (
        100.0
        if rate
        else max(1.0, float(finite.max()) if finite.size else 1.0)
        if column.kind == "score"
        else (float(finite.max()) if finite.size else 1.0)
    )
    span = (high - low) or 1.0
    floor = low - 0.12 * span  # where missing values are drawn
    figure, axis = plt.subplots(figsize=(WIDTH_IN, 0.55 * len(configs) + 1.6))
    y_of = {config: len(configs) - 1 - i for i, config in enumerate(configs)}  # the first at the top
    for config in configs:
        if kinds.get(config) == "baseline":
            axis.axhspan(y_of[config] - 0.5, y_of[config] + 0.5, color="#eceff3", zorder=0)
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.1, 0.1, size=len(documents))
    scale = 100 if rate else 1
    for config in configs:
        y = y_of[config]
        column_values = table[config].to_numpy(dtype="float64") * scale
        present = np.isfinite(column_values)
        if present.sum() >= BOX_FROM:
            axis.boxplot(column_values[present], positions=[y], widths=0.5, showfliers=False, vert=False, zorder=1)
        for d, value in enumerate(column_values):
            if math.isfinite(value):
                axis.scatter(
                    value, y + jitter[d], s=26, color=colors(d % 10), zorder=3, edgecolors="white", linewidths=0.5
                )
            else:
                axis.scatter(floor, y + jitter[d], s=30, marker="x", color="#c62828", zorder=3)
        if present.any():
            axis.vlines(np.nanmean(column_values), y - 0.3, y + 0.3, color="#111", linewidth=1.8, zorder=4)
    # pair the prompts of one model: one line per document between neighbouring configurations of that model
    for model in sorted({m for _, m in configs}):
        same = [c for c in configs if c[1] == model]
        for upper, lower in pairwise(same):
            for d in range(len(documents)):
                a, b = table.at[documents[d], upper], table.at[documents[d], lower]
                if pd.notna(a) and pd.notna(b):
                    axis.plot(
                        [a * scale, b * scale],
                        [y_of[upper] + jitter[d], y_of[lower] + jitter[d]],
                        color=colors(d % 10),
                        alpha=0.45,
                        linewidth=1,
                        zorder=2,
                    )
    axis.set_yticks([y_of[c] for c in configs], [_label(c, kinds) for c in configs], fontsize=FONT_PT)
    axis.set_ylim(-0.6, len(configs) - 0.4)
    axis.set_xlim(floor - 0.06 * span, high + 0.06 * span)
    direction = {"higher": "higher is better", "lower": "lower is better"}.get(column.direction, "")
    unit = " (% of summaries)" if rate else ""
    axis.set_xlabel(f"{column.label}{unit}", fontsize=FONT_PT)
    axis.set_title(f"{column.label} per document\n({direction}; ✕ = missing)", fontsize=FONT_PT)
    axis.axvline(low, color="#999", linewidth=0.6)
    axis.tick_params(axis="x", labelsize=FONT_PT)
    axis.grid(axis="x", alpha=0.3)
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=colors(d % 10), label=str(doc)[:20])
        for d, doc in enumerate(documents[:10])
    ]
    axis.legend(
        handles=handles,
        fontsize=FONT_PT,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.55 / max(1, len(configs))),
        ncol=2,
        frameon=False,
        handletextpad=0.2,
        columnspacing=0.8,
    )
    missing = int((~np.isfinite(values)).sum())
    alt = (
        f"{column.label} per document for {len(configs)} prompt × model configurations "
        f"({direction}); one dot per document ({len(documents)} documents), a bar at each mean, lines join "
        f"the prompts of the same model on the same document; {missing} missing value(s) drawn as ✕ left of the axis."
    )
    figure.tight_layout()
    return figure, alt


def area_heatmap(table: pd.DataFrame) -> tuple[Any, str]:
    """Mean coverage per focus area (columns) × prompt · model (rows); missing cells stay blank."""
    plt = _pyplot()
    data = table.to_numpy(dtype="float64")
    figure, axis = plt.subplots(figsize=(7, 0.42 * len(table) + 1.6))
    masked = np.ma.masked_invalid(data)
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad="#f0f0f0")
    image = axis.imshow(masked, vmin=0, vmax=1, cmap=cmap, aspect="auto")
    axis.set_xticks(
        range(len(table.columns)), [c.replace("_", " ") for c in table.columns], rotation=25, ha="right", fontsize=8
    )
    axis.set_yticks(range(len(table)), [f"{p} · {m}" for p, m in table.index], fontsize=8)
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            value = data[i, j]
            axis.text(j, i, "–" if not math.isfinite(value) else f"{value:.2f}", ha="center", va="center", fontsize=8)
    figure.colorbar(image, ax=axis, fraction=0.03)
    axis.set_title("Focus-area coverage (mean over documents; grey – = no value)", fontsize=9)
    figure.tight_layout()
    alt = (
        f"Heatmap of focus-area coverage from 0 (red) to 1 (green) for {len(table)} prompt × model "
        f"configurations and {len(table.columns)} areas; grey cells have no value."
    )
    return figure, alt


def plot_ranking(df: pd.DataFrame, metric: str, ax: Axes | None = None) -> Axes:
    """Horizontal error-bar chart of :func:`bizsum.analysis.stats.rank_configurations` output (first row on
    top): each configuration's mean with its bootstrap CI over documents."""
    plt = _pyplot()

    missing = [c for c in ("config", "mean", "ci_low", "ci_high") if c not in df.columns]
    if missing:
        raise InputError(f"plot_ranking: the table lacks column(s) {missing}; pass rank_configurations() output")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.45 * max(len(df), 2) + 1.2))
    y = np.arange(len(df))[::-1]
    mean = df["mean"].to_numpy(dtype="float64")
    lower = np.nan_to_num(mean - df["ci_low"].to_numpy(dtype="float64"), nan=0.0)
    upper = np.nan_to_num(df["ci_high"].to_numpy(dtype="float64") - mean, nan=0.0)
    ax.errorbar(
        mean,
        y,
        xerr=np.vstack([np.clip(lower, 0, None), np.clip(upper, 0, None)]),
        fmt="o",
        capsize=4,
        color="tab:blue",
        ecolor="tab:gray",
    )
    ax.set_yticks(y)
    ax.set_yticklabels(df["config"].astype(str).tolist())
    level = df.attrs.get("ci_level")
    ci_text = f"{level:.0%} bootstrap CI over documents" if level else "bootstrap CI over documents"
    ax.set_xlabel(f"{metric} (mean, {ci_text})")
    ax.set_title(f"Configurations ranked by {metric}")
    ax.grid(axis="x", alpha=0.3)
    return ax
